/* test_manifest.c — manifest loading: the full DESIGN.md example, every kind
 * of malformed value, exact "FILE:LINE: [Group] key: why" messages, all-or-nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/manifest.h"

#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"

static const char full_example[] =
        "[Application]\n"
        "name=org.example.Game\n"
        "command=/usr/games/example\n"
        "[Context]\n"
        "shared=network;ipc;\n"
        "sockets=wayland;pulseaudio;\n"
        "devices=dri;\n"
        "features=multiarch;\n"
        "filesystems=xdg-download;~/Games:ro;\n"
        "persistent=.example;\n"
        "[Environment]\n"
        "SDL_VIDEODRIVER=wayland\n"
        "[Empyra Resources]\n"
        "memory=4G\n"
        "pids=1024\n"
        "cpu-weight=100\n"
        "[Empyra Gateway]\n"
        "files=brokered\n"
        "[Empyra Network]\n"
        "provider=direct\n"
        "rules=allow *.example.com:443;deny lan;\n"
        "[Empyra Integrity]\n"
        "files=/usr/games/example=sha256:" HEX_A ";/usr/lib/example/libgame.so=sha256:" HEX_B ";\n";

static int load(struct emp_manifest *m, const char *text, struct emp_error *err)
{
        return emp_manifest_load_data(m, "app.ini", text, strlen(text), err);
}

/* Loads text into a fresh manifest and checks the exact error message. */
static void expect_error(const char *text, const char *msg)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        int r = load(&m, text, &err);
        if (r == 0 || strcmp(err.msg, msg) != 0)
                fail_msg("for:\n%s\nexpected: %s\n     got: %s (%d)", text, msg, err.msg, r);
        assert_int_equal(r, err.code);
        emp_manifest_free(&m);
}

/* Error messages start with "app.ini:LINE: ..." — checks only the prefix. */
static void expect_error_prefix(const char *text, const char *prefix)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        int r = load(&m, text, &err);
        if (r == 0 || strncmp(err.msg, prefix, strlen(prefix)) != 0)
                fail_msg("for:\n%s\nexpected prefix: %s\n            got: %s (%d)", text, prefix,
                         err.msg, r);
        emp_manifest_free(&m);
}

static void expect_ok(const char *text)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        if (load(&m, text, &err) != 0)
                fail_msg("for:\n%s\nunexpected error: %s", text, err.msg);
        emp_manifest_free(&m);
}

static void strv_append_desc(GString *s, const char *what, char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                g_string_append_printf(s, "%s=%s\n", what, v[i]);
}

/* Every field as text, so "unchanged" can be checked in one comparison. */
static char *describe(const struct emp_manifest *m)
{
        GString *s = g_string_new(NULL);
        g_string_append_printf(s, "path=%s app=%s cmd=%s\n", m->path ?: "-", m->app_id ?: "-",
                               m->command ?: "-");
        g_string_append_printf(s, "bits=%x/%x %x/%x %x/%x %x/%x\n", m->shared, m->noshared,
                               m->sockets, m->nosockets, m->devices, m->nodevices, m->features,
                               m->nofeatures);
        for (size_t i = 0; i < m->n_filesystems; i++)
                g_string_append_printf(s, "fs=%s %d %d\n", m->filesystems[i].spec,
                                       m->filesystems[i].access, m->filesystems[i].negated);
        strv_append_desc(s, "persist", m->persistent);
        strv_append_desc(s, "env", m->env);
        g_string_append_printf(s, "res=%llu %llu %u files=%d/%d prov=%s integ=%d\n",
                               (unsigned long long)m->memory_max, (unsigned long long)m->pids_max,
                               m->cpu_weight, m->files, m->has_files, m->net_provider ?: "-",
                               m->has_integrity);
        strv_append_desc(s, "rule", m->net_rules);
        strv_append_desc(s, "integ", m->integrity_files);
        strv_append_desc(s, "unknown", m->unknown);
        return g_string_free(s, FALSE);
}

static void test_full_example(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m, full_example, &err), 0);

        assert_null(m.path); /* load_data doesn't name the manifest */
        assert_string_equal(m.app_id, "org.example.Game");
        assert_string_equal(m.command, "/usr/games/example");
        assert_int_equal(m.shared, EMP_SHARE_NETWORK | EMP_SHARE_IPC);
        assert_int_equal(m.sockets, EMP_SOCKET_WAYLAND | EMP_SOCKET_PULSEAUDIO);
        assert_int_equal(m.devices, EMP_DEVICE_DRI);
        assert_int_equal(m.features, EMP_FEATURE_MULTIARCH);
        assert_int_equal(m.noshared | m.nosockets | m.nodevices | m.nofeatures, 0);

        assert_int_equal(m.n_filesystems, 2);
        assert_string_equal(m.filesystems[0].spec, "xdg-download");
        assert_int_equal(m.filesystems[0].access, EMP_FS_RW);
        assert_false(m.filesystems[0].negated);
        assert_string_equal(m.filesystems[1].spec, "~/Games");
        assert_int_equal(m.filesystems[1].access, EMP_FS_RO);

        assert_string_equal(m.persistent[0], ".example");
        assert_null(m.persistent[1]);
        assert_string_equal(m.env[0], "SDL_VIDEODRIVER=wayland");
        assert_null(m.env[1]);

        assert_int_equal(m.memory_max, 4ull << 30);
        assert_int_equal(m.pids_max, 1024);
        assert_int_equal(m.cpu_weight, 100);
        assert_true(m.has_files);
        assert_int_equal(m.files, EMP_FILES_BROKERED);

        assert_string_equal(m.net_provider, "direct");
        assert_string_equal(m.net_rules[0], "allow *.example.com:443");
        assert_string_equal(m.net_rules[1], "deny lan");
        assert_null(m.net_rules[2]);

        assert_true(m.has_integrity);
        assert_string_equal(m.integrity_files[0], "/usr/games/example=sha256:" HEX_A);
        /* Hex is stored lower-case so comparisons with computed hashes are plain strcmp. */
        assert_string_equal(m.integrity_files[1],
                            "/usr/lib/example/libgame.so=sha256:"
                            "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
        assert_null(m.integrity_files[2]);
        assert_null(m.unknown);
        emp_manifest_free(&m);
}

static void test_empty_and_comment_only(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(emp_manifest_load_data(&m, "e.ini", "", 0, &err), 0);
        assert_int_equal(load(&m, "# nothing\n\n   \n#[Context]\n", &err), 0);
        assert_null(m.app_id);
        assert_false(m.has_integrity);
        assert_false(m.has_files);
        assert_int_equal(m.n_filesystems, 0);
        emp_manifest_free(&m);
}

static void test_whitespace_crlf_escapes(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        const char *text = "  # comment\r\n"
                           "  [Context]  \r\n"
                           "sockets = wayland ; x11\r\n"
                           "filesystems=~/My\\sGames:ro;/mnt/a\\;b;\r\n"
                           "[Environment]\r\n"
                           "GREETING = hello\\tworld\r\n";
        /* GKeyFile keeps blanks inside list entries: "wayland " is no socket. */
        assert_int_equal(load(&m, text, &err), -EINVAL);
        assert_string_equal(err.msg, "app.ini:3: [Context] sockets: unknown socket 'wayland '");
        emp_manifest_free(&m);

        emp_manifest_init(&m);
        text = "[Context]\r\n"
               "sockets = wayland;x11\r\n"
               "filesystems=~/My\\sGames:ro;/mnt/a\\;b;\r\n"
               "[Environment]\r\n"
               "GREETING = hello\\tworld\r\n";
        assert_int_equal(load(&m, text, &err), 0);
        assert_int_equal(m.sockets, EMP_SOCKET_WAYLAND | EMP_SOCKET_X11);
        assert_int_equal(m.n_filesystems, 2);
        assert_string_equal(m.filesystems[0].spec, "~/My Games");
        assert_string_equal(m.filesystems[1].spec, "/mnt/a;b");
        assert_string_equal(m.env[0], "GREETING=hello\tworld");
        emp_manifest_free(&m);
}

static void test_unknown_context_values(void **state)
{
        expect_error("[Application]\n"
                     "name=org.example.Game\n"
                     "\n"
                     "# what the app may reach\n"
                     "[Context]\n"
                     "shared=network;\n"
                     "sockets=wayland2;\n",
                     "app.ini:7: [Context] sockets: unknown socket 'wayland2'");
        expect_error("[Context]\nshared=network;bluetooth;\n",
                     "app.ini:2: [Context] shared: unknown share 'bluetooth'");
        expect_error("[Context]\ndevices=dri;!gpu;\n",
                     "app.ini:2: [Context] devices: unknown device 'gpu'");
        expect_error("[Context]\n\nfeatures = devel;nesting\n",
                     "app.ini:3: [Context] features: unknown feature 'nesting'");
        expect_error("[Context]\nsockets=Wayland\n",
                     "app.ini:2: [Context] sockets: unknown socket 'Wayland'");
        expect_error("[Context]\nsockets=!\n", "app.ini:2: [Context] sockets: unknown socket ''");
}

static void test_all_context_names(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(
                load(&m,
                     "[Context]\n"
                     "shared=network;ipc\n"
                     "sockets=wayland;x11;fallback-x11;pulseaudio;session-bus;system-bus;"
                     "ssh-auth;cups;gpg-agent;pcsc;\n"
                     "devices=dri;input;kvm;all;shm;\n"
                     "features=multiarch;devel;bluetooth;canbus;per-app-dev-shm;nested;;\n",
                     &err),
                0);
        assert_int_equal(m.shared, 0x3);
        assert_int_equal(m.sockets, 0x3ff);
        assert_int_equal(m.devices, 0x1f);
        assert_int_equal(m.features, 0x3f);
        emp_manifest_free(&m);
}

static void test_revocation(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m,
                              "[Context]\n"
                              "shared=!network;ipc;network\n"
                              "sockets=!x11;wayland\n"
                              "devices=!all\n"
                              "features=!devel\n"
                              "filesystems=home;!home;!xdg-download/sub\n",
                              &err),
                         0);
        /* Within one source the revocation wins, whatever the order. */
        assert_int_equal(emp_bits(m.shared, m.noshared), EMP_SHARE_IPC);
        assert_int_equal(m.noshared, EMP_SHARE_NETWORK);
        assert_int_equal(emp_bits(m.sockets, m.nosockets), EMP_SOCKET_WAYLAND);
        assert_int_equal(m.nosockets, EMP_SOCKET_X11);
        assert_int_equal(m.nodevices, EMP_DEVICE_ALL);
        assert_int_equal(m.nofeatures, EMP_FEATURE_DEVEL);
        assert_int_equal(m.n_filesystems, 3);
        assert_false(m.filesystems[0].negated);
        assert_true(m.filesystems[1].negated);
        assert_string_equal(m.filesystems[1].spec, "home");
        assert_true(m.filesystems[2].negated);
        assert_string_equal(m.filesystems[2].spec, "xdg-download/sub");

        /* A later file's grant lifts the earlier revocation; its own
         * revocation still beats an earlier grant. */
        assert_int_equal(load(&m, "[Context]\nshared=network\nsockets=!wayland\n", &err), 0);
        assert_int_equal(emp_bits(m.shared, m.noshared), EMP_SHARE_IPC | EMP_SHARE_NETWORK);
        assert_int_equal(emp_bits(m.sockets, m.nosockets), 0);
        emp_manifest_free(&m);
}

static void test_unknown_empyra_key(void **state)
{
        expect_error("[Empyra Resources]\nmemory=1G\nswap=1G\n",
                     "app.ini:3: [Empyra Resources] swap: unknown key");
        expect_error("[Empyra Gateway]\nfile=brokered\n",
                     "app.ini:2: [Empyra Gateway] file: unknown key");
        expect_error("[Empyra Network]\nprovider=direct\nrule=deny lan\n",
                     "app.ini:3: [Empyra Network] rule: unknown key");
        expect_error("[Empyra Integrity]\nfile=/a=sha256:" HEX_A "\n",
                     "app.ini:2: [Empyra Integrity] file: unknown key");
        expect_error("[Empyra Resources]\nmemory[de]=1G\n",
                     "app.ini:2: [Empyra Resources] memory[de]: localized keys are not allowed here");
}

static void test_unknown_empyra_section(void **state)
{
        expect_error("[Application]\nname=org.a.b\n\n[Empyra Magic]\nx=1\n",
                     "app.ini:4: [Empyra Magic]: unknown Empyra section");
        expect_error("[Empyra Magic]\n", "app.ini:1: [Empyra Magic]: unknown Empyra section");
        /* A mis-cased section would otherwise be dropped silently, and with it a limit. */
        expect_error("[empyra resources]\nmemory=1G\n",
                     "app.ini:1: [empyra resources]: unknown Empyra section");
        expect_error("[Empyra]\n", "app.ini:1: [Empyra]: unknown Empyra section");
}

static void test_unknown_flatpak_kept(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m,
                              "[Application]\n"
                              "name=org.a.b\n"
                              "runtime=org.freedesktop.Platform/x86_64/23.08\n"
                              "[Context]\n"
                              "unset-environment=LD_PRELOAD;\n"
                              "[Session Bus Policy]\n"
                              "org.freedesktop.Notifications=talk\n"
                              "[Extension org.a.b.Debug]\n"
                              "directory=lib/debug\n"
                              "[Empty Flatpak Group]\n",
                              &err),
                         0);
        assert_string_equal(m.unknown[0], "[Application] runtime=org.freedesktop.Platform/x86_64/23.08");
        assert_string_equal(m.unknown[1], "[Context] unset-environment=LD_PRELOAD;");
        assert_string_equal(m.unknown[2], "[Session Bus Policy] org.freedesktop.Notifications=talk");
        assert_string_equal(m.unknown[3], "[Extension org.a.b.Debug] directory=lib/debug");
        assert_null(m.unknown[4]);
        emp_manifest_free(&m);
}

static void test_bad_memory(void **state)
{
        static const struct {
                const char *value, *why;
        } cases[] = {
                { "4X", "bad size '4X' (use e.g. 4G, 512M, 1024K or bytes)" },
                { "-1", "bad size '-1' (use e.g. 4G, 512M, 1024K or bytes)" },
                { "1.5G", "bad size '1.5G' (use e.g. 4G, 512M, 1024K or bytes)" },
                { "4GB", "bad size '4GB' (use e.g. 4G, 512M, 1024K or bytes)" },
                { "0x10", "bad size '0x10' (use e.g. 4G, 512M, 1024K or bytes)" },
                { "G", "bad size 'G' (use e.g. 4G, 512M, 1024K or bytes)" },
                { "", "bad size '' (use e.g. 4G, 512M, 1024K or bytes)" },
                { "0", "size must be greater than 0" },
                { "0G", "size must be greater than 0" },
                { "99999999999T", "size '99999999999T' is too large" },
                { "99999999999999999999", "size '99999999999999999999' is too large" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                g_autofree char *text =
                        g_strdup_printf("[Empyra Resources]\nmemory=%s\n", cases[i].value);
                g_autofree char *msg =
                        g_strdup_printf("app.ini:2: [Empyra Resources] memory: %s", cases[i].why);
                expect_error(text, msg);
        }
}

static void test_bad_pids_and_weight(void **state)
{
        expect_error("[Empyra Resources]\npids=0\n",
                     "app.ini:2: [Empyra Resources] pids: '0' is out of range (1..4194304)");
        expect_error("[Empyra Resources]\npids=4194305\n",
                     "app.ini:2: [Empyra Resources] pids: '4194305' is out of range (1..4194304)");
        expect_error("[Empyra Resources]\npids=-5\n",
                     "app.ini:2: [Empyra Resources] pids: '-5' is not a number");
        expect_error("[Empyra Resources]\npids=12a\n",
                     "app.ini:2: [Empyra Resources] pids: '12a' is not a number");
        expect_error("[Empyra Resources]\npids=99999999999999999999999\n",
                     "app.ini:2: [Empyra Resources] pids: '99999999999999999999999' is out of "
                     "range (1..4194304)");
        expect_error("[Empyra Resources]\ncpu-weight=0\n",
                     "app.ini:2: [Empyra Resources] cpu-weight: '0' is out of range (1..10000)");
        expect_error("[Empyra Resources]\ncpu-weight=10001\n",
                     "app.ini:2: [Empyra Resources] cpu-weight: '10001' is out of range (1..10000)");
        expect_error("[Empyra Resources]\ncpu-weight=high\n",
                     "app.ini:2: [Empyra Resources] cpu-weight: 'high' is not a number");

        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m, "[Empyra Resources]\ncpu-weight=1\npids=1\nmemory=1\n", &err), 0);
        assert_int_equal(m.cpu_weight, 1);
        assert_int_equal(m.pids_max, 1);
        assert_int_equal(m.memory_max, 1);
        assert_int_equal(load(&m, "[Empyra Resources]\ncpu-weight=10000\nmemory=512M\n", &err), 0);
        assert_int_equal(m.cpu_weight, 10000);
        assert_int_equal(m.memory_max, 512ull << 20);
        assert_int_equal(m.pids_max, 1); /* not named by the second file: kept */
        emp_manifest_free(&m);
}

static void test_files_mode(void **state)
{
        expect_error("[Empyra Gateway]\nfiles=dynamic\n",
                     "app.ini:2: [Empyra Gateway] files: unknown files mode 'dynamic' "
                     "(use static or brokered)");
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m, "[Empyra Gateway]\n", &err), 0);
        assert_false(m.has_files);
        assert_int_equal(load(&m, "[Empyra Gateway]\nfiles=static\n", &err), 0);
        assert_true(m.has_files);
        assert_int_equal(m.files, EMP_FILES_STATIC);
        emp_manifest_free(&m);
}

static void test_provider(void **state)
{
        static const char *const good[] = {
                "direct", "none", "socks5://127.0.0.1:1080", "socks5://proxy.lan:9050",
                "socks5://[::1]:1080",
        };
        static const char *const bad[] = {
                "socks5://", "socks5://host", "socks5://host:0", "socks5://host:65536",
                "socks5://:1080", "http://proxy:8080", "socks5://[zz]:1", "socks5://*.a.com:1",
                "socks5://10.0.0.0/8:1", "socks5://host:*", "socks5://::1:1080", "Direct",
                "socks5://a b:1", "socks5://[::1]1080",
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                g_autofree char *text = g_strdup_printf("[Empyra Network]\nprovider=%s\n", good[i]);
                expect_ok(text);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                g_autofree char *text = g_strdup_printf("[Empyra Network]\nprovider=%s\n", bad[i]);
                g_autofree char *msg = g_strdup_printf(
                        "app.ini:2: [Empyra Network] provider: bad provider '%s' "
                        "(use direct, none or socks5://HOST:PORT)",
                        bad[i]);
                expect_error(text, msg);
        }
}

static void test_rules(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m,
                              "[Empyra Network]\n"
                              "rules=allow *.example.com:443;deny   lan;ask 10.0.0.0/8:*;"
                              "allow [::1]:22;allow [fd00::/8]:*;deny [fd00::]/8:53;"
                              "allow loopback;deny internet;ask 192.168.1.5:8080;allow a_b.c:1\n",
                              &err),
                         0);
        static const char *const want[] = {
                "allow *.example.com:443", "deny lan",          "ask 10.0.0.0/8:*",
                "allow [::1]:22",          "allow [fd00::/8]:*", "deny [fd00::]/8:53",
                "allow loopback",          "deny internet",     "ask 192.168.1.5:8080",
                "allow a_b.c:1",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_string_equal(m.net_rules[i], want[i]);
        assert_null(m.net_rules[sizeof(want) / sizeof(want[0])]);
        emp_manifest_free(&m);

        expect_error("[Empyra Network]\nrules=permit lan\n",
                     "app.ini:2: [Empyra Network] rules: bad rule 'permit lan' "
                     "(use 'allow|deny|ask TARGET')");
        expect_error("[Empyra Network]\nrules=deny lan;allow\n",
                     "app.ini:2: [Empyra Network] rules: bad rule 'allow' "
                     "(use 'allow|deny|ask TARGET')");
        expect_error("[Empyra Network]\nrules=deny lan extra\n",
                     "app.ini:2: [Empyra Network] rules: bad rule 'deny lan extra' "
                     "(use 'allow|deny|ask TARGET')");
        static const char *const bad_targets[] = {
                "host", "host:0", "host:http", "300.1.1.1:80", "10.0.0.0/33:1", "::1:22",
                "[::1]", "[fd00::/129]:1", "*.:1", "a..b:1", "*:25", "**.a:1", "-:",
                "LAN", "a/b:1",
        };
        for (size_t i = 0; i < sizeof(bad_targets) / sizeof(bad_targets[0]); i++) {
                g_autofree char *text =
                        g_strdup_printf("[Empyra Network]\nrules=allow %s\n", bad_targets[i]);
                g_autofree char *msg = g_strdup_printf(
                        "app.ini:2: [Empyra Network] rules: bad rule target '%s' "
                        "(use lan, loopback, internet or HOST:PORT)",
                        bad_targets[i]);
                expect_error(text, msg);
        }
        expect_error("[Empyra Network]\nrules=deny lan;;\n",
                     "app.ini:2: [Empyra Network] rules: bad rule '' (use 'allow|deny|ask TARGET')");
}

static void test_integrity(void **state)
{
        const char *p = "app.ini:2: [Empyra Integrity] files: ";
        static const struct {
                const char *entry, *why;
        } cases[] = {
                { "/bin/x=sha256:abc", "bad sha256 'abc' (need 64 hex digits)" },
                { "/bin/x=sha256:" HEX_A "0", "bad sha256 '" HEX_A "0' (need 64 hex digits)" },
                { "/bin/x=sha256:" "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  "bad sha256 'g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' "
                  "(need 64 hex digits)" },
                { "/bin/x=md5:abc", "bad entry '/bin/x=md5:abc' (use /PATH=sha256:HEX)" },
                { "/bin/x", "bad entry '/bin/x' (use /PATH=sha256:HEX)" },
                { "bin/x=sha256:" HEX_A, "bad path 'bin/x' (must be an absolute file path)" },
                { "/usr/../etc/x=sha256:" HEX_A,
                  "bad path '/usr/../etc/x' (must be an absolute file path)" },
                { "=sha256:" HEX_A, "bad path '' (must be an absolute file path)" },
                { "/usr/=sha256:" HEX_A, "bad path '/usr/' (must be an absolute file path)" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                g_autofree char *text =
                        g_strdup_printf("[Empyra Integrity]\nfiles=%s\n", cases[i].entry);
                g_autofree char *msg = g_strdup_printf("%s%s", p, cases[i].why);
                expect_error(text, msg);
        }
}

static void test_integrity_presence(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m, "[Application]\nname=org.a.b\n", &err), 0);
        assert_false(m.has_integrity);
        /* An empty section still says "check integrity", with nothing listed. */
        assert_int_equal(load(&m, "[Empyra Integrity]\n", &err), 0);
        assert_true(m.has_integrity);
        assert_null(m.integrity_files);
        emp_manifest_free(&m);

        emp_manifest_init(&m);
        assert_int_equal(load(&m, "[Empyra Integrity]\nfiles=\n", &err), 0);
        assert_true(m.has_integrity);
        assert_null(m.integrity_files);
        emp_manifest_free(&m);
}

static void test_filesystems_good(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m,
                              "[Context]\n"
                              "filesystems=host;host-os:ro;host-etc:ro;home:rw;~;~/;~/a/b:create;"
                              "/srv/data;/;xdg-desktop;xdg-documents/x;xdg-download:ro;xdg-music;"
                              "xdg-pictures;xdg-public-share;xdg-templates;xdg-videos;xdg-config/app;"
                              "xdg-data/app:create;xdg-cache;xdg-run/app;/mnt/a:b/c;~/.x\n",
                              &err),
                         0);
        assert_int_equal(m.n_filesystems, 23);
        assert_string_equal(m.filesystems[1].spec, "host-os");
        assert_int_equal(m.filesystems[1].access, EMP_FS_RO);
        assert_int_equal(m.filesystems[3].access, EMP_FS_RW);
        assert_string_equal(m.filesystems[6].spec, "~/a/b");
        assert_int_equal(m.filesystems[6].access, EMP_FS_CREATE);
        assert_string_equal(m.filesystems[21].spec, "/mnt/a:b/c");
        emp_manifest_free(&m);
}

static void test_filesystems_bad(void **state)
{
        const char *p = "app.ini:2: [Context] filesystems: ";
        static const struct {
                const char *entry, *why;
        } cases[] = {
                { "~/../etc", "bad location '~/../etc': '..' is not allowed in a location" },
                { "/usr/..", "bad location '/usr/..': '..' is not allowed in a location" },
                { "xdg-download/../..",
                  "bad location 'xdg-download/../..': '..' is not allowed in a location" },
                { "Games", "bad location 'Games': relative path (start it with / or ~/)" },
                { "./x", "bad location './x': relative path (start it with / or ~/)" },
                { "~user/x", "bad location '~user/x': relative path (start it with / or ~/)" },
                { "~/Games:readonly", "unknown suffix ':readonly' (use :ro, :rw or :create)" },
                { "/mnt/a:b", "unknown suffix ':b' (use :ro, :rw or :create)" },
                { "home:", "unknown suffix ':' (use :ro, :rw or :create)" },
                { ":ro", "bad location '': empty location" },
                { "!", "bad location '': empty location" },
                { ";", "bad location '': empty location" }, /* "home;;": a trailing ';' alone ends the list */
                { "home/Games", "bad location 'home/Games': this location takes no sub-path "
                                "(use ~/PATH or /PATH)" },
                { "host-os/usr", "bad location 'host-os/usr': this location takes no sub-path "
                                 "(use ~/PATH or /PATH)" },
                { "xdg-downloads", "bad location 'xdg-downloads': unknown xdg- directory" },
                { "!home:ro", "a revoked location takes no :ro/:rw/:create" },
                { "/a\\nb", "bad location '/a?b': control character in location" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                g_autofree char *text =
                        g_strdup_printf("[Context]\nfilesystems=home;%s\n", cases[i].entry);
                g_autofree char *msg = g_strdup_printf("%s%s", p, cases[i].why);
                expect_error(text, msg);
        }
}

static void test_fs_spec_validate(void **state)
{
        const char *why = NULL;
        assert_int_equal(emp_fs_spec_validate("home", &why), 0);
        assert_int_equal(emp_fs_spec_validate("~/x/y", &why), 0);
        assert_int_equal(emp_fs_spec_validate("xdg-run/pipewire-0", &why), 0);
        assert_int_equal(emp_fs_spec_validate("/", &why), 0);
        assert_null(why);
        assert_int_equal(emp_fs_spec_validate("", &why), -EINVAL);
        assert_string_equal(why, "empty location");
        assert_int_equal(emp_fs_spec_validate(NULL, &why), -EINVAL);
        assert_int_equal(emp_fs_spec_validate("x/..", &why), -EINVAL);
        assert_int_equal(emp_fs_spec_validate("/a/../b", &why), -EINVAL);
        assert_string_equal(why, "'..' is not allowed in a location");
        assert_int_equal(emp_fs_spec_validate("/a/..b", NULL), 0); /* "..b" is a name */
        assert_int_equal(emp_fs_spec_validate("rel", NULL), -EINVAL);
        assert_int_equal(emp_fs_spec_validate("/a\nb", &why), -EINVAL);
        assert_string_equal(why, "control character in location");
}

static void test_persistent(void **state)
{
        expect_ok("[Context]\npersistent=.example;.config/example;a/b\n");
        expect_error("[Context]\npersistent=/abs\n",
                     "app.ini:2: [Context] persistent: bad persistent path '/abs': must be "
                     "relative to the home directory (e.g. .example)");
        expect_error("[Context]\npersistent=~/.x\n",
                     "app.ini:2: [Context] persistent: bad persistent path '~/.x': must be "
                     "relative to the home directory (e.g. .example)");
        expect_error("[Context]\npersistent=../x\n",
                     "app.ini:2: [Context] persistent: bad persistent path '../x': '..' is not "
                     "allowed");
        expect_error("[Context]\npersistent=.x;a/../../b\n",
                     "app.ini:2: [Context] persistent: bad persistent path 'a/../../b': '..' is "
                     "not allowed");
        expect_error("[Context]\npersistent=.x;;\n",
                     "app.ini:2: [Context] persistent: bad persistent path '': empty path");
}

static void test_app_id(void **state)
{
        static const char *const good[] = { "org.example.Game", "local.game", "a.b",
                                             "org.ex_ample.G-ame2", "A.B.C.D.E" };
        static const char *const bad[] = { "game",  "org..Game", ".org.a", "org.a.",
                                           "org.1a", "org.a b",  "org.a/b", "",
                                           "org.é",  NULL };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_true(emp_app_id_valid(good[i]));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_false(emp_app_id_valid(bad[i]));
        char long_id[300];
        memset(long_id, 'a', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        long_id[10] = '.';
        assert_false(emp_app_id_valid(long_id));
        long_id[255] = '\0';
        assert_true(emp_app_id_valid(long_id));

        expect_error("[Application]\nname=game\n",
                     "app.ini:2: [Application] name: invalid application id 'game' "
                     "(reverse-DNS, e.g. org.example.App)");
        expect_error("[Application]\ncommand=\n", "app.ini:2: [Application] command: empty command");
}

static void test_parse_size(void **state)
{
        uint64_t v = 7;
        assert_int_equal(emp_parse_size("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(emp_parse_size("100000", &v), 0);
        assert_int_equal(v, 100000);
        assert_int_equal(emp_parse_size("1024K", &v), 0);
        assert_int_equal(v, 1024 * 1024);
        assert_int_equal(emp_parse_size("512m", &v), 0);
        assert_int_equal(v, 512ull << 20);
        assert_int_equal(emp_parse_size("4G", &v), 0);
        assert_int_equal(v, 4ull << 30);
        assert_int_equal(emp_parse_size("2T", &v), 0);
        assert_int_equal(v, 2ull << 40);
        assert_int_equal(emp_parse_size("16777215T", &v), 0);
        v = 7;
        assert_int_equal(emp_parse_size("16777216T", &v), -ERANGE);
        assert_int_equal(emp_parse_size("18446744073709551616", &v), -ERANGE);
        assert_int_equal(emp_parse_size("", &v), -EINVAL);
        assert_int_equal(emp_parse_size(" 1", &v), -EINVAL);
        assert_int_equal(emp_parse_size("+1", &v), -EINVAL);
        assert_int_equal(emp_parse_size("1 G", &v), -EINVAL);
        assert_int_equal(emp_parse_size("1P", &v), -EINVAL);
        assert_int_equal(emp_parse_size(NULL, &v), -EINVAL);
        assert_int_equal(v, 7); /* untouched on failure */
}

static void test_syntax_errors(void **state)
{
        expect_error("[Application]\nname=org.a.b\nthis is junk\n",
                     "app.ini:3: not a [Group] header, key=value line or # comment");
        expect_error("name=org.a.b\n[Application]\n", "app.ini:1: 'name=' before any [Group] header");
        expect_error("[Context]\n=wayland\n",
                     "app.ini:2: not a [Group] header, key=value line or # comment");
        expect_error("\n\n[Context\nsockets=x11\n",
                     "app.ini:3: not a [Group] header, key=value line or # comment");
        expect_error("[Context]]\n", "app.ini:1: not a [Group] header, key=value line or # comment");
        expect_error("[]\n", "app.ini:1: invalid group name []");
        expect_error("[a[b]\n", "app.ini:1: invalid group name [a[b]");
        expect_error("[Context]\nsoc]kets=x11\n", "app.ini:2: [Context]: invalid key name 'soc]kets'");
        expect_error("[Context]\nsockets[=x11\n", "app.ini:2: [Context]: invalid key name 'sockets['");
        expect_error("[Context]\nsoc\x01kets=x11\n", "app.ini:2: [Context]: invalid key name 'soc?kets'");
        expect_error("[Application]\nname=org.a.b\ncommand=\xff\xfe\n", "app.ini:3: not valid UTF-8");
        expect_error("[Application]\nEncoding=ISO-8859-1\n",
                     "app.ini:2: [Application] Encoding: only UTF-8 is supported");
        /* GKeyFile skips leading blanks but not a vertical tab. */
        expect_error("\v[Context]\n", "app.ini:1: not a [Group] header, key=value line or # comment");
        /* A lone '\r' is only dropped before '\n', as GKeyFile does. */
        expect_error("[Context]\r", "app.ini:1: not a [Group] header, key=value line or # comment");

        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        static const char with_nul[] = "[Context]\nsockets=x11\n\0\n";
        assert_int_equal(emp_manifest_load_data(&m, "n.ini", with_nul, sizeof(with_nul) - 1, &err),
                         -EINVAL);
        assert_string_equal(err.msg, "n.ini:3: contains a NUL byte");
        emp_manifest_free(&m);
}

static void test_bad_escape(void **state)
{
        expect_error("[Context]\nsockets=wayland\\\n",
                     "app.ini:2: [Context] sockets: bad escape sequence in value");
        /* For a single string GLib returns "4\\qG" *and* an error: the error wins. */
        expect_error("[Empyra Resources]\nmemory=4\\qG\n",
                     "app.ini:2: [Empyra Resources] memory: bad escape sequence in value");
        expect_error("[Application]\nname=org.a.b\\\n",
                     "app.ini:2: [Application] name: bad escape sequence in value");
        expect_error("[Environment]\nA=x\\y\n",
                     "app.ini:2: [Environment] A: bad escape sequence in value");
}

static void test_duplicates(void **state)
{
        expect_error("[Context]\nsockets=wayland\n# later\nsockets = x11\n",
                     "app.ini:4: [Context] sockets: duplicate key (first set on line 2)");
        /* A repeated group is merged (as GKeyFile does), so a key repeated
         * across the two copies is a duplicate too. */
        expect_error("[Empyra Resources]\nmemory=1G\n[Context]\n[Empyra Resources]\nmemory=2G\n",
                     "app.ini:5: [Empyra Resources] memory: duplicate key (first set on line 2)");
        expect_error("[Environment]\nA=1\nA=2\n",
                     "app.ini:3: [Environment] A: duplicate key (first set on line 2)");

        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(
                load(&m, "[Context]\nsockets=wayland\n[Application]\n[Context]\nshared=ipc\n", &err),
                0);
        assert_int_equal(m.sockets, EMP_SOCKET_WAYLAND);
        assert_int_equal(m.shared, EMP_SHARE_IPC);
        emp_manifest_free(&m);
}

static void test_localized_keys(void **state)
{
        expect_error("[Context]\nsockets=wayland\nsockets[de]=x11\n",
                     "app.ini:3: [Context] sockets[de]: localized keys are not allowed here");
        expect_error("[Environment]\nLANG[fr]=fr_FR\n",
                     "app.ini:2: [Environment] LANG[fr]: localized keys are not allowed here");
        /* Outside the groups we act on, translations are Flatpak's business. */
        expect_ok("[Application]\nname=org.a.b\nname[de]=org.a.c\n[Other]\nx[C]=1\n");
}

static void test_environment(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m, "[Environment]\nA=1\n_b2=two words\nEMPTY=\n", &err), 0);
        assert_string_equal(m.env[0], "A=1");
        assert_string_equal(m.env[1], "_b2=two words");
        assert_string_equal(m.env[2], "EMPTY=");
        assert_null(m.env[3]);
        /* A later file overrides the same variable instead of repeating it. */
        assert_int_equal(load(&m, "[Environment]\nA=3\n", &err), 0);
        assert_string_equal(m.env[0], "A=3");
        assert_null(m.env[3]);
        emp_manifest_free(&m);

        expect_error("[Environment]\nOK=1\n1X=2\n",
                     "app.ini:3: [Environment] 1X: invalid environment variable name");
        expect_error("[Environment]\nA-B=2\n",
                     "app.ini:2: [Environment] A-B: invalid environment variable name");
        expect_error("[Environment]\nA B=2\n",
                     "app.ini:2: [Environment] A B: invalid environment variable name");
}

static void test_all_or_nothing(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m,
                              "[Application]\nname=org.first.App\n[Context]\nshared=ipc\n"
                              "filesystems=~/a\n[Environment]\nA=1\n[Other]\nk=v\n",
                              &err),
                         0);
        g_autofree char *before = describe(&m);

        /* Everything valid except the very last key: nothing of it may stick. */
        static const char *const failing[] = {
                "[Application]\nname=org.second.App\ncommand=/bin/x\n"
                "[Context]\nshared=network;!ipc\nsockets=x11\nfilesystems=home;!~/a\n"
                "persistent=.x\n[Environment]\nA=2\nB=3\n"
                "[Empyra Resources]\nmemory=1G\npids=10\ncpu-weight=5\n"
                "[Empyra Gateway]\nfiles=brokered\n[Empyra Network]\nprovider=none\n"
                "rules=deny lan\n[Empyra Integrity]\nfiles=/a=sha256:" HEX_A "\n"
                "[Flatpak Thing]\nx=y\n[Empyra Resources]\nswap=1\n",
                "[Application]\nname=org.second.App\n[Context]\nsockets=x11;nope\n",
                "[Empyra Integrity]\n[Context]\nsockets=x11\nthis line is junk\n",
        };
        for (size_t i = 0; i < sizeof(failing) / sizeof(failing[0]); i++) {
                emp_error_clear(&err);
                assert_int_not_equal(load(&m, failing[i], &err), 0);
                g_autofree char *after = describe(&m);
                assert_string_equal(before, after);
        }
        emp_manifest_free(&m);
}

static void test_merge_two_files(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m, full_example, &err), 0);
        assert_int_equal(load(&m,
                              "[Application]\nname=local.override\n"
                              "[Context]\nfilesystems=!~/Games\n"
                              "[Empyra Resources]\nmemory=1G\n"
                              "[Empyra Network]\nprovider=socks5://[::1]:9050\nrules=ask internet\n",
                              &err),
                         0);
        assert_string_equal(m.app_id, "local.override");
        assert_string_equal(m.command, "/usr/games/example");
        assert_int_equal(m.memory_max, 1ull << 30);
        assert_int_equal(m.pids_max, 1024);
        assert_int_equal(m.n_filesystems, 3);
        assert_true(m.filesystems[2].negated);
        assert_string_equal(m.net_provider, "socks5://[::1]:9050");
        assert_string_equal(m.net_rules[2], "ask internet");
        assert_true(m.has_integrity);
        emp_manifest_free(&m);
}

static char *write_temp(const char *data, size_t len)
{
        char *path = g_strdup("/tmp/test_manifest_XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        close(fd);
        return path;
}

static void test_load_file(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        g_autofree char *good = write_temp(full_example, strlen(full_example));
        const char bad_text[] = "[Context]\nsockets=nope\n";
        g_autofree char *bad = write_temp(bad_text, strlen(bad_text));

        /* A failed load doesn't name the manifest either. */
        assert_int_equal(emp_manifest_load_file(&m, bad, &err), -EINVAL);
        g_autofree char *want = g_strdup_printf("%s:2: [Context] sockets: unknown socket 'nope'", bad);
        assert_string_equal(err.msg, want);
        assert_null(m.path);

        assert_int_equal(emp_manifest_load_file(&m, good, &err), 0);
        assert_string_equal(m.path, good);
        assert_string_equal(m.app_id, "org.example.Game");
        g_autofree char *other = write_temp("[Empyra Resources]\npids=5\n", 25);
        assert_int_equal(emp_manifest_load_file(&m, other, &err), 0);
        assert_string_equal(m.path, good); /* the first file stays the manifest */
        assert_int_equal(m.pids_max, 5);

        emp_error_clear(&err);
        assert_int_equal(emp_manifest_load_file(&m, "/nonexistent/app.ini", &err), -ENOENT);
        assert_string_equal(err.msg, "/nonexistent/app.ini: No such file or directory");
        emp_error_clear(&err);
        assert_int_equal(emp_manifest_load_file(&m, "/tmp", &err), -EISDIR);

        size_t big_len = 1024 * 1024 + 1;
        char *big_data = malloc(big_len);
        assert_non_null(big_data);
        memset(big_data, '#', big_len);
        g_autofree char *big = write_temp(big_data, big_len);
        emp_error_clear(&err);
        assert_int_equal(emp_manifest_load_file(&m, big, &err), -EFBIG);
        g_autofree char *big_msg = g_strdup_printf("%s: manifest larger than 1 MiB", big);
        assert_string_equal(err.msg, big_msg);
        /* Exactly 1 MiB of comment is fine. */
        g_autofree char *edge = write_temp(big_data, big_len - 1);
        assert_int_equal(emp_manifest_load_file(&m, edge, &err), 0);
        free(big_data);

        unlink(good);
        unlink(bad);
        unlink(other);
        unlink(big);
        unlink(edge);
        emp_manifest_free(&m);
}

static void test_free_reinits(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(load(&m, full_example, &err), 0);
        emp_manifest_free(&m);
        assert_null(m.app_id);
        assert_null(m.filesystems);
        assert_int_equal(m.n_filesystems, 0);
        assert_false(m.has_integrity);
        emp_manifest_free(&m); /* safe twice */
}

static void test_messages_sanitized(void **state)
{
        expect_error("[Context]\nsockets=a\\tb\n", "app.ini:2: [Context] sockets: unknown socket 'a?b'");
        /* Long values are cut, keeping the message bounded and readable. */
        g_autofree char *long_value = g_strnfill(500, 'x');
        g_autofree char *text = g_strdup_printf("[Context]\nsockets=%s\n", long_value);
        expect_error_prefix(text, "app.ini:2: [Context] sockets: unknown socket 'xxxxxxxx");
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_not_equal(load(&m, text, &err), 0);
        assert_true(strlen(err.msg) < 200);
        assert_non_null(strstr(err.msg, "...'"));
        emp_manifest_free(&m);
}

static void test_null_path_and_data(void **state)
{
        struct emp_manifest m;
        struct emp_error err = { 0 };
        emp_manifest_init(&m);
        assert_int_equal(emp_manifest_load_data(&m, NULL, "[Context]\nsockets=z\n", 20, &err),
                         -EINVAL);
        assert_string_equal(err.msg, "<manifest>:2: [Context] sockets: unknown socket 'z'");
        emp_error_clear(&err);
        assert_int_equal(emp_manifest_load_data(&m, "x", NULL, 0, &err), 0);
        assert_int_equal(emp_manifest_load_data(&m, "x", NULL, 3, &err), -EINVAL);
        emp_manifest_free(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_example),
                cmocka_unit_test(test_empty_and_comment_only),
                cmocka_unit_test(test_whitespace_crlf_escapes),
                cmocka_unit_test(test_unknown_context_values),
                cmocka_unit_test(test_all_context_names),
                cmocka_unit_test(test_revocation),
                cmocka_unit_test(test_unknown_empyra_key),
                cmocka_unit_test(test_unknown_empyra_section),
                cmocka_unit_test(test_unknown_flatpak_kept),
                cmocka_unit_test(test_bad_memory),
                cmocka_unit_test(test_bad_pids_and_weight),
                cmocka_unit_test(test_files_mode),
                cmocka_unit_test(test_provider),
                cmocka_unit_test(test_rules),
                cmocka_unit_test(test_integrity),
                cmocka_unit_test(test_integrity_presence),
                cmocka_unit_test(test_filesystems_good),
                cmocka_unit_test(test_filesystems_bad),
                cmocka_unit_test(test_fs_spec_validate),
                cmocka_unit_test(test_persistent),
                cmocka_unit_test(test_app_id),
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_syntax_errors),
                cmocka_unit_test(test_bad_escape),
                cmocka_unit_test(test_duplicates),
                cmocka_unit_test(test_localized_keys),
                cmocka_unit_test(test_environment),
                cmocka_unit_test(test_all_or_nothing),
                cmocka_unit_test(test_merge_two_files),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_free_reinits),
                cmocka_unit_test(test_messages_sanitized),
                cmocka_unit_test(test_null_path_and_data),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
