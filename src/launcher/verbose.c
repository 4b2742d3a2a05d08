/* verbose.c — `empyra run --verbose`: print the sandbox about to be built
 * (namespaces, ids, mounts, filters, limits, what was weakened and why). */
#include <sched.h>
#include <stdio.h>

#include "cgroup.h"
#include "idmap.h"
#include "landlock.h"
#include "sandbox.h"
#include "seccomp.h"

static const char *mount_desc(const struct emp_mount *m)
{
        switch (m->kind) {
        case EMP_MNT_TMPFS: return "tmpfs   ";
        case EMP_MNT_BIND: return (m->flags & EMP_MNT_F_DEV) ? "dev-bind" : (m->flags & EMP_MNT_F_RO) ? "ro-bind " : "bind    ";
        case EMP_MNT_DIR: return "dir     ";
        case EMP_MNT_SYMLINK: return "symlink ";
        case EMP_MNT_FILE: return "file    ";
        case EMP_MNT_PROC: return "proc    ";
        case EMP_MNT_DEVPTS: return "devpts  ";
        case EMP_MNT_RDONLY: return "remount-ro";
        }
        return "?";
}

/* Manifest text is the app author's: never let it drive the terminal. */
static void print_escaped(FILE *out, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        fprintf(out, "\\x%02x", *p);
                else
                        fputc(*p, out);
        }
}

void emp_sandbox_print(const struct emp_sandbox *sb, FILE *out)
{
        const struct emp_manifest *m = sb->manifest;
        fprintf(out, "empyra: app %s%s%s\n", sb->app_id, m->path ? " from " : "", m->path ? m->path : "");
        fprintf(out, "  namespaces: user mount pid uts cgroup%s%s\n", (sb->ns_flags & CLONE_NEWIPC) ? " ipc" : "",
                (sb->ns_flags & CLONE_NEWNET) ? " net (loopback only)" : "");
        if (sb->network)
                fprintf(out, "  network: through empyrad's gateway (connect and bind trap; provider %s; resolver "
                             "127.0.0.53)\n",
                        m->net_provider ? m->net_provider : "direct");
        if (sb->brokered)
                fprintf(out, "  files: brokered (open, openat, creat trap to empyrad; openat2 ENOSYS)\n");
        if (!(sb->ns_flags & CLONE_NEWIPC))
                fprintf(out, "  ipc: host IPC namespace shared (shared=ipc)\n");
        char map[256];
        if (emp_idmap_format(&sb->ids, 0, map, sizeof(map)) == 0)
                fprintf(out, "  ids: app runs as uid %u gid %u; uid_map %s", (unsigned)sb->ids.app_uid,
                        (unsigned)sb->ids.app_gid, map);
        fprintf(out, "  identity: %s, hostname %s, machine-id %s, boot_id %s\n",
                sb->identity == EMP_IDENTITY_HOST ? "host" : "anonymous", sb->hostname, sb->machine_id, sb->boot_id);
        fprintf(out, "  home: %s (cwd %s)\n", sb->home_inside, sb->cwd_inside);
        for (size_t i = 0; sb->covers && sb->covers[i]; i++)
                fprintf(out, "  cover   %s (empty tmpfs, whatever is granted)\n", sb->covers[i]);
        for (size_t i = 0; i < sb->n_mounts; i++) {
                const struct emp_mount *mt = &sb->mounts[i];
                fprintf(out, "  %s %s", mount_desc(mt), mt->dest);
                if (mt->kind == EMP_MNT_SYMLINK)
                        fprintf(out, " -> %s", mt->src);
                else if (mt->kind == EMP_MNT_BIND)
                        fprintf(out, " <- %s", mt->src ? mt->src : "(app's own directory)");
                fputc('\n', out);
        }
        fprintf(out, "  capabilities: none (bounding, inheritable, ambient, permitted, effective emptied); no_new_privs\n");
        fprintf(out, "  seccomp: %s\n", emp_seccomp_summary(sb->seccomp_variant));
        if (sb->weakened & EMP_WEAK_LANDLOCK)
                fprintf(out, "  landlock: NOT APPLIED (--allow-weaker=landlock; kernel has none)\n");
        else
                fprintf(out, "  landlock: ABI %d, rules follow the view above\n", emp_landlock_abi());
        if (sb->cgroup)
                fprintf(out, "  cgroup: %s\n", sb->cgroup->desc);
        else if (sb->weakened & EMP_WEAK_CGROUP)
                fprintf(out, "  cgroup: NOT APPLIED (--allow-weaker=cgroup)\n");
        else
                fprintf(out, "  cgroup: none (no resource limits requested)\n");
        if (m->memory_max || m->pids_max || m->cpu_weight)
                fprintf(out, "  limits: memory %llu bytes, pids %llu, cpu-weight %u (0 = unset)\n",
                        (unsigned long long)m->memory_max, (unsigned long long)m->pids_max, m->cpu_weight);
        for (size_t i = 0; m->unknown && m->unknown[i]; i++) {
                fputs("  manifest key not acted on: ", out);
                print_escaped(out, m->unknown[i]);
                fputc('\n', out);
        }
        for (size_t i = 0; sb->notes && sb->notes[i]; i++)
                fprintf(out, "  note: %s\n", sb->notes[i]);
}
