/* test_seccomp_table.c — the seccomp rule table is sound, the generated BPF does
 * what the table says (checked by a small BPF interpreter), and a real install works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/seccomp.h"
#include "launcher/seccomp_filters.h"
#include "launcher/seccomp_table.h"

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))
#define RET_BROKEN 0xdeadbeefu /* the interpreter met something it cannot run */

static const unsigned all_variants[] = {
        0, EMP_SECCOMP_MULTIARCH, EMP_SECCOMP_NESTED, EMP_SECCOMP_MULTIARCH | EMP_SECCOMP_NESTED,
        EMP_SECCOMP_BROKERED, EMP_SECCOMP_BROKERED | EMP_SECCOMP_MULTIARCH,
        EMP_SECCOMP_BROKERED | EMP_SECCOMP_NESTED,
        EMP_SECCOMP_BROKERED | EMP_SECCOMP_MULTIARCH | EMP_SECCOMP_NESTED,
        EMP_SECCOMP_NETWORK, EMP_SECCOMP_NETWORK | EMP_SECCOMP_MULTIARCH,
        EMP_SECCOMP_NETWORK | EMP_SECCOMP_BROKERED | EMP_SECCOMP_MULTIARCH | EMP_SECCOMP_NESTED,
};
#define N_VARIANTS (sizeof(all_variants) / sizeof(all_variants[0]))

/* DESIGN.md §5's "always denied" list. */
static const char *const always_denied[] = {
        "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "userfaultfd",
        "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module",
        "delete_module", "open_by_handle_at", "keyctl", "add_key", "request_key",
};
/* Denied unless the manifest grants nested sandboxes. */
static const char *const denied_unless_nested[] = {
        "mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
        "move_mount", "open_tree", "mount_setattr", "setns", "chroot",
};
/* What every ordinary program, debugger or runtime needs. */
static const char *const must_allow[] = {
        "read", "write", "openat", "close", "mmap", "mprotect", "munmap", "brk",
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall", "futex",
        "execve", "exit_group", "wait4", "set_robust_list", "rseq", "statx", "getrandom",
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "seccomp", "prctl",
        "landlock_restrict_self", "memfd_create", "pidfd_open", "epoll_pwait2", "close_range",
};

static uint32_t expected_ret(enum emp_sc_action action)
{
        switch (action) {
        case EMP_SC_ALLOW: return RET_ALLOW;
        case EMP_SC_EPERM: return RET_ERRNO(EPERM);
        case EMP_SC_EAFNOSUPPORT: return RET_ERRNO(EAFNOSUPPORT);
        case EMP_SC_NOTIFY: return SECCOMP_RET_USER_NOTIF;
        default: return RET_ERRNO(ENOSYS);
        }
}

/* ---- a classic-BPF interpreter, enough for what libseccomp emits ---- */

static uint32_t bpf_jump(const struct sock_filter *i, uint32_t a, uint32_t x)
{
        uint32_t operand = BPF_SRC(i->code) == BPF_X ? x : i->k;
        switch (BPF_OP(i->code)) {
        case BPF_JA: return i->k;
        case BPF_JEQ: return a == operand ? i->jt : i->jf;
        case BPF_JGT: return a > operand ? i->jt : i->jf;
        case BPF_JGE: return a >= operand ? i->jt : i->jf;
        case BPF_JSET: return (a & operand) ? i->jt : i->jf;
        default: return UINT32_MAX;
        }
}

static int bpf_alu(const struct sock_filter *i, uint32_t *a, uint32_t x)
{
        uint32_t operand = BPF_SRC(i->code) == BPF_X ? x : i->k;
        switch (BPF_OP(i->code)) {
        case BPF_AND: *a &= operand; return 0;
        case BPF_OR: *a |= operand; return 0;
        case BPF_ADD: *a += operand; return 0;
        case BPF_SUB: *a -= operand; return 0;
        case BPF_RSH: *a = operand < 32 ? *a >> operand : 0; return 0;
        case BPF_LSH: *a = operand < 32 ? *a << operand : 0; return 0;
        default: return -1;
        }
}

static uint32_t bpf_run(const struct emp_seccomp_filter *f, const struct seccomp_data *d)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
        for (size_t pc = 0; pc < f->len; pc++) {
                const struct sock_filter *i = &f->insns[pc];
                uint32_t off;
                switch (i->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (i->k % 4 || i->k + 4 > sizeof(*d))
                                return RET_BROKEN;
                        memcpy(&a, (const char *)d + i->k, 4);
                        continue;
                case BPF_LD | BPF_IMM: a = i->k; continue;
                case BPF_LDX | BPF_IMM: x = i->k; continue;
                case BPF_LD | BPF_MEM: a = i->k < BPF_MEMWORDS ? mem[i->k] : 0; continue;
                case BPF_LDX | BPF_MEM: x = i->k < BPF_MEMWORDS ? mem[i->k] : 0; continue;
                case BPF_ST: if (i->k < BPF_MEMWORDS) mem[i->k] = a; continue;
                case BPF_STX: if (i->k < BPF_MEMWORDS) mem[i->k] = x; continue;
                case BPF_MISC | BPF_TAX: x = a; continue;
                case BPF_MISC | BPF_TXA: a = x; continue;
                case BPF_RET | BPF_K: return i->k;
                case BPF_RET | BPF_A: return a;
                }
                if (BPF_CLASS(i->code) == BPF_ALU) {
                        if (bpf_alu(i, &a, x) < 0)
                                return RET_BROKEN;
                } else if (BPF_CLASS(i->code) == BPF_JMP) {
                        if ((off = bpf_jump(i, a, x)) == UINT32_MAX)
                                return RET_BROKEN;
                        pc += off;
                } else {
                        return RET_BROKEN;
                }
        }
        return RET_BROKEN; /* fell off the end: the kernel would refuse the program */
}

static uint32_t run_call(unsigned variant, uint32_t arch, int nr, unsigned argi, uint64_t arg)
{
        struct seccomp_data d = { .nr = nr, .arch = arch, .instruction_pointer = 0x401000 };
        d.args[argi] = arg;
        return bpf_run(emp_seccomp_filter_get(variant), &d);
}

/* ---- the table itself ---- */

static int resolve_for(const struct emp_seccomp_rule *r)
{
        uint32_t arch = (r->flags & EMP_SC_I386_ONLY) ? SCMP_ARCH_X86 : SCMP_ARCH_X86_64;
        return seccomp_syscall_resolve_name_arch(arch, r->name);
}

static void test_every_name_resolves(void **state)
{
        for (size_t i = 0; i < emp_seccomp_rule_count; i++) {
                const struct emp_seccomp_rule *r = &emp_seccomp_rules[i];
                if (resolve_for(r) < 0)
                        fail_msg("\"%s\" does not resolve", r->name);
                if (!(r->flags & EMP_SC_I386_ONLY))
                        assert_true(seccomp_syscall_resolve_name(r->name) >= 0);
                assert_non_null(r->why);
                assert_true(strlen(r->why) > 0);
        }
}

/* Whether a rule is in the given arch's table, and its number there. */
static int number_on(const struct emp_seccomp_rule *r, uint32_t scmp_arch)
{
        if (scmp_arch == SCMP_ARCH_X86_64 && (r->flags & EMP_SC_I386_ONLY))
                return -1;
        return seccomp_syscall_resolve_name_arch(scmp_arch, r->name);
}

static void test_no_duplicates(void **state)
{
        /* By name, and by number on each arch: two names of one syscall would fight. */
        static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86 };
        for (size_t i = 0; i < emp_seccomp_rule_count; i++)
                for (size_t j = 0; j < i; j++) {
                        const struct emp_seccomp_rule *a = &emp_seccomp_rules[i], *b = &emp_seccomp_rules[j];
                        if (strcmp(a->name, b->name) == 0)
                                fail_msg("\"%s\" listed twice", a->name);
                        for (size_t k = 0; k < 2; k++) {
                                int na = number_on(a, arches[k]), nb = number_on(b, arches[k]);
                                if (na >= 0 && na == nb)
                                        fail_msg("\"%s\" and \"%s\" are one syscall", a->name, b->name);
                        }
                }
}

static void test_arg_rules_match_table(void **state)
{
        for (size_t i = 0; i < emp_seccomp_arg_rule_count; i++) {
                const struct emp_seccomp_arg_rule *a = &emp_seccomp_arg_rules[i];
                const struct emp_seccomp_rule *r = emp_seccomp_rule_find(a->name);
                assert_non_null(r);
                assert_int_equal(r->action, EMP_SC_BY_ARG);
                assert_true(a->arg < 6);
                assert_true(a->n_values > 0);
        }
        for (size_t i = 0; i < emp_seccomp_rule_count; i++)
                if (emp_seccomp_rules[i].action == EMP_SC_BY_ARG)
                        assert_non_null(emp_seccomp_arg_rule_find(emp_seccomp_rules[i].name));
}

static void expect_action(const char *name, unsigned variant, enum emp_sc_action want)
{
        const struct emp_seccomp_rule *r = emp_seccomp_rule_find(name);
        if (!r)
                fail_msg("\"%s\" missing from the table", name);
        if (emp_seccomp_rule_action(r, variant) != want)
                fail_msg("\"%s\" in variant %u: action %d, want %d", name, variant,
                         emp_seccomp_rule_action(r, variant), want);
}

static void test_dangerous_are_eperm(void **state)
{
        for (size_t v = 0; v < N_VARIANTS; v++) {
                unsigned variant = all_variants[v];
                bool nested = variant & EMP_SECCOMP_NESTED;
                for (size_t i = 0; i < sizeof(always_denied) / sizeof(*always_denied); i++)
                        expect_action(always_denied[i], variant, EMP_SC_EPERM);
                for (size_t i = 0; i < sizeof(denied_unless_nested) / sizeof(*denied_unless_nested); i++)
                        expect_action(denied_unless_nested[i], variant,
                                      nested ? EMP_SC_ALLOW : EMP_SC_EPERM);
                expect_action("clone", variant, nested ? EMP_SC_ALLOW : EMP_SC_BY_ARG);
                expect_action("unshare", variant, nested ? EMP_SC_ALLOW : EMP_SC_BY_ARG);
                expect_action("clone3", variant, EMP_SC_ENOSYS);
                expect_action("ioctl", variant, EMP_SC_BY_ARG);
                expect_action("socket", variant, EMP_SC_BY_ARG);
                expect_action("socketpair", variant, EMP_SC_BY_ARG);
        }
}

static void test_nothing_both_allowed_and_denied(void **state)
{
        for (size_t i = 0; i < sizeof(must_allow) / sizeof(*must_allow); i++) {
                const struct emp_seccomp_rule *r = emp_seccomp_rule_find(must_allow[i]);
                if (!r || r->action != EMP_SC_ALLOW)
                        fail_msg("\"%s\" must be allowed", must_allow[i]);
        }
        for (size_t i = 0; i < sizeof(always_denied) / sizeof(*always_denied); i++)
                for (size_t j = 0; j < sizeof(must_allow) / sizeof(*must_allow); j++)
                        assert_string_not_equal(always_denied[i], must_allow[j]);
}

/* The value an argument rule should give, straight from the table's meaning. */
static uint32_t arg_expected(const struct emp_seccomp_arg_rule *a, uint64_t arg)
{
        uint32_t low = (uint32_t)arg & a->bits;
        for (size_t i = 0; i < a->n_values; i++)
                if ((a->values[i].value & a->bits) == low)
                        return expected_ret((enum emp_sc_action)a->values[i].action);
        return expected_ret((enum emp_sc_action)a->otherwise);
}

static void test_variants_nonempty(void **state)
{
        for (unsigned v = 0; v < EMP_SECCOMP_VARIANT_COUNT; v++) {
                const struct emp_seccomp_filter *f = emp_seccomp_filter_get(v);
                assert_non_null(f);
                assert_true(f->len > 0 && f->len <= BPF_MAXINSNS);
                assert_int_equal(BPF_CLASS(f->insns[f->len - 1].code), BPF_RET);
                char want[512];
                emp_seccomp_describe(v, want, sizeof(want));
                assert_string_equal(emp_seccomp_summary(v), want);
                assert_string_equal(f->summary, want);
        }
        assert_null(emp_seccomp_filter_get(EMP_SECCOMP_VARIANT_COUNT));
        struct emp_error err = { 0 };
        assert_int_equal(emp_seccomp_install(99, NULL, &err), -EINVAL);
        assert_true(strncmp(err.msg, "seccomp: ", 9) == 0);
}

/* ---- the generated BPF against the table ---- */

static void check_plain_rules(unsigned variant, uint32_t arch, uint32_t scmp_arch)
{
        for (size_t i = 0; i < emp_seccomp_rule_count; i++) {
                const struct emp_seccomp_rule *r = &emp_seccomp_rules[i];
                enum emp_sc_action action = emp_seccomp_rule_action(r, variant);
                int nr = seccomp_syscall_resolve_name_arch(scmp_arch, r->name);
                if (nr < 0 || action == EMP_SC_BY_ARG)
                        continue; /* not on this arch (or multiplexed), or checked by value */
                if (!emp_seccomp_rule_in_variant(r, variant))
                        action = EMP_SC_ENOSYS;
                /* All arguments 0: a sendto without a destination passes
                 * (test_network_traps_sends checks the other side). */
                if ((r->flags & EMP_SC_NET_NOTIFY_ADDR) && action == EMP_SC_NOTIFY)
                        action = (enum emp_sc_action)r->action;
                uint32_t got = run_call(variant, arch, nr, 0, 0);
                if (got != expected_ret(action))
                        fail_msg("variant %u arch %#x %s(%d): got %#x want %#x", variant, arch,
                                 r->name, nr, got, expected_ret(action));
        }
}

static uint64_t lcg(uint64_t *s)
{
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        return *s >> 11;
}

/* Listed values, each with every single bit flipped, and pseudo-random ones;
 * on x86_64 each also with junk in the high half (sign extension, bugs). */
static void check_arg_rule(unsigned variant, uint32_t arch, int nr, const struct emp_seccomp_arg_rule *a)
{
        static const uint64_t highs[] = { 0, 0xffffffff00000000ull, 1ull << 32, 0xdeadbeef00000000ull };
        size_t n_highs = arch == AUDIT_ARCH_X86_64 ? 4 : 1;
        uint64_t seed = 42;
        for (size_t i = 0; i < a->n_values * 33 + 4096; i++) {
                uint32_t low;
                if (i < a->n_values * 33)
                        low = a->values[i / 33].value ^ (i % 33 ? 1u << (i % 33 - 1) : 0);
                else
                        low = (uint32_t)lcg(&seed) & (i % 2 ? 0xffffffffu : 0xffffu);
                for (size_t h = 0; h < n_highs; h++) {
                        uint64_t arg = highs[h] | low;
                        uint32_t got = run_call(variant, arch, nr, a->arg, arg);
                        if (got != arg_expected(a, arg))
                                fail_msg("variant %u arch %#x %s(arg%u=%#llx): got %#x want %#x",
                                         variant, arch, a->name, a->arg, (unsigned long long)arg,
                                         got, arg_expected(a, arg));
                }
        }
}

/* libseccomp names i386's socket calls by their socketcall multiplexer; the
 * direct syscalls (Linux 4.3) are what the argument rules apply to. */
static int i386_direct_socket_call(const char *name)
{
        if (strcmp(name, "socket") == 0)
                return 359;
        if (strcmp(name, "socketpair") == 0)
                return 360;
        if (strcmp(name, "sendto") == 0)
                return 369;
        if (strcmp(name, "sendmsg") == 0)
                return 370;
        return -1;
}

static void check_arg_rules(unsigned variant, uint32_t arch, uint32_t scmp_arch)
{
        for (size_t i = 0; i < emp_seccomp_arg_rule_count; i++) {
                const struct emp_seccomp_arg_rule *a = &emp_seccomp_arg_rules[i];
                int nr = seccomp_syscall_resolve_name_arch(scmp_arch, a->name);
                if (nr < 0)
                        nr = i386_direct_socket_call(a->name);
                assert_true(nr >= 0);
                if (emp_seccomp_rule_action(emp_seccomp_rule_find(a->name), variant) == EMP_SC_ALLOW)
                        assert_int_equal(run_call(variant, arch, nr, a->arg, 0x10000000), RET_ALLOW);
                else
                        check_arg_rule(variant, arch, nr, a);
        }
}

static void test_bpf_matches_table(void **state)
{
        for (size_t v = 0; v < N_VARIANTS; v++) {
                unsigned variant = all_variants[v];
                check_plain_rules(variant, AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64);
                check_arg_rules(variant, AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64);
                if (variant & EMP_SECCOMP_MULTIARCH) {
                        check_plain_rules(variant, AUDIT_ARCH_I386, SCMP_ARCH_X86);
                        check_arg_rules(variant, AUDIT_ARCH_I386, SCMP_ARCH_X86);
                }
        }
}

/* Brokered mode traps the path opens of both tables and nothing else;
 * openat2 gets ENOSYS so callers fall back to openat. */
static void test_brokered_traps_opens(void **state)
{
        (void)state;
        static const struct {
                uint32_t arch;
                int nr;
                uint32_t want;
        } calls[] = {
                {AUDIT_ARCH_X86_64, 2, SECCOMP_RET_USER_NOTIF},   /* open */
                {AUDIT_ARCH_X86_64, 257, SECCOMP_RET_USER_NOTIF}, /* openat */
                {AUDIT_ARCH_X86_64, 85, SECCOMP_RET_USER_NOTIF},  /* creat */
                {AUDIT_ARCH_X86_64, 437, RET_ERRNO(ENOSYS)},     /* openat2 */
                {AUDIT_ARCH_X86_64, 0, RET_ALLOW},               /* read */
                {AUDIT_ARCH_X86_64, 59, RET_ALLOW},              /* execve */
                {AUDIT_ARCH_I386, 5, SECCOMP_RET_USER_NOTIF},     /* open */
                {AUDIT_ARCH_I386, 295, SECCOMP_RET_USER_NOTIF},   /* openat */
        };
        for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
                unsigned variant = EMP_SECCOMP_BROKERED | EMP_SECCOMP_MULTIARCH;
                assert_int_equal(run_call(variant, calls[i].arch, calls[i].nr, 0, 0), calls[i].want);
                /* Static mode: the same calls run natively. */
                uint32_t plain = run_call(EMP_SECCOMP_MULTIARCH, calls[i].arch, calls[i].nr, 0, 0);
                assert_int_equal(plain, calls[i].want == RET_ERRNO(ENOSYS) ? RET_ALLOW
                                        : calls[i].want == SECCOMP_RET_USER_NOTIF ? RET_ALLOW
                                                                                  : calls[i].want);
        }
        assert_int_equal(emp_seccomp_count(EMP_SECCOMP_BROKERED).notify, 3);
        assert_int_equal(emp_seccomp_count(0).notify, 0);
}

/* shared=network traps connect and bind, and sends that may name a
 * destination; nothing else. */
static void test_network_traps_connect(void **state)
{
        (void)state;
        assert_int_equal(run_call(EMP_SECCOMP_NETWORK, AUDIT_ARCH_X86_64, 42, 0, 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(0, AUDIT_ARCH_X86_64, 42, 0, 0), RET_ALLOW);
        assert_int_equal(run_call(EMP_SECCOMP_NETWORK | EMP_SECCOMP_MULTIARCH, AUDIT_ARCH_I386, 362, 0, 0),
                         SECCOMP_RET_USER_NOTIF);
        /* The file opens stay native unless brokered too. */
        assert_int_equal(run_call(EMP_SECCOMP_NETWORK, AUDIT_ARCH_X86_64, 257, 0, 0), RET_ALLOW);
        assert_int_equal(run_call(EMP_SECCOMP_NETWORK, AUDIT_ARCH_X86_64, 49, 0, 0), SECCOMP_RET_USER_NOTIF);
        /* shutdown too (a host listener must stay one), and with i386 its
         * multiplexed socketcall. */
        assert_int_equal(run_call(EMP_SECCOMP_NETWORK, AUDIT_ARCH_X86_64, 48, 1, SHUT_RD), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(0, AUDIT_ARCH_X86_64, 48, 1, SHUT_RD), RET_ALLOW);
        assert_int_equal(run_call(EMP_SECCOMP_NETWORK | EMP_SECCOMP_MULTIARCH, AUDIT_ARCH_I386, 373, 1, SHUT_RD),
                         SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(EMP_SECCOMP_NETWORK | EMP_SECCOMP_MULTIARCH, AUDIT_ARCH_I386, 102, 0, 3),
                         SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(EMP_SECCOMP_MULTIARCH, AUDIT_ARCH_I386, 102, 0, 3), RET_ALLOW);
        assert_int_equal(emp_seccomp_count(EMP_SECCOMP_NETWORK).notify, 6);
        assert_int_equal(emp_seccomp_count(EMP_SECCOMP_NETWORK | EMP_SECCOMP_MULTIARCH).notify, 7);
        assert_int_equal(emp_seccomp_count(EMP_SECCOMP_NETWORK | EMP_SECCOMP_BROKERED).notify, 9);
}

static void test_network_traps_sends(void **state)
{
        (void)state;
        const unsigned net = EMP_SECCOMP_NETWORK, multi = EMP_SECCOMP_NETWORK | EMP_SECCOMP_MULTIARCH;
        /* sendto: only with a destination (argument 4), any of its 64 bits. */
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 44, 4, 0x7ffd1000), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 44, 4, 1ull << 40), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 44, 4, 0), RET_ALLOW);
        assert_int_equal(run_call(0, AUDIT_ARCH_X86_64, 44, 4, 0x7ffd1000), RET_ALLOW);
        assert_int_equal(run_call(multi, AUDIT_ARCH_I386, 369, 4, 0x8000), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(multi, AUDIT_ARCH_I386, 369, 4, 0), RET_ALLOW);
        /* sendmsg and sendmmsg: always (the destination is in memory), on
         * every fd. */
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 46, 0, 3), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 46, 0, 5), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(multi, AUDIT_ARCH_I386, 370, 0, 3), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 307, 0, 3), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_call(0, AUDIT_ARCH_X86_64, 46, 0, 3), RET_ALLOW);
        assert_int_equal(run_call(0, AUDIT_ARCH_X86_64, 307, 0, 3), RET_ALLOW);
        /* Receiving never traps. */
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 47, 0, 3), RET_ALLOW);
        assert_int_equal(run_call(net, AUDIT_ARCH_X86_64, 45, 4, 0x7ffd1000), RET_ALLOW);
}

static void test_bpf_defaults(void **state)
{
        const uint32_t enosys = RET_ERRNO(ENOSYS);
        for (size_t v = 0; v < N_VARIANTS; v++) {
                unsigned variant = all_variants[v];
                bool multiarch = variant & EMP_SECCOMP_MULTIARCH;
                assert_int_equal(run_call(variant, AUDIT_ARCH_X86_64, 1000, 0, 0), enosys);
                assert_int_equal(run_call(variant, AUDIT_ARCH_X86_64, 1023, 0, 0), enosys);
                assert_int_equal(run_call(variant, AUDIT_ARCH_X86_64, __NR_clone3, 0, 0), enosys);
                /* x32: x86_64's arch token with bit 30 set in the number */
                assert_int_equal(run_call(variant, AUDIT_ARCH_X86_64, 0x40000000 | __NR_getpid, 0, 0),
                                 enosys);
                assert_int_equal(run_call(variant, AUDIT_ARCH_X86_64, 0x40000000 | __NR_read, 0, 0),
                                 enosys);
                assert_int_equal(run_call(variant, AUDIT_ARCH_AARCH64, __NR_getpid, 0, 0), enosys);
                /* i386 getpid is 20 */
                assert_int_equal(run_call(variant, AUDIT_ARCH_I386, 20, 0, 0),
                                 multiarch ? RET_ALLOW : enosys);
                assert_int_equal(run_call(variant, AUDIT_ARCH_I386, 5000, 0, 0), enosys);
        }
}

/* ---- a real filter in a child process ---- */

/* Runs one check after the filter is in; returns 0 or writes why to fd. */
static int child_expect(int fd, const char *what, long ret, int err, int want1, int want2)
{
        if (ret == -1 && (err == want1 || err == want2))
                return 0;
        dprintf(fd, "%s: ret %ld errno %d (%s); ", what, ret, ret == -1 ? err : 0,
                ret == -1 ? strerror(err) : "-");
        return 1;
}

#define CHECK(what, call, e1, e2)                                   \
        do {                                                        \
                errno = 0;                                          \
                long r_ = (call);                                   \
                bad += child_expect(fd, what, r_, errno, e1, e2);  \
        } while (0)

static int child_checks(int fd, unsigned variant)
{
        int bad = 0;
        pid_t pid = getpid();
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return dprintf(fd, "prctl: %s", strerror(errno)), 1;
        struct emp_error err = { 0 };
        if (emp_seccomp_install(variant, NULL, &err) < 0)
                return dprintf(fd, "%s", err.msg), 1;
        CHECK("io_uring_setup", syscall(__NR_io_uring_setup, 1, NULL), EPERM, EPERM);
        CHECK("bpf", syscall(__NR_bpf, 0, NULL, 0), EPERM, EPERM);
        CHECK("socket(AF_NETLINK)", socket(AF_NETLINK, SOCK_RAW, 0), EAFNOSUPPORT, EPERM);
        CHECK("syscall 1000", syscall(1000), ENOSYS, ENOSYS);
        CHECK("clone3", syscall(__NR_clone3, NULL, 0), ENOSYS, ENOSYS);
        CHECK("ioctl(TIOCSTI|1<<32)", syscall(__NR_ioctl, 0, TIOCSTI | (1ul << 32), "x"), EPERM, EPERM);
        if (variant & EMP_SECCOMP_NESTED) {
                if (unshare(CLONE_NEWUSER) < 0)
                        bad += dprintf(fd, "nested unshare(CLONE_NEWUSER): %s; ", strerror(errno)) > 0;
        } else {
                CHECK("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), EPERM, EPERM);
        }
        if (syscall(__NR_getpid) != pid)
                bad += dprintf(fd, "getpid did not work; ") > 0;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
                bad += dprintf(fd, "socketpair(AF_UNIX): %s; ", strerror(errno)) > 0;
        return bad != 0;
}

static void run_in_child(unsigned variant)
{
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                close(p[0]);
                _exit(child_checks(p[1], variant));
        }
        close(p[1]);
        char msg[2048] = "";
        ssize_t n = read(p[0], msg, sizeof(msg) - 1);
        msg[n > 0 ? n : 0] = '\0';
        close(p[0]);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("variant %u: status %#x: %s", variant, status, msg);
}

static void test_installed_filter(void **state)
{
        run_in_child(0);
        run_in_child(EMP_SECCOMP_MULTIARCH);
}

static void test_installed_filter_nested(void **state)
{
        run_in_child(EMP_SECCOMP_NESTED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_name_resolves),
                cmocka_unit_test(test_no_duplicates),
                cmocka_unit_test(test_arg_rules_match_table),
                cmocka_unit_test(test_dangerous_are_eperm),
                cmocka_unit_test(test_nothing_both_allowed_and_denied),
                cmocka_unit_test(test_variants_nonempty),
                cmocka_unit_test(test_bpf_matches_table),
                cmocka_unit_test(test_bpf_defaults),
                cmocka_unit_test(test_brokered_traps_opens),
                cmocka_unit_test(test_network_traps_connect),
                cmocka_unit_test(test_network_traps_sends),
                cmocka_unit_test(test_installed_filter),
                cmocka_unit_test(test_installed_filter_nested),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
