/* gather.c — read what the kernel says about one sandbox: every process in
 * its pid namespace (status, namespaces, environment, mappings) and the
 * files they run and map, opened through /proc/PID/map_files and
 * /proc/PID/exe, never by a path. Judging is report.c's job. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "integrity.h"
#include "manifest/manifest.h"

#define INSIDE_MANIFEST "run/empyra/manifest.ini"
#define INSIDE_APP_ID "run/empyra/app-id"
#define MAX_THREADS 1024
#define MAX_MAPS_BYTES (4u << 20)
#define MAX_ENVIRON (256u << 10)

struct gather {
        struct emp_subject_facts *s;
        struct emp_hash_cache *cache;
        size_t files_cap;
        uint64_t hash_budget;
        struct stat self_user, self_mnt, self_pid;
};

static int ns_stat(pid_t pid, const char *ns, struct stat *st)
{
        char path[64];
        if (pid > 0)
                snprintf(path, sizeof(path), "/proc/%ld/ns/%s", (long)pid, ns);
        else
                snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
        return stat(path, st) < 0 ? -errno : 0;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void sha256_hex(const uint8_t d[crypto_hash_sha256_BYTES], char out[65])
{
        sodium_bin2hex(out, 65, d, crypto_hash_sha256_BYTES);
}

/* Hash an open regular file within the request's budget. */
static int hash_fd(struct gather *g, int fd, const struct stat *st, bool root_only, char out[65])
{
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        bool cacheable = g->cache && root_only;
        if (cacheable && emp_hash_cache_get(g->cache, st, out))
                return 0;
        if ((uint64_t)st->st_size > g->hash_budget) {
                g->s->hash_budget_hit = true;
                return -EFBIG;
        }
        /* OpenSSL's SHA-256 for file contents: it uses the CPU's SHA
         * extensions (about 7x libsodium's portable code here), and a game's
         * own files are hashed on every request (bench/attest). */
        EVP_MD_CTX *h = EVP_MD_CTX_new();
        if (!h || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(h);
                return -ENOMEM;
        }
        uint8_t buf[64 * 1024];
        uint64_t total = 0;
        int r = 0;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                total += (uint64_t)n;
                if (total > g->hash_budget) {
                        g->s->hash_budget_hit = true;
                        r = -EFBIG;
                        break;
                }
                if (EVP_DigestUpdate(h, buf, (size_t)n) != 1) {
                        r = -EIO;
                        break;
                }
        }
        uint8_t d[crypto_hash_sha256_BYTES];
        unsigned dlen = 0;
        if (r == 0 && (EVP_DigestFinal_ex(h, d, &dlen) != 1 || dlen != sizeof(d)))
                r = -EIO;
        EVP_MD_CTX_free(h);
        if (r < 0)
                return r;
        g->hash_budget -= total;
        sha256_hex(d, out);
        /* The file may have changed while it was read: keep the hash only if
         * nothing about it moved meanwhile. */
        struct stat after;
        if (cacheable && fstat(fd, &after) == 0 && after.st_size == st->st_size &&
            after.st_mtim.tv_sec == st->st_mtim.tv_sec && after.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
            after.st_ctim.tv_sec == st->st_ctim.tv_sec && after.st_ctim.tv_nsec == st->st_ctim.tv_nsec)
                emp_hash_cache_put(g->cache, st, out);
        return 0;
}

static ssize_t find_file(const struct emp_subject_facts *s, dev_t dev, ino_t ino)
{
        for (size_t i = 0; i < s->n_files; i++)
                if (s->files[i].dev == dev && s->files[i].ino == ino)
                        return (ssize_t)i;
        return -1;
}

static int add_file(struct gather *g, const char *path, dev_t dev, ino_t ino, size_t *ret)
{
        struct emp_subject_facts *s = g->s;
        if (s->n_files == g->files_cap) {
                size_t cap = g->files_cap ? 2 * g->files_cap : 64;
                struct emp_mapped_file *n = realloc(s->files, cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->files = n;
                g->files_cap = cap;
        }
        struct emp_mapped_file *f = &s->files[s->n_files];
        memset(f, 0, sizeof(*f));
        if (!(f->path = strdup(path ? path : "")))
                return -ENOMEM;
        f->dev = dev;
        f->ino = ino;
        *ret = s->n_files++;
        return 0;
}

/* Measure the file behind `link` (/proc/N/exe or /proc/N/map_files/A-B):
 * known (dev, ino) pairs are hashed once per request. A file that cannot be
 * opened is still listed, with the reason. */
static int measure(struct gather *g, const char *link, const char *name, dev_t hint_dev, ino_t hint_ino,
                   size_t *ret)
{
        ssize_t known = hint_ino ? find_file(g->s, hint_dev, hint_ino) : -1;
        if (known >= 0) {
                *ret = (size_t)known;
                return 0;
        }
        if (g->s->n_files >= EMP_INTEGRITY_MAX_FILES)
                return -E2BIG;
        /* O_PATH first: a mapped device (a GPU's /dev/dri node, say) is
         * looked at, never opened — opening runs its driver's code. */
        _cleanup_close_ int path_fd = open(link, O_PATH | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        struct stat st;
        int e = 0;
        if (path_fd < 0 || fstat(path_fd, &st) < 0)
                e = -errno;
        else if (!S_ISREG(st.st_mode))
                e = 1; /* a device: listed, not hashed */
        else {
                char self[64];
                snprintf(self, sizeof(self), "/proc/self/fd/%d", path_fd);
                fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
                if (fd < 0 || fstat(fd, &st) < 0)
                        e = -errno;
        }
        if (e == 0) {
                known = find_file(g->s, st.st_dev, st.st_ino);
                if (known >= 0) {
                        *ret = (size_t)known;
                        return 0;
                }
        }
        size_t idx;
        int r = add_file(g, name, e && e != 1 ? hint_dev : st.st_dev, e && e != 1 ? hint_ino : st.st_ino, &idx);
        if (r < 0)
                return r;
        struct emp_mapped_file *f = &g->s->files[idx];
        if (e == 1) {
                f->device = true;
                f->dev = st.st_dev;
                f->ino = st.st_ino;
                e = 0;
        } else if (e) {
                f->err = e;
        } else {
                struct statfs fs;
                f->root_only = fstatfs(fd, &fs) == 0 && emp_hash_cacheable(&st, (long)fs.f_type);
                f->err = hash_fd(g, fd, &st, f->root_only, f->sha256);
        }
        *ret = idx;
        return 0;
}

static int push_map(struct emp_proc_facts *pr, size_t idx, bool exec, size_t *cap)
{
        for (size_t i = 0; i < pr->n_maps; i++)
                if (pr->maps[i] == idx) {
                        pr->maps_exec[i] |= exec;
                        return 0;
                }
        if (pr->n_maps == *cap) {
                size_t nc = *cap ? 2 * *cap : 32;
                size_t *n = realloc(pr->maps, nc * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                pr->maps = n;
                bool *x = realloc(pr->maps_exec, nc * sizeof(*x));
                if (!x)
                        return -ENOMEM;
                pr->maps_exec = x;
                *cap = nc;
        }
        pr->maps_exec[pr->n_maps] = exec;
        pr->maps[pr->n_maps++] = idx;
        return 0;
}

/* Code that no file on disk holds: anonymous memory, memfd, deleted files. */
static bool fileless_code(const char *path, unsigned long inode)
{
        if (!inode)
                return !(strcmp(path, "[vdso]") == 0 || strcmp(path, "[vsyscall]") == 0 ||
                         strcmp(path, "[uprobes]") == 0);
        size_t l = strlen(path);
        return strncmp(path, "/memfd:", 7) == 0 || strncmp(path, "/dev/zero", 9) == 0 ||
               (l > 10 && strcmp(path + l - 10, " (deleted)") == 0);
}

static int read_maps(struct gather *g, pid_t pid, struct emp_proc_facts *pr)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
        _cleanup_free_ char *text = NULL;
        int r = emp_read_file(path, MAX_MAPS_BYTES, &text, NULL);
        if (r < 0) {
                pr->maps_err = r;
                return 0;
        }
        size_t cap = 0;
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned long start, end, inode;
                unsigned maj, min;
                char perms[5];
                int off = 0;
                if (sscanf(l, "%lx-%lx %4s %*x %x:%x %lu %n", &start, &end, perms, &maj, &min, &inode, &off) < 6)
                        continue;
                const char *name = off ? l + off : "";
                if (perms[2] == 'x' && (fileless_code(name, inode) || perms[1] == 'w')) {
                        if (perms[1] == 'w')
                                pr->n_write_exec++;
                        else
                                pr->n_anon_exec++;
                        if (!pr->first_bad_map && !(pr->first_bad_map = strdup(l)))
                                return -ENOMEM;
                }
                if (!inode || name[0] != '/')
                        continue;
                char link[96];
                snprintf(link, sizeof(link), "/proc/%ld/map_files/%lx-%lx", (long)pid, start, end);
                size_t idx;
                r = measure(g, link, name, makedev(maj, min), (ino_t)inode, &idx);
                if (r == -E2BIG) {
                        pr->maps_truncated = true;
                        continue;
                }
                if (r < 0 || (r = push_map(pr, idx, perms[2] == 'x', &cap)) < 0)
                        return r;
        }
        return 0;
}

static char *env_value(const char *env, size_t len, const char *key)
{
        size_t kl = strlen(key);
        for (size_t i = 0; i < len;) {
                const char *e = env + i;
                size_t el = strnlen(e, len - i);
                if (el > kl && strncmp(e, key, kl) == 0 && e[kl] == '=')
                        return strndup(e + kl + 1, el - kl - 1);
                i += el + 1;
        }
        return NULL;
}

static uint64_t hexfield(const char *text, const char *key)
{
        const char *p = strstr(text, key);
        return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

static long numfield(const char *text, const char *key, long dflt)
{
        const char *p = strstr(text, key);
        return p ? strtol(p + strlen(key), NULL, 10) : dflt;
}

/* The last NSpid entry: the pid as the sandbox sees it. */
static pid_t inner_pid(const char *status, pid_t dflt)
{
        const char *p = strstr(status, "\nNSpid:");
        if (!p)
                return dflt;
        p += 7;
        pid_t last = dflt;
        while (*p && *p != '\n') {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p)
                        break;
                last = (pid_t)v;
                p = end;
        }
        return last;
}

/* /proc/PID/status, whole (NUL-terminated). */
static int proc_status(pid_t pid, char **ret)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
        return emp_read_file(path, 64 * 1024, ret, NULL);
}

static int read_status(pid_t pid, struct emp_proc_facts *pr)
{
        _cleanup_free_ char *st = NULL;
        int r = proc_status(pid, &st);
        if (r < 0)
                return r;
        const char *name = strstr(st, "Name:\t");
        if (name) {
                name += 6;
                size_t n = strcspn(name, "\n");
                snprintf(pr->comm, sizeof(pr->comm), "%.*s", (int)(n < 16 ? n : 16), name);
                for (char *c = pr->comm; *c; c++)
                        if (!isprint((unsigned char)*c) || *c == '"')
                                *c = '?';
        }
        pr->pid = inner_pid(st, pid);
        pr->seccomp_mode = (int)numfield(st, "\nSeccomp:", -1);
        pr->no_new_privs = (int)numfield(st, "\nNoNewPrivs:", 0);
        pr->cap_eff = hexfield(st, "\nCapEff:");
        pr->cap_prm = hexfield(st, "\nCapPrm:");
        pr->cap_amb = hexfield(st, "\nCapAmb:");
        if (!strstr(st, "\nSeccomp:") || !strstr(st, "\nCapEff:"))
                return -EPROTO;
        /* Every thread: a tracer may attach to any one of them. */
        char path[96];
        snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
        DIR *d = opendir(path);
        if (!d)
                return -errno;
        struct dirent *de;
        int n = 0;
        r = 0;
        while ((de = readdir(d))) {
                if (!isdigit((unsigned char)de->d_name[0]))
                        continue;
                if (++n > MAX_THREADS) {
                        r = -E2BIG;
                        break;
                }
                char tp[320];
                snprintf(tp, sizeof(tp), "/proc/%ld/task/%s/status", (long)pid, de->d_name);
                _cleanup_free_ char *ts = NULL;
                if (emp_read_file(tp, 64 * 1024, &ts, NULL) < 0)
                        continue; /* the thread ended */
                long t = numfield(ts, "\nTracerPid:", 0);
                if (t && !pr->tracer)
                        pr->tracer = (pid_t)t;
        }
        closedir(d);
        pr->n_threads = n;
        return r;
}

static int gather_proc(struct gather *g, pid_t pid, struct emp_proc_facts *pr)
{
        pr->status_err = read_status(pid, pr);
        struct stat u, m, p;
        pr->ns_err = ns_stat(pid, "user", &u);
        if (!pr->ns_err)
                pr->ns_err = ns_stat(pid, "mnt", &m);
        if (!pr->ns_err)
                pr->ns_err = ns_stat(pid, "pid", &p);
        if (!pr->ns_err) {
                pr->userns_host = same_inode(&u, &g->self_user);
                pr->mntns_host = same_inode(&m, &g->self_mnt);
                pr->pidns_host = same_inode(&p, &g->self_pid);
        }
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
        _cleanup_free_ char *env = NULL;
        size_t len = 0;
        pr->environ_err = emp_read_file(path, MAX_ENVIRON, &env, &len);
        if (!pr->environ_err) {
                pr->ld_preload = env_value(env, len, "LD_PRELOAD");
                pr->ld_audit = env_value(env, len, "LD_AUDIT");
        }
        snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
        char target[512];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        int r = measure(g, path, target, 0, 0, &pr->exe);
        if (r == -E2BIG)
                pr->exe_err = -E2BIG;
        else if (r < 0)
                return r;
        else if (g->s->files[pr->exe].err)
                pr->exe_err = g->s->files[pr->exe].err;
        return read_maps(g, pid, pr);
}

/* A file inside the sandbox's root, resolved as the sandbox would (symlinks
 * stay inside it; magic links refused). */
static int open_inside(int rootfd, const char *rel, int flags)
{
        /* openat2 refuses O_PATH with any flag beyond these. */
        flags |= (flags & O_PATH) ? O_CLOEXEC : O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        return emp_openat2(rootfd, rel, flags,
                           RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

static int read_inside(int rootfd, const char *rel, size_t max, char **ret, size_t *ret_len)
{
        /* O_PATH first: the sandbox may have put a device or a FIFO there. */
        _cleanup_close_ int path_fd = open_inside(rootfd, rel, O_PATH);
        if (path_fd < 0)
                return path_fd;
        struct stat st;
        if (fstat(path_fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", path_fd);
        _cleanup_close_ int fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((size_t)st.st_size > max)
                return -EFBIG;
        _cleanup_free_ char *buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int gather_manifest(struct emp_subject_facts *s, int rootfd, struct emp_error *err)
{
        _cleanup_free_ char *text = NULL, *id = NULL;
        size_t len = 0, id_len = 0;
        int r = read_inside(rootfd, INSIDE_MANIFEST, EMP_INTEGRITY_MAX_MANIFEST, &text, &len);
        if (r == -ENOENT)
                return emp_error_set(err, -EPERM,
                                     "the caller is not in an Empyra sandbox that asked for integrity "
                                     "(no /run/empyra/manifest.ini in its view)");
        if (r < 0) {
                s->manifest_err = r;
                return 0;
        }
        uint8_t d[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(d, (const uint8_t *)text, len);
        sha256_hex(d, s->manifest_sha256);
        if (read_inside(rootfd, INSIDE_APP_ID, 256, &id, &id_len) == 0) {
                id[strcspn(id, "\n")] = '\0';
                if (emp_app_id_valid(id))
                        s->app_id = TAKE_PTR(id);
        }
        struct emp_manifest m;
        emp_manifest_init(&m);
        struct emp_error perr = {0};
        r = emp_manifest_load_data(&m, "manifest.ini", text, len, &perr);
        if (r == 0 && !s->app_id && m.app_id)
                s->app_id = strdup(m.app_id);
        size_t n = r == 0 ? emp_strv_len(m.integrity_files) : 0;
        if (r < 0)
                s->manifest_err = -EINVAL;
        if (n && !(s->listed = calloc(n, sizeof(*s->listed)))) {
                emp_manifest_free(&m);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const char *e = m.integrity_files[i];
                const char *sep = NULL;
                for (const char *q = strstr(e, "=sha256:"); q; q = strstr(q + 1, "=sha256:"))
                        sep = q;
                struct emp_listed_file *l = &s->listed[s->n_listed++];
                if (!sep || !(l->path = strndup(e, (size_t)(sep - e)))) {
                        emp_manifest_free(&m);
                        return -ENOMEM;
                }
                snprintf(l->sha256, sizeof(l->sha256), "%s", sep + 8);
                _cleanup_close_ int fd = open_inside(rootfd, l->path + 1, O_PATH);
                struct stat st;
                if (fd < 0)
                        l->err = fd;
                else if (fstat(fd, &st) < 0)
                        l->err = -errno;
                else {
                        l->dev = st.st_dev;
                        l->ino = st.st_ino;
                }
        }
        emp_manifest_free(&m);
        _cleanup_close_ int pre = open_inside(rootfd, "etc/ld.so.preload", O_PATH);
        s->ld_so_preload = pre >= 0 ? 1 : pre == -ENOENT ? 0 : pre;
        return 0;
}

static int status_links(pid_t pid, pid_t *ppid, int *depth, pid_t *inner)
{
        _cleanup_free_ char *st = NULL;
        int r = proc_status(pid, &st);
        if (r < 0)
                return r;
        const char *pp = strstr(st, "\nPPid:");
        const char *ns = strstr(st, "\nNSpid:");
        if (!pp || !ns)
                return -EPROTO;
        *ppid = (pid_t)strtol(pp + 6, NULL, 10);
        *depth = 0;
        *inner = 0;
        for (const char *q = ns + 7; *q && *q != '\n';) {
                char *end;
                long v = strtol(q, &end, 10);
                if (end == q)
                        break;
                (*depth)++;
                *inner = (pid_t)v;
                q = end;
        }
        return 0;
}

/* The host pid of the sandbox's init: the caller's nearest ancestor that is
 * pid 1 at the caller's nesting depth (status is readable even where the
 * namespace links are not). 0 when not found. */
static pid_t sandbox_init(pid_t caller)
{
        pid_t cur = caller, ppid, inner;
        int depth, want = -1;
        for (int i = 0; i < 64 && cur > 0; i++) {
                if (status_links(cur, &ppid, &depth, &inner) < 0)
                        return 0;
                if (want < 0)
                        want = depth;
                if (depth != want)
                        return 0;
                if (inner == 1)
                        return cur;
                cur = ppid;
        }
        return 0;
}

/* Membership: the same pid namespace; where that link is unreadable (an
 * unprivileged daemon and the sandbox's non-dumpable init), descent from the
 * sandbox's init, so such a process is checked (as unknown), not skipped. */
static bool in_sandbox(pid_t p, const struct stat *pidns, pid_t init)
{
        struct stat ns;
        int r = ns_stat(p, "pid", &ns);
        if (r == 0)
                return same_inode(&ns, pidns);
        if (init <= 0)
                return false;
        pid_t cur = p, ppid, inner;
        int depth;
        for (int i = 0; i < 64 && cur > 1; i++) {
                if (cur == init)
                        return true;
                if (status_links(cur, &ppid, &depth, &inner) < 0)
                        return false;
                cur = ppid;
        }
        return false;
}

int emp_integrity_gather_subject(pid_t pid, struct emp_hash_cache *cache, struct emp_subject_facts *s,
                                 struct emp_error *err)
{
        struct gather g = {.s = s, .cache = cache, .hash_budget = EMP_INTEGRITY_MAX_HASH_BYTES};
        memset(s, 0, sizeof(*s));
        if (sodium_init() < 0)
                return emp_error_set(err, -EIO, "libsodium initialisation failed");
        struct stat subject_pidns;
        int r;
        if ((r = ns_stat(0, "user", &g.self_user)) < 0 || (r = ns_stat(0, "mnt", &g.self_mnt)) < 0 ||
            (r = ns_stat(0, "pid", &g.self_pid)) < 0)
                return emp_error_errno(err, r, "reading the daemon's own namespaces");
        if ((r = ns_stat(pid, "pid", &subject_pidns)) < 0)
                return emp_error_errno(err, r, "the caller's pid namespace");
        if (same_inode(&subject_pidns, &g.self_pid))
                return emp_error_set(err, -EPERM, "the caller is not in an Empyra sandbox (it shares the host's "
                                                  "pid namespace)");
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/root", (long)pid);
        _cleanup_close_ int rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return emp_error_errno(err, -errno, "the caller's root directory");
        if ((r = gather_manifest(s, rootfd, err)) < 0)
                return r;

        pid_t init = sandbox_init(pid);
        DIR *d = opendir("/proc");
        if (!d)
                return emp_error_errno(err, -errno, "/proc");
        size_t cap = 0;
        struct dirent *de;
        r = 0;
        while ((de = readdir(d))) {
                if (!isdigit((unsigned char)de->d_name[0]))
                        continue;
                pid_t p = (pid_t)strtol(de->d_name, NULL, 10);
                if (!in_sandbox(p, &subject_pidns, init))
                        continue;
                if (s->n_procs == EMP_INTEGRITY_MAX_PROCS) {
                        s->procs_truncated = true;
                        break;
                }
                if (s->n_procs == cap) {
                        size_t nc = cap ? 2 * cap : 16;
                        struct emp_proc_facts *n = realloc(s->procs, nc * sizeof(*n));
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        s->procs = n;
                        cap = nc;
                }
                struct emp_proc_facts *pr = &s->procs[s->n_procs++];
                memset(pr, 0, sizeof(*pr));
                pr->pid = p;
                snprintf(pr->comm, sizeof(pr->comm), "?");
                if ((r = gather_proc(&g, p, pr)) < 0)
                        break;
                if (p == pid)
                        s->caller = pr->pid;
        }
        closedir(d);
        if (r < 0)
                return emp_error_errno(err, r, "reading the sandbox's processes");
        return 0;
}
