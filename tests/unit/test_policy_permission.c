/* test_policy_permission.c — permission names: every form parsed into the
 * right struct and back to its canonical name, every malformed one refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "policy/permission.h"

/* input → canonical name */
static const struct {
        const char *in, *canonical;
} valid[] = {
        { "filesystem:/home/u/Docs", "filesystem:/home/u/Docs" },
        { "filesystem:/home/u/Docs:ro", "filesystem:/home/u/Docs:ro" },
        { "filesystem:/home/u/Docs:rw", "filesystem:/home/u/Docs" },
        { "filesystem://home//u/./Docs/", "filesystem:/home/u/Docs" },
        { "filesystem:/home/u/Docs/:ro", "filesystem:/home/u/Docs:ro" },
        { "filesystem:/", "filesystem:/" },
        { "filesystem:/:ro", "filesystem:/:ro" },
        { "filesystem:/./", "filesystem:/" },
        { "filesystem:/a:b/c d", "filesystem:/a:b/c d" },
        { "filesystem:/a:ro:ro", "filesystem:/a:ro:ro" },      /* the file "/a:ro", read-only */
        { "filesystem:/a:rw:rw", "filesystem:/a:rw:rw" },      /* the file "/a:rw", read-write */
        { "filesystem:/a:ro:rw", "filesystem:/a:ro:rw" },      /* "/a:ro", read-write: spelt out */
        { "filesystem:/a...b/.x", "filesystem:/a...b/.x" },   /* dots that are not ".." */
        { "filesystem:/home/u/Caf\xc3\xa9", "filesystem:/home/u/Caf\xc3\xa9" },
        { "network:example.com:443", "network:example.com:443" },
        { "network:Example.COM:443", "network:example.com:443" },
        { "network:example.com:*", "network:example.com:*" },
        { "network:example.com:00443", "network:example.com:443" },
        { "network:example.com:1", "network:example.com:1" },
        { "network:example.com:65535", "network:example.com:65535" },
        { "network:localhost:80", "network:localhost:80" },
        { "network:_srv-x.example:53", "network:_srv-x.example:53" },
        { "network:*.example.com:443", "network:*.example.com:443" },
        { "network:*.EXAMPLE.com:*", "network:*.example.com:*" },
        { "network:*.com:*", "network:*.com:*" },
        { "network:10.1.2.3:80", "network:10.1.2.3:80" },
        { "network:10.1.2.3/32:80", "network:10.1.2.3:80" },
        { "network:10.0.0.0/8:*", "network:10.0.0.0/8:*" },
        { "network:10.1.2.3/8:*", "network:10.0.0.0/8:*" }, /* host bits cleared */
        { "network:0.0.0.0/0:*", "network:0.0.0.0/0:*" },
        { "network:192.168.1.0/24:22", "network:192.168.1.0/24:22" },
        { "network:[::1]:22", "network:[::1]:22" },
        { "network:[2001:DB8:0:0::1]:443", "network:[2001:db8::1]:443" },
        { "network:[fd00::]/8:*", "network:[fd00::]/8:*" },
        { "network:[fd00::/8]:*", "network:[fd00::]/8:*" }, /* the manifest's other spelling */
        { "network:[fd12:3456::1]/16:*", "network:[fd12::]/16:*" },
        { "network:[::1]/128:22", "network:[::1]:22" },
        { "network:[::]/0:*", "network:[::]/0:*" },
        { "network:[::ffff:10.0.0.1]:80", "network:10.0.0.1:80" },     /* mapped → IPv4 */
        { "network:[::ffff:10.0.0.0]/104:*", "network:10.0.0.0/8:*" }, /* mapped range → IPv4 */
        { "network:[::ffff:0:0]/96:*", "network:0.0.0.0/0:*" },
        { "network:[::ffff:0:0]/95:*", "network:[::fffe:0:0]/95:*" }, /* wider: stays IPv6 */
        { "network:*:*", "network:*:*" },
        { "network:*:443", "network:*:443" },
        { "network:loopback", "network:loopback" },
        { "network:lan", "network:lan" },
        { "network:internet", "network:internet" },
        { "network:listen:8080", "network:listen:8080" },
        { "network:listen:*", "network:listen:*" },
        { "device:dri", "device:dri" },
        { "device:input", "device:input" },
        { "device:kvm", "device:kvm" },
        { "device:all", "device:all" },
        { "socket:wayland", "socket:wayland" },
        { "socket:x11", "socket:x11" },
        { "socket:pulseaudio", "socket:pulseaudio" },
        { "socket:session-bus", "socket:session-bus" },
        { "socket:system-bus", "socket:system-bus" },
        { "socket:ssh-auth", "socket:ssh-auth" },
};

static void test_valid_forms(void **state)
{
        for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
                struct emp_error err = { 0 };
                char *c = NULL;
                int r = emp_permission_canonical(valid[i].in, &c, &err);
                if (r != 0 || strcmp(c, valid[i].canonical) != 0)
                        fail_msg("%s: expected %s, got %s (%d: %s)", valid[i].in, valid[i].canonical,
                                 c ? c : "(none)", r, err.msg);
                free(c);
        }
}

/* The canonical name is a fixed point, and parses to an equal struct. */
static void test_round_trip(void **state)
{
        for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
                struct emp_permission a, b;
                char *s1 = NULL, *s2 = NULL;
                assert_int_equal(emp_permission_parse(valid[i].in, &a, NULL), 0);
                assert_int_equal(emp_permission_format(&a, &s1), 0);
                assert_int_equal(emp_permission_parse(s1, &b, NULL), 0);
                if (!emp_permission_equal(&a, &b))
                        fail_msg("%s: reparsed %s differs", valid[i].in, s1);
                assert_int_equal(emp_permission_format(&b, &s2), 0);
                assert_string_equal(s1, s2);
                /* Each permission covers itself. */
                assert_true(emp_permission_covers(&a, &b));
                free(s1);
                free(s2);
                emp_permission_free(&a);
                emp_permission_free(&b);
        }
}

static void test_struct_fields(void **state)
{
        struct emp_permission p;

        assert_int_equal(emp_permission_parse("filesystem:/srv/data/:ro", &p, NULL), 0);
        assert_int_equal(p.kind, EMP_PERM_FILESYSTEM);
        assert_string_equal(p.path, "/srv/data");
        assert_true(p.ro);
        emp_permission_free(&p);
        assert_null(p.path);

        assert_int_equal(emp_permission_parse("network:*.Example.com:443", &p, NULL), 0);
        assert_int_equal(p.kind, EMP_PERM_NET_HOST);
        assert_int_equal(p.host, EMP_HOST_WILDCARD);
        assert_string_equal(p.name, "example.com");
        assert_int_equal(p.port, 443);
        emp_permission_free(&p);

        assert_int_equal(emp_permission_parse("network:172.16.5.4/12:*", &p, NULL), 0);
        assert_int_equal(p.host, EMP_HOST_CIDR);
        assert_int_equal(p.addr.family, AF_INET);
        assert_int_equal(p.prefix, 12);
        assert_memory_equal(p.addr.bytes, ((uint8_t[]){ 172, 16, 0, 0 }), 4);
        assert_int_equal(p.port, EMP_PORT_ANY);
        emp_permission_free(&p);

        assert_int_equal(emp_permission_parse("network:[fe80::1]:5353", &p, NULL), 0);
        assert_int_equal(p.host, EMP_HOST_ADDR);
        assert_int_equal(p.addr.family, AF_INET6);
        assert_int_equal(p.prefix, 128);
        emp_permission_free(&p);

        assert_int_equal(emp_permission_parse("network:*:*", &p, NULL), 0);
        assert_int_equal(p.host, EMP_HOST_ANY);
        emp_permission_free(&p);

        assert_int_equal(emp_permission_parse("network:lan", &p, NULL), 0);
        assert_int_equal(p.kind, EMP_PERM_NET_CLASS);
        assert_int_equal(p.net_class, EMP_NET_LAN);
        emp_permission_free(&p);

        assert_int_equal(emp_permission_parse("network:listen:*", &p, NULL), 0);
        assert_int_equal(p.kind, EMP_PERM_NET_LISTEN);
        assert_int_equal(p.port, EMP_PORT_ANY);
        emp_permission_free(&p);

        assert_int_equal(emp_permission_parse("device:kvm", &p, NULL), 0);
        assert_int_equal(p.kind, EMP_PERM_DEVICE);
        assert_int_equal(p.device, EMP_DEVICE_NAME_KVM);
        emp_permission_free(&p);

        assert_int_equal(emp_permission_parse("socket:ssh-auth", &p, NULL), 0);
        assert_int_equal(p.kind, EMP_PERM_SOCKET);
        assert_int_equal(p.socket, EMP_SOCKET_NAME_SSH_AUTH);
        emp_permission_free(&p);
}

static const char *const malformed[] = {
        "",
        "bogus",
        "network",
        "Filesystem:/x",
        "filesystem /x",
        /* filesystem */
        "filesystem:",
        "filesystem::ro",
        "filesystem:relative/path",
        "filesystem:~/Games",
        "filesystem:/a/../b",
        "filesystem:/..",
        "filesystem:/a/..",
        "filesystem:/a/b/..:ro",
        "filesystem:/a\nb",
        "filesystem:/a\tb",
        "filesystem:/a\x7f",
        "filesystem:/a\xff",         /* not UTF-8 */
        "filesystem:/a\xc3",         /* truncated UTF-8 */
        "filesystem:/a\xc2\x9b[2J",  /* C1 control (CSI) */
        /* network host:port */
        "network:",
        "network:example.com",
        "network:example.com:",
        "network:example.com:0",
        "network:example.com:65536",
        "network:example.com:100000",
        "network:example.com:-1",
        "network:example.com:+80",
        "network:example.com: 80",
        "network:example.com:80 ",
        "network:example.com:8a",
        "network:example.com:**",
        "network::80",
        "network:exa mple.com:80",
        "network:a..b:80",
        "network:.a:80",
        "network:a.:80",
        "network:*.:80",
        "network:**.a:80",
        "network:a.*.b:80",
        "network:*a.com:80",
        "network:*.*.a.com:80",
        "network:ex\xc3\xa4mple.com:80",
        "network:lan:443",
        "network:loopback:80",
        "network:internet:*",
        "network:listen",
        "network:LAN",
        "network:1.2.3:80",
        "network:1.2.3.4.5:80",
        "network:256.1.1.1:80",
        "network:1.2.3.4/33:*",
        "network:1.2.3.4/:*",
        "network:1.2.3.4/1/2:*",
        "network:1.2.3.4/0x8:*",
        "network:1.2.3.4/-1:*",
        "network:/8:*",
        "network:::1:22",
        "network:fe80::1:22",
        "network:[::1]",
        "network:[::1]22",
        "network:[::1:22",
        "network:[::1]x:22",
        "network:[::1]:",
        "network:[::1]:0",
        "network:[1.2.3.4]:80",
        "network:[zz::1]:80",
        "network:[::1]/129:*",
        "network:[::1/129]:*",
        "network:[fd00::/8]/8:*",
        "network:[fd00::]/:*",
        "network:[]:80",
        "network:[::1]:22:22",
        /* listen */
        "network:listen:",
        "network:listen:0",
        "network:listen:65536",
        "network:listen:http",
        /* devices and sockets */
        "device:",
        "device:gpu",
        "device:DRI",
        "device:dri ",
        "socket:",
        "socket:cups",
        "socket:wayland ",
        "socket:Wayland",
};

static void test_malformed(void **state)
{
        for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
                struct emp_error err = { 0 };
                struct emp_permission p = { .kind = 99, .path = (char *)"sentinel" };
                int r = emp_permission_parse(malformed[i], &p, &err);
                if (r != -EINVAL)
                        fail_msg("'%s' accepted (%d)", malformed[i], r);
                /* Outputs untouched, error said and printable. */
                assert_int_equal(p.kind, 99);
                assert_string_equal(p.path, "sentinel");
                assert_int_equal(err.code, -EINVAL);
                assert_true(strncmp(err.msg, "bad permission '", 16) == 0);
                for (const char *c = err.msg; *c; c++)
                        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                                fail_msg("unprintable byte in message for '%s': %s", malformed[i], err.msg);
        }
}

static void test_malformed_limits(void **state)
{
        struct emp_error err = { 0 };
        struct emp_permission p;
        char label64[80], name254[300], path[PATH_MAX + 64];

        assert_int_equal(emp_permission_parse(NULL, &p, &err), -EINVAL);

        /* A label of 63 is fine, 64 is not. */
        memset(label64, 'a', 63);
        strcpy(label64 + 63, ".com:1");
        char ok[100];
        snprintf(ok, sizeof(ok), "network:%s", label64);
        assert_int_equal(emp_permission_parse(ok, &p, NULL), 0);
        emp_permission_free(&p);
        memset(label64, 'a', 64);
        strcpy(label64 + 64, ".com:1");
        snprintf(ok, sizeof(ok), "network:%s", label64);
        assert_int_equal(emp_permission_parse(ok, &p, NULL), -EINVAL);

        /* A name of 253 is fine, 254 is not. */
        size_t n = 0;
        while (n < 253) {
                name254[n++] = 'a';
                if (n < 253 && n % 50 == 49)
                        name254[n++] = '.';
        }
        name254[n] = '\0';
        char big[400];
        snprintf(big, sizeof(big), "network:%s:1", name254);
        assert_int_equal(emp_permission_parse(big, &p, NULL), 0);
        emp_permission_free(&p);
        snprintf(big, sizeof(big), "network:a%s:1", name254);
        assert_int_equal(emp_permission_parse(big, &p, NULL), -EINVAL);

        /* Paths up to PATH_MAX - 1 bytes. */
        strcpy(path, "filesystem:/");
        memset(path + 12, 'x', PATH_MAX - 2);
        path[12 + PATH_MAX - 2] = '\0';
        assert_int_equal(emp_permission_parse(path, &p, NULL), 0);
        assert_int_equal(strlen(p.path), PATH_MAX - 1);
        emp_permission_free(&p);
        strcat(path, "y");
        emp_error_clear(&err);
        assert_int_equal(emp_permission_parse(path, &p, &err), -EINVAL);
        /* The message quotes a cut copy, not 4 KiB of x. */
        assert_true(strlen(err.msg) < 200);
        assert_non_null(strstr(err.msg, "..."));

        /* Beyond EMP_PERMISSION_MAX the text is not even looked at. */
        char *huge = malloc(EMP_PERMISSION_MAX + 20);
        strcpy(huge, "filesystem:/");
        memset(huge + 12, 'x', EMP_PERMISSION_MAX);
        huge[12 + EMP_PERMISSION_MAX] = '\0';
        assert_int_equal(emp_permission_parse(huge, &p, NULL), -EINVAL);
        free(huge);
}

static void test_equal(void **state)
{
        struct emp_permission a, b;
        assert_int_equal(emp_permission_parse("network:Example.com:443", &a, NULL), 0);
        assert_int_equal(emp_permission_parse("network:example.com:00443", &b, NULL), 0);
        assert_true(emp_permission_equal(&a, &b));
        emp_permission_free(&b);
        assert_int_equal(emp_permission_parse("network:example.com:*", &b, NULL), 0);
        assert_false(emp_permission_equal(&a, &b));
        emp_permission_free(&a);
        emp_permission_free(&b);
        assert_int_equal(emp_permission_parse("filesystem:/x", &a, NULL), 0);
        assert_int_equal(emp_permission_parse("filesystem:/x:ro", &b, NULL), 0);
        assert_false(emp_permission_equal(&a, &b));
        emp_permission_free(&a);
        emp_permission_free(&b);
        assert_int_equal(emp_permission_parse("network:[::ffff:1.2.3.4]:1", &a, NULL), 0);
        assert_int_equal(emp_permission_parse("network:1.2.3.4:1", &b, NULL), 0);
        assert_true(emp_permission_equal(&a, &b));
        emp_permission_free(&a);
        emp_permission_free(&b);
}

static bool covers(const char *q, const char *p)
{
        struct emp_permission a, b;
        assert_int_equal(emp_permission_parse(q, &a, NULL), 0);
        assert_int_equal(emp_permission_parse(p, &b, NULL), 0);
        bool r = emp_permission_covers(&a, &b);
        emp_permission_free(&a);
        emp_permission_free(&b);
        return r;
}

static void test_covers(void **state)
{
        assert_true(covers("filesystem:/home/u", "filesystem:/home/u/Docs:ro"));
        assert_true(covers("filesystem:/home/u", "filesystem:/home/u/Docs"));
        assert_true(covers("filesystem:/", "filesystem:/etc"));
        assert_false(covers("filesystem:/home/u:ro", "filesystem:/home/u/Docs"));
        assert_true(covers("filesystem:/home/u:ro", "filesystem:/home/u/Docs:ro"));
        assert_false(covers("filesystem:/home/u", "filesystem:/home/user"));
        assert_false(covers("filesystem:/home/u/Docs", "filesystem:/home/u"));

        assert_true(covers("device:all", "device:kvm"));
        assert_false(covers("device:dri", "device:kvm"));
        assert_false(covers("device:dri", "device:all"));
        assert_true(covers("socket:x11", "socket:x11"));
        assert_false(covers("socket:x11", "socket:wayland"));
        assert_true(covers("network:listen:*", "network:listen:80"));
        assert_false(covers("network:listen:80", "network:listen:*"));

        assert_true(covers("network:*:*", "network:lan"));
        assert_true(covers("network:*:*", "network:example.com:443"));
        assert_false(covers("network:*:443", "network:lan"));
        assert_true(covers("network:*.example.com:*", "network:a.example.com:443"));
        assert_true(covers("network:*.example.com:*", "network:*.a.example.com:443"));
        assert_true(covers("network:*.example.com:443", "network:*.example.com:443"));
        assert_false(covers("network:*.example.com:*", "network:example.com:443"));
        assert_false(covers("network:*.example.com:443", "network:a.example.com:*"));
        assert_false(covers("network:*.example.com:*", "network:a.badexample.com:1"));
        assert_true(covers("network:10.0.0.0/8:*", "network:10.1.0.0/16:22"));
        assert_true(covers("network:10.0.0.0/8:*", "network:10.1.2.3:22"));
        assert_false(covers("network:10.1.0.0/16:*", "network:10.0.0.0/8:*"));
        assert_true(covers("network:[::ffff:0:0]/95:*", "network:10.0.0.0/8:*"));
        assert_true(covers("network:[::]/0:*", "network:1.2.3.4:1"));
        assert_false(covers("network:10.0.0.0/8:*", "network:[fd00::1]:1"));
        assert_true(covers("network:lan", "network:192.168.1.1:80"));
        assert_false(covers("network:lan", "network:8.8.8.8:53"));
        assert_false(covers("network:lan", "network:internet"));
        assert_false(covers("network:example.com:*", "network:1.2.3.4:1"));
}

static void test_names(void **state)
{
        assert_string_equal(emp_net_class_str(EMP_NET_INTERNET), "internet");
        assert_null(emp_net_class_str(0));
        assert_null(emp_net_class_str(99));
        assert_string_equal(emp_device_name_str(EMP_DEVICE_NAME_ALL), "all");
        assert_null(emp_device_name_str(0));
        assert_string_equal(emp_socket_name_str(EMP_SOCKET_NAME_SESSION_BUS), "session-bus");
        assert_null(emp_socket_name_str(7));

        /* A struct that names nothing does not format. */
        struct emp_permission p = { .kind = EMP_PERM_DEVICE, .device = 42 };
        char *s = (char *)"untouched";
        assert_int_equal(emp_permission_format(&p, &s), -EINVAL);
        assert_string_equal(s, "untouched");
}

static void test_paths(void **state)
{
        char buf[PATH_MAX];
        assert_int_equal(emp_path_normalize("/a//b/./c/", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/a/b/c");
        assert_int_equal(emp_path_normalize("//", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/");
        assert_int_equal(emp_path_normalize("a/b", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(emp_path_normalize("/a/../b", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(emp_path_normalize(NULL, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(emp_path_normalize("/abcdef", buf, 5), -ENAMETOOLONG);
        assert_int_equal(emp_path_normalize("/abc", buf, 5), 0);

        assert_true(emp_path_has_prefix("/a/b", "/a/b"));
        assert_true(emp_path_has_prefix("/a/b/c", "/a/b"));
        assert_false(emp_path_has_prefix("/a/bc", "/a/b"));
        assert_false(emp_path_has_prefix("/a", "/a/b"));
        assert_true(emp_path_has_prefix("/anything", "/"));
}

static struct emp_addr addr(const char *s)
{
        struct emp_addr a;
        if (emp_addr_parse(s, &a) != 0)
                fail_msg("bad test address %s", s);
        return a;
}

static const struct {
        const char *addr;
        enum emp_net_class net_class;
} classes[] = {
        { "127.0.0.1", EMP_NET_LOOPBACK },
        { "127.255.255.255", EMP_NET_LOOPBACK },
        { "126.255.255.255", EMP_NET_INTERNET },
        { "128.0.0.0", EMP_NET_INTERNET },
        { "0.0.0.0", EMP_NET_LOOPBACK },
        { "0.1.2.3", EMP_NET_LOOPBACK },
        { "1.0.0.0", EMP_NET_INTERNET },
        { "::1", EMP_NET_LOOPBACK },
        { "::", EMP_NET_LOOPBACK },
        { "::2", EMP_NET_INTERNET },
        { "::ffff:127.0.0.1", EMP_NET_LOOPBACK },
        { "::ffff:127.1.2.3", EMP_NET_LOOPBACK },
        { "::ffff:0.0.0.0", EMP_NET_LOOPBACK },
        { "::ffff:10.1.2.3", EMP_NET_LAN },
        { "::ffff:192.168.0.1", EMP_NET_LAN },
        { "::ffff:8.8.8.8", EMP_NET_INTERNET },
        { "9.255.255.255", EMP_NET_INTERNET },
        { "10.0.0.0", EMP_NET_LAN },
        { "10.255.255.255", EMP_NET_LAN },
        { "11.0.0.0", EMP_NET_INTERNET },
        { "172.15.255.255", EMP_NET_INTERNET },
        { "172.16.0.0", EMP_NET_LAN },
        { "172.31.255.255", EMP_NET_LAN },
        { "172.32.0.0", EMP_NET_INTERNET },
        { "192.167.255.255", EMP_NET_INTERNET },
        { "192.168.0.0", EMP_NET_LAN },
        { "192.168.255.255", EMP_NET_LAN },
        { "192.169.0.0", EMP_NET_INTERNET },
        { "169.253.255.255", EMP_NET_INTERNET },
        { "169.254.0.0", EMP_NET_LAN },
        { "169.254.255.255", EMP_NET_LAN },
        { "169.255.0.0", EMP_NET_INTERNET },
        { "100.63.255.255", EMP_NET_INTERNET },
        { "100.64.0.0", EMP_NET_LAN },
        { "100.127.255.255", EMP_NET_LAN },
        { "100.128.0.0", EMP_NET_INTERNET },
        { "223.255.255.255", EMP_NET_INTERNET },
        { "224.0.0.0", EMP_NET_LAN },
        { "239.255.255.255", EMP_NET_LAN },
        { "240.0.0.0", EMP_NET_INTERNET },
        { "255.255.255.254", EMP_NET_INTERNET },
        { "255.255.255.255", EMP_NET_LAN },
        { "8.8.8.8", EMP_NET_INTERNET },
        { "fe7f:ffff::", EMP_NET_INTERNET },
        { "fe80::", EMP_NET_LAN },
        { "fe80::1", EMP_NET_LAN },
        { "febf:ffff::1", EMP_NET_LAN },
        { "fec0::1", EMP_NET_LAN },
        { "fbff:ffff::", EMP_NET_INTERNET },
        { "fc00::", EMP_NET_LAN },
        { "fdff:ffff::1", EMP_NET_LAN },
        { "ff00::", EMP_NET_LAN },
        { "ff02::1", EMP_NET_LAN },
        { "feff::1", EMP_NET_LAN }, /* fec0::/10 */
        { "2001:db8::1", EMP_NET_INTERNET },
        { "2606:4700::1111", EMP_NET_INTERNET },
        { "::ffff:1:2", EMP_NET_LOOPBACK }, /* ::ffff:0.1.0.2 → 0.1.0.2, in 0/8 */
};

static void test_classify(void **state)
{
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
                struct emp_addr a = addr(classes[i].addr);
                enum emp_net_class c = emp_addr_classify(&a);
                if (c != classes[i].net_class)
                        fail_msg("%s: class %d, expected %d", classes[i].addr, c, classes[i].net_class);
        }
}

static void test_addr_normalize(void **state)
{
        struct emp_addr a = addr("::ffff:192.0.2.7");
        char buf[INET6_ADDRSTRLEN];
        assert_int_equal(a.family, AF_INET);
        assert_memory_equal(a.bytes, ((uint8_t[]){ 192, 0, 2, 7 }), 4);
        assert_int_equal(emp_addr_format(&a, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "192.0.2.7");

        /* A raw mapped address, as a caller might build it, classifies the same. */
        struct emp_addr raw = { .family = AF_INET6 };
        raw.bytes[10] = raw.bytes[11] = 0xff;
        raw.bytes[12] = 127;
        raw.bytes[15] = 1;
        assert_int_equal(emp_addr_classify(&raw), EMP_NET_LOOPBACK);
        emp_addr_normalize(&raw);
        assert_int_equal(raw.family, AF_INET);
        assert_int_equal(raw.bytes[0], 127);

        /* ::ffff:0:0:1.2.3.4 (SIIT) and ::1.2.3.4 (compatible) are not mapped. */
        a = addr("::1.2.3.4");
        assert_int_equal(a.family, AF_INET6);
        a = addr("::ffff:0:1.2.3.4");
        assert_int_equal(a.family, AF_INET6);

        assert_int_equal(emp_addr_parse("1.2.3", &a), -EINVAL);
        assert_int_equal(emp_addr_parse("[::1]", &a), -EINVAL);
        assert_int_equal(emp_addr_parse(NULL, &a), -EINVAL);

        struct emp_addr unknown = { .family = AF_UNSPEC };
        assert_int_equal(emp_addr_format(&unknown, buf, sizeof(buf)), -EINVAL);
        a = addr("2001:db8::1");
        assert_int_equal(emp_addr_format(&a, buf, 4), -ENOSPC);
}

static void test_sockaddr(void **state)
{
        struct emp_addr a;
        uint16_t port = 0;

        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(8080) };
        inet_pton(AF_INET, "10.9.8.7", &in.sin_addr);
        assert_int_equal(emp_addr_from_sockaddr((struct sockaddr *)&in, sizeof(in), &a, &port), 0);
        assert_int_equal(a.family, AF_INET);
        assert_int_equal(port, 8080);
        assert_int_equal(emp_addr_classify(&a), EMP_NET_LAN);

        struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
        inet_pton(AF_INET6, "::ffff:127.0.0.53", &in6.sin6_addr);
        assert_int_equal(emp_addr_from_sockaddr((struct sockaddr *)&in6, sizeof(in6), &a, &port), 0);
        assert_int_equal(a.family, AF_INET);
        assert_int_equal(port, 443);
        assert_int_equal(emp_addr_classify(&a), EMP_NET_LOOPBACK);

        inet_pton(AF_INET6, "2001:db8::5", &in6.sin6_addr);
        assert_int_equal(emp_addr_from_sockaddr((struct sockaddr *)&in6, sizeof(in6), &a, NULL), 0);
        assert_int_equal(a.family, AF_INET6);

        /* Short lengths and other families: the app's bytes are not trusted. */
        struct emp_addr untouched = { .family = 77 };
        a = untouched;
        assert_int_equal(emp_addr_from_sockaddr((struct sockaddr *)&in6, sizeof(in6) - 1, &a, &port), -EINVAL);
        assert_int_equal(emp_addr_from_sockaddr((struct sockaddr *)&in, sizeof(in) - 1, &a, &port), -EINVAL);
        assert_int_equal(emp_addr_from_sockaddr((struct sockaddr *)&in, 1, &a, &port), -EINVAL);
        assert_int_equal(emp_addr_from_sockaddr(NULL, 0, &a, &port), -EINVAL);
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        assert_int_equal(emp_addr_from_sockaddr((struct sockaddr *)&un, sizeof(un), &a, &port), -EAFNOSUPPORT);
        assert_int_equal(a.family, 77);
}

static void test_in_cidr(void **state)
{
        struct emp_addr net4 = addr("10.0.0.0"), net6 = addr("fd00::"), any6 = addr("::");
        struct emp_addr mapped_net = { .family = AF_INET6 };
        mapped_net.bytes[10] = mapped_net.bytes[11] = 0xff;
        struct emp_addr a = addr("10.200.1.1"), b = addr("11.0.0.1"), c = addr("fd12::1");

        assert_true(emp_addr_in_cidr(&a, &net4, 8));
        assert_false(emp_addr_in_cidr(&b, &net4, 8));
        assert_true(emp_addr_in_cidr(&b, &net4, 0));
        assert_false(emp_addr_in_cidr(&a, &net4, 33));
        assert_true(emp_addr_in_cidr(&c, &net6, 8));
        assert_false(emp_addr_in_cidr(&c, &net6, 16));
        assert_false(emp_addr_in_cidr(&c, &net4, 0)); /* IPv6 is never in an IPv4 range */
        assert_true(emp_addr_in_cidr(&a, &mapped_net, 96));
        assert_true(emp_addr_in_cidr(&a, &any6, 0));
        assert_false(emp_addr_in_cidr(&a, &net6, 8));
        struct emp_addr unknown = { .family = AF_UNSPEC };
        assert_false(emp_addr_in_cidr(&unknown, &any6, 0));
}

static void test_hostname(void **state)
{
        assert_true(emp_hostname_valid("example.com", 11));
        assert_true(emp_hostname_valid("a", 1));
        assert_false(emp_hostname_valid("", 0));
        assert_false(emp_hostname_valid("a..b", 4));
        assert_false(emp_hostname_valid("a b", 3));
        /* n bounds the check: a longer buffer's tail is not read. */
        assert_true(emp_hostname_valid("abc!!", 3));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_forms),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_struct_fields),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_malformed_limits),
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_covers),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_classify),
                cmocka_unit_test(test_addr_normalize),
                cmocka_unit_test(test_sockaddr),
                cmocka_unit_test(test_in_cidr),
                cmocka_unit_test(test_hostname),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
