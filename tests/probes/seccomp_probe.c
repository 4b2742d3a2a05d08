/* seccomp_probe.c — run inside a sandbox by the integration tests: tries each thing
 * the seccomp filter must refuse (and a few it must allow), one "ok"/"not ok" line each. */
#define _GNU_SOURCE /* unshare, CLONE_*: the probe rule passes only -std=gnu11 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Kernel constants the static build's headers may lack. */
#define X32_SYSCALL_BIT 0x40000000L
#define I386_NR_GETPID 20L
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static bool multiarch; /* --multiarch: the i386 entry must work */
static bool nested;    /* --nested: namespaces and the mount API must reach the kernel */
static int failures;

/* Every check's argument is chosen so that, should the filter be missing, the
 * kernel itself fails the call harmlessly (bad fd, missing path, bad flags). */
struct result {
        long ret;
        int err;
};
#define CALL(expr) ({ errno = 0; long r_ = (long)(expr); (struct result){ r_, r_ == -1 ? errno : 0 }; })

static void report(const char *name, bool ok, const char *fmt, ...)
{
        if (ok) {
                printf("ok %s\n", name);
                return;
        }
        failures++;
        printf("not ok %s: ", name);
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

static void expect_errno(const char *name, struct result r, int want1, int want2)
{
        bool ok = r.ret == -1 && (r.err == want1 || r.err == want2);
        if (r.ret == -1)
                report(name, ok, "errno %d (%s), want %s", r.err, strerror(r.err), strerror(want1));
        else
                report(name, ok, "succeeded (returned %ld), want %s", r.ret, strerror(want1));
}

static void expect_eperm(const char *name, struct result r)
{
        expect_errno(name, r, EPERM, EPERM);
}

/* Under --nested the call must get past the filter: anything but EPERM. */
static void expect_gated(const char *name, struct result r)
{
        if (nested)
                report(name, !(r.ret == -1 && r.err == EPERM), "EPERM: still denied by the filter");
        else
                expect_eperm(name, r);
}

static void expect_success(const char *name, struct result r)
{
        report(name, r.ret >= 0, "errno %d (%s)", r.err, strerror(r.err));
}

static void check_kernel_surface(void)
{
        expect_eperm("io_uring_setup", CALL(syscall(SYS_io_uring_setup, 0, NULL)));
        expect_eperm("io_uring_enter", CALL(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0)));
        expect_eperm("io_uring_register", CALL(syscall(SYS_io_uring_register, -1, 0, NULL, 0)));
        expect_eperm("bpf", CALL(syscall(SYS_bpf, 0x7fffffff, NULL, 0)));
        expect_eperm("userfaultfd", CALL(syscall(SYS_userfaultfd, -1)));
        expect_eperm("perf_event_open", CALL(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)));
        expect_eperm("kexec_load", CALL(syscall(SYS_kexec_load, 0, 0, NULL, 0xffffffffUL)));
        expect_eperm("kexec_file_load", CALL(syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0xffffUL)));
        expect_eperm("init_module", CALL(syscall(SYS_init_module, NULL, 0, "")));
        expect_eperm("finit_module", CALL(syscall(SYS_finit_module, -1, "", 0)));
        expect_eperm("delete_module", CALL(syscall(SYS_delete_module, "empyra_probe_absent", O_NONBLOCK)));
        expect_eperm("open_by_handle_at", CALL(syscall(SYS_open_by_handle_at, -1, NULL, 0)));
        expect_eperm("keyctl", CALL(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0)));
        expect_eperm("add_key", CALL(syscall(SYS_add_key, NULL, NULL, NULL, 0, 0)));
        expect_eperm("request_key", CALL(syscall(SYS_request_key, "user", "empyra-probe-absent", NULL, 0)));
}

static void check_mount_api(void)
{
        expect_gated("mount", CALL(syscall(SYS_mount, "none", "/nonexistent/empyra", "tmpfs", 0, NULL)));
        expect_gated("umount2", CALL(syscall(SYS_umount2, "/nonexistent/empyra", 0)));
        expect_gated("pivot_root", CALL(syscall(SYS_pivot_root, "/nonexistent/a", "/nonexistent/b")));
        expect_gated("fsopen", CALL(syscall(SYS_fsopen, "empyra-no-such-fs", 0)));
        expect_gated("fsmount", CALL(syscall(SYS_fsmount, -1, 0, 0)));
        expect_gated("fsconfig", CALL(syscall(SYS_fsconfig, -1, 0 /* SET_FLAG */, "ro", NULL, 0)));
        expect_gated("fspick", CALL(syscall(SYS_fspick, AT_FDCWD, "/nonexistent/empyra", 0)));
        expect_gated("move_mount", CALL(syscall(SYS_move_mount, -1, "", -1, "", 0)));
        expect_gated("open_tree", CALL(syscall(SYS_open_tree, AT_FDCWD, "/nonexistent/empyra", 0)));
        expect_gated("mount_setattr", CALL(syscall(SYS_mount_setattr, -1, "", 0, NULL, 0)));
        expect_gated("chroot", CALL(syscall(SYS_chroot, "/nonexistent/empyra")));
        expect_gated("setns", CALL(syscall(SYS_setns, -1, 0)));
}

/* clone(CLONE_NEWUSER) as a raw syscall: glibc's wrappers would use clone3. */
static struct result clone_newuser(void)
{
        struct result r = CALL(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0));
        if (r.ret == 0)
                _exit(0);
        if (r.ret > 0)
                waitpid((pid_t)r.ret, NULL, 0);
        return r;
}

static void check_namespaces(void)
{
        /* clone first: once this process is in an unmapped user namespace the
         * kernel itself would refuse a nested one, hiding a missing filter. */
        expect_gated("clone(CLONE_NEWUSER)", clone_newuser());
        expect_gated("unshare(CLONE_NEWUSER)", CALL(unshare(CLONE_NEWUSER)));
        /* Under --nested the rest runs in the user namespace just made, where
         * the kernel grants it; elsewhere only the filter's EPERM can answer. */
        expect_gated("unshare(CLONE_NEWNS)", CALL(unshare(CLONE_NEWNS)));
        expect_gated("unshare(CLONE_NEWNET)", CALL(unshare(CLONE_NEWNET)));
        check_mount_api();
}

/* Namespace checks run in a child so that, if allowed, they change nothing
 * here; the child prints its own lines and exits 1 if any failed. */
static void in_child(void (*checks)(void))
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                failures = 0;
                checks();
                fflush(stdout);
                _exit(failures ? 1 : 0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                report("namespace checks", false, "child did not finish (status %#x)", status);
        else if (WEXITSTATUS(status) != 0)
                failures++;
}

/* TIOCSTI on the master of a fresh pty can type into nothing but that pty, so
 * the probe stays harmless even without a filter; the filter refuses the
 * request number before the kernel looks at the fd. */
static int tty_fd(const char **what)
{
        int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        *what = "pty master";
        if (fd < 0) {
                fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                *what = "/dev/null";
        }
        return fd;
}

static void check_tty_injection(void)
{
        const char *what;
        int fd = tty_fd(&what);
        char c = 0;
        unsigned long high = 1UL << 32;
        expect_eperm("ioctl(TIOCSTI)", CALL(ioctl(fd, TIOCSTI, &c)));
        expect_eperm("ioctl(TIOCSTI|1<<32)", CALL(ioctl(fd, TIOCSTI | high, &c)));
        expect_eperm("ioctl(TIOCLINUX)", CALL(ioctl(fd, TIOCLINUX, &c)));
        expect_eperm("ioctl(TIOCLINUX|1<<32)", CALL(ioctl(fd, TIOCLINUX | high, &c)));
        /* An ordinary ioctl still reaches the driver (ENOTTY on /dev/null). */
        struct result r = CALL(ioctl(fd, FIONREAD, &(int){ 0 }));
        report("ioctl(FIONREAD) allowed", !(r.ret == -1 && (r.err == EPERM || r.err == ENOSYS)),
               "errno %d (%s) on %s", r.err, strerror(r.err), what);
        if (fd >= 0)
                close(fd);
}

static void expect_family_denied(const char *name, struct result r)
{
        if (r.ret >= 0)
                close((int)r.ret);
        expect_errno(name, r, EAFNOSUPPORT, EPERM);
}

static void expect_family_allowed(const char *name, struct result r)
{
        if (r.ret >= 0)
                close((int)r.ret);
        expect_success(name, r);
}

static void check_sockets(void)
{
        int sv[2];
        expect_family_denied("socket(AF_NETLINK)", CALL(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0)));
        expect_family_denied("socket(AF_PACKET)", CALL(socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0)));
        expect_family_denied("socket(AF_VSOCK)", CALL(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0)));
        expect_family_denied("socket(AF_BLUETOOTH)",
                             CALL(socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, 1 /* HCI */)));
        expect_errno("socketpair(AF_NETLINK)", CALL(socketpair(AF_NETLINK, SOCK_DGRAM, 0, sv)),
                     EAFNOSUPPORT, EPERM);
        expect_family_allowed("socket(AF_UNIX)", CALL(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)));
        expect_family_allowed("socket(AF_INET)", CALL(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)));
        expect_family_allowed("socket(AF_INET6)", CALL(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)));
        struct result r = CALL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
        if (r.ret == 0) {
                close(sv[0]);
                close(sv[1]);
        }
        expect_success("socketpair(AF_UNIX)", r);
}

/* i386's getpid through int $0x80, in a child: without ia32 emulation the
 * instruction faults.  The child reports the raw return value. */
static void check_int80(void)
{
        int p[2];
        if (pipe(p) < 0) {
                report("int 0x80 getpid", false, "pipe: %s", strerror(errno));
                return;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                long ret;
                __asm__ volatile("int $0x80"
                                 : "=a"(ret)
                                 : "a"(I386_NR_GETPID)
                                 : "memory", "cc", "r8", "r9", "r10", "r11");
                ssize_t n = write(p[1], &ret, sizeof(ret));
                _exit(n == sizeof(ret) ? 0 : 1);
        }
        close(p[1]);
        long ret = 0;
        ssize_t n = pid > 0 ? read(p[0], &ret, sizeof(ret)) : -1;
        close(p[0]);
        int status = 0;
        if (pid > 0)
                waitpid(pid, &status, 0);
        if (n != sizeof(ret)) {
                bool faulted = WIFSIGNALED(status);
                report("int 0x80 getpid", faulted && !multiarch, "no result (status %#x)", status);
        } else if (multiarch) {
                report("int 0x80 getpid", ret == pid, "returned %ld, want the pid %d", ret, (int)pid);
        } else {
                report("int 0x80 getpid", ret == -ENOSYS || ret == -EPERM,
                       "returned %ld, want -ENOSYS", ret);
        }
}

static void check_abi_edges(void)
{
        expect_errno("x32 getpid", CALL(syscall(X32_SYSCALL_BIT | SYS_getpid)), ENOSYS, EPERM);
        check_int80();
        expect_errno("syscall 1023", CALL(syscall(1023)), ENOSYS, ENOSYS);
        expect_errno("clone3", CALL(syscall(SYS_clone3, NULL, 0)), ENOSYS, ENOSYS);
}

static void check_personality(void)
{
        struct result query = CALL(personality(0xffffffff));
        expect_success("personality(query)", query);
        struct result bsd = CALL(personality(PER_BSD));
        if (bsd.ret >= 0 && query.ret >= 0)
                personality((unsigned long)query.ret); /* undo, if it got through */
        expect_eperm("personality(PER_BSD)", bsd);
        if (query.ret >= 0)
                expect_success("personality(current)", CALL(personality((unsigned long)query.ret)));
}

/* What the filter must leave working. */
static void check_allowed(void)
{
        report("getpid", syscall(SYS_getpid) == getpid(), "raw getpid disagrees");
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
                _exit(0);
        int status = -1;
        report("fork", pid > 0 && waitpid(pid, &status, 0) == pid && status == 0,
               "fork: %s", pid < 0 ? strerror(errno) : "child did not exit cleanly");
        expect_success("unshare(CLONE_FS)", CALL(unshare(CLONE_FS)));
}

int main(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--multiarch") == 0) {
                        multiarch = true;
                } else if (strcmp(argv[i], "--nested") == 0) {
                        nested = true;
                } else {
                        fprintf(stderr, "usage: %s [--multiarch] [--nested]\n", argv[0]);
                        return 2;
                }
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        check_kernel_surface();
        in_child(check_namespaces);
        check_tty_injection();
        check_sockets();
        check_abi_edges();
        check_personality();
        check_allowed();
        return failures ? 1 : 0;
}
