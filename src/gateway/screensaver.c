/* screensaver.c — Inhibit/UnInhibit on org.freedesktop.ScreenSaver through
 * GDBus. A missing bus or service is reported, never an error: focus still
 * works without it. */
#include "screensaver.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

struct emp_screensaver {
        GDBusConnection *bus;
        guint32 cookie;
        bool inhibited;
        char status[512];
};

struct emp_screensaver *emp_screensaver_new(void)
{
        struct emp_screensaver *s = calloc(1, sizeof(*s));
        if (s)
                snprintf(s->status, sizeof(s->status), "released");
        return s;
}

static GVariant *call(struct emp_screensaver *s, const char *method, GVariant *args, const char *reply_type,
                      GError **error)
{
        if (!s->bus) {
                s->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, error);
                if (!s->bus)
                        return NULL;
        }
        return g_dbus_connection_call_sync(s->bus, "org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver",
                                           "org.freedesktop.ScreenSaver", method, args,
                                           reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                                           G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000, NULL, error);
}

void emp_screensaver_sync(struct emp_screensaver *s, const char *focused_app)
{
        if (!s)
                return;
        GError *error = NULL;
        if (focused_app && !s->inhibited) {
                char reason[300];
                snprintf(reason, sizeof(reason), "%s is focused", focused_app);
                GVariant *r = call(s, "Inhibit", g_variant_new("(ss)", "empyra", reason), "(u)", &error);
                if (r) {
                        g_variant_get(r, "(u)", &s->cookie);
                        g_variant_unref(r);
                        s->inhibited = true;
                        snprintf(s->status, sizeof(s->status), "inhibited for %s", focused_app);
                } else {
                        snprintf(s->status, sizeof(s->status), "not applied: screensaver inhibit (%s)",
                                 error ? error->message : "no session bus");
                }
        } else if (!focused_app && s->inhibited) {
                GVariant *r = call(s, "UnInhibit", g_variant_new("(u)", s->cookie), NULL, &error);
                if (r)
                        g_variant_unref(r);
                /* Released either way: if the service went away, so did the
                 * inhibition. */
                s->inhibited = false;
                snprintf(s->status, sizeof(s->status), "released");
        } else if (focused_app) {
                snprintf(s->status, sizeof(s->status), "inhibited for %s", focused_app);
        }
        if (error)
                g_error_free(error);
}

const char *emp_screensaver_status(const struct emp_screensaver *s)
{
        return s ? s->status : "not applied: screensaver inhibit (out of memory)";
}

void emp_screensaver_free(struct emp_screensaver *s)
{
        if (!s)
                return;
        if (s->inhibited)
                emp_screensaver_sync(s, NULL);
        if (s->bus)
                g_object_unref(s->bus);
        free(s);
}
