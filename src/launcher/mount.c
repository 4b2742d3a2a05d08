/* mount.c — execute the plan's mount steps with the new mount API: sources
 * are cloned with open_tree while the host is visible, made read-only/nosuid/
 * nodev on the detached copy, and attached beneath a tmpfs root by fd, so no
 * path inside a host bind is ever followed through a symlink. */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

#define STAGING "/tmp" /* where the new root is assembled before pivot_root */
#define MAX_OWN_DEVS 32

static int sys_open_tree(int dfd, const char *path, unsigned flags)
{
        long r = syscall(SYS_open_tree, dfd, path, flags);
        return r < 0 ? -errno : (int)r;
}

static int sys_move_mount(int from_fd, int to_fd)
{
        long r = syscall(SYS_move_mount, from_fd, "", to_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        return r < 0 ? -errno : 0;
}

static int sys_mount_setattr(int dfd, const char *path, unsigned flags, uint64_t set)
{
        struct mount_attr attr = {.attr_set = set};
        long r = syscall(SYS_mount_setattr, dfd, path, flags, &attr, sizeof(attr));
        return r < 0 ? -errno : 0;
}

static int open_beneath(int base, const char *rel)
{
        return emp_openat2(base, rel, O_PATH | O_DIRECTORY,
                           RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

/* Clone one bind source into a detached tree with its flags set. */
static int clone_source(struct emp_mount *m, struct emp_error *err)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
        int fd;
        if (m->src_base) {
                /* Opened here, not by the planner: open_tree only clones
                 * mounts of the caller's own mount namespace. */
                _cleanup_close_ int base = open(m->src_base, O_PATH | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int src = base < 0 ? -errno : open_beneath(base, m->src);
                fd = src < 0 ? src : sys_open_tree(src, "", flags | AT_EMPTY_PATH);
        } else {
                fd = sys_open_tree(AT_FDCWD, m->src, flags);
        }
        if (fd < 0) {
                if ((m->flags & EMP_MNT_F_OPTIONAL) && (fd == -ENOENT || fd == -EACCES))
                        return 0;
                return emp_error_errno(err, fd, "bind %s: cloning the source%s", m->src,
                                       fd == -ELOOP ? " (a symlink is in the way; refusing to follow it)" : "");
        }
        m->tree_fd = fd;
        uint64_t set = MOUNT_ATTR_NOSUID;
        if (m->flags & EMP_MNT_F_RO)
                set |= MOUNT_ATTR_RDONLY;
        if (!(m->flags & EMP_MNT_F_DEV))
                set |= MOUNT_ATTR_NODEV;
        int r = sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, set);
        if (r < 0)
                return emp_error_errno(err, r, "bind %s: setting %s", m->src,
                                       (m->flags & EMP_MNT_F_RO) ? "read-only" : "nosuid");
        return 0;
}

int emp_mount_prepare(struct emp_sandbox *sb, struct emp_error *err)
{
        int r;
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return emp_error_errno(err, -errno, "mount namespace: making / a slave");
        /* The app's own directories live inside Empyra's data dir: clone
         * them before that is covered. */
        for (size_t i = 0; i < sb->n_mounts; i++)
                if (sb->mounts[i].kind == EMP_MNT_BIND && sb->mounts[i].src_base &&
                    (r = clone_source(&sb->mounts[i], err)) < 0)
                        return r;
        /* Covered where they really are, so every grant that reaches them
         * (home, host, a parent directory...) carries the cover along. */
        for (size_t i = 0; sb->covers && sb->covers[i]; i++)
                if (mount("tmpfs", sb->covers[i], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                          "mode=0555,size=4k") < 0 &&
                    errno != ENOENT && errno != EACCES)
                        return emp_error_errno(err, -errno, "covering %s", sb->covers[i]);
        for (size_t i = 0; i < sb->n_mounts; i++)
                if (sb->mounts[i].kind == EMP_MNT_BIND && !sb->mounts[i].src_base &&
                    (r = clone_source(&sb->mounts[i], err)) < 0)
                        return r;
        return 0;
}

struct view {
        int root;
        dev_t own[MAX_OWN_DEVS]; /* tmpfs mounts Empyra made: only there may it create entries */
        size_t n_own;
};

static void view_own(struct view *v, int fd)
{
        struct stat st;
        if (fstat(fd, &st) == 0 && v->n_own < MAX_OWN_DEVS)
                v->own[v->n_own++] = st.st_dev;
}

static bool view_is_own(const struct view *v, int fd)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return false;
        for (size_t i = 0; i < v->n_own; i++)
                if (v->own[i] == st.st_dev)
                        return true;
        return false;
}

static int open_nofollow(int dirfd, const char *name, int flags)
{
        return emp_openat2(dirfd, name, flags, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

enum leaf { LEAF_DIR, LEAF_FILE, LEAF_PARENT };

/* Walk dest beneath the new root, creating missing entries only inside our
 * own tmpfs mounts (never inside a host bind), refusing symlinks. Returns an
 * O_PATH fd of dest (or, for LEAF_PARENT, of its parent directory). */
static int view_path(struct view *v, const char *dest, enum leaf leaf, mode_t mode, int *ret_fd)
{
        _cleanup_free_ char *copy = strdup(dest);
        if (!copy)
                return -ENOMEM;
        _cleanup_close_ int cur = fcntl(v->root, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return -errno;
        char *save = NULL, *part = strtok_r(copy, "/", &save);
        while (part) {
                char *next = strtok_r(NULL, "/", &save);
                if (!next && leaf == LEAF_PARENT)
                        break;
                bool last = next == NULL;
                int fd = open_nofollow(cur, part, O_PATH | (last && leaf == LEAF_FILE ? 0 : O_DIRECTORY));
                if (fd == -ENOENT) {
                        if (!view_is_own(v, cur))
                                return -ENOENT;
                        int r;
                        if (last && leaf == LEAF_FILE) {
                                r = openat(cur, part, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444);
                                if (r >= 0)
                                        close(r);
                        } else {
                                r = mkdirat(cur, part, last ? mode : 0755);
                        }
                        if (r < 0 && errno != EEXIST)
                                return -errno;
                        fd = open_nofollow(cur, part, O_PATH | (last && leaf == LEAF_FILE ? 0 : O_DIRECTORY));
                }
                if (fd < 0)
                        return fd;
                close(cur);
                cur = fd;
                part = next;
        }
        *ret_fd = TAKE_FD(cur);
        return 0;
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static void fd_path(int fd, char buf[64])
{
        snprintf(buf, 64, "/proc/self/fd/%d", fd);
}

static int mount_fs(struct view *v, const struct emp_mount *m, const char *type, unsigned long flags,
                    const char *opts, bool own)
{
        _cleanup_close_ int t = -1;
        int r = view_path(v, m->dest, LEAF_DIR, 0755, &t);
        if (r < 0)
                return r;
        char p[64];
        fd_path(t, p);
        if (mount(type, p, type, flags, opts) < 0)
                return -errno;
        if (own) {
                _cleanup_close_ int fresh = open_nofollow(v->root, m->dest + 1, O_PATH | O_DIRECTORY);
                if (fresh < 0)
                        return fresh;
                view_own(v, fresh);
        }
        return 0;
}

/* The per-app boot_id, bound over the kernel's in the fresh /proc. */
static int mount_boot_id(struct view *v, const struct emp_sandbox *sb)
{
        static const char tmpname[] = ".empyra-boot-id";
        char text[40];
        snprintf(text, sizeof(text), "%s\n", sb->boot_id);
        int r = emp_write_file_at(v->root, tmpname, text, strlen(text), 0444);
        if (r < 0)
                return r;
        _cleanup_close_ int tree = sys_open_tree(v->root, tmpname, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        _cleanup_close_ int target = open_nofollow(v->root, "proc/sys/kernel/random/boot_id", O_PATH);
        if (tree < 0 || target < 0) {
                unlinkat(v->root, tmpname, 0);
                return tree < 0 ? tree : target;
        }
        r = sys_move_mount(tree, target);
        /* The bind keeps the inode; the name in the root goes. */
        unlinkat(v->root, tmpname, 0);
        return r;
}

static int step(struct view *v, const struct emp_sandbox *sb, const struct emp_mount *m)
{
        _cleanup_close_ int fd = -1;
        char p[64];
        int r;
        switch (m->kind) {
        case EMP_MNT_TMPFS: {
                char opts[96];
                int n = snprintf(opts, sizeof(opts), "mode=%o", (unsigned)m->mode);
                if (m->flags & EMP_MNT_F_APP_OWNED)
                        snprintf(opts + n, sizeof(opts) - (size_t)n, ",uid=%u,gid=%u", (unsigned)sb->ids.app_uid,
                                 (unsigned)sb->ids.app_gid);
                return mount_fs(v, m, "tmpfs", MS_NOSUID | MS_NODEV | ((m->flags & EMP_MNT_F_EXEC_NO) ? MS_NOEXEC : 0),
                                opts, true);
        }
        case EMP_MNT_DIR:
                if ((r = view_path(v, m->dest, LEAF_DIR, m->mode, &fd)) < 0)
                        return r;
                fd_path(fd, p);
                if (chmod(p, m->mode) < 0)
                        return -errno;
                /* The runtime dir belongs to the app's user. */
                if ((m->flags & EMP_MNT_F_RW_RULE) && chown(p, sb->ids.app_uid, sb->ids.app_gid) < 0)
                        return -errno;
                return 0;
        case EMP_MNT_SYMLINK:
                if ((r = view_path(v, m->dest, LEAF_PARENT, 0755, &fd)) < 0)
                        return r;
                if (symlinkat(m->src, fd, base_name(m->dest)) < 0 && errno != EEXIST)
                        return -errno;
                return 0;
        case EMP_MNT_FILE: {
                if ((r = view_path(v, m->dest, LEAF_PARENT, 0755, &fd)) < 0)
                        return r;
                fd_path(fd, p);
                _cleanup_close_ int dir = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir < 0)
                        return -errno;
                if ((r = emp_write_file_at(dir, base_name(m->dest), m->data, m->data_len, m->mode)) < 0)
                        return r;
                return fchmodat(dir, base_name(m->dest), m->mode, 0) < 0 ? -errno : 0;
        }
        case EMP_MNT_BIND: {
                if (m->tree_fd < 0)
                        return 0; /* optional source absent on this host */
                struct stat st;
                if (fstat(m->tree_fd, &st) < 0)
                        return -errno;
                r = view_path(v, m->dest, S_ISDIR(st.st_mode) ? LEAF_DIR : LEAF_FILE, 0755, &fd);
                if (r == -ENOENT && (m->flags & EMP_MNT_F_OPTIONAL))
                        return 0;
                if (r < 0)
                        return r;
                return sys_move_mount(m->tree_fd, fd);
        }
        case EMP_MNT_PROC:
                if ((r = mount_fs(v, m, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false)) < 0)
                        return r;
                return mount_boot_id(v, sb);
        case EMP_MNT_DEVPTS:
                return mount_fs(v, m, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620", false);
        case EMP_MNT_RDONLY:
                if ((fd = open_nofollow(v->root, m->dest + 1, O_PATH | O_DIRECTORY)) < 0)
                        return fd;
                return sys_mount_setattr(fd, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY);
        }
        return -EINVAL;
}

static const char *kind_name(enum emp_mount_kind k)
{
        static const char *const names[] = {"tmpfs", "bind", "mkdir", "symlink", "file", "proc", "devpts", "read-only"};
        return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

int emp_mount_build(struct emp_sandbox *sb, struct emp_error *err)
{
        if (mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                return emp_error_errno(err, -errno, "mounting the new root tmpfs");
        struct view v = {.root = open(STAGING, O_PATH | O_DIRECTORY | O_CLOEXEC)};
        if (v.root < 0)
                return emp_error_errno(err, -errno, "opening the new root");
        view_own(&v, v.root);
        int r = 0;
        for (size_t i = 0; i < sb->n_mounts && r == 0; i++) {
                const struct emp_mount *m = &sb->mounts[i];
                if ((r = step(&v, sb, m)) < 0)
                        emp_error_errno(err, r, "mount: %s %s%s%s", kind_name(m->kind), m->dest,
                                        m->src ? " from " : "", m->src ? m->src : "");
        }
        if (r == 0 && fchdir(v.root) < 0)
                r = emp_error_errno(err, -errno, "pivot_root: entering the new root");
        close(v.root);
        if (r < 0)
                return r;
        /* pivot_root(".", ".") stacks the old root under the new one; detach it. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return emp_error_errno(err, -errno, "pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                return emp_error_errno(err, -errno, "detaching the host root");
        if (chdir("/") < 0)
                return emp_error_errno(err, -errno, "chdir /");
        if ((r = sys_mount_setattr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY)) < 0)
                return emp_error_errno(err, r, "making / read-only");
        return 0;
}

int emp_mount_landlock_rules(const struct emp_sandbox *sb, struct emp_ll_rule **ret, size_t *n)
{
        struct emp_ll_rule *rules = calloc(sb->n_mounts + 1, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        size_t k = 0;
        rules[k++] = (struct emp_ll_rule){.path = "/", .kind = EMP_LL_LIST};
        for (size_t i = 0; i < sb->n_mounts; i++) {
                const struct emp_mount *m = &sb->mounts[i];
                if (m->kind == EMP_MNT_BIND && m->tree_fd < 0)
                        continue;
                if (m->flags & EMP_MNT_F_DEV_RULE)
                        rules[k++] = (struct emp_ll_rule){.path = m->dest, .kind = EMP_LL_DEV};
                else if (m->flags & EMP_MNT_F_RW_RULE)
                        rules[k++] = (struct emp_ll_rule){.path = m->dest, .kind = EMP_LL_RW};
                else if (m->flags & EMP_MNT_F_RO_RULE)
                        rules[k++] = (struct emp_ll_rule){.path = m->dest, .kind = EMP_LL_RO};
        }
        *ret = rules;
        *n = k;
        return 0;
}
