/* seccomp_table.c — which syscalls a sandboxed app may make (DESIGN.md §5): one
 * entry per syscall with the reason, compiled into BPF by tools/gen_seccomp.c. */
#include "launcher/seccomp_table.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include "launcher/seccomp.h"

#define RULE(n, a, f, w) { .name = (n), .action = (a), .flags = (f), .why = (w) }
#define ALLOW(n, w) RULE(n, EMP_SC_ALLOW, 0, w)
#define DENY(n, w) RULE(n, EMP_SC_EPERM, 0, w)
#define NOSYS(n, w) RULE(n, EMP_SC_ENOSYS, 0, w)
#define BY_ARG(n, w) RULE(n, EMP_SC_BY_ARG, 0, w)
/* Denied unless the manifest grants nested sandboxes (browsers, Steam's runtime):
 * the kernel then confines these to namespaces the app itself created. */
#define NESTED(n, w) RULE(n, EMP_SC_EPERM, EMP_SC_NESTED_ALLOW, w)
#define NESTED_BY_ARG(n, w) RULE(n, EMP_SC_BY_ARG, EMP_SC_NESTED_ALLOW, w)
#define I386_ALLOW(n, w) RULE(n, EMP_SC_ALLOW, EMP_SC_I386_ONLY, w)
#define I386_DENY(n, w) RULE(n, EMP_SC_EPERM, EMP_SC_I386_ONLY, w)
/* Path opens: trapped to the broker in brokered file mode (DESIGN.md §5). */
#define BROKERED(n, w) RULE(n, EMP_SC_ALLOW, EMP_SC_BROKER_NOTIFY, w)
#define I386_NESTED(n, w) RULE(n, EMP_SC_EPERM, EMP_SC_I386_ONLY | EMP_SC_NESTED_ALLOW, w)

/* Syscalls this table leaves out get the default ENOSYS.  That includes the
 * ones newer than the headers and libseccomp we build against may know
 * (cachestat, fchmodat2, map_shadow_stack, futex_wake/wait/requeue,
 * statmount, listmount, mseal, lsm_*): callers of those fall back, and a new
 * syscall is admitted only after someone has looked at it here. */
const struct emp_seccomp_rule emp_seccomp_rules[] = {
        /* --- files and file descriptors --- */
        ALLOW("read", "fd I/O"),
        ALLOW("write", "fd I/O"),
        ALLOW("readv", "fd I/O"),
        ALLOW("writev", "fd I/O"),
        ALLOW("pread64", "fd I/O at an offset"),
        ALLOW("pwrite64", "fd I/O at an offset"),
        ALLOW("preadv", "fd I/O at an offset"),
        ALLOW("pwritev", "fd I/O at an offset"),
        ALLOW("preadv2", "fd I/O with per-call flags"),
        ALLOW("pwritev2", "fd I/O with per-call flags"),
        ALLOW("lseek", "file offset"),
        BROKERED("open", "opening files; the mount view and Landlock decide what exists"),
        BROKERED("openat", "opening files; the mount view and Landlock decide what exists"),
        /* Brokered mode answers ENOSYS: its RESOLVE_* flags and struct are more
         * than the broker reads, and callers fall back to openat. */
        RULE("openat2", EMP_SC_ALLOW, EMP_SC_BROKER_ENOSYS, "openat with RESOLVE_* scoping; glibc and systemd use it"),
        BROKERED("creat", "old spelling of open(O_CREAT)"),
        ALLOW("close", "fd lifetime"),
        ALLOW("close_range", "closing inherited fds before exec"),
        ALLOW("dup", "fd duplication"),
        ALLOW("dup2", "fd duplication"),
        ALLOW("dup3", "fd duplication with O_CLOEXEC"),
        ALLOW("fcntl", "fd flags, locks, seals"),
        ALLOW("flock", "advisory locks"),
        ALLOW("pipe", "pipes"),
        ALLOW("pipe2", "pipes with O_CLOEXEC"),
        ALLOW("stat", "file metadata"),
        ALLOW("fstat", "file metadata"),
        ALLOW("lstat", "file metadata"),
        ALLOW("newfstatat", "file metadata (fstatat)"),
        ALLOW("statx", "file metadata; glibc's stat uses it"),
        ALLOW("statfs", "filesystem metadata"),
        ALLOW("fstatfs", "filesystem metadata"),
        ALLOW("access", "permission checks"),
        ALLOW("faccessat", "permission checks"),
        ALLOW("faccessat2", "permission checks with flags; glibc prefers it"),
        ALLOW("getdents", "directory listing"),
        ALLOW("getdents64", "directory listing"),
        ALLOW("getcwd", "working directory"),
        ALLOW("chdir", "working directory"),
        ALLOW("fchdir", "working directory"),
        ALLOW("mkdir", "creating directories"),
        ALLOW("mkdirat", "creating directories"),
        ALLOW("rmdir", "removing directories"),
        ALLOW("rename", "renaming"),
        ALLOW("renameat", "renaming"),
        ALLOW("renameat2", "renaming with RENAME_NOREPLACE/EXCHANGE"),
        ALLOW("link", "hard links"),
        ALLOW("linkat", "hard links"),
        ALLOW("symlink", "symbolic links"),
        ALLOW("symlinkat", "symbolic links"),
        ALLOW("unlink", "removing files"),
        ALLOW("unlinkat", "removing files"),
        ALLOW("readlink", "reading links"),
        ALLOW("readlinkat", "reading links"),
        ALLOW("mknod", "FIFOs and sockets; device nodes need CAP_MKNOD in the host namespace"),
        ALLOW("mknodat", "FIFOs and sockets; device nodes need CAP_MKNOD in the host namespace"),
        ALLOW("truncate", "file size"),
        ALLOW("ftruncate", "file size"),
        ALLOW("fallocate", "preallocation"),
        ALLOW("fadvise64", "page cache hints"),
        ALLOW("readahead", "page cache hints"),
        ALLOW("fsync", "durability"),
        ALLOW("fdatasync", "durability"),
        ALLOW("sync", "durability"),
        ALLOW("syncfs", "durability"),
        ALLOW("sync_file_range", "durability of a range"),
        ALLOW("chmod", "permissions on the app's own files"),
        ALLOW("fchmod", "permissions on the app's own files"),
        ALLOW("fchmodat", "permissions on the app's own files"),
        ALLOW("chown", "ownership; cannot give away without CAP_CHOWN"),
        ALLOW("fchown", "ownership; cannot give away without CAP_CHOWN"),
        ALLOW("lchown", "ownership; cannot give away without CAP_CHOWN"),
        ALLOW("fchownat", "ownership; cannot give away without CAP_CHOWN"),
        ALLOW("umask", "creation mask"),
        ALLOW("utime", "timestamps"),
        ALLOW("utimes", "timestamps"),
        ALLOW("futimesat", "timestamps"),
        ALLOW("utimensat", "timestamps"),
        ALLOW("getxattr", "extended attributes (user.*; others need privilege)"),
        ALLOW("lgetxattr", "extended attributes"),
        ALLOW("fgetxattr", "extended attributes"),
        ALLOW("setxattr", "extended attributes"),
        ALLOW("lsetxattr", "extended attributes"),
        ALLOW("fsetxattr", "extended attributes"),
        ALLOW("listxattr", "extended attributes"),
        ALLOW("llistxattr", "extended attributes"),
        ALLOW("flistxattr", "extended attributes"),
        ALLOW("removexattr", "extended attributes"),
        ALLOW("lremovexattr", "extended attributes"),
        ALLOW("fremovexattr", "extended attributes"),
        ALLOW("sendfile", "in-kernel copy"),
        ALLOW("copy_file_range", "in-kernel copy; cp and coreutils use it"),
        ALLOW("splice", "in-kernel copy through pipes"),
        ALLOW("tee", "in-kernel copy through pipes"),
        ALLOW("vmsplice", "in-kernel copy through pipes"),
        BY_ARG("ioctl", "everything but TIOCSTI/TIOCLINUX, which type into the terminal"),

        /* --- memory --- */
        ALLOW("brk", "heap"),
        ALLOW("mmap", "mappings"),
        ALLOW("munmap", "mappings"),
        ALLOW("mremap", "mappings"),
        ALLOW("mprotect", "mappings; JITs need it"),
        ALLOW("msync", "mappings"),
        ALLOW("mincore", "mappings"),
        ALLOW("madvise", "mappings"),
        ALLOW("process_madvise", "madvise on own children via pidfd"),
        ALLOW("remap_file_pages", "mappings (emulated by the kernel)"),
        ALLOW("mlock", "locking pages, bounded by RLIMIT_MEMLOCK"),
        ALLOW("mlock2", "locking pages, bounded by RLIMIT_MEMLOCK"),
        ALLOW("munlock", "locking pages"),
        ALLOW("mlockall", "locking pages, bounded by RLIMIT_MEMLOCK"),
        ALLOW("munlockall", "locking pages"),
        ALLOW("memfd_create", "anonymous files; Wayland, Mesa and glib use them"),
        ALLOW("membarrier", "JITs and userspace RCU"),
        ALLOW("pkey_mprotect", "memory protection keys"),
        ALLOW("pkey_alloc", "memory protection keys"),
        ALLOW("pkey_free", "memory protection keys"),
        ALLOW("mbind", "NUMA placement"),
        ALLOW("set_mempolicy", "NUMA placement"),
        ALLOW("get_mempolicy", "NUMA placement"),
        ALLOW("set_mempolicy_home_node", "NUMA placement"),
        ALLOW("migrate_pages", "NUMA placement; other processes need CAP_SYS_NICE"),
        ALLOW("move_pages", "NUMA placement; other processes need CAP_SYS_NICE"),
        ALLOW("shmget", "SysV shared memory (the IPC namespace is the sandbox's)"),
        ALLOW("shmat", "SysV shared memory"),
        ALLOW("shmdt", "SysV shared memory"),
        ALLOW("shmctl", "SysV shared memory"),

        /* --- processes and threads --- */
        NESTED_BY_ARG("clone", "fork and threads; namespace flags are denied (nested: allowed)"),
        ALLOW("fork", "processes"),
        ALLOW("vfork", "processes; posix_spawn"),
        ALLOW("execve", "running programs inside the sandbox"),
        ALLOW("execveat", "running programs inside the sandbox (fexecve)"),
        ALLOW("exit", "thread exit"),
        ALLOW("exit_group", "process exit"),
        ALLOW("wait4", "reaping children"),
        ALLOW("waitid", "reaping children"),
        ALLOW("getpid", "identity"),
        ALLOW("getppid", "identity"),
        ALLOW("gettid", "identity"),
        ALLOW("getuid", "identity"),
        ALLOW("geteuid", "identity"),
        ALLOW("getgid", "identity"),
        ALLOW("getegid", "identity"),
        ALLOW("getresuid", "identity"),
        ALLOW("getresgid", "identity"),
        ALLOW("getgroups", "identity"),
        ALLOW("setuid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setgid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setreuid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setregid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setresuid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setresgid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setfsuid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setfsgid", "dropping ids; nothing to gain without capabilities"),
        ALLOW("setgroups", "dropping groups; nothing to gain without capabilities"),
        ALLOW("capget", "reading capabilities"),
        ALLOW("capset", "dropping capabilities"),
        ALLOW("getpgid", "process groups and sessions"),
        ALLOW("setpgid", "process groups and sessions (shells)"),
        ALLOW("getpgrp", "process groups and sessions"),
        ALLOW("getsid", "process groups and sessions"),
        ALLOW("setsid", "process groups and sessions (daemons, terminals)"),
        ALLOW("set_tid_address", "thread start-up (glibc, musl)"),
        ALLOW("set_robust_list", "thread start-up: robust futexes"),
        ALLOW("get_robust_list", "robust futexes"),
        ALLOW("rseq", "restartable sequences, registered by glibc at start"),
        ALLOW("futex", "locks and condition variables"),
        ALLOW("futex_waitv", "multi-futex wait; Wine/Proton's fsync uses it"),
        ALLOW("set_thread_area", "TLS for 32-bit code (Wine)"),
        ALLOW("get_thread_area", "TLS for 32-bit code (Wine)"),
        ALLOW("arch_prctl", "TLS base and CPUID faulting"),
        ALLOW("prctl", "process attributes; the dangerous ones need capabilities"),
        ALLOW("seccomp", "apps may confine themselves further (NNP is set)"),
        ALLOW("landlock_create_ruleset", "apps may confine themselves further"),
        ALLOW("landlock_add_rule", "apps may confine themselves further"),
        ALLOW("landlock_restrict_self", "apps may confine themselves further"),
        BY_ARG("personality", "only the Linux, 32-bit and no-ASLR personalities and the query"),
        ALLOW("ptrace", "debuggers; the pid namespace confines it to the sandbox"),
        ALLOW("process_vm_readv", "debuggers; the pid namespace confines it"),
        ALLOW("process_vm_writev", "debuggers; the pid namespace confines it"),
        ALLOW("kcmp", "debuggers and CRIU-like tools; the pid namespace confines it"),
        ALLOW("pidfd_open", "race-free process handles"),
        ALLOW("pidfd_send_signal", "race-free signalling"),
        ALLOW("pidfd_getfd", "fd passing from own children (ptrace-mode checked)"),
        ALLOW("getpriority", "scheduling"),
        ALLOW("setpriority", "scheduling; raising priority needs CAP_SYS_NICE"),
        ALLOW("sched_yield", "scheduling"),
        ALLOW("sched_setaffinity", "scheduling"),
        ALLOW("sched_getaffinity", "scheduling; thread-pool sizing"),
        ALLOW("sched_setparam", "scheduling; realtime needs RLIMIT_RTPRIO"),
        ALLOW("sched_getparam", "scheduling"),
        ALLOW("sched_setscheduler", "scheduling; realtime needs RLIMIT_RTPRIO"),
        ALLOW("sched_getscheduler", "scheduling"),
        ALLOW("sched_setattr", "scheduling; realtime needs RLIMIT_RTPRIO"),
        ALLOW("sched_getattr", "scheduling"),
        ALLOW("sched_get_priority_max", "scheduling"),
        ALLOW("sched_get_priority_min", "scheduling"),
        ALLOW("sched_rr_get_interval", "scheduling"),
        ALLOW("getcpu", "scheduling"),
        ALLOW("ioprio_get", "I/O priority"),
        ALLOW("ioprio_set", "I/O priority; raising it needs CAP_SYS_ADMIN"),
        ALLOW("getrlimit", "resource limits"),
        ALLOW("setrlimit", "resource limits; raising hard limits needs CAP_SYS_RESOURCE"),
        ALLOW("prlimit64", "resource limits"),
        ALLOW("getrusage", "accounting"),
        ALLOW("times", "accounting"),
        ALLOW("sysinfo", "memory and uptime figures"),
        ALLOW("uname", "system identity"),
        ALLOW("getrandom", "randomness"),
        ALLOW("restart_syscall", "the kernel restarts interrupted sleeps through it"),
        NESTED_BY_ARG("unshare", "CLONE_FS/FILES/SYSVSEM only: new namespaces are denied (nested: all)"),
        NESTED("setns", "entering other namespaces"),

        /* --- signals --- */
        ALLOW("rt_sigaction", "signals"),
        ALLOW("rt_sigprocmask", "signals"),
        ALLOW("rt_sigreturn", "returning from a signal handler"),
        ALLOW("rt_sigpending", "signals"),
        ALLOW("rt_sigtimedwait", "signals"),
        ALLOW("rt_sigsuspend", "signals"),
        ALLOW("rt_sigqueueinfo", "signals; the pid namespace confines the target"),
        ALLOW("rt_tgsigqueueinfo", "signals; the pid namespace confines the target"),
        ALLOW("sigaltstack", "signal stacks (stack-overflow handlers)"),
        ALLOW("kill", "signals; the pid namespace confines the target"),
        ALLOW("tkill", "signals; the pid namespace confines the target"),
        ALLOW("tgkill", "signals; the pid namespace confines the target"),
        ALLOW("pause", "waiting for a signal"),
        ALLOW("signalfd", "signals as fds"),
        ALLOW("signalfd4", "signals as fds"),

        /* --- time --- */
        ALLOW("nanosleep", "sleeping"),
        ALLOW("clock_nanosleep", "sleeping"),
        ALLOW("clock_gettime", "clocks (normally vDSO)"),
        ALLOW("clock_getres", "clocks"),
        ALLOW("gettimeofday", "clocks (normally vDSO)"),
        ALLOW("time", "clocks (normally vDSO)"),
        ALLOW("alarm", "timers"),
        ALLOW("getitimer", "timers"),
        ALLOW("setitimer", "timers"),
        ALLOW("timer_create", "POSIX timers"),
        ALLOW("timer_settime", "POSIX timers"),
        ALLOW("timer_gettime", "POSIX timers"),
        ALLOW("timer_getoverrun", "POSIX timers"),
        ALLOW("timer_delete", "POSIX timers"),
        ALLOW("timerfd_create", "timers as fds"),
        ALLOW("timerfd_settime", "timers as fds"),
        ALLOW("timerfd_gettime", "timers as fds"),

        /* --- event loops --- */
        ALLOW("poll", "waiting on fds"),
        ALLOW("ppoll", "waiting on fds"),
        ALLOW("select", "waiting on fds"),
        ALLOW("pselect6", "waiting on fds"),
        ALLOW("epoll_create", "waiting on fds"),
        ALLOW("epoll_create1", "waiting on fds"),
        ALLOW("epoll_ctl", "waiting on fds"),
        ALLOW("epoll_wait", "waiting on fds"),
        ALLOW("epoll_pwait", "waiting on fds"),
        ALLOW("epoll_pwait2", "waiting on fds with a timespec timeout"),
        ALLOW("eventfd", "wake-ups as fds"),
        ALLOW("eventfd2", "wake-ups as fds"),
        ALLOW("inotify_init", "file change notification (only what the app can see)"),
        ALLOW("inotify_init1", "file change notification (only what the app can see)"),
        ALLOW("inotify_add_watch", "file change notification"),
        ALLOW("inotify_rm_watch", "file change notification"),
        ALLOW("io_setup", "Linux AIO (databases, libaio); unlike io_uring it bypasses nothing"),
        ALLOW("io_destroy", "Linux AIO"),
        ALLOW("io_submit", "Linux AIO"),
        ALLOW("io_cancel", "Linux AIO"),
        ALLOW("io_getevents", "Linux AIO"),
        ALLOW("io_pgetevents", "Linux AIO"),

        /* --- IPC --- */
        ALLOW("semget", "SysV semaphores (the IPC namespace is the sandbox's)"),
        ALLOW("semop", "SysV semaphores"),
        ALLOW("semtimedop", "SysV semaphores"),
        ALLOW("semctl", "SysV semaphores"),
        ALLOW("msgget", "SysV message queues"),
        ALLOW("msgsnd", "SysV message queues"),
        ALLOW("msgrcv", "SysV message queues"),
        ALLOW("msgctl", "SysV message queues"),
        ALLOW("mq_open", "POSIX message queues (the IPC namespace is the sandbox's)"),
        ALLOW("mq_unlink", "POSIX message queues"),
        ALLOW("mq_timedsend", "POSIX message queues"),
        ALLOW("mq_timedreceive", "POSIX message queues"),
        ALLOW("mq_notify", "POSIX message queues"),
        ALLOW("mq_getsetattr", "POSIX message queues"),

        /* --- sockets: which families exist is decided at socket()/socketpair() --- */
        BY_ARG("socket", "AF_UNIX, AF_INET, AF_INET6 only"),
        BY_ARG("socketpair", "AF_UNIX, AF_INET, AF_INET6 only"),
        /* With shared=network the app's network namespace has only its own
         * loopback; connect traps to the gateway, which connects for it. */
        RULE("connect", EMP_SC_ALLOW, EMP_SC_NET_NOTIFY, "sockets (the gateway decides where they lead)"),
        ALLOW("accept", "sockets"),
        ALLOW("accept4", "sockets"),
        /* shared=network: a bind may ask to serve on the host (network:listen:PORT). */
        RULE("bind", EMP_SC_ALLOW, EMP_SC_NET_NOTIFY, "sockets"),
        ALLOW("listen", "sockets"),
        /* shared=network: performed by the gateway, so a host listener
         * never becomes a bound, unconnected host socket (see net.c). */
        RULE("shutdown", EMP_SC_ALLOW, EMP_SC_NET_NOTIFY, "sockets"),
        ALLOW("getsockname", "sockets"),
        ALLOW("getpeername", "sockets"),
        ALLOW("getsockopt", "sockets"),
        ALLOW("setsockopt", "sockets"),
        /* Not trapped even with shared=network: an app's sockets are its own
         * namespace's or established/listening TCP ones of the gateway's, on
         * which an address changes nothing. */
        /* shared=network: a send with a destination traps, so the gateway
         * can decide it and make the destination's UDP peer; the send itself
         * is then continued — in the app's namespace it can reach only the
         * peers of destinations already allowed (see net.c). sendto's
         * destination is a register (no destination, no trap); sendmsg's is in
         * memory, so every sendmsg traps and one without a name is continued. */
        RULE("sendto", EMP_SC_ALLOW, EMP_SC_NET_NOTIFY_ADDR, "sockets"),
        ALLOW("recvfrom", "sockets"),
        RULE("sendmsg", EMP_SC_ALLOW, EMP_SC_NET_NOTIFY, "sockets (fd passing)"),
        ALLOW("recvmsg", "sockets (fd passing)"),
        RULE("sendmmsg", EMP_SC_ALLOW, EMP_SC_NET_NOTIFY, "sockets (batched; DNS resolvers)"),
        ALLOW("recvmmsg", "sockets (batched)"),

        /* --- explicitly ENOSYS: the caller has a fallback --- */
        NOSYS("clone3", "its flags sit in memory, out of the filter's reach; glibc falls back to clone"),

        /* --- known dangerous: kernel attack surface no app needs --- */
        DENY("io_uring_setup", "io_uring: large attack surface, and its ops bypass this filter"),
        DENY("io_uring_enter", "io_uring: large attack surface, and its ops bypass this filter"),
        DENY("io_uring_register", "io_uring: large attack surface, and its ops bypass this filter"),
        DENY("bpf", "eBPF: verifier bugs are a classic escalation path"),
        DENY("userfaultfd", "stalls kernel copies at will: makes kernel races exploitable"),
        DENY("perf_event_open", "kernel profiling: info leaks and a history of bugs"),
        DENY("kexec_load", "replacing the running kernel"),
        DENY("kexec_file_load", "replacing the running kernel"),
        DENY("init_module", "loading kernel code"),
        DENY("finit_module", "loading kernel code"),
        DENY("delete_module", "unloading kernel code"),
        DENY("create_module", "obsolete module interface"),
        DENY("query_module", "obsolete module interface"),
        DENY("get_kernel_syms", "obsolete module interface"),
        NESTED("mount", "the mount view is the file policy"),
        NESTED("umount2", "the mount view is the file policy"),
        NESTED("pivot_root", "the mount view is the file policy"),
        NESTED("chroot", "the mount view is the file policy; Chromium's nested sandbox uses it"),
        NESTED("fsopen", "new mount API: the mount view is the file policy"),
        NESTED("fsconfig", "new mount API: the mount view is the file policy"),
        NESTED("fsmount", "new mount API: the mount view is the file policy"),
        NESTED("fspick", "new mount API: the mount view is the file policy"),
        NESTED("move_mount", "new mount API: the mount view is the file policy"),
        NESTED("open_tree", "new mount API: the mount view is the file policy"),
        NESTED("mount_setattr", "new mount API: the mount view is the file policy"),
        NESTED("sethostname", "UTS identity; nested sandboxes set their own"),
        NESTED("setdomainname", "UTS identity; nested sandboxes set their own"),
        DENY("open_by_handle_at", "opens files by handle, past the mount view (shocker)"),
        DENY("name_to_handle_at", "file handles are only useful to open_by_handle_at"),
        DENY("keyctl", "kernel keyrings are not namespaced"),
        DENY("add_key", "kernel keyrings are not namespaced"),
        DENY("request_key", "kernel keyrings are not namespaced"),
        DENY("fanotify_init", "filesystem-wide monitoring"),
        DENY("fanotify_mark", "useless without fanotify_init"),
        DENY("swapon", "host administration"),
        DENY("swapoff", "host administration"),
        DENY("reboot", "host administration"),
        DENY("acct", "host administration"),
        DENY("quotactl", "host administration"),
        DENY("quotactl_fd", "host administration"),
        DENY("syslog", "kernel log: address leaks"),
        DENY("settimeofday", "setting the host clock"),
        DENY("clock_settime", "setting the host clock"),
        DENY("clock_adjtime", "tuning the host clock"),
        DENY("adjtimex", "tuning the host clock (read-only use is rare)"),
        DENY("iopl", "raw I/O port access"),
        DENY("ioperm", "raw I/O port access"),
        DENY("modify_ldt", "LDT: a history of kernel bugs; 16-bit code needs it"),
        DENY("uselib", "obsolete a.out loader"),
        DENY("vhangup", "hangs up the terminal"),
        DENY("lookup_dcookie", "kernel profiling"),
        DENY("nfsservctl", "obsolete NFS server control"),

        /* --- i386 only: the multiarch variant (Steam, Wine) --- */
        I386_ALLOW("_llseek", "32-bit: file offset"),
        I386_ALLOW("_newselect", "32-bit: select"),
        I386_ALLOW("mmap2", "32-bit: mappings"),
        I386_ALLOW("fcntl64", "32-bit: fcntl"),
        I386_ALLOW("stat64", "32-bit: file metadata"),
        I386_ALLOW("lstat64", "32-bit: file metadata"),
        I386_ALLOW("fstat64", "32-bit: file metadata"),
        I386_ALLOW("fstatat64", "32-bit: file metadata"),
        I386_ALLOW("statfs64", "32-bit: filesystem metadata"),
        I386_ALLOW("fstatfs64", "32-bit: filesystem metadata"),
        I386_ALLOW("truncate64", "32-bit: file size"),
        I386_ALLOW("ftruncate64", "32-bit: file size"),
        I386_ALLOW("sendfile64", "32-bit: in-kernel copy"),
        I386_ALLOW("fadvise64_64", "32-bit: page cache hints"),
        I386_ALLOW("getuid32", "32-bit: identity"),
        I386_ALLOW("geteuid32", "32-bit: identity"),
        I386_ALLOW("getgid32", "32-bit: identity"),
        I386_ALLOW("getegid32", "32-bit: identity"),
        I386_ALLOW("getresuid32", "32-bit: identity"),
        I386_ALLOW("getresgid32", "32-bit: identity"),
        I386_ALLOW("getgroups32", "32-bit: identity"),
        I386_ALLOW("setuid32", "32-bit: dropping ids"),
        I386_ALLOW("setgid32", "32-bit: dropping ids"),
        I386_ALLOW("setreuid32", "32-bit: dropping ids"),
        I386_ALLOW("setregid32", "32-bit: dropping ids"),
        I386_ALLOW("setresuid32", "32-bit: dropping ids"),
        I386_ALLOW("setresgid32", "32-bit: dropping ids"),
        I386_ALLOW("setfsuid32", "32-bit: dropping ids"),
        I386_ALLOW("setfsgid32", "32-bit: dropping ids"),
        I386_ALLOW("setgroups32", "32-bit: dropping groups"),
        I386_ALLOW("chown32", "32-bit: ownership"),
        I386_ALLOW("fchown32", "32-bit: ownership"),
        I386_ALLOW("lchown32", "32-bit: ownership"),
        I386_ALLOW("ugetrlimit", "32-bit: resource limits"),
        I386_ALLOW("waitpid", "32-bit: reaping children"),
        I386_ALLOW("nice", "32-bit: scheduling"),
        I386_ALLOW("sigaction", "32-bit: old signal API"),
        I386_ALLOW("sigprocmask", "32-bit: old signal API"),
        I386_ALLOW("sigreturn", "32-bit: returning from an old-style handler"),
        I386_ALLOW("sigsuspend", "32-bit: old signal API"),
        I386_ALLOW("sigpending", "32-bit: old signal API"),
        I386_ALLOW("signal", "32-bit: old signal API"),
        I386_ALLOW("sgetmask", "32-bit: old signal API"),
        I386_ALLOW("ssetmask", "32-bit: old signal API"),
        I386_ALLOW("olduname", "32-bit: system identity"),
        /* socketcall carries its arguments in memory, so the family check cannot
         * apply to it: 32-bit code can open any socket family.  Denying it would
         * cut 32-bit networking (Debian's i386 glibc calls socket() through it). */
        /* With shared=network it traps: its connect, bind, shutdown and
         * sends are the gateway's as on the direct calls (broker.c decodes
         * the call number and arguments); the others are continued. */
        RULE("socketcall", EMP_SC_ALLOW, EMP_SC_I386_ONLY | EMP_SC_NET_NOTIFY,
             "32-bit: multiplexed sockets; family unfilterable"),
        I386_ALLOW("ipc", "32-bit: multiplexed SysV IPC"),
        I386_ALLOW("clock_gettime64", "32-bit: time64 clocks"),
        I386_ALLOW("clock_getres_time64", "32-bit: time64 clocks"),
        I386_ALLOW("clock_nanosleep_time64", "32-bit: time64 sleeping"),
        I386_ALLOW("futex_time64", "32-bit: time64 futex"),
        I386_ALLOW("ppoll_time64", "32-bit: time64 poll"),
        I386_ALLOW("pselect6_time64", "32-bit: time64 select"),
        I386_ALLOW("recvmmsg_time64", "32-bit: time64 sockets"),
        I386_ALLOW("semtimedop_time64", "32-bit: time64 SysV semaphores"),
        I386_ALLOW("timer_settime64", "32-bit: time64 timers"),
        I386_ALLOW("timer_gettime64", "32-bit: time64 timers"),
        I386_ALLOW("timerfd_settime64", "32-bit: time64 timers"),
        I386_ALLOW("timerfd_gettime64", "32-bit: time64 timers"),
        I386_ALLOW("utimensat_time64", "32-bit: time64 timestamps"),
        I386_ALLOW("io_pgetevents_time64", "32-bit: time64 AIO"),
        I386_ALLOW("mq_timedsend_time64", "32-bit: time64 message queues"),
        I386_ALLOW("mq_timedreceive_time64", "32-bit: time64 message queues"),
        I386_ALLOW("rt_sigtimedwait_time64", "32-bit: time64 signals"),
        I386_ALLOW("sched_rr_get_interval_time64", "32-bit: time64 scheduling"),
        I386_DENY("clock_settime64", "32-bit: setting the host clock"),
        I386_DENY("clock_adjtime64", "32-bit: tuning the host clock"),
        I386_DENY("stime", "32-bit: setting the host clock"),
        I386_DENY("vm86", "32-bit: virtual 8086 mode"),
        I386_DENY("vm86old", "32-bit: virtual 8086 mode"),
        I386_NESTED("umount", "32-bit: the mount view is the file policy"),
};
const size_t emp_seccomp_rule_count = sizeof(emp_seccomp_rules) / sizeof(emp_seccomp_rules[0]);

/* clone()'s low byte is the exit signal, so CLONE_NEWTIME (0x80) is not a flag
 * there; unshare() does take it. */
#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
                        CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static const struct emp_seccomp_value no_namespace[] = {
        { 0, EMP_SC_ALLOW, "no CLONE_NEW* flag" },
};
static const struct emp_seccomp_value tty_injection[] = {
        { TIOCSTI, EMP_SC_EPERM, "TIOCSTI" },     /* pushes input into the terminal */
        { TIOCLINUX, EMP_SC_EPERM, "TIOCLINUX" }, /* console selection: pastes input */
};
static const struct emp_seccomp_value socket_families[] = {
        { AF_UNIX, EMP_SC_ALLOW, "AF_UNIX" },
        { AF_INET, EMP_SC_ALLOW, "AF_INET" },
        { AF_INET6, EMP_SC_ALLOW, "AF_INET6" },
};
static const struct emp_seccomp_value personalities[] = {
        { PER_LINUX, EMP_SC_ALLOW, "PER_LINUX" },
        { PER_LINUX32, EMP_SC_ALLOW, "PER_LINUX32" },     /* setarch i686 */
        { ADDR_NO_RANDOMIZE, EMP_SC_ALLOW, "ADDR_NO_RANDOMIZE" }, /* debuggers */
        { PER_LINUX32 | ADDR_NO_RANDOMIZE, EMP_SC_ALLOW, "PER_LINUX32|ADDR_NO_RANDOMIZE" },
        { 0xffffffffu, EMP_SC_ALLOW, "query" },
};

#define VALUES(v) .values = (v), .n_values = sizeof(v) / sizeof((v)[0])
const struct emp_seccomp_arg_rule emp_seccomp_arg_rules[] = {
        { .name = "ioctl", .arg = 1, .bits = 0xffffffffu, VALUES(tty_injection),
          .otherwise = EMP_SC_ALLOW,
          .why = "fake terminal input reaches the user's shell outside (CVE-2017-5226)" },
        { .name = "socket", .arg = 0, .bits = 0xffffffffu, VALUES(socket_families),
          .otherwise = EMP_SC_EAFNOSUPPORT,
          .why = "netlink, packet, vsock, bluetooth...: kernel surface no app needs" },
        { .name = "socketpair", .arg = 0, .bits = 0xffffffffu, VALUES(socket_families),
          .otherwise = EMP_SC_EAFNOSUPPORT, .why = "same families as socket()" },
        { .name = "clone", .arg = 0, .bits = CLONE_NS_FLAGS, VALUES(no_namespace),
          .otherwise = EMP_SC_EPERM, .why = "new namespaces are kernel surface (user ns)" },
        { .name = "unshare", .arg = 0, .bits = CLONE_NS_FLAGS | CLONE_NEWTIME, VALUES(no_namespace),
          .otherwise = EMP_SC_EPERM, .why = "new namespaces; CLONE_FS/FILES stay usable" },
        { .name = "personality", .arg = 0, .bits = 0xffffffffu, VALUES(personalities),
          .otherwise = EMP_SC_EPERM,
          .why = "READ_IMPLIES_EXEC, MMAP_PAGE_ZERO...: weaken the app's own hardening" },
};
const size_t emp_seccomp_arg_rule_count =
        sizeof(emp_seccomp_arg_rules) / sizeof(emp_seccomp_arg_rules[0]);

const struct emp_seccomp_rule *emp_seccomp_rule_find(const char *name)
{
        for (size_t i = 0; i < emp_seccomp_rule_count; i++)
                if (strcmp(emp_seccomp_rules[i].name, name) == 0)
                        return &emp_seccomp_rules[i];
        return NULL;
}

const struct emp_seccomp_arg_rule *emp_seccomp_arg_rule_find(const char *name)
{
        for (size_t i = 0; i < emp_seccomp_arg_rule_count; i++)
                if (strcmp(emp_seccomp_arg_rules[i].name, name) == 0)
                        return &emp_seccomp_arg_rules[i];
        return NULL;
}

bool emp_seccomp_rule_in_variant(const struct emp_seccomp_rule *r, unsigned variant)
{
        return !(r->flags & EMP_SC_I386_ONLY) || (variant & EMP_SECCOMP_MULTIARCH);
}

enum emp_sc_action emp_seccomp_rule_action(const struct emp_seccomp_rule *r, unsigned variant)
{
        if ((r->flags & EMP_SC_NESTED_ALLOW) && (variant & EMP_SECCOMP_NESTED))
                return EMP_SC_ALLOW;
        if ((r->flags & EMP_SC_BROKER_NOTIFY) && (variant & EMP_SECCOMP_BROKERED))
                return EMP_SC_NOTIFY;
        if ((r->flags & EMP_SC_BROKER_ENOSYS) && (variant & EMP_SECCOMP_BROKERED))
                return EMP_SC_ENOSYS;
        if ((r->flags & (EMP_SC_NET_NOTIFY | EMP_SC_NET_NOTIFY_ADDR)) && (variant & EMP_SECCOMP_NETWORK))
                return EMP_SC_NOTIFY;
        return (enum emp_sc_action)r->action;
}

struct emp_seccomp_counts emp_seccomp_count(unsigned variant)
{
        struct emp_seccomp_counts c = { 0 };
        for (size_t i = 0; i < emp_seccomp_rule_count; i++) {
                const struct emp_seccomp_rule *r = &emp_seccomp_rules[i];
                if (!emp_seccomp_rule_in_variant(r, variant))
                        continue;
                switch (emp_seccomp_rule_action(r, variant)) {
                case EMP_SC_ALLOW: c.allowed++; break;
                case EMP_SC_EPERM: c.eperm++; break;
                case EMP_SC_BY_ARG: c.by_arg++; break;
                case EMP_SC_NOTIFY: c.notify++; break;
                default: c.enosys++; break;
                }
        }
        return c;
}

/* "A/B/C" from the labels of one argument rule's values that get `action`. */
static void labels_join(const char *syscall, enum emp_sc_action action, char *buf, size_t size)
{
        const struct emp_seccomp_arg_rule *a = emp_seccomp_arg_rule_find(syscall);
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; a && i < a->n_values && used < size; i++) {
                if (a->values[i].action != action)
                        continue;
                int n = snprintf(buf + used, size - used, "%s%s", used ? "/" : "", a->values[i].label);
                if (n < 0)
                        break;
                used += (size_t)n;
        }
}

int emp_seccomp_describe(unsigned variant, char *buf, size_t size)
{
        struct emp_seccomp_counts c = emp_seccomp_count(variant);
        char tty[64], families[64];
        labels_join("ioctl", EMP_SC_EPERM, tty, sizeof(tty));
        labels_join("socket", EMP_SC_ALLOW, families, sizeof(families));
        bool multiarch = variant & EMP_SECCOMP_MULTIARCH, nested = variant & EMP_SECCOMP_NESTED;
        char trapped[48] = "";
        if (c.notify)
                snprintf(trapped, sizeof(trapped), "%u trapped to the broker, ", c.notify);
        return snprintf(buf, size,
                        "default-deny (ENOSYS), %u allowed, %s%u EPERM, %u by argument, %s, "
                        "x32 denied, %s denied, sockets %s%s, %s",
                        c.allowed, trapped, c.eperm, c.by_arg,
                        multiarch ? "x86_64 + i386" : "x86_64 only (i386 denied)", tty, families,
                        multiarch ? " (i386 socketcall unfiltered)" : "",
                        nested ? "nested namespaces and mounts allowed" : "no new namespaces, no mounts");
}
