/* fake_screensaver.c — a stand-in org.freedesktop.ScreenSaver on a test's
 * own session bus: answers Inhibit/UnInhibit and logs each call, one line,
 * to the file named by argv[1], so tests see what empyrad asked for. */
#include <gio/gio.h>
#include <stdio.h>

static const char xml[] =
        "<node><interface name='org.freedesktop.ScreenSaver'>"
        "<method name='Inhibit'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
        "<arg type='u' direction='out'/></method>"
        "<method name='UnInhibit'><arg type='u' direction='in'/></method>"
        "</interface></node>";

static const char *log_path;

static void log_line(const char *fmt, const char *a, unsigned u)
{
        FILE *f = fopen(log_path, "a");
        if (!f)
                return;
        fprintf(f, fmt, a, u);
        fputc('\n', f);
        fclose(f);
}

static void on_call(GDBusConnection *c, const char *sender, const char *path, const char *iface, const char *method,
                    GVariant *params, GDBusMethodInvocation *inv, gpointer data)
{
        (void)c, (void)sender, (void)path, (void)iface, (void)data;
        if (g_strcmp0(method, "Inhibit") == 0) {
                const char *app, *reason;
                g_variant_get(params, "(&s&s)", &app, &reason);
                log_line("inhibit %s %u", reason, 42);
                g_dbus_method_invocation_return_value(inv, g_variant_new("(u)", 42u));
        } else {
                guint32 cookie;
                g_variant_get(params, "(u)", &cookie);
                log_line("uninhibit %s%u", "", cookie);
                g_dbus_method_invocation_return_value(inv, NULL);
        }
}

static void on_bus(GDBusConnection *c, const char *name, gpointer data)
{
        (void)name;
        static const GDBusInterfaceVTable vt = {on_call, NULL, NULL, {0}};
        GDBusNodeInfo *info = g_dbus_node_info_new_for_xml(xml, NULL);
        g_dbus_connection_register_object(c, "/org/freedesktop/ScreenSaver", info->interfaces[0], &vt, data, NULL,
                                          NULL);
}

static void on_name(GDBusConnection *c, const char *name, gpointer data)
{
        (void)c, (void)name, (void)data;
        log_line("ready%s%u", "", 0);
}

int main(int argc, char **argv)
{
        if (argc != 2)
                return 2;
        log_path = argv[1];
        g_bus_own_name(G_BUS_TYPE_SESSION, "org.freedesktop.ScreenSaver", G_BUS_NAME_OWNER_FLAGS_NONE, on_bus, on_name,
                       NULL, NULL, NULL);
        g_main_loop_run(g_main_loop_new(NULL, FALSE));
        return 0;
}
