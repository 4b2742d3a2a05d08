/* gen_seccomp.c — build-time generator: compiles the rule table (seccomp_table.c)
 * into one BPF program per variant with libseccomp and prints them as C. */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "launcher/seccomp.h"
#include "launcher/seccomp_filters.h"
#include "launcher/seccomp_table.h"

#define MAX_ARG_VALUES 16

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("gen_seccomp: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(1);
}

static uint32_t scmp_action(enum emp_sc_action a)
{
        switch (a) {
        case EMP_SC_ALLOW: return SCMP_ACT_ALLOW;
        case EMP_SC_EPERM: return SCMP_ACT_ERRNO(EPERM);
        case EMP_SC_EAFNOSUPPORT: return SCMP_ACT_ERRNO(EAFNOSUPPORT);
        case EMP_SC_NOTIFY: return SCMP_ACT_NOTIFY;
        default: return SCMP_ACT_ERRNO(ENOSYS);
        }
}

/* Every name must be a real syscall of the table it is meant for: a typo would
 * otherwise silently become "ENOSYS" in the filter. */
static void check_names(void)
{
        for (size_t i = 0; i < emp_seccomp_rule_count; i++) {
                const struct emp_seccomp_rule *r = &emp_seccomp_rules[i];
                bool i386 = r->flags & EMP_SC_I386_ONLY;
                uint32_t arch = i386 ? SCMP_ARCH_X86 : SCMP_ARCH_X86_64;
                if (seccomp_syscall_resolve_name_arch(arch, r->name) < 0)
                        die("\"%s\" is not a syscall on %s", r->name, i386 ? "i386" : "x86_64");
                for (size_t j = 0; j < i; j++)
                        if (strcmp(emp_seccomp_rules[j].name, r->name) == 0)
                                die("\"%s\" is in the table twice", r->name);
                if ((r->action == EMP_SC_BY_ARG) != (emp_seccomp_arg_rule_find(r->name) != NULL))
                        die("\"%s\": BY_ARG entries and argument rules must match", r->name);
        }
}

static void add_rule(scmp_filter_ctx ctx, const char *name, enum emp_sc_action action,
                     unsigned n_cmp, const struct scmp_arg_cmp *cmp)
{
        /* The default already says ENOSYS; libseccomp refuses a rule that repeats it. */
        if (action == EMP_SC_ENOSYS)
                return;
        int rc = seccomp_rule_add_array(ctx, scmp_action(action), seccomp_syscall_resolve_name(name),
                                        n_cmp, cmp);
        if (rc < 0)
                die("adding a rule for %s (%u conditions, action %d): %s", name, n_cmp, action, strerror(-rc));
}

/* One argument rule becomes rules that partition the 32-bit argument space:
 * walking the decisive bits from the top, each listed value gets an exact
 * masked match and every subtree holding no listed value one masked match
 * with `otherwise`.  The matches are disjoint, so libseccomp's evaluation
 * order cannot matter, and with the high half masked out a caller's sign
 * extension neither hides a denied value nor breaks an allowed one. */
struct arg_cover {
        scmp_filter_ctx ctx;
        const struct emp_seccomp_arg_rule *rule;
        struct emp_seccomp_value sorted[MAX_ARG_VALUES];
};

static void cover_leaf(const struct arg_cover *c, uint32_t mask, uint32_t datum, enum emp_sc_action action)
{
        struct scmp_arg_cmp cmp = {
                .arg = c->rule->arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = datum,
        };
        add_rule(c->ctx, c->rule->name, action, 1, &cmp);
}

static void cover(const struct arg_cover *c, int bit, uint32_t mask, uint32_t datum, size_t lo, size_t hi)
{
        while (bit >= 0 && !(c->rule->bits & (1u << bit)))
                bit--;
        if (lo == hi) {
                cover_leaf(c, mask, datum, (enum emp_sc_action)c->rule->otherwise);
                return;
        }
        if (bit < 0) {
                cover_leaf(c, mask, datum, (enum emp_sc_action)c->sorted[lo].action);
                return;
        }
        size_t split = lo;
        while (split < hi && !(c->sorted[split].value & (1u << bit)))
                split++;
        cover(c, bit - 1, mask | 1u << bit, datum, lo, split);
        cover(c, bit - 1, mask | 1u << bit, datum | 1u << bit, split, hi);
}

static int value_cmp(const void *a, const void *b)
{
        uint32_t x = ((const struct emp_seccomp_value *)a)->value;
        uint32_t y = ((const struct emp_seccomp_value *)b)->value;
        return (x > y) - (x < y);
}

static void add_arg_rule(scmp_filter_ctx ctx, const struct emp_seccomp_arg_rule *rule)
{
        struct arg_cover c = { .ctx = ctx, .rule = rule };
        if (rule->n_values > MAX_ARG_VALUES)
                die("%s: more than %d values", rule->name, MAX_ARG_VALUES);
        /* Sorted by their decisive bits, the values under any trie node are contiguous. */
        for (size_t i = 0; i < rule->n_values; i++) {
                c.sorted[i] = rule->values[i];
                c.sorted[i].value &= rule->bits;
        }
        qsort(c.sorted, rule->n_values, sizeof(c.sorted[0]), value_cmp);
        for (size_t i = 1; i < rule->n_values; i++)
                if (c.sorted[i].value == c.sorted[i - 1].value)
                        die("%s: two values match the same bits", rule->name);
        cover(&c, 31, 0, 0, 0, rule->n_values);
}

static void set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value)
{
        int rc = seccomp_attr_set(ctx, attr, value);
        if (rc < 0)
                die("seccomp_attr_set(%d): %s", (int)attr, strerror(-rc));
}

/* Whether the rule traps only under a condition on one argument. */
static bool conditional(const struct emp_seccomp_rule *r, enum emp_sc_action action)
{
        return action == EMP_SC_NOTIFY && (r->flags & EMP_SC_NET_NOTIFY_ADDR);
}

static scmp_filter_ctx build_filter(unsigned variant)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
        if (!ctx)
                die("seccomp_init failed");
        /* A foreign architecture gets the same answer as an unknown syscall;
         * x32 numbers on x86_64 are refused by libseccomp's own check. */
        set_attr(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
        set_attr(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* binary search on the syscall number */
        if (variant & EMP_SECCOMP_MULTIARCH) {
                int rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
                if (rc < 0)
                        die("adding i386: %s", strerror(-rc));
        }
        /* Unconditional rules first: on i386 an unconditional socketcall/ipc
         * must exist before any argument rule of a syscall libseccomp also
         * maps onto them (socket(), sendto()). */
        for (size_t i = 0; i < emp_seccomp_rule_count; i++) {
                const struct emp_seccomp_rule *r = &emp_seccomp_rules[i];
                enum emp_sc_action action = emp_seccomp_rule_action(r, variant);
                if (emp_seccomp_rule_in_variant(r, variant) && action != EMP_SC_BY_ARG && !conditional(r, action))
                        add_rule(ctx, r->name, action, 0, NULL);
        }
        for (size_t i = 0; i < emp_seccomp_rule_count; i++) {
                const struct emp_seccomp_rule *r = &emp_seccomp_rules[i];
                enum emp_sc_action action = emp_seccomp_rule_action(r, variant);
                if (!emp_seccomp_rule_in_variant(r, variant) || !conditional(r, action))
                        continue;
                /* Two complementary conditions: only a call with a
                 * destination (sendto's argument 4) traps. */
                struct scmp_arg_cmp trap = SCMP_CMP(EMP_SC_NET_ADDR_ARG, SCMP_CMP_NE, 0);
                struct scmp_arg_cmp pass = SCMP_CMP(EMP_SC_NET_ADDR_ARG, SCMP_CMP_EQ, 0);
                add_rule(ctx, r->name, EMP_SC_NOTIFY, 1, &trap);
                add_rule(ctx, r->name, (enum emp_sc_action)r->action, 1, &pass);
        }
        for (size_t i = 0; i < emp_seccomp_rule_count; i++) {
                const struct emp_seccomp_rule *r = &emp_seccomp_rules[i];
                if (emp_seccomp_rule_in_variant(r, variant) &&
                    emp_seccomp_rule_action(r, variant) == EMP_SC_BY_ARG)
                        add_arg_rule(ctx, emp_seccomp_arg_rule_find(r->name));
        }
        return ctx;
}

/* libseccomp 2.5 exports only to an fd: go through a memfd. */
static struct sock_filter *export_bpf(scmp_filter_ctx ctx, size_t *len)
{
        int fd = memfd_create("emp-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                die("memfd_create: %s", strerror(errno));
        int rc = seccomp_export_bpf(ctx, fd);
        if (rc < 0)
                die("seccomp_export_bpf: %s", strerror(-rc));
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0)
                die("exported BPF has a bad size %lld", (long long)size);
        struct sock_filter *insns = malloc((size_t)size);
        if (!insns || pread(fd, insns, (size_t)size, 0) != size)
                die("reading back the BPF failed");
        close(fd);
        *len = (size_t)size / sizeof(struct sock_filter);
        if (*len > BPF_MAXINSNS)
                die("filter has %zu instructions, over the kernel's %d", *len, BPF_MAXINSNS);
        return insns;
}

static void print_program(unsigned variant, const struct sock_filter *insns, size_t len)
{
        printf("static const struct sock_filter filter%u[%zu] = {\n", variant, len);
        for (size_t i = 0; i < len; i++)
                printf("        { 0x%04x, %3u, %3u, 0x%08x },\n", insns[i].code, insns[i].jt,
                       insns[i].jf, insns[i].k);
        printf("};\n\n");
}

static void print_string(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        putchar('\\');
                putchar(*s);
        }
        putchar('"');
}

int main(void)
{
        if (seccomp_arch_native() != SCMP_ARCH_X86_64)
                die("must run on x86_64: rule numbers are the build host's");
        check_names();
        const struct scmp_version *v = seccomp_version();
        size_t lens[EMP_SECCOMP_VARIANT_COUNT];
        printf("/* seccomp_filters.c — GENERATED by tools/gen_seccomp.c from the rule table in\n"
               " * src/launcher/seccomp_table.c (libseccomp %u.%u.%u); edit the table, not this. */\n"
               "#include \"launcher/seccomp_filters.h\"\n\n#include <stddef.h>\n\n",
               v->major, v->minor, v->micro);
        for (unsigned variant = 0; variant < EMP_SECCOMP_VARIANT_COUNT; variant++) {
                scmp_filter_ctx ctx = build_filter(variant);
                struct sock_filter *insns = export_bpf(ctx, &lens[variant]);
                print_program(variant, insns, lens[variant]);
                free(insns);
                seccomp_release(ctx);
        }
        printf("static const struct emp_seccomp_filter filters[EMP_SECCOMP_VARIANT_COUNT] = {\n");
        for (unsigned variant = 0; variant < EMP_SECCOMP_VARIANT_COUNT; variant++) {
                char summary[512];
                emp_seccomp_describe(variant, summary, sizeof(summary));
                printf("        { filter%u, %zu,\n          ", variant, lens[variant]);
                print_string(summary);
                printf(" },\n");
        }
        printf("};\n\n"
               "const struct emp_seccomp_filter *emp_seccomp_filter_get(unsigned variant)\n"
               "{\n"
               "        return variant < EMP_SECCOMP_VARIANT_COUNT ? &filters[variant] : NULL;\n"
               "}\n");
        if (fflush(stdout) != 0 || ferror(stdout))
                die("writing the output failed");
        return 0;
}
