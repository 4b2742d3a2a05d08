/* platform.c — the machine's state as the kernel reports it: taint, modules,
 * lockdown, module signatures, Secure Boot, kexec, IOMMU, Yama, hypervisor.
 * Each fact keeps its own error: what cannot be read is reported unknown. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "integrity.h"

static int read_long(const char *path, long *ret)
{
        _cleanup_free_ char *t = NULL;
        int r = emp_read_file(path, 256, &t, NULL);
        if (r < 0)
                return r;
        char *end;
        errno = 0;
        long v = strtol(t, &end, 10);
        if (end == t || errno)
                return -EINVAL;
        *ret = v;
        return 0;
}

static void modules(struct emp_platform_facts *p)
{
        _cleanup_free_ char *t = NULL;
        p->modules_err = emp_read_file("/proc/modules", 4u << 20, &t, NULL);
        if (p->modules_err)
                return;
        /* "name size refs deps state addr (OE)": taint letters in parentheses. */
        for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *open = strchr(l, '(');
                char *close = open ? strchr(open, ')') : NULL;
                if (!open || !close)
                        continue;
                for (char *c = open + 1; c < close; c++) {
                        p->mod_out_of_tree += *c == 'O';
                        p->mod_unsigned += *c == 'E';
                        p->mod_proprietary += *c == 'P';
                }
        }
}

static void lockdown(struct emp_platform_facts *p)
{
        _cleanup_free_ char *t = NULL;
        p->lockdown_err = emp_read_file("/sys/kernel/security/lockdown", 256, &t, NULL);
        if (p->lockdown_err)
                return;
        /* "none [integrity] confidentiality": the bracketed one is active. */
        char *a = strchr(t, '['), *b = a ? strchr(a, ']') : NULL;
        if (!a || !b) {
                p->lockdown_err = -EINVAL;
                return;
        }
        snprintf(p->lockdown, sizeof(p->lockdown), "%.*s", (int)(b - a - 1), a + 1);
}

static void secure_boot(struct emp_platform_facts *p)
{
        /* 4 bytes of attributes, then the value. */
        _cleanup_free_ char *t = NULL;
        size_t len = 0;
        p->secure_boot_err = emp_read_file(
                "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", 64, &t, &len);
        if (p->secure_boot_err)
                return;
        if (len < 5)
                p->secure_boot_err = -EINVAL;
        else
                p->secure_boot = t[4] == 1;
}

static void iommu(struct emp_platform_facts *p)
{
        DIR *d = opendir("/sys/class/iommu");
        if (!d) {
                p->iommu_err = -errno;
                return;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        p->iommu_groups++;
        closedir(d);
}

static void hypervisor(struct emp_platform_facts *p)
{
        _cleanup_free_ char *t = NULL;
        if (emp_read_file("/sys/hypervisor/type", 64, &t, NULL) == 0) {
                p->hypervisor = 1;
                t[strcspn(t, "\n")] = '\0';
                snprintf(p->hypervisor_kind, sizeof(p->hypervisor_kind), "%s", t);
                return;
        }
        _cleanup_free_ char *cpu = NULL;
        p->hypervisor_err = emp_read_file("/proc/cpuinfo", 8u << 20, &cpu, NULL);
        if (p->hypervisor_err)
                return;
        const char *flags = strstr(cpu, "\nflags");
        if (!flags) {
                p->hypervisor_err = -EOPNOTSUPP; /* not x86: no CPUID flag to read */
                return;
        }
        size_t n = strcspn(flags + 1, "\n");
        char *line = strndup(flags + 1, n);
        if (!line) {
                p->hypervisor_err = -ENOMEM;
                return;
        }
        p->hypervisor = strstr(line, " hypervisor") != NULL;
        free(line);
}

void emp_integrity_gather_platform(struct emp_platform_facts *p)
{
        memset(p, 0, sizeof(*p));
        long v = 0;
        if (!(p->taint_err = read_long("/proc/sys/kernel/tainted", &v)))
                p->taint = (unsigned long)v;
        modules(p);
        lockdown(p);
        _cleanup_free_ char *se = NULL;
        p->sig_enforce_err = emp_read_file("/sys/module/module/parameters/sig_enforce", 16, &se, NULL);
        if (!p->sig_enforce_err)
                p->sig_enforce = se[0] == 'Y';
        secure_boot(p);
        if (!(p->kexec_err = read_long("/proc/sys/kernel/kexec_load_disabled", &v)))
                p->kexec_disabled = v != 0;
        iommu(p);
        if (!(p->yama_err = read_long("/proc/sys/kernel/yama/ptrace_scope", &v)))
                p->yama_scope = (int)v;
        hypervisor(p);
}
