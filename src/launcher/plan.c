/* plan.c — turn the manifest and the invoking environment into a launch
 * plan: ids, namespaces, the ordered list of mounts, identity, environment.
 * Runs on the host side; nothing here enters a namespace. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "env.h"
#include "identity.h"
#include "landlock.h"
#include "sandbox.h"
#include "seccomp.h"
#include "subid.h"

extern char **environ;

/* As root the app runs as this uid/gid, mapped one to one: an id no host
 * account uses (just past systemd's container range), so no host process
 * shares the app's credentials and root's own uid never runs app code. */
#define EMP_ROOT_APP_ID 0x70000000u

#define ADD(kind, src, dest, flags, mode)                                               \
        do {                                                                            \
                if (!emp_sandbox_add_mount(sb, (kind), (src), (dest), (flags), (mode))) \
                        return -ENOMEM;                                                 \
        } while (0)

static char *default_app_id(const char *prog)
{
        const char *base = strrchr(prog, '/');
        base = base ? base + 1 : prog;
        char clean[128];
        size_t n = 0;
        for (const char *p = base; *p && n < sizeof(clean) - 2; p++)
                clean[n++] = (isalnum((unsigned char)*p) || *p == '_' || *p == '-') ? *p : '_';
        clean[n] = '\0';
        char *id = NULL;
        if (asprintf(&id, "local.%s%s", n && isdigit((unsigned char)clean[0]) ? "_" : "", n ? clean : "app") < 0)
                return NULL;
        return id;
}

static int plan_ids(struct emp_sandbox *sb)
{
        struct emp_idmap *ids = &sb->ids;
        ids->host_uid = getuid();
        ids->host_gid = getgid();
        if (ids->host_uid == 0) {
                ids->host_root = true;
                ids->app_uid = EMP_ROOT_APP_ID;
                ids->app_gid = EMP_ROOT_APP_ID;
                return 0;
        }
        ids->app_uid = ids->host_uid;
        ids->app_gid = ids->host_gid;
        struct passwd *pw = getpwuid(ids->host_uid);
        if (pw && access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0 &&
            emp_subid_lookup("/etc/subuid", pw->pw_name, ids->host_uid, &ids->subuid_start, &ids->subuid_count) == 0 &&
            emp_subid_lookup("/etc/subgid", pw->pw_name, ids->host_uid, &ids->subgid_start, &ids->subgid_count) == 0)
                ids->subid = true;
        return 0;
}

/* Host /bin, /lib... are symlinks into /usr on merged-/usr systems. */
static int plan_usr(struct emp_sandbox *sb)
{
        ADD(EMP_MNT_BIND, "/usr", "/usr", EMP_MNT_F_RO | EMP_MNT_F_RO_RULE, 0);
        static const char *const tops[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};
        for (size_t i = 0; i < ARRAY_SIZE(tops); i++) {
                struct stat st;
                if (lstat(tops[i], &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlink(tops[i], target, sizeof(target) - 1);
                        if (n < 0)
                                continue;
                        target[n] = '\0';
                        ADD(EMP_MNT_SYMLINK, target, tops[i], 0, 0);
                } else if (S_ISDIR(st.st_mode)) {
                        ADD(EMP_MNT_BIND, tops[i], tops[i], EMP_MNT_F_RO | EMP_MNT_F_RO_RULE, 0);
                }
        }
        return 0;
}

/* What programs need from the host's /etc; everything else stays unseen. */
static const char *const etc_allow[] = {
        "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl", "ca-certificates",
        "ca-certificates.conf", "pki", "localtime", "timezone", "nsswitch.conf", "os-release",
        "lsb-release", "debian_version", "fonts", "host.conf", "gai.conf", "protocols", "services",
        "mime.types", "xdg", "gitconfig", "bash.bashrc", "profile", "profile.d", "inputrc",
        "locale.alias", "locale.conf", "default/locale", "shells", "terminfo", "magic", "drirc",
        "vulkan", "glvnd", "OpenCL", "gdb", "perl", "python3", "python3.11", "vim", "ImageMagick-6",
        "java-17-openjdk", "ethertypes", "rpc", "mailcap",
};

static int plan_etc_entry(struct emp_sandbox *sb, const char *name)
{
        char host[PATH_MAX];
        snprintf(host, sizeof(host), "/etc/%s", name);
        struct stat st;
        if (lstat(host, &st) < 0)
                return 0;
        if (strchr(name, '/'))
                ADD(EMP_MNT_DIR, NULL, "/etc/default", 0, 0755);
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(host, target, sizeof(target) - 1);
                if (n < 0)
                        return 0;
                target[n] = '\0';
                ADD(EMP_MNT_SYMLINK, target, host, 0, 0);
                return 0;
        }
        /* Small regular files are copied into the generated /etc: a write
         * into our tmpfs costs a fraction of a bind mount. */
        if (S_ISREG(st.st_mode) && st.st_size <= 256 * 1024) {
                char *data = NULL;
                size_t len = 0;
                if (emp_read_file(host, 256 * 1024, &data, &len) == 0)
                        return emp_sandbox_add_data(sb, host, host, 0644, data, len);
        }
        ADD(EMP_MNT_BIND, host, host, EMP_MNT_F_RO | EMP_MNT_F_OPTIONAL, 0);
        return 0;
}

static int add_file(struct emp_sandbox *sb, const char *dest, char *data, mode_t mode)
{
        return emp_sandbox_add_data(sb, NULL, dest, mode, data, data ? strlen(data) : 0);
}

static int plan_etc(struct emp_sandbox *sb, bool network)
{
        int r;
        ADD(EMP_MNT_TMPFS, NULL, "/etc", EMP_MNT_F_RO_RULE, 0755);
        for (size_t i = 0; i < ARRAY_SIZE(etc_allow); i++)
                if ((r = plan_etc_entry(sb, etc_allow[i])) < 0)
                        return r;
        const char *user = "user";
        if (sb->identity == EMP_IDENTITY_HOST) {
                struct passwd *pw = getpwuid(sb->ids.host_uid);
                if (pw)
                        user = pw->pw_name;
        }
        if ((r = add_file(sb, "/etc/passwd",
                          emp_identity_passwd(user, sb->ids.app_uid, sb->ids.app_gid, sb->home_inside, "/bin/bash"),
                          0644)) < 0 ||
            (r = add_file(sb, "/etc/group", emp_identity_group(user, sb->ids.app_gid), 0644)) < 0)
                return r;
        char *s = NULL;
        if (asprintf(&s, "%s\n", sb->hostname) < 0 || (r = add_file(sb, "/etc/hostname", s, 0644)) < 0)
                return -ENOMEM;
        if (asprintf(&s, "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
                     sb->hostname) < 0 ||
            (r = add_file(sb, "/etc/hosts", s, 0644)) < 0)
                return -ENOMEM;
        if (asprintf(&s, "%s\n", sb->machine_id) < 0 || (r = add_file(sb, "/etc/machine-id", s, 0444)) < 0)
                return -ENOMEM;
        /* The app's resolver is the gateway, on the app's own loopback
         * (empyrad answers there); no search domains: they name the host's
         * network. */
        if (network && (r = add_file(sb, "/etc/resolv.conf", strdup("nameserver 127.0.0.53\n"), 0644)) < 0)
                return r;
        return 0;
}

static int plan_dev(struct emp_sandbox *sb, unsigned devices)
{
        if (devices & EMP_DEVICE_ALL) {
                ADD(EMP_MNT_BIND, "/dev", "/dev", EMP_MNT_F_DEV | EMP_MNT_F_DEV_RULE, 0);
        } else {
                ADD(EMP_MNT_TMPFS, NULL, "/dev", EMP_MNT_F_EXEC_NO, 0755);
                static const char *const nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                                    "/dev/urandom", "/dev/tty"};
                for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
                        ADD(EMP_MNT_BIND, nodes[i], nodes[i],
                            EMP_MNT_F_DEV | EMP_MNT_F_DEV_RULE | EMP_MNT_F_OPTIONAL, 0);
                ADD(EMP_MNT_SYMLINK, "pts/ptmx", "/dev/ptmx", 0, 0);
        }
        ADD(EMP_MNT_DEVPTS, NULL, "/dev/pts", EMP_MNT_F_DEV_RULE, 0755);
        ADD(EMP_MNT_TMPFS, NULL, "/dev/shm", EMP_MNT_F_RW_RULE, 01777);
        if (!(devices & EMP_DEVICE_ALL)) {
                ADD(EMP_MNT_SYMLINK, "/proc/self/fd", "/dev/fd", 0, 0);
                ADD(EMP_MNT_SYMLINK, "/proc/self/fd/0", "/dev/stdin", 0, 0);
                ADD(EMP_MNT_SYMLINK, "/proc/self/fd/1", "/dev/stdout", 0, 0);
                ADD(EMP_MNT_SYMLINK, "/proc/self/fd/2", "/dev/stderr", 0, 0);
        }
        return 0;
}

/* Maps a host path to where the app sees it: under the host home it moves
 * to the app's home (anonymous identity); elsewhere it keeps its path. */
static char *inside_path(const struct emp_sandbox *sb, const char *host)
{
        size_t hl = strlen(sb->dirs.home);
        char *r = NULL;
        if (sb->identity == EMP_IDENTITY_ANONYMOUS && strncmp(host, sb->dirs.home, hl) == 0 &&
            (host[hl] == '/' || host[hl] == '\0')) {
                if (asprintf(&r, "%s%s", sb->home_inside, host + hl) < 0)
                        return NULL;
                return r;
        }
        return strdup(host);
}

int emp_xdg_user_dir(const char *home, const char *name, char **ret); /* xdg_user_dirs.c */

/* Resolve a filesystems= spec to a host path; NULL when it means nothing
 * here. "host" and the host-* specs are expanded by the caller. */
static int fs_host_path(const struct emp_sandbox *sb, const char *spec, char **ret)
{
        char *r = NULL;
        if (strcmp(spec, "home") == 0 || strcmp(spec, "~") == 0)
                r = strdup(sb->dirs.home);
        else if (strncmp(spec, "~/", 2) == 0)
                r = asprintf(&r, "%s/%s", sb->dirs.home, spec + 2) < 0 ? NULL : r;
        else if (spec[0] == '/')
                r = strdup(spec);
        else if (strncmp(spec, "xdg-", 4) == 0) {
                const char *slash = strchr(spec, '/');
                _cleanup_free_ char *name = slash ? strndup(spec, (size_t)(slash - spec)) : strdup(spec);
                _cleanup_free_ char *base = NULL;
                if (!name)
                        return -ENOMEM;
                int e = emp_xdg_user_dir(sb->dirs.home, name, &base);
                if (e < 0)
                        return e;
                if (asprintf(&r, "%s%s", base, slash ? slash : "") < 0)
                        r = NULL;
        } else
                return -EINVAL;
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

static bool reserved_inside(const char *p)
{
        static const char *const res[] = {"/proc", "/sys", "/dev"};
        for (size_t i = 0; i < ARRAY_SIZE(res); i++) {
                size_t l = strlen(res[i]);
                if (strncmp(p, res[i], l) == 0 && (p[l] == '/' || p[l] == '\0'))
                        return true;
        }
        return strcmp(p, "/") == 0;
}

/* A grant that lands inside the app's own home needs a mount point there;
 * the launcher never creates entries inside a bind at launch time, so make it
 * now, beneath the home and without following symlinks the app may have
 * planted. Elsewhere mount points are made in Empyra's own tmpfs. */
static int grant_mount_point(struct emp_sandbox *sb, const char *dest, bool is_dir)
{
        size_t hl = strlen(sb->home_inside);
        if (sb->home_fd < 0 || strncmp(dest, sb->home_inside, hl) != 0 || dest[hl] != '/' || !dest[hl + 1])
                return 0;
        _cleanup_free_ char *rel = strdup(dest + hl + 1);
        if (!rel)
                return -ENOMEM;
        char *slash = strrchr(rel, '/');
        const char *leaf = slash ? slash + 1 : rel;
        _cleanup_close_ int parent = -1;
        int r;
        if (slash) {
                *slash = '\0';
                r = emp_mkdir_beneath(sb->home_fd, rel, 0755, &parent);
        } else {
                parent = fcntl(sb->home_fd, F_DUPFD_CLOEXEC, 3);
                r = parent < 0 ? -errno : 0;
        }
        if (r < 0)
                return r;
        if (is_dir) {
                _cleanup_close_ int fd = -1;
                return emp_mkdir_beneath(parent, leaf, 0755, &fd);
        }
        int fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
        if (fd < 0)
                return errno == ELOOP ? -ELOOP : -errno;
        close(fd);
        return 0;
}

static int plan_grant_path(struct emp_sandbox *sb, const char *spec, const char *host, const char *dest,
                           enum emp_fs_access access, struct emp_error *err)
{
        if (reserved_inside(dest))
                return emp_error_set(err, -EINVAL,
                                     "--filesystem=%s: %s cannot be granted as a filesystem (use --device)",
                                     spec, dest);
        for (size_t i = 0; sb->covers && sb->covers[i]; i++) {
                size_t cl = strlen(sb->covers[i]);
                if (strncmp(host, sb->covers[i], cl) == 0 && (host[cl] == '/' || host[cl] == '\0'))
                        return emp_error_set(err, -EACCES,
                                             "--filesystem=%s: %s is inside Empyra's own directory %s, which no "
                                             "app ever sees",
                                             spec, host, sb->covers[i]);
        }
        if (access == EMP_FS_CREATE) {
                int r = emp_mkdir_p(host, 0755);
                if (r < 0)
                        return emp_error_errno(err, r, "--filesystem=%s: creating %s", spec, host);
        }
        struct stat st;
        if (stat(host, &st) < 0) {
                emp_sandbox_note(sb, "filesystem %s: %s does not exist, not granted", spec, host);
                return 0;
        }
        if (sb->ids.host_root && !(st.st_mode & S_IXOTH) && S_ISDIR(st.st_mode) && st.st_uid != sb->ids.app_uid)
                emp_sandbox_note(sb, "filesystem %s: %s is mode %04o: as root the app runs as uid %u and may "
                                     "not be able to enter it",
                                 spec, host, (unsigned)(st.st_mode & 07777), (unsigned)sb->ids.app_uid);
        int r = grant_mount_point(sb, dest, S_ISDIR(st.st_mode));
        if (r < 0)
                return emp_error_errno(err, r, "--filesystem=%s: creating its mount point %s in the app's home%s",
                                       spec, dest,
                                       r == -ELOOP ? " (a symlink is in the way; refusing to follow it)" : "");
        unsigned flags = access == EMP_FS_RO ? (EMP_MNT_F_RO | EMP_MNT_F_RO_RULE) : EMP_MNT_F_RW_RULE;
        if (!emp_sandbox_add_mount(sb, EMP_MNT_BIND, host, dest, flags, 0))
                return -ENOMEM;
        return 0;
}

/* Top-level host directories Empyra builds itself, never taken from "host". */
static bool host_excluded(const char *name)
{
        static const char *const ex[] = {".", "..", "proc", "sys", "dev", "usr", "bin", "sbin", "lib",
                                         "lib32", "lib64", "libx32", "etc", "tmp", "run", "lost+found"};
        for (size_t i = 0; i < ARRAY_SIZE(ex); i++)
                if (strcmp(name, ex[i]) == 0)
                        return true;
        return false;
}

static int plan_grant_host(struct emp_sandbox *sb, enum emp_fs_access access, struct emp_error *err)
{
        _cleanup_strv_ char **names = NULL;
        glob_t g;
        if (glob("/*", GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++)
                        if (!host_excluded(g.gl_pathv[i] + 1))
                                emp_strv_push(&names, g.gl_pathv[i]);
                globfree(&g);
        }
        for (size_t i = 0; names && names[i]; i++) {
                struct stat st;
                if (lstat(names[i], &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                int r = plan_grant_path(sb, "host", names[i], names[i], access, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_grant_host_os(struct emp_sandbox *sb, const char *spec, struct emp_error *err)
{
        static const char *const os[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"};
        for (size_t i = 0; i < ARRAY_SIZE(os); i++) {
                if (strcmp(spec, "host-etc") == 0 && strcmp(os[i], "/etc") != 0)
                        continue;
                char dest[64];
                snprintf(dest, sizeof(dest), "/run/host%s", os[i]);
                struct stat st;
                if (lstat(os[i], &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                int r = plan_grant_path(sb, spec, os[i], dest, EMP_FS_RO, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Effective grants: later entries for the same spec win; "!spec" and
 * --nofilesystem remove it. */
static bool fs_effective(const struct emp_manifest *m, size_t i)
{
        for (size_t j = i + 1; j < m->n_filesystems; j++)
                if (strcmp(m->filesystems[j].spec, m->filesystems[i].spec) == 0)
                        return false;
        return !m->filesystems[i].negated;
}

static bool home_granted(const struct emp_manifest *m)
{
        for (size_t i = 0; i < m->n_filesystems; i++)
                if (fs_effective(m, i) && (strcmp(m->filesystems[i].spec, "home") == 0 ||
                                           strcmp(m->filesystems[i].spec, "~") == 0))
                        return true;
        return false;
}

static int plan_grants(struct emp_sandbox *sb, struct emp_error *err)
{
        const struct emp_manifest *m = sb->manifest;
        for (size_t i = 0; i < m->n_filesystems; i++) {
                if (!fs_effective(m, i))
                        continue;
                const struct emp_fs_entry *e = &m->filesystems[i];
                int r;
                if (strcmp(e->spec, "host") == 0)
                        r = plan_grant_host(sb, e->access, err);
                else if (strcmp(e->spec, "host-os") == 0 || strcmp(e->spec, "host-etc") == 0)
                        r = plan_grant_host_os(sb, e->spec, err);
                else {
                        _cleanup_free_ char *host = NULL, *dest = NULL;
                        r = fs_host_path(sb, e->spec, &host);
                        if (r == -ENOENT) {
                                emp_sandbox_note(sb, "filesystem %s: no such directory configured", e->spec);
                                continue;
                        }
                        if (r < 0)
                                return emp_error_errno(err, r, "--filesystem=%s", e->spec);
                        if (!(dest = inside_path(sb, host)))
                                return -ENOMEM;
                        r = plan_grant_path(sb, e->spec, host, dest, e->access, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A bind whose source lies in a tree the app can write: the child opens it
 * again beneath `base` without following symlinks. */
static struct emp_mount *add_beneath(struct emp_sandbox *sb, const char *base, const char *rel, const char *dest)
{
        struct emp_mount *m = emp_sandbox_add_mount(sb, EMP_MNT_BIND, rel, dest, EMP_MNT_F_RW_RULE, 0);
        if (m && !(m->src_base = strdup(base)))
                return NULL;
        return m;
}

/* The app's own home ($XDG_DATA_HOME/empyra/apps/ID/home), created without
 * following symlinks, bound at $HOME unless the real home is granted. The
 * home fd is returned for the persistent directories. */
static int plan_home(struct emp_sandbox *sb, bool real_home, int *ret_fd, struct emp_error *err)
{
        int r = emp_mkdir_p(sb->dirs.data, 0700);
        if (r < 0)
                return emp_error_errno(err, r, "creating %s", sb->dirs.data);
        _cleanup_close_ int data_fd = open(sb->dirs.data, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (data_fd < 0)
                return emp_error_errno(err, -errno, "opening %s", sb->dirs.data);
        char rel[512];
        snprintf(rel, sizeof(rel), "apps/%s/home", sb->app_id);
        _cleanup_close_ int home_fd = -1;
        r = emp_mkdir_beneath(data_fd, rel, 0700, &home_fd);
        if (r < 0)
                return emp_error_errno(err, r, "creating the app home %s/%s", sb->dirs.data, rel);
        if (sb->ids.host_root && fchown(home_fd, sb->ids.app_uid, sb->ids.app_gid) < 0)
                return emp_error_errno(err, -errno, "chown of the app home");
        if (!real_home && !add_beneath(sb, sb->dirs.data, rel, sb->home_inside))
                return -ENOMEM;
        *ret_fd = TAKE_FD(home_fd);
        return 0;
}

/* persistent= directories live in the app's home; when the real home is
 * granted they are bound over it at the same relative path. A symlink the
 * app planted on an earlier run is refused, never followed. */
static int plan_persistent(struct emp_sandbox *sb, int home_fd, bool real_home, struct emp_error *err)
{
        for (size_t i = 0; sb->manifest->persistent && sb->manifest->persistent[i]; i++) {
                const char *p = sb->manifest->persistent[i];
                _cleanup_close_ int pfd = -1;
                int r = emp_mkdir_beneath(home_fd, p, 0700, &pfd);
                if (r < 0)
                        return emp_error_errno(err, r, "persistent %s: creating it in the app home%s", p,
                                               r == -ELOOP ? " (a symlink is in the way; refusing to follow it)"
                                                           : "");
                if (sb->ids.host_root && fchown(pfd, sb->ids.app_uid, sb->ids.app_gid) < 0)
                        return emp_error_errno(err, -errno, "chown of persistent %s", p);
                if (!real_home)
                        continue; /* already inside the app's own home */
                /* The mount point in the real home, created the same careful
                 * way: the app could write there on an earlier run. */
                _cleanup_close_ int real_fd = open(sb->dirs.home, O_PATH | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int mp = -1;
                r = real_fd < 0 ? -errno : emp_mkdir_beneath(real_fd, p, 0700, &mp);
                if (r < 0)
                        return emp_error_errno(err, r, "persistent %s: creating its mount point in %s%s", p,
                                               sb->dirs.home,
                                               r == -ELOOP ? " (a symlink is in the way; refusing to follow it)"
                                                           : "");
                char dest[PATH_MAX], rel[PATH_MAX];
                snprintf(dest, sizeof(dest), "%s/%s", sb->home_inside, p);
                snprintf(rel, sizeof(rel), "apps/%s/home/%s", sb->app_id, p);
                if (!add_beneath(sb, sb->dirs.data, rel, dest))
                        return -ENOMEM;
        }
        return 0;
}

int emp_sockets_plan(struct emp_sandbox *sb, char ***grant_env, struct emp_error *err); /* sockets.c */
int emp_devices_plan(struct emp_sandbox *sb, struct emp_error *err);                    /* devices.c */
int emp_integrity_plan(struct emp_sandbox *sb, struct emp_error *err);                  /* integrity_bind.c */

static int plan_identity(struct emp_sandbox *sb, struct emp_error *err)
{
        uint8_t key[EMP_IDENTITY_KEY_LEN];
        int r = emp_identity_key_load(sb->dirs.data, key);
        if (r < 0)
                return emp_error_errno(err, r, "identity key in %s", sb->dirs.data);
        _cleanup_free_ char *boot = NULL;
        if (emp_read_file("/proc/sys/kernel/random/boot_id", 64, &boot, NULL) < 0)
                boot = strdup("unknown");
        emp_identity_machine_id(key, sb->app_id, sb->machine_id);
        emp_identity_boot_id(key, sb->app_id, boot ? boot : "", sb->boot_id);
        explicit_bzero(key, sizeof(key));
        if (sb->identity == EMP_IDENTITY_HOST) {
                char hn[256] = "localhost";
                gethostname(hn, sizeof(hn) - 1);
                sb->hostname = strdup(hn);
                struct passwd *pw = getpwuid(sb->ids.host_uid);
                sb->home_inside = strdup(pw && pw->pw_dir ? pw->pw_dir : sb->dirs.home);
        } else {
                sb->hostname = strdup("empyra");
                sb->home_inside = strdup("/home/user");
        }
        return sb->hostname && sb->home_inside ? 0 : -ENOMEM;
}

/* The working directory follows the user when it is inside a grant. */
static int plan_cwd(struct emp_sandbox *sb)
{
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                return (sb->cwd_inside = strdup(sb->home_inside)) ? 0 : -ENOMEM;
        const struct emp_mount *best = NULL;
        size_t best_len = 0;
        for (size_t i = 0; i < sb->n_mounts; i++) {
                const struct emp_mount *m = &sb->mounts[i];
                if (m->kind != EMP_MNT_BIND || !m->src || !(m->flags & (EMP_MNT_F_RW_RULE | EMP_MNT_F_RO_RULE)))
                        continue;
                size_t l = strlen(m->src);
                if (strncmp(cwd, m->src, l) == 0 && (cwd[l] == '/' || cwd[l] == '\0') && l > best_len &&
                    strcmp(m->src, "/usr") != 0) {
                        best = m;
                        best_len = l;
                }
        }
        char *r = NULL;
        if (best)
                r = asprintf(&r, "%s%s", best->dest, cwd + best_len) < 0 ? NULL : r;
        else
                r = strdup(sb->home_inside);
        sb->cwd_inside = r;
        return r ? 0 : -ENOMEM;
}

int emp_sandbox_plan(struct emp_sandbox *sb, struct emp_error *err)
{
        struct emp_manifest *m = sb->manifest;
        int r;
        if (!sb->app_id)
                sb->app_id = m->app_id ? strdup(m->app_id) : default_app_id(sb->argv[0]);
        if (!sb->app_id)
                return -ENOMEM;
        if ((r = emp_dirs_init(&sb->dirs)) < 0)
                return emp_error_errno(err, r, "finding the home directory");
        if ((r = plan_ids(sb)) < 0)
                return r;
        unsigned shared = emp_bits(m->shared, m->noshared);
        unsigned features = emp_bits(m->features, m->nofeatures);
        unsigned devices = emp_bits(m->devices, m->nodevices);
        /* Always a network namespace of its own (loopback only): with
         * shared=network the app reaches further only through the gateway,
         * which connects for it (DESIGN.md §5). */
        sb->ns_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNET;
        sb->network = shared & EMP_SHARE_NETWORK;
        if (!(shared & EMP_SHARE_IPC))
                sb->ns_flags |= CLONE_NEWIPC;
        sb->seccomp_variant = ((features & EMP_FEATURE_MULTIARCH) ? EMP_SECCOMP_MULTIARCH : 0) |
                              ((features & EMP_FEATURE_NESTED) ? EMP_SECCOMP_NESTED : 0);
        sb->brokered = m->files == EMP_FILES_BROKERED;
        if (sb->brokered)
                sb->seccomp_variant |= EMP_SECCOMP_BROKERED;
        if (sb->network)
                sb->seccomp_variant |= EMP_SECCOMP_NETWORK;
        if (emp_landlock_abi() < 1) {
                if (!(sb->allow_weaker & EMP_WEAK_LANDLOCK))
                        return emp_error_set(err, -EOPNOTSUPP,
                                             "landlock: not available in this kernel (needs CONFIG_SECURITY_LANDLOCK "
                                             "and landlock in lsm=); rerun with --allow-weaker=landlock to run "
                                             "without it");
                sb->weakened |= EMP_WEAK_LANDLOCK;
        }
        if ((r = plan_identity(sb, err)) < 0)
                return r;

        /* Empyra's own directories exist before the launch so they can be
         * covered in every view, whatever is granted. */
        if ((r = emp_dirs_ensure_runtime(&sb->dirs)) < 0)
                return emp_error_errno(err, r, "runtime directory %s%s", sb->dirs.runtime,
                                       r == -EPERM ? " is not a private directory owned by this user" : "");
        const char *own[] = {sb->dirs.config, sb->dirs.state, sb->dirs.data, sb->dirs.runtime};
        for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
                if ((r = emp_mkdir_p(own[i], 0700)) < 0 && r != -EACCES)
                        return emp_error_errno(err, r, "creating %s", own[i]);
                if ((r = emp_strv_push(&sb->covers, own[i])) < 0)
                        return r;
        }

        if ((r = plan_usr(sb)) < 0 || (r = plan_etc(sb, shared & EMP_SHARE_NETWORK)) < 0)
                return r;
        ADD(EMP_MNT_TMPFS, NULL, "/tmp", EMP_MNT_F_RW_RULE, 01777);
        ADD(EMP_MNT_DIR, NULL, "/var", 0, 0755);
        ADD(EMP_MNT_TMPFS, NULL, "/var/tmp", EMP_MNT_F_RW_RULE, 01777);
        /* Owned by the app so only Landlock stands between it and writing
         * there: what the tests use to prove Landlock is enforced. */
        ADD(EMP_MNT_TMPFS, NULL, "/run", EMP_MNT_F_APP_OWNED, 0755);
        char rundir[64];
        snprintf(rundir, sizeof(rundir), "/run/user/%u", (unsigned)sb->ids.app_uid);
        ADD(EMP_MNT_DIR, NULL, rundir, EMP_MNT_F_RW_RULE, 0700);
        if ((r = plan_dev(sb, devices)) < 0)
                return r;
        ADD(EMP_MNT_PROC, NULL, "/proc", EMP_MNT_F_RW_RULE, 0);

        bool real_home = home_granted(m);
        _cleanup_close_ int home_fd = -1;
        if ((r = plan_home(sb, real_home, &home_fd, err)) < 0)
                return r;
        if (!real_home && (sb->home_fd = fcntl(home_fd, F_DUPFD_CLOEXEC, 3)) < 0)
                return -errno;
        if ((r = plan_grants(sb, err)) < 0 ||
            (r = plan_persistent(sb, home_fd, real_home, err)) < 0)
                return r;
        _cleanup_strv_ char **grant_env = NULL;
        if ((r = emp_sockets_plan(sb, &grant_env, err)) < 0 || (r = emp_devices_plan(sb, err)) < 0 ||
            (r = emp_integrity_plan(sb, err)) < 0)
                return r;
        ADD(EMP_MNT_RDONLY, NULL, "/etc", 0, 0);
        if ((r = plan_cwd(sb)) < 0)
                return r;

        struct emp_env_input in = {
                .host = environ,
                .sockets = emp_bits(m->sockets, m->nosockets),
                .identity = sb->identity,
                .home = sb->home_inside,
                .user = "user",
                .runtime_dir = rundir,
                .grant_env = grant_env,
                .user_env = m->env,
        };
        if ((r = emp_env_build(&in, &sb->envp)) < 0)
                return r;
        return 0;
}
