/* report.c — judge gathered facts and build the report body (pure: data in,
 * JSON out). A check passes only on evidence; anything unread is unknown. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrity.h"

const char *emp_check_status_name(enum emp_check_status s)
{
        switch (s) {
        case EMP_CHECK_PASS: return "pass";
        case EMP_CHECK_FAIL: return "fail";
        default: return "unknown";
        }
}

/* fail beats unknown beats pass; nothing at all is unknown. */
static enum emp_check_status worse(enum emp_check_status a, enum emp_check_status b)
{
        if (a == EMP_CHECK_FAIL || b == EMP_CHECK_FAIL)
                return EMP_CHECK_FAIL;
        if (a == EMP_CHECK_UNKNOWN || b == EMP_CHECK_UNKNOWN)
                return EMP_CHECK_UNKNOWN;
        return EMP_CHECK_PASS;
}

struct verdict {
        enum emp_check_status status;
        bool any;
        json_t *reasons;
        const char *scope; /* "platform", or "pid N (comm)" */
};

/* Add {"status","reason"} under name in obj and fold it into v. */
static json_t *check(json_t *obj, struct verdict *v, const char *name, enum emp_check_status st, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
static json_t *check(json_t *obj, struct verdict *v, const char *name, enum emp_check_status st, const char *fmt,
                     ...)
{
        char reason[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        json_t *c = json_pack("{s:s,s:s}", "status", emp_check_status_name(st), "reason", reason);
        json_object_set_new(obj, name, c);
        v->status = v->any ? worse(v->status, st) : st;
        v->any = true;
        if (st != EMP_CHECK_PASS) {
                char line[700];
                snprintf(line, sizeof(line), "%s: %s: %s: %s", v->scope, name, emp_check_status_name(st), reason);
                json_array_append_new(v->reasons, json_string(line));
        }
        return c;
}

static const char *errstr(int e)
{
        return e ? strerror(-e) : "ok";
}

/* --- platform ------------------------------------------------------------ */

static void taint_names(unsigned long t, char *out, size_t len)
{
        /* Documentation/admin-guide/tainted-kernels.rst, bit order. */
        static const char *const names[] = {
                "P proprietary module", "F forced module load", "S out-of-spec system", "R forced unload",
                "M machine check", "B bad page", "U user request", "D kernel died", "A ACPI overridden",
                "W warning", "C staging driver", "I firmware workaround", "O out-of-tree module",
                "E unsigned module", "L soft lockup", "K live patched", "X auxiliary", "T randstruct",
                "N test",
        };
        out[0] = '\0';
        size_t n = 0;
        for (size_t b = 0; b < sizeof(names) / sizeof(names[0]) && n < len; b++)
                if (t & (1ul << b))
                        n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "", names[b]);
}

static json_t *build_platform(const struct emp_platform_facts *p, struct verdict *v)
{
        json_t *o = json_object();
        json_t *c;
        if (p->taint_err)
                check(o, v, "kernel_taint", EMP_CHECK_UNKNOWN, "unreadable: %s", errstr(p->taint_err));
        else if (p->taint == 0)
                json_object_set_new(check(o, v, "kernel_taint", EMP_CHECK_PASS, "not tainted"), "value",
                                    json_integer(0));
        else {
                char names[400];
                taint_names(p->taint, names, sizeof(names));
                c = check(o, v, "kernel_taint", EMP_CHECK_FAIL, "tainted (%lu): %s", p->taint, names);
                json_object_set_new(c, "value", json_integer((json_int_t)p->taint));
        }

        if (p->modules_err)
                check(o, v, "modules", EMP_CHECK_UNKNOWN, "/proc/modules unreadable: %s", errstr(p->modules_err));
        else {
                unsigned bad = p->mod_out_of_tree + p->mod_unsigned + p->mod_proprietary;
                c = check(o, v, "modules", bad ? EMP_CHECK_FAIL : EMP_CHECK_PASS,
                          "%u out-of-tree, %u unsigned, %u proprietary module(s) loaded", p->mod_out_of_tree,
                          p->mod_unsigned, p->mod_proprietary);
                json_object_set_new(c, "out_of_tree", json_integer(p->mod_out_of_tree));
                json_object_set_new(c, "unsigned", json_integer(p->mod_unsigned));
                json_object_set_new(c, "proprietary", json_integer(p->mod_proprietary));
        }

        if (p->lockdown_err)
                check(o, v, "lockdown", EMP_CHECK_UNKNOWN, "no lockdown LSM state (%s)", errstr(p->lockdown_err));
        else {
                c = check(o, v, "lockdown", strcmp(p->lockdown, "none") ? EMP_CHECK_PASS : EMP_CHECK_FAIL,
                          "lockdown mode %s", p->lockdown);
                json_object_set_new(c, "value", json_string(p->lockdown));
        }

        if (p->sig_enforce_err)
                check(o, v, "module_sig_enforce", EMP_CHECK_UNKNOWN, "unknown (%s)", errstr(p->sig_enforce_err));
        else
                check(o, v, "module_sig_enforce", p->sig_enforce ? EMP_CHECK_PASS : EMP_CHECK_FAIL,
                      p->sig_enforce ? "module signatures enforced" : "unsigned modules may load");

        if (p->secure_boot_err)
                check(o, v, "secure_boot", EMP_CHECK_UNKNOWN, "no EFI Secure Boot variable (%s)",
                      errstr(p->secure_boot_err));
        else
                check(o, v, "secure_boot", p->secure_boot ? EMP_CHECK_PASS : EMP_CHECK_FAIL,
                      p->secure_boot ? "enabled" : "disabled");

        if (p->kexec_err)
                check(o, v, "kexec", EMP_CHECK_UNKNOWN, "kernel.kexec_load_disabled unreadable (%s)",
                      errstr(p->kexec_err));
        else
                check(o, v, "kexec", p->kexec_disabled ? EMP_CHECK_PASS : EMP_CHECK_FAIL,
                      p->kexec_disabled ? "kexec_load disabled" : "kexec_load allowed");

        if (p->iommu_err)
                check(o, v, "iommu", EMP_CHECK_UNKNOWN, "/sys/class/iommu unreadable (%s)", errstr(p->iommu_err));
        else
                check(o, v, "iommu", p->iommu_groups ? EMP_CHECK_PASS : EMP_CHECK_FAIL, "%d IOMMU unit(s)",
                      p->iommu_groups);

        if (p->yama_err)
                check(o, v, "yama_ptrace_scope", EMP_CHECK_UNKNOWN, "Yama not present (%s)", errstr(p->yama_err));
        else {
                c = check(o, v, "yama_ptrace_scope", p->yama_scope >= 1 ? EMP_CHECK_PASS : EMP_CHECK_FAIL,
                          "ptrace_scope %d", p->yama_scope);
                json_object_set_new(c, "value", json_integer(p->yama_scope));
        }

        if (p->hypervisor_err)
                check(o, v, "hypervisor", EMP_CHECK_UNKNOWN, "unknown (%s)", errstr(p->hypervisor_err));
        else
                check(o, v, "hypervisor", p->hypervisor ? EMP_CHECK_FAIL : EMP_CHECK_PASS,
                      p->hypervisor ? "running under a hypervisor%s%s" : "no hypervisor detected",
                      p->hypervisor_kind[0] ? ": " : "", p->hypervisor_kind);
        return o;
}

/* --- files ----------------------------------------------------------------- */

enum match { M_UNKNOWN, M_MATCH, M_MISMATCH, M_CONTENT, M_UNLISTED, M_DEVICE };
static const char *const match_names[] = {"unknown", "match", "mismatch", "listed_content", "unlisted", "device"};

/* A mapped file against the manifest: the listed path's inode (resolved in
 * the sandbox) decides; failing that, identical content to a listed file. */
static enum match file_match(const struct emp_subject_facts *s, const struct emp_mapped_file *f,
                             const struct emp_listed_file **which)
{
        *which = NULL;
        if (f->err)
                return M_UNKNOWN;
        if (f->device)
                return M_DEVICE; /* a device node has no content to compare */
        for (size_t i = 0; i < s->n_listed; i++) {
                const struct emp_listed_file *l = &s->listed[i];
                if (l->err == 0 && l->dev == f->dev && l->ino == f->ino) {
                        *which = l;
                        return strcmp(l->sha256, f->sha256) == 0 ? M_MATCH : M_MISMATCH;
                }
        }
        for (size_t i = 0; i < s->n_listed; i++)
                if (strcmp(s->listed[i].sha256, f->sha256) == 0) {
                        *which = &s->listed[i];
                        return M_CONTENT;
                }
        return M_UNLISTED;
}

static json_t *build_files(const struct emp_subject_facts *s)
{
        json_t *a = json_array();
        for (size_t i = 0; i < s->n_files; i++) {
                const struct emp_mapped_file *f = &s->files[i];
                const struct emp_listed_file *l;
                enum match m = file_match(s, f, &l);
                json_t *o = json_pack("{s:s,s:s}", "path", f->path ? f->path : "", "manifest", match_names[m]);
                json_object_set_new(o, "sha256", f->err || f->device ? json_null() : json_string(f->sha256));
                if (!f->err && !f->device)
                        json_object_set_new(o, "system", json_boolean(f->root_only));
                if (f->err)
                        json_object_set_new(o, "error", json_string(strerror(-f->err)));
                if (l)
                        json_object_set_new(o, "listed_as", json_string(l->path));
                json_array_append_new(a, o);
        }
        return a;
}

/* --- processes -------------------------------------------------------------- */

static void file_check(const struct emp_subject_facts *s, const struct emp_proc_facts *pr, json_t *checks,
                       struct verdict *v)
{
        unsigned mismatch = 0, unknown = 0, foreign = 0;
        const char *bad = NULL, *alien = NULL;
        const char *unk = NULL;
        int unk_err = 0;
        for (size_t k = 0; k <= pr->n_maps; k++) {
                size_t idx;
                bool exec;
                if (k == pr->n_maps) {
                        if (pr->exe_err)
                                continue;
                        idx = pr->exe;
                        exec = true;
                } else {
                        idx = pr->maps[k];
                        exec = pr->maps_exec && pr->maps_exec[k];
                }
                const struct emp_mapped_file *f = &s->files[idx];
                const struct emp_listed_file *l;
                enum match m = file_match(s, f, &l);
                if (m == M_MISMATCH) {
                        mismatch++;
                        bad = bad ? bad : l->path;
                } else if (m == M_UNLISTED && exec && !f->root_only) {
                        /* Code from a file a user could have written that the
                         * manifest does not list: an injected library. System
                         * files only root can change are reported, not judged. */
                        foreign++;
                        alien = alien ? alien : f->path;
                } else if (m == M_UNKNOWN) {
                        unknown++;
                        if (!unk) {
                                unk = f->path ? f->path : "?";
                                unk_err = f->err;
                        }
                }
        }
        if (mismatch)
                check(checks, v, "mapped_files", EMP_CHECK_FAIL,
                      "%u mapped file(s) differ from the manifest's sha256, e.g. %s", mismatch, bad);
        else if (foreign && s->n_listed)
                check(checks, v, "mapped_files", EMP_CHECK_FAIL,
                      "%u executable file(s) a user could change are not in the manifest, e.g. %s", foreign, alien);
        else if (foreign)
                check(checks, v, "mapped_files", EMP_CHECK_UNKNOWN,
                      "the manifest lists no files: code from %s (a user could change it) cannot be judged", alien);
        else if (pr->maps_err)
                check(checks, v, "mapped_files", EMP_CHECK_UNKNOWN, "maps unreadable: %s", errstr(pr->maps_err));
        else if (unknown)
                check(checks, v, "mapped_files", EMP_CHECK_UNKNOWN, "%u file(s) not measured, e.g. %s: %s", unknown,
                      unk, errstr(unk_err));
        else if (pr->exe_err)
                check(checks, v, "mapped_files", EMP_CHECK_UNKNOWN, "executable not measured: %s",
                      errstr(pr->exe_err));
        else if (pr->maps_truncated || s->hash_budget_hit)
                check(checks, v, "mapped_files", EMP_CHECK_UNKNOWN, "bounded: not every file measured");
        else
                check(checks, v, "mapped_files", EMP_CHECK_PASS,
                      "executable and %zu mapped file(s) measured; none differs from the manifest", pr->n_maps);
}

static json_t *build_proc(const struct emp_subject_facts *s, const struct emp_proc_facts *pr, struct verdict *pv)
{
        char scope[64];
        snprintf(scope, sizeof(scope), "pid %ld (%s)", (long)pr->pid, pr->comm);
        struct verdict v = {.reasons = pv->reasons, .scope = scope};
        json_t *checks = json_object();

        if (pr->status_err)
                check(checks, &v, "tracer", EMP_CHECK_UNKNOWN, "status unreadable: %s", errstr(pr->status_err));
        else if (pr->tracer)
                check(checks, &v, "tracer", EMP_CHECK_FAIL, "traced (TracerPid %ld)", (long)pr->tracer);
        else
                check(checks, &v, "tracer", EMP_CHECK_PASS, "no tracer on any of %d thread(s)", pr->n_threads);

        if (pr->ld_preload || pr->ld_audit)
                check(checks, &v, "preload", EMP_CHECK_FAIL, "%s%s%s%s%s", pr->ld_preload ? "LD_PRELOAD=" : "",
                      pr->ld_preload ? pr->ld_preload : "", pr->ld_preload && pr->ld_audit ? " " : "",
                      pr->ld_audit ? "LD_AUDIT=" : "", pr->ld_audit ? pr->ld_audit : "");
        else if (s->ld_so_preload > 0)
                check(checks, &v, "preload", EMP_CHECK_FAIL, "/etc/ld.so.preload present in the sandbox");
        else if (pr->environ_err)
                check(checks, &v, "preload", EMP_CHECK_UNKNOWN, "environment unreadable: %s", errstr(pr->environ_err));
        else if (s->ld_so_preload < 0)
                check(checks, &v, "preload", EMP_CHECK_UNKNOWN, "/etc/ld.so.preload: %s", errstr(s->ld_so_preload));
        else
                check(checks, &v, "preload", EMP_CHECK_PASS, "no LD_PRELOAD, LD_AUDIT or /etc/ld.so.preload");

        if (pr->maps_err)
                check(checks, &v, "mappings", EMP_CHECK_UNKNOWN, "maps unreadable: %s", errstr(pr->maps_err));
        else if (pr->n_anon_exec || pr->n_write_exec)
                check(checks, &v, "mappings", EMP_CHECK_FAIL,
                      "%u anonymous executable, %u writable+executable mapping(s): %s", pr->n_anon_exec,
                      pr->n_write_exec, pr->first_bad_map ? pr->first_bad_map : "");
        else
                check(checks, &v, "mappings", EMP_CHECK_PASS, "no anonymous or writable executable mapping");

        file_check(s, pr, checks, &v);

        if (pr->status_err || pr->ns_err)
                check(checks, &v, "sandbox", EMP_CHECK_UNKNOWN, "unreadable: %s",
                      errstr(pr->status_err ? pr->status_err : pr->ns_err));
        else {
                char why[256] = "";
                size_t n = 0;
#define WHY(...) n += (size_t)snprintf(why + n, n < sizeof(why) ? sizeof(why) - n : 0, __VA_ARGS__)
                if (pr->seccomp_mode != 2)
                        WHY("%sseccomp mode %d", n ? ", " : "", pr->seccomp_mode);
                if (!pr->no_new_privs)
                        WHY("%sno_new_privs off", n ? ", " : "");
                if (pr->cap_eff || pr->cap_prm || pr->cap_amb)
                        WHY("%scapabilities %#" PRIx64 "/%#" PRIx64, n ? ", " : "", pr->cap_eff, pr->cap_prm);
                if (pr->userns_host || pr->mntns_host || pr->pidns_host)
                        WHY("%sshares the host's %s%s%s namespace", n ? ", " : "", pr->userns_host ? "user " : "",
                            pr->mntns_host ? "mount " : "", pr->pidns_host ? "pid" : "");
#undef WHY
                if (n)
                        check(checks, &v, "sandbox", EMP_CHECK_FAIL, "%s", why);
                else
                        check(checks, &v, "sandbox", EMP_CHECK_PASS,
                              "seccomp filter, no_new_privs, no capabilities, own namespaces");
        }

        pv->status = pv->any ? worse(pv->status, v.status) : v.status;
        pv->any = true;
        json_t *files = json_array();
        for (size_t k = 0; k < pr->n_maps; k++)
                json_array_append_new(files, json_integer((json_int_t)pr->maps[k]));
        json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o}", "pid", (json_int_t)pr->pid, "comm", pr->comm, "status",
                              emp_check_status_name(v.status), "checks", checks, "files", files);
        json_object_set_new(o, "executable", pr->exe_err ? json_null() : json_integer((json_int_t)pr->exe));
        return o;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
        static const char d[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = d[b[i] >> 4];
                out[2 * i + 1] = d[b[i] & 15];
        }
        out[2 * n] = '\0';
}

json_t *emp_integrity_build(const struct emp_subject_facts *s, const struct emp_platform_facts *p,
                            const uint8_t nonce[EMP_INTEGRITY_NONCE_LEN], const uint8_t report_id[16],
                            int64_t issued_at, const char *assurance)
{
        json_t *reasons = json_array();
        struct verdict proc = {.reasons = reasons, .scope = "sandbox"};
        json_t *subject_checks = json_object();

        /* The caller's executable must be a file the manifest lists (by content). */
        const struct emp_proc_facts *caller = NULL;
        for (size_t i = 0; i < s->n_procs; i++)
                if (s->procs[i].pid == s->caller)
                        caller = &s->procs[i];
        const char *exe_sha = NULL;
        if (!caller)
                check(subject_checks, &proc, "executable", EMP_CHECK_UNKNOWN, "the caller was not found");
        else if (caller->exe_err)
                check(subject_checks, &proc, "executable", EMP_CHECK_UNKNOWN, "not measured: %s",
                      errstr(caller->exe_err));
        else {
                const struct emp_mapped_file *f = &s->files[caller->exe];
                exe_sha = f->sha256;
                const struct emp_listed_file *l;
                enum match m = file_match(s, f, &l);
                if (s->n_listed == 0)
                        check(subject_checks, &proc, "executable", EMP_CHECK_UNKNOWN, "the manifest lists no files");
                else if (m == M_MATCH || m == M_CONTENT)
                        check(subject_checks, &proc, "executable", EMP_CHECK_PASS, "%s matches the manifest's %s",
                              f->path, l->path);
                else
                        check(subject_checks, &proc, "executable", EMP_CHECK_FAIL,
                              "%s (sha256 %s) is not a file the manifest lists", f->path, f->sha256);
        }
        if (s->manifest_err)
                check(subject_checks, &proc, "manifest", EMP_CHECK_UNKNOWN, "unreadable: %s", errstr(s->manifest_err));
        for (size_t i = 0; i < s->n_listed; i++)
                if (s->listed[i].err && s->listed[i].err != -ENOENT)
                        check(subject_checks, &proc, "manifest", EMP_CHECK_UNKNOWN, "listed %s: %s",
                              s->listed[i].path, errstr(s->listed[i].err));
        if (s->procs_truncated)
                check(subject_checks, &proc, "bounds", EMP_CHECK_UNKNOWN,
                      "more than %d processes: not all checked", EMP_INTEGRITY_MAX_PROCS);
        else
                check(subject_checks, &proc, "bounds", EMP_CHECK_PASS, "all %zu process(es) checked", s->n_procs);

        json_t *procs = json_array();
        for (size_t i = 0; i < s->n_procs; i++)
                json_array_append_new(procs, build_proc(s, &s->procs[i], &proc));

        struct verdict plat = {.reasons = reasons, .scope = "platform"};
        json_t *platform = build_platform(p, &plat);
        enum emp_check_status overall = worse(proc.any ? proc.status : EMP_CHECK_UNKNOWN,
                                              plat.any ? plat.status : EMP_CHECK_UNKNOWN);

        char nonce_hex[2 * EMP_INTEGRITY_NONCE_LEN + 1], id_hex[33];
        hex(nonce, EMP_INTEGRITY_NONCE_LEN, nonce_hex);
        hex(report_id, 16, id_hex);
        json_t *subject = json_pack("{s:s,s:o,s:o,s:I,s:I,s:o}", "app_id", s->app_id ? s->app_id : "",
                                    "manifest_sha256", s->manifest_err ? json_null() : json_string(s->manifest_sha256),
                                    "executable_sha256", exe_sha ? json_string(exe_sha) : json_null(), "caller_pid",
                                    (json_int_t)s->caller, "processes", (json_int_t)s->n_procs, "checks",
                                    subject_checks);
        json_t *limits = json_pack("{s:i,s:i,s:I}", "max_processes", EMP_INTEGRITY_MAX_PROCS, "max_files",
                                   EMP_INTEGRITY_MAX_FILES, "max_hash_bytes",
                                   (json_int_t)EMP_INTEGRITY_MAX_HASH_BYTES);
        json_t *verdict = json_pack("{s:s,s:s,s:s,s:o}", "status", emp_check_status_name(overall), "process",
                                    emp_check_status_name(proc.any ? proc.status : EMP_CHECK_UNKNOWN), "platform",
                                    emp_check_status_name(plat.any ? plat.status : EMP_CHECK_UNKNOWN), "reasons",
                                    reasons);
        return json_pack("{s:i,s:s,s:s,s:I,s:o,s:o,s:{s:s,s:o,s:o},s:o,s:s,s:o}", "v", 1, "report_id", id_hex,
                         "nonce", nonce_hex, "issued_at", (json_int_t)issued_at, "subject", subject, "platform",
                         platform, "process", "status",
                         emp_check_status_name(proc.any ? proc.status : EMP_CHECK_UNKNOWN), "processes", procs,
                         "files", build_files(s), "verdict", verdict, "assurance", assurance, "limits", limits);
}

void emp_subject_facts_free(struct emp_subject_facts *s)
{
        free(s->app_id);
        for (size_t i = 0; i < s->n_listed; i++)
                free(s->listed[i].path);
        free(s->listed);
        for (size_t i = 0; i < s->n_procs; i++) {
                free(s->procs[i].ld_preload);
                free(s->procs[i].ld_audit);
                free(s->procs[i].first_bad_map);
                free(s->procs[i].maps);
                free(s->procs[i].maps_exec);
        }
        free(s->procs);
        for (size_t i = 0; i < s->n_files; i++)
                free(s->files[i].path);
        free(s->files);
        memset(s, 0, sizeof(*s));
}
