/* sandbox.h — the launch plan: everything `empyra run` decided on the host
 * side (ids, mounts, environment, limits) before any namespace exists. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/xdg.h"
#include "manifest/manifest.h"

/* Mechanisms that --allow-weaker=MECH may let go, named in messages. */
enum {
        EMP_WEAK_LANDLOCK = 1u << 0,
        EMP_WEAK_CGROUP = 1u << 1,
        EMP_WEAK_NETNS = 1u << 2, /* reserved for the network gateway */
};

/* One step of building the view, executed in order inside the new mount
 * namespace; `dest` is absolute inside the sandbox. */
enum emp_mount_kind {
        EMP_MNT_TMPFS,   /* tmpfs at dest, mode in `mode` */
        EMP_MNT_BIND,    /* bind host src at dest */
        EMP_MNT_DIR,     /* mkdir dest (mode) in our own tmpfs */
        EMP_MNT_SYMLINK, /* symlink dest -> src */
        EMP_MNT_FILE,    /* file dest with `data` as contents (mode) */
        EMP_MNT_PROC,    /* proc of the new pid namespace */
        EMP_MNT_DEVPTS,  /* private devpts instance */
        EMP_MNT_RDONLY,  /* make the mount at dest read-only (after filling it) */
};
enum {
        EMP_MNT_F_RO = 1u << 0,       /* bind read-only (recursively) */
        EMP_MNT_F_DEV = 1u << 1,      /* keep device nodes usable (granted devices) */
        EMP_MNT_F_OPTIONAL = 1u << 2, /* skip silently when the source is missing */
        EMP_MNT_F_EXEC_NO = 1u << 3,  /* noexec */
        EMP_MNT_F_RW_RULE = 1u << 4,  /* Landlock: read-write rule on dest */
        EMP_MNT_F_RO_RULE = 1u << 5,  /* Landlock: read-only rule on dest */
        EMP_MNT_F_DEV_RULE = 1u << 6, /* Landlock: device rule (read/write/ioctl) */
        EMP_MNT_F_APP_OWNED = 1u << 7, /* tmpfs owned by the app's uid/gid */
};
struct emp_mount {
        enum emp_mount_kind kind;
        unsigned flags;
        char *src;  /* host path (BIND), link target (SYMLINK) */
        char *dest; /* inside path */
        char *data; /* FILE contents */
        size_t data_len;
        mode_t mode;
        char *src_base; /* when set, src is relative to it and opened without
                         * following symlinks (app home, persistent dirs) */
        int tree_fd; /* open_tree clone, filled inside the child */
};

struct emp_idmap {
        uid_t host_uid;
        gid_t host_gid;
        uid_t app_uid; /* uid/gid the app runs as, inside */
        gid_t app_gid;
        bool host_root;    /* invoked as root: identity map of every id */
        bool subid;        /* newuidmap/newgidmap with /etc/subuid ranges */
        uint32_t subuid_start, subuid_count, subgid_start, subgid_count;
};

struct emp_cgroup; /* cgroup.h */

struct emp_sandbox {
        struct emp_manifest *manifest;
        char *app_id;
        char **argv;
        bool verbose;
        unsigned allow_weaker;
        enum emp_identity identity;
        struct emp_dirs dirs;

        int ns_flags; /* CLONE_NEW* for the app */
        struct emp_idmap ids;

        struct emp_mount *mounts;
        size_t n_mounts;
        char **covers; /* host paths covered by empty tmpfs (Empyra's own dirs) */

        char *home_inside;
        char *cwd_inside;
        char *hostname;
        char machine_id[33];
        char boot_id[37];
        char **envp;

        unsigned seccomp_variant;
        bool brokered;       /* files=brokered: path opens trap to empyrad */
        bool network;        /* shared=network: connect traps to the gateway */
        unsigned weakened;   /* EMP_WEAK_* actually given up */
        char **notes;        /* verbose notes: skipped grants, weakened mechanisms */
        struct emp_cgroup *cgroup;
        int home_fd; /* plan time: the app's own home when it is $HOME, else -1 */
        bool focus;          /* --focus: focus this app once it runs */
        char *focus_entry;   /* its entry in the running-apps registry */
};

void emp_sandbox_init(struct emp_sandbox *sb);
void emp_sandbox_free(struct emp_sandbox *sb);
/* Append a verbose note (printf-style). */
void emp_sandbox_note(struct emp_sandbox *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a mount step; returns it (owned by sb) or NULL on ENOMEM. */
struct emp_mount *emp_sandbox_add_mount(struct emp_sandbox *sb, enum emp_mount_kind kind,
                                        const char *src, const char *dest, unsigned flags,
                                        mode_t mode);
/* Append a file of generated contents at dest (EMP_MNT_FILE, src kept for
 * --verbose or NULL). Takes data: NULL is ENOMEM, and it is freed on
 * failure. 0 or -ENOMEM. */
int emp_sandbox_add_data(struct emp_sandbox *sb, const char *src, const char *dest, mode_t mode, char *data,
                         size_t len);

/* plan.c: resolve manifest + environment into a plan (host side, no
 * namespaces yet). */
int emp_sandbox_plan(struct emp_sandbox *sb, struct emp_error *err);
/* launch.c: build the sandbox, run the app, return its exit status
 * (DESIGN.md §2: own status, 128+N, 125/126/127). */
int emp_sandbox_run(struct emp_sandbox *sb);
/* verbose.c */
void emp_sandbox_print(const struct emp_sandbox *sb, FILE *out);
