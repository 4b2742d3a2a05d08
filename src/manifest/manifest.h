/* manifest.h — the app's permissions: Flatpak's keyfile format (GKeyFile)
 * plus `empyra run` flags, validated into one typed struct. Pure: no I/O
 * beyond reading the manifest file itself. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* [Context] shared= */
enum { EMP_SHARE_NETWORK = 1u << 0, EMP_SHARE_IPC = 1u << 1 };
/* [Context] sockets= */
enum {
        EMP_SOCKET_WAYLAND = 1u << 0,
        EMP_SOCKET_X11 = 1u << 1,
        EMP_SOCKET_PULSEAUDIO = 1u << 2,
        EMP_SOCKET_SESSION_BUS = 1u << 3,
        EMP_SOCKET_SYSTEM_BUS = 1u << 4,
        EMP_SOCKET_SSH_AUTH = 1u << 5,
        EMP_SOCKET_FALLBACK_X11 = 1u << 6, /* Flatpak's; treated as x11 when no wayland */
        EMP_SOCKET_CUPS = 1u << 7,         /* accepted, not granted yet (shown by --verbose) */
        EMP_SOCKET_GPG_AGENT = 1u << 8,    /* accepted, not granted yet */
        EMP_SOCKET_PCSC = 1u << 9,         /* accepted, not granted yet */
};
/* [Context] devices= */
enum {
        EMP_DEVICE_DRI = 1u << 0,
        EMP_DEVICE_INPUT = 1u << 1,
        EMP_DEVICE_KVM = 1u << 2,
        EMP_DEVICE_ALL = 1u << 3,
        EMP_DEVICE_SHM = 1u << 4, /* Flatpak's host /dev/shm; accepted, private shm kept */
};
/* [Context] features= */
enum {
        EMP_FEATURE_MULTIARCH = 1u << 0,
        EMP_FEATURE_DEVEL = 1u << 1,     /* Flatpak's: ptrace is allowed anyway */
        EMP_FEATURE_BLUETOOTH = 1u << 2, /* accepted; AF_BLUETOOTH stays denied */
        EMP_FEATURE_CANBUS = 1u << 3,    /* accepted; AF_CAN stays denied */
        EMP_FEATURE_PER_APP_DEV_SHM = 1u << 4,
        EMP_FEATURE_NESTED = 1u << 5, /* Empyra's: allow nested namespaces (browsers, Steam) */
};

enum emp_fs_access { EMP_FS_RW = 0, EMP_FS_RO, EMP_FS_CREATE };

/* One filesystems= entry, suffix stripped. spec is the location as written
 * (host, host-os, host-etc, home, xdg-download/SUB, ~/PATH, /PATH). */
struct emp_fs_entry {
        char *spec;
        enum emp_fs_access access;
        bool negated; /* "!spec" in a manifest, or --nofilesystem */
};

enum emp_files_mode { EMP_FILES_STATIC = 0, EMP_FILES_BROKERED };
enum emp_identity { EMP_IDENTITY_ANONYMOUS = 0, EMP_IDENTITY_HOST };

/* Each bitmask pair: `x` granted, `nox` explicitly revoked ("!x" or --unshare);
 * a revocation wins over a grant from the same or an earlier source. */
struct emp_manifest {
        char *path;    /* manifest file, NULL when built from flags only */
        char *app_id;  /* [Application] name= / --app */
        char *command; /* [Application] command= */

        unsigned shared, noshared;
        unsigned sockets, nosockets;
        unsigned devices, nodevices;
        unsigned features, nofeatures;

        struct emp_fs_entry *filesystems;
        size_t n_filesystems;
        char **persistent; /* NULL-terminated, relative paths under $HOME */
        char **env;        /* NULL-terminated "VAR=VALUE" */

        uint64_t memory_max; /* bytes, 0 = unset */
        uint64_t pids_max;   /* 0 = unset */
        uint32_t cpu_weight; /* 1..10000, 0 = unset */

        enum emp_files_mode files;
        bool has_files;

        char *net_provider; /* [Empyra Network] provider= (direct|none|socks5://H:P) */
        char **net_rules;   /* [Empyra Network] rules=, each "allow|deny|ask TARGET" */

        bool has_integrity;     /* [Empyra Integrity] present, even empty */
        char **integrity_files; /* "PATH=sha256:HEX" */

        /* Flatpak keys Empyra does not act on: "[Group] key=value", for --verbose */
        char **unknown;
};

void emp_manifest_init(struct emp_manifest *m);
void emp_manifest_free(struct emp_manifest *m);

/* Parse a manifest file into m (which must be initialised, possibly already
 * holding values: the file adds to them). On error returns -errno / -EINVAL
 * and err->msg reads "FILE:LINE: [Group] key: why". */
int emp_manifest_load_file(struct emp_manifest *m, const char *path, struct emp_error *err);
/* Same from memory (path used only in messages). */
int emp_manifest_load_data(struct emp_manifest *m, const char *path, const char *data, size_t len,
                           struct emp_error *err);

/* Apply one `empyra run` permission flag, e.g. ("share","network"),
 * ("filesystem","~/Games:ro"), ("nofilesystem","home"), ("env","A=b"),
 * ("persist",".x"), ("memory","4G"), ("pids","100"), ("cpu-weight","50"),
 * ("files","brokered"), ("socket","wayland"), ("nosocket",..), ("device","dri"),
 * ("nodevice",..), ("allow","multiarch"), ("disallow",..), ("unshare","network").
 * Errors read "--FLAG=VALUE: why". */
int emp_manifest_apply_flag(struct emp_manifest *m, const char *flag, const char *value,
                            struct emp_error *err);

/* Effective bits: granted minus revoked. */
static inline unsigned emp_bits(unsigned grant, unsigned revoke) { return grant & ~revoke; }

/* A provider= value: direct, none or socks5://HOST:PORT. 0 or -EINVAL (why set). */
int emp_net_provider_validate(const char *s, struct emp_error *why);

/* Helpers shared with the CLI. */
int emp_parse_size(const char *s, uint64_t *ret); /* "4G", "512M", "100000" */
bool emp_app_id_valid(const char *id);           /* reverse-DNS, Flatpak's rules */
/* Validate a filesystem spec (without suffix); 0 or -EINVAL with reason. */
int emp_fs_spec_validate(const char *spec, const char **why);
