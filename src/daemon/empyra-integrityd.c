/* empyra-integrityd.c — the integrity service (DESIGN.md §1, §11): a caller
 * sends a nonce; the subject is the caller's whole sandbox as the kernel
 * identifies it; the answer is a report signed with a per-app key. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gateway/peer.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "integrity/integrity.h"
#ifdef EMP_HAVE_TSS2
#include "integrity/tpm/tpm.h"
#endif
#include "manifest/manifest.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; Debian 12's headers lack it */
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

#define MAX_CLIENTS 64
#define MAX_REQUEST 257 /* 'K' + a 255-byte app id; a nonce request is 33 */
#define REQUEST_TIMEOUT_MS 2000
#define ANSWER_TIMEOUT_MS 5000 /* a client that does not read loses its answer */
/* Per caller (a sandbox, or a host uid): a burst, then one a second. */
#define RATE_BURST 5.0 /* --rate-burst changes it (benchmarks) */
#define RATE_PER_SEC 1.0
#define MAX_BUCKETS 512

struct client {
        int fd, pidfd;
        pid_t pid;
        bool sandboxed;
        int64_t deadline;
        size_t len;
        uint8_t buf[MAX_REQUEST + 1];
        char *out; /* the answer being written (non-blocking, from the poll loop) */
        size_t out_len, out_off;
};

struct bucket {
        uint64_t key;
        double tokens;
        int64_t last;
};

struct daemon {
        const char *socket_path;
        uint8_t secret[EMP_INTEGRITY_SECRET_LEN];
        int listen_fd;
        struct client clients[MAX_CLIENTS];
        struct bucket buckets[MAX_BUCKETS];
        size_t n_buckets;
        struct stat self_pidns;
        bool verbose;
        double burst;
        bool no_peerpidfd; /* --no-peerpidfd: the older kernels' path, for tests */
        struct emp_hash_cache *cache; /* hashes of root-owned files, between requests */
#ifdef EMP_HAVE_TSS2
        struct emp_tpm *tpm; /* --tpm-tcti: reports are anchored in it */
#endif
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* Start time of pid in clock ticks since boot (/proc/PID/stat field 22). */
static int start_ticks(pid_t pid, unsigned long long *ret)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
        _cleanup_free_ char *t = NULL;
        int r = emp_read_file(path, 4096, &t, NULL);
        if (r < 0)
                return r;
        char *p = strrchr(t, ')'); /* comm may hold spaces and parentheses */
        if (!p)
                return -EINVAL;
        p++;
        for (int field = 3; field < 22 && p; field++) /* p: the space before field 3 */
                p = strchr(p + 1, ' ');
        if (!p)
                return -EINVAL;
        *ret = strtoull(p + 1, NULL, 10);
        return 0;
}

/* The peer as the kernel names it, pinned by a pidfd: SO_PEERPIDFD where the
 * kernel has it; else SO_PEERCRED's pid, opened as a pidfd and accepted only
 * if that process started before the connection was accepted (a pid reused
 * since then belongs to a younger process). */
static int peer_identify(int fd, bool use_peerpidfd, int *ret_pidfd, pid_t *ret_pid, struct emp_error *err)
{
        struct timespec boot;
        clock_gettime(CLOCK_BOOTTIME, &boot);
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return emp_error_errno(err, -errno, "peer credentials");
        if (cred.pid <= 0)
                return emp_error_set(err, -EPERM, "the caller is in a pid namespace this service cannot see");
        int pidfd = -1;
        len = sizeof(pidfd);
        if (use_peerpidfd && getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0) {
                pid_t pid = emp_pidfd_pid(pidfd);
                if (pid <= 0) {
                        close(pidfd);
                        return emp_error_set(err, -ESRCH, "the caller exited while connecting");
                }
                *ret_pidfd = pidfd;
                *ret_pid = pid;
                return 0;
        }
        pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
        if (pidfd < 0)
                return emp_error_errno(err, -errno, "pidfd of the caller");
        unsigned long long start;
        long hz = sysconf(_SC_CLK_TCK);
        unsigned long long accepted = (unsigned long long)boot.tv_sec * (unsigned long long)hz +
                                      (unsigned long long)boot.tv_nsec * (unsigned long long)hz / 1000000000ull;
        if (start_ticks(cred.pid, &start) < 0 || start > accepted) {
                close(pidfd);
                return emp_error_set(err, -ESRCH, "the caller exited while connecting");
        }
        *ret_pidfd = pidfd;
        *ret_pid = cred.pid;
        return 0;
}

/* Token bucket per caller; the oldest bucket makes room for a new one. */
static bool rate_allow(struct daemon *d, uint64_t key)
{
        int64_t now = now_ms();
        struct bucket *b = NULL, *oldest = NULL;
        for (size_t i = 0; i < d->n_buckets; i++) {
                if (d->buckets[i].key == key)
                        b = &d->buckets[i];
                if (!oldest || d->buckets[i].last < oldest->last)
                        oldest = &d->buckets[i];
        }
        if (!b) {
                b = d->n_buckets < MAX_BUCKETS ? &d->buckets[d->n_buckets++] : oldest;
                *b = (struct bucket){.key = key, .tokens = d->burst, .last = now};
        }
        b->tokens += (double)(now - b->last) / 1000.0 * RATE_PER_SEC;
        if (b->tokens > d->burst)
                b->tokens = d->burst;
        b->last = now;
        if (b->tokens < 1.0)
                return false;
        b->tokens -= 1.0;
        return true;
}

static void client_close(struct client *c)
{
        if (c->fd >= 0)
                close(c->fd);
        if (c->pidfd >= 0)
                close(c->pidfd);
        free(c->out);
        memset(c, 0, sizeof(*c));
        c->fd = c->pidfd = -1;
}

/* Write what the socket takes now; the rest when poll says it is writable.
 * The daemon never blocks on a client that does not read. */
static void flush(struct client *c)
{
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0)
                        break;
                c->out_off += (size_t)n;
        }
        client_close(c);
}

/* Queue "a" + "b" + "\n" as the answer and start writing it. */
static void answer(struct client *c, const char *a, const char *b)
{
        size_t la = strlen(a), lb = b ? strlen(b) : 0;
        free(c->out);
        c->out = malloc(la + lb + 1);
        if (!c->out) {
                client_close(c);
                return;
        }
        memcpy(c->out, a, la);
        if (lb)
                memcpy(c->out + la, b, lb);
        c->out[la + lb] = '\n';
        c->out_len = la + lb + 1;
        c->out_off = 0;
        c->deadline = now_ms() + ANSWER_TIMEOUT_MS;
        flush(c);
}

static void refuse(struct client *c, const char *why)
{
        char line[1100];
        snprintf(line, sizeof(line), "error: %s", why);
        answer(c, line, NULL);
}

/* A refusal before the client has a slot: one short line, one try. */
static void refuse_now(struct client *c, const char *why)
{
        refuse(c, why);
        if (c->fd >= 0)
                client_close(c);
}

static int report(struct daemon *d, struct client *c, struct emp_error *err, char **ret, char **ret_app)
{
        struct emp_subject_facts s;
        struct emp_platform_facts p;
        int r = emp_integrity_gather_subject(c->pid, d->cache, &s, err);
        if (r < 0) {
                emp_subject_facts_free(&s);
                return r;
        }
        emp_integrity_gather_platform(&p);
        /* Everything read must have been the caller's: it is still the
         * process its pidfd names (a pidfd turns readable when it exits;
         * polling needs no permission to signal it). */
        struct pollfd alive = {.fd = c->pidfd, .events = POLLIN};
        if (poll(&alive, 1, 0) != 0) {
                emp_subject_facts_free(&s);
                return emp_error_set(err, -ESRCH, "the caller exited during the check");
        }
        uint8_t id[16];
        randombytes_buf(id, sizeof(id));
        const char *app = s.app_id ? s.app_id : "";
        *ret_app = strdup(app);
        json_t *quote = NULL;
        char *text = NULL;
        for (int anchored = 1; anchored >= 0 && !text; anchored--) {
                bool tpm = false;
#ifdef EMP_HAVE_TSS2
                tpm = d->tpm != NULL;
#endif
                if (anchored && !tpm)
                        continue;
                json_t *body = emp_integrity_build(&s, &p, c->buf + 1, id, (int64_t)time(NULL),
                                                   anchored ? "tpm_anchored" : "self_asserted");
                text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
                json_decref(body);
#ifdef EMP_HAVE_TSS2
                if (text && anchored) {
                        /* The quote's qualifying data is the signed message's hash. */
                        uint8_t mh[32];
                        struct emp_error terr = {0};
                        emp_integrity_message_hash(text, strlen(text), mh);
                        if (emp_tpm_quote(d->tpm, mh, &quote, &terr) < 0) {
                                fprintf(stderr, "empyra-integrityd: %s; this report is self_asserted\n", terr.msg);
                                free(text);
                                text = NULL;
                        }
                }
#endif
        }
        if (!text || !*ret_app) {
                free(text);
                json_decref(quote);
                emp_subject_facts_free(&s);
                return emp_error_set(err, -ENOMEM, "out of memory");
        }
        uint8_t pk[EMP_INTEGRITY_PK_LEN], sk[64];
        emp_integrity_app_keypair(d->secret, app, pk, sk);
        r = emp_integrity_sign(text, sk, pk, quote, ret);
        sodium_memzero(sk, sizeof(sk));
        free(text);
        emp_subject_facts_free(&s);
        return r < 0 ? emp_error_errno(err, r, "signing") : 0;
}

static void serve(struct daemon *d, struct client *c)
{
        struct emp_error err = {0};
        if (c->len == 1 + EMP_INTEGRITY_NONCE_LEN && c->buf[0] == 'N') {
                int64_t t0 = now_ms();
                _cleanup_free_ char *text = NULL, *app = NULL;
                if (report(d, c, &err, &text, &app) < 0) {
                        fprintf(stderr, "empyra-integrityd: pid %ld refused: %s\n", (long)c->pid, err.msg);
                        refuse(c, err.msg);
                        return;
                }
                if (d->verbose)
                        fprintf(stderr, "empyra-integrityd: report for %s (pid %ld) in %lld ms\n", app, (long)c->pid,
                                (long long)(now_ms() - t0));
                answer(c, "ok\n", text);
                return;
        } else if (c->len > 1 && c->buf[0] == 'K') {
                c->buf[c->len] = '\0';
                const char *app = (const char *)c->buf + 1;
                if (c->sandboxed) {
                        refuse(c, "keys are served only outside sandboxes (one app must not learn another's key)");
                        return;
                }
                if (strlen(app) != c->len - 1 || !emp_app_id_valid(app)) {
                        refuse(c, "malformed app id");
                        return;
                }
                uint8_t pk[EMP_INTEGRITY_PK_LEN], sk[64];
                emp_integrity_app_keypair(d->secret, app, pk, sk);
                sodium_memzero(sk, sizeof(sk));
                char hex[2 * EMP_INTEGRITY_PK_LEN + 1];
                sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
                answer(c, "ok\n", hex);
                return;
        } else if (c->len == 1 && c->buf[0] == 'A') {
                if (c->sandboxed) {
                        refuse(c, "the TPM attestation key is served only outside sandboxes");
                        return;
                }
#ifdef EMP_HAVE_TSS2
                if (d->tpm) {
                        answer(c, "ok\n", emp_tpm_ak_hex(d->tpm));
                        return;
                }
#endif
                refuse(c, "this service does not anchor reports in a TPM");
                return;
        } else {
                refuse(c, "malformed request (expected 'N' and a 32-byte nonce)");
        }
}

/* A sandbox's rate-limit key: its pid namespace, and the start time of that
 * namespace's init (namespace inode numbers are reused once freed). */
static uint64_t sandbox_key(pid_t pid, const struct stat *ns)
{
        pid_t cur = pid;
        for (int i = 0; i < 64; i++) {
                char path[64];
                long ppid = 0;
                if (emp_proc_status_field(cur, "PPid", 10, &ppid) < 0)
                        break;
                pid_t parent = (pid_t)ppid;
                struct stat pns;
                snprintf(path, sizeof(path), "/proc/%ld/ns/pid", (long)parent);
                if (parent <= 0 || stat(path, &pns) < 0 || pns.st_ino != ns->st_ino || pns.st_dev != ns->st_dev)
                        break;
                cur = parent;
        }
        unsigned long long start = 0;
        start_ticks(cur, &start);
        return ((uint64_t)ns->st_ino << 32) ^ (uint64_t)start ^ (1ull << 62);
}

static void accept_one(struct daemon *d)
{
        int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return;
        struct client tmp = {.fd = fd, .pidfd = -1};
        struct emp_error err = {0};
        if (peer_identify(fd, !d->no_peerpidfd, &tmp.pidfd, &tmp.pid, &err) < 0) {
                refuse_now(&tmp, err.msg);
                return;
        }
        char path[64];
        struct stat ns;
        snprintf(path, sizeof(path), "/proc/%ld/ns/pid", (long)tmp.pid);
        uint64_t key;
        if (stat(path, &ns) == 0 && !(ns.st_dev == d->self_pidns.st_dev && ns.st_ino == d->self_pidns.st_ino)) {
                tmp.sandboxed = true;
                key = sandbox_key(tmp.pid, &ns);
        } else {
                struct ucred cred;
                socklen_t len = sizeof(cred);
                getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
                key = (1ull << 63) | cred.uid;
        }
        /* Refused before any work: a flood costs the flooder, not others. */
        if (!rate_allow(d, key)) {
                refuse_now(&tmp, "rate limited (try again later)");
                return;
        }
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                if (d->clients[i].fd < 0) {
                        tmp.deadline = now_ms() + REQUEST_TIMEOUT_MS;
                        d->clients[i] = tmp;
                        return;
                }
        refuse_now(&tmp, "busy (try again later)");
}

static void read_request(struct daemon *d, struct client *c)
{
        for (;;) {
                ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n < 0) {
                        client_close(c);
                        return;
                }
                if (n == 0) {
                        serve(d, c);
                        return;
                }
                c->len += (size_t)n;
                if (c->len >= sizeof(c->buf) - 1) {
                        refuse(c, "request too long");
                        return;
                }
        }
}

static int listen_on(const char *path, struct emp_error *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return emp_error_set(err, -ENAMETOOLONG, "%s: socket path too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                int r = emp_mkdir_p(dir, 0755);
                if (r < 0)
                        return emp_error_errno(err, r, "creating %s", dir);
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return emp_error_errno(err, -errno, "socket");
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path); /* a stale socket of an earlier instance */
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return emp_error_errno(err, -errno, "binding %s", path);
        /* Any process may ask: apps run under uids of their own. */
        if (chmod(path, 0666) < 0 || listen(fd, 128) < 0)
                return emp_error_errno(err, -errno, "listening on %s", path);
        return TAKE_FD(fd);
}

/* After start-up the daemon runs as nobody with only what reading other
 * processes needs: CAP_SYS_PTRACE (their /proc files), CAP_DAC_READ_SEARCH
 * (files they map), CAP_CHECKPOINT_RESTORE (opening /proc/PID/map_files;
 * CAP_SYS_ADMIN on kernels before 5.9). No new privileges. */
static int drop_privileges(struct emp_error *err)
{
        if (geteuid() != 0)
                return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? emp_error_errno(err, -errno, "no_new_privs") : 0;
        cap_value_t mapcap = CAP_IS_SUPPORTED(CAP_CHECKPOINT_RESTORE) ? CAP_CHECKPOINT_RESTORE : CAP_SYS_ADMIN;
        cap_value_t keep[] = {CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, mapcap};
        for (cap_value_t c = 0; c <= CAP_LAST_CAP || cap_valid(c); c++) {
                if (!CAP_IS_SUPPORTED(c) || c == keep[0] || c == keep[1] || c == keep[2] || cap_get_bound(c) != 1)
                        continue; /* kept, or already gone (a unit's CapabilityBoundingSet) */
                if (cap_drop_bound(c) < 0 && errno != EINVAL)
                        return emp_error_errno(err, -errno, "dropping bounding capability %d", c);
        }
        /* Off uid 0 as well: root without capabilities still owns most of
         * the system's files. The three capabilities survive the switch. */
        struct passwd *pw = getpwnam("nobody");
        uid_t uid = pw ? pw->pw_uid : 65534;
        gid_t gid = pw ? pw->pw_gid : 65534;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
            setresuid(uid, uid, uid) < 0)
                return emp_error_errno(err, -errno, "switching to uid %u (nobody)", (unsigned)uid);
        prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        cap_t caps = cap_init();
        if (!caps)
                return emp_error_errno(err, -ENOMEM, "capabilities");
        int r = cap_set_flag(caps, CAP_PERMITTED, 3, keep, CAP_SET);
        if (r == 0)
                r = cap_set_flag(caps, CAP_EFFECTIVE, 3, keep, CAP_SET);
        if (r == 0)
                r = cap_set_proc(caps);
        int saved = errno;
        cap_free(caps);
        if (r < 0)
                return emp_error_errno(err, -saved, "capabilities: keeping only ptrace, dac_read_search, map_files");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return emp_error_errno(err, -errno, "no_new_privs");
        return 0;
}

static void usage(FILE *out)
{
        fprintf(out, "Usage: empyra-integrityd [--socket PATH] [--state-dir DIR] [--rate-burst N] [--tpm-tcti TCTI]\n"
                     "                         [--verbose]\n"
                     "  --socket PATH     listen here (default /run/empyra/integrity.sock)\n"
                     "  --state-dir DIR   the machine secret (default /var/lib/empyra/integrity)\n"
                     "  --rate-burst N    requests a caller may make at once (default 5; then 1 a second)\n"
                     "  --tpm-tcti TCTI   anchor reports in a TPM: device:/dev/tpmrm0, swtpm:host=H,port=P, ...\n"
                     "                    (TPM-anchored reports are linkable: the attestation key is a machine identity)\n"
                     "  --no-peerpidfd    identify callers as on kernels before 6.5 (SO_PEERCRED, pidfd_open\n"
                     "                    and the start time), for tests\n"
                     "  --verbose         log every report and its latency to stderr\n");
}

int main(int argc, char **argv)
{
        static struct daemon d;
        d.socket_path = "/run/empyra/integrity.sock";
        d.burst = RATE_BURST;
        const char *state_dir = "/var/lib/empyra/integrity";
        const char *tcti = NULL;
        static const struct option opts[] = {
                {"socket", required_argument, NULL, 's'}, {"state-dir", required_argument, NULL, 'd'},
                {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
                {"rate-burst", required_argument, NULL, 'b'}, {"tpm-tcti", required_argument, NULL, 't'},
                {"no-peerpidfd", no_argument, NULL, 'P'},
                {NULL, 0, NULL, 0},
        };
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (o) {
                case 's': d.socket_path = optarg; break;
                case 'd': state_dir = optarg; break;
                case 'v': d.verbose = true; break;
                case 't': tcti = optarg; break;
                case 'P': d.no_peerpidfd = true; break;
                case 'b': {
                        char *end;
                        long n = strtol(optarg, &end, 10);
                        if (*end || n < 1 || n > 1000000) {
                                fprintf(stderr, "empyra-integrityd: --rate-burst: a number from 1 to 1000000\n");
                                return 2;
                        }
                        d.burst = (double)n;
                        break;
                }
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return 2;
        }
        umask(077);
        struct emp_error err = {0};
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                d.clients[i].fd = d.clients[i].pidfd = -1;
        if (stat("/proc/self/ns/pid", &d.self_pidns) < 0) {
                fprintf(stderr, "empyra-integrityd: /proc/self/ns/pid: %s\n", strerror(errno));
                return 1;
        }
        if (tcti) {
#ifdef EMP_HAVE_TSS2
                /* Opened before the privilege drop: the device may be root's. */
                if (emp_tpm_open(tcti, &d.tpm, &err) < 0) {
                        fprintf(stderr, "empyra-integrityd: %s\n", err.msg);
                        return 1;
                }
                fprintf(stderr, "empyra-integrityd: reports are anchored in the TPM at %s (attestation key %.16s...)\n",
                        tcti, emp_tpm_ak_hex(d.tpm));
#else
                fprintf(stderr, "empyra-integrityd: --tpm-tcti: built without TPM support (libtss2-dev)\n");
                return 2;
#endif
        }
        if (emp_integrity_secret_load(state_dir, d.secret, &err) < 0 ||
            (d.listen_fd = listen_on(d.socket_path, &err)) < 0 || drop_privileges(&err) < 0) {
                fprintf(stderr, "empyra-integrityd: %s\n", err.msg[0] ? err.msg : strerror(-err.code));
                return 1;
        }
        if (!(d.cache = emp_hash_cache_new(4096))) {
                fprintf(stderr, "empyra-integrityd: out of memory\n");
                return 1;
        }
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        fprintf(stderr, "empyra-integrityd: listening on %s\n", d.socket_path);
        while (!stop) {
                struct pollfd pfd[1 + MAX_CLIENTS];
                struct client *who[1 + MAX_CLIENTS];
                nfds_t n = 0;
                pfd[n++] = (struct pollfd){.fd = d.listen_fd, .events = POLLIN};
                int64_t now = now_ms(), next = now + 60000;
                for (size_t i = 0; i < MAX_CLIENTS; i++) {
                        struct client *c = &d.clients[i];
                        if (c->fd < 0)
                                continue;
                        if (c->deadline <= now) {
                                if (c->out)
                                        client_close(c); /* it did not read its answer */
                                else
                                        refuse(c, "request timed out");
                                if (c->fd < 0)
                                        continue;
                        }
                        if (c->deadline < next)
                                next = c->deadline;
                        who[n] = c;
                        pfd[n++] = (struct pollfd){.fd = c->fd, .events = c->out ? POLLOUT : POLLIN};
                }
                int r = poll(pfd, n, (int)(next - now));
                if (r < 0 && errno != EINTR)
                        break;
                if (r <= 0)
                        continue;
                for (nfds_t i = 1; i < n; i++) {
                        if (!pfd[i].revents || who[i]->fd != pfd[i].fd)
                                continue;
                        if (who[i]->out)
                                flush(who[i]);
                        else
                                read_request(&d, who[i]);
                }
                if (pfd[0].revents & POLLIN)
                        for (int k = 0; k < 32; k++) {
                                int before = d.listen_fd;
                                accept_one(&d);
                                struct pollfd again = {.fd = before, .events = POLLIN};
                                if (poll(&again, 1, 0) <= 0)
                                        break;
                        }
        }
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                if (d.clients[i].fd >= 0)
                        client_close(&d.clients[i]);
        sodium_memzero(d.secret, sizeof(d.secret));
        emp_hash_cache_free(d.cache);
#ifdef EMP_HAVE_TSS2
        emp_tpm_close(d.tpm);
#endif
        /* Started as root, it now runs as nobody and may not remove the socket
         * from root's directory: the next start replaces it (systemd removes
         * RuntimeDirectory). Clients meanwhile get "connection refused". */
        struct stat st;
        if (lstat(d.socket_path, &st) == 0 && S_ISSOCK(st.st_mode))
                (void)unlink(d.socket_path);
        close(d.listen_fd);
        return 0;
}
