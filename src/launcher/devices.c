/* devices.c — granted devices ([Context] devices=): device nodes bound with
 * device access and Landlock device rights, plus the few /sys and /run/udev
 * entries their users need. `all` binds the host's /dev (see plan_dev). */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sandbox.h"

int emp_devices_plan(struct emp_sandbox *sb, struct emp_error *err);

static int bind_glob(struct emp_sandbox *sb, const char *pattern, unsigned flags)
{
        glob_t g;
        if (glob(pattern, 0, NULL, &g) != 0)
                return 0;
        int r = 0;
        for (size_t i = 0; i < g.gl_pathc && r == 0; i++)
                if (!emp_sandbox_add_mount(sb, EMP_MNT_BIND, g.gl_pathv[i], g.gl_pathv[i], flags, 0))
                        r = -ENOMEM;
        globfree(&g);
        return r;
}

/* Mesa finds the GPU through /sys/dev/char/MAJ:MIN -> .../drm/cardN; expose
 * just that PCI device's directory (no network devices, so no MACs). */
static int dri_sysfs(struct emp_sandbox *sb)
{
        glob_t g;
        if (glob("/dev/dri/*", 0, NULL, &g) != 0)
                return 0;
        int r = 0;
        for (size_t i = 0; i < g.gl_pathc && r == 0; i++) {
                struct stat st;
                if (stat(g.gl_pathv[i], &st) < 0 || !S_ISCHR(st.st_mode))
                        continue;
                char link[64], target[PATH_MAX], real[PATH_MAX];
                snprintf(link, sizeof(link), "/sys/dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
                ssize_t n = readlink(link, target, sizeof(target) - 1);
                if (n < 0 || !realpath(link, real))
                        continue;
                target[n] = '\0';
                char *drm = strstr(real, "/drm/");
                if (!drm)
                        continue;
                *drm = '\0'; /* the PCI device directory */
                if (!emp_sandbox_add_mount(sb, EMP_MNT_SYMLINK, target, link, 0, 0) ||
                    !emp_sandbox_add_mount(sb, EMP_MNT_BIND, real, real, EMP_MNT_F_RO | EMP_MNT_F_OPTIONAL, 0))
                        r = -ENOMEM;
        }
        globfree(&g);
        return r;
}

int emp_devices_plan(struct emp_sandbox *sb, struct emp_error *err)
{
        const struct emp_manifest *m = sb->manifest;
        unsigned d = emp_bits(m->devices, m->nodevices);
        const unsigned dev = EMP_MNT_F_DEV | EMP_MNT_F_DEV_RULE | EMP_MNT_F_OPTIONAL;
        int r = 0;
        if (d & EMP_DEVICE_ALL)
                return 0; /* the whole host /dev is already bound */
        if (d & EMP_DEVICE_DRI) {
                if (access("/dev/dri", F_OK) < 0 && access("/dev/nvidiactl", F_OK) < 0)
                        emp_sandbox_note(sb, "device dri: no /dev/dri or /dev/nvidia* on this host");
                if ((r = bind_glob(sb, "/dev/dri", dev)) < 0 || (r = bind_glob(sb, "/dev/nvidia*", dev)) < 0 ||
                    (r = dri_sysfs(sb)) < 0)
                        return r;
        }
        if (d & EMP_DEVICE_INPUT) {
                if ((r = bind_glob(sb, "/dev/input", dev)) < 0 || (r = bind_glob(sb, "/dev/hidraw*", dev)) < 0 ||
                    (r = bind_glob(sb, "/run/udev", EMP_MNT_F_RO | EMP_MNT_F_OPTIONAL | EMP_MNT_F_RO_RULE)) < 0)
                        return r;
        }
        if (d & EMP_DEVICE_KVM) {
                if (access("/dev/kvm", F_OK) < 0)
                        emp_sandbox_note(sb, "device kvm: no /dev/kvm on this host");
                if ((r = bind_glob(sb, "/dev/kvm", dev)) < 0)
                        return r;
        }
        (void)err;
        return 0;
}
