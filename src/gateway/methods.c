/* methods.c — the control API's methods. Each validates its parameters
 * itself; nothing from the client is used before it is checked. */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "daemon.h"
#include "launcher/focus.h"
#include "manifest/manifest.h"

static void fail(struct emp_method_result *out, const char *error, const char *msg)
{
        out->error = error;
        snprintf(out->message, sizeof(out->message), "%s", msg);
}

static void m_version(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)d;
        (void)params;
        out->reply = json_pack("{s:s}", "version", EMPYRAD_VERSION);
}

static void m_apps_list(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        struct emp_focus_app *apps = NULL;
        size_t n = 0;
        char *focused = NULL;
        if (emp_focus_list(d->dirs.runtime, &apps, &n) < 0 || emp_focus_get(d->dirs.runtime, &focused) < 0) {
                emp_focus_list_free(apps, n);
                fail(out, EMP_API_ERR_FAILED, "reading the registry of running apps failed");
                return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:b}", "app", apps[i].app_id, "pid",
                                                     (int)apps[i].pid, "cgroup", apps[i].cpu_dir, "focused",
                                                     focused && strcmp(focused, apps[i].app_id) == 0));
        out->reply = json_pack("{s:o}", "apps", arr);
        free(focused);
        emp_focus_list_free(apps, n);
}

/* Lines of a focus report split into what was applied and what was not. */
static json_t *focus_reply(const char *runtime, char *report)
{
        char *focused = NULL;
        emp_focus_get(runtime, &focused);
        json_t *applied = json_array(), *missing = json_array();
        for (char *save = NULL, *l = strtok_r(report, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                json_array_append_new(strncmp(l, "not applied: ", 13) == 0 ? missing : applied,
                                      json_string(strncmp(l, "not applied: ", 13) == 0 ? l + 13 : l));
        json_t *o = json_pack("{s:o, s:o, s:o}", "focused", focused ? json_string(focused) : json_null(), "applied",
                              applied, "not_applied", missing);
        free(focused);
        return o;
}

static void focus_change(struct emp_daemon *d, const char *app, struct emp_method_result *out)
{
        char *report = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&report, &len);
        struct emp_error err = {0};
        int r = emp_focus_set(d->dirs.runtime, app, mem, &err);
        fclose(mem);
        if (r < 0)
                fail(out, r == -ESRCH ? EMP_API_ERR_NOT_FOUND : EMP_API_ERR_FAILED, err.msg);
        else
                out->reply = focus_reply(d->dirs.runtime, report ? report : (char[]){""});
        free(report);
}

static void m_focus_set(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        const char *app = json_string_value(json_object_get(params, "app"));
        if (!app || !emp_app_id_valid(app)) {
                fail(out, EMP_API_ERR_PARAMS, "\"app\" must be a valid app id");
                return;
        }
        focus_change(d, app, out);
}

static void m_focus_clear(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        focus_change(d, NULL, out);
}

static void m_focus_get(struct emp_daemon *d, json_t *params, struct emp_method_result *out)
{
        (void)params;
        char none[] = "";
        out->reply = focus_reply(d->dirs.runtime, none);
}

static const struct {
        const char *name;
        void (*run)(struct emp_daemon *d, json_t *params, struct emp_method_result *out);
} methods[] = {
        {"io.empyra.Daemon.Version", m_version},
        {"io.empyra.Apps.List", m_apps_list},
        {"io.empyra.Focus.Get", m_focus_get},
        {"io.empyra.Focus.Set", m_focus_set},
        {"io.empyra.Focus.Clear", m_focus_clear},
};

void emp_methods_dispatch(struct emp_daemon *d, const char *method, json_t *params, struct emp_method_result *out)
{
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
                if (strcmp(method, methods[i].name) == 0) {
                        methods[i].run(d, params, out);
                        return;
                }
        fail(out, EMP_API_ERR_NO_METHOD, "no such method");
}
