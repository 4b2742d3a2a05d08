/* permission.c — parsing and formatting permission names: the one place
 * that decides what a name means, so the store, CLI and gateway agree. */
#include "permission.h"

#include "common/names.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "policy_internal.h"

const char *emp_policy_printable(char *buf, size_t size, const char *s)
{
        size_t o = 0, i = 0;
        if (size < 4)
                return "";
        for (; s && s[i] && o + 1 < size; i++) {
                unsigned char c = (unsigned char)s[i];
                buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        }
        buf[o] = '\0';
        if (s && s[i]) /* cut: mark it so nobody mistakes the prefix for the value */
                memcpy(buf + size - 4, "...", 4);
        return buf;
}

/* --- names of enumerated parts ---------------------------------------- */

static const char *const net_class_names[] = {
        [EMP_NET_LOOPBACK] = "loopback",
        [EMP_NET_LAN] = "lan",
        [EMP_NET_INTERNET] = "internet",
};
static const char *const device_names[] = {
        [EMP_DEVICE_NAME_DRI] = "dri",
        [EMP_DEVICE_NAME_INPUT] = "input",
        [EMP_DEVICE_NAME_KVM] = "kvm",
        [EMP_DEVICE_NAME_ALL] = "all",
};
static const char *const socket_names[] = {
        [EMP_SOCKET_NAME_WAYLAND] = "wayland",
        [EMP_SOCKET_NAME_X11] = "x11",
        [EMP_SOCKET_NAME_PULSEAUDIO] = "pulseaudio",
        [EMP_SOCKET_NAME_SESSION_BUS] = "session-bus",
        [EMP_SOCKET_NAME_SYSTEM_BUS] = "system-bus",
        [EMP_SOCKET_NAME_SSH_AUTH] = "ssh-auth",
};



const char *emp_net_class_str(enum emp_net_class c)
{
        return emp_enum_name(net_class_names, ARRAY_SIZE(net_class_names), (int)c);
}

const char *emp_device_name_str(enum emp_device_name d)
{
        return emp_enum_name(device_names, ARRAY_SIZE(device_names), (int)d);
}

const char *emp_socket_name_str(enum emp_socket_name s)
{
        return emp_enum_name(socket_names, ARRAY_SIZE(socket_names), (int)s);
}

/* --- paths ------------------------------------------------------------- */

/* Control characters, C1 ones included (U+0080..U+009F, which terminals
 * obey as escapes), have no place in a name that `empyra perms` prints. */
static bool has_control(const char *s)
{
        for (const char *c = s; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        return true;
        for (const char *c = s; *c; c = g_utf8_next_char(c)) {
                gunichar u = g_utf8_get_char(c);
                if (u >= 0x80 && u <= 0x9f)
                        return true;
        }
        return false;
}

int emp_path_normalize(const char *path, char *buf, size_t size)
{
        if (!path || path[0] != '/' || !g_utf8_validate(path, -1, NULL) || has_control(path))
                return -EINVAL;
        size_t o = 0;
        for (const char *p = path; *p;) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                /* ".." would let a rule or request name a place its text
                 * does not show; the daemon hands us resolved paths anyway. */
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return -EINVAL;
                if (!(n == 1 && p[0] == '.')) {
                        if (o + 1 + n + 1 > size)
                                return -ENAMETOOLONG;
                        buf[o++] = '/';
                        memcpy(buf + o, p, n);
                        o += n;
                }
                p += n;
        }
        if (o == 0) {
                if (size < 2)
                        return -ENAMETOOLONG;
                buf[o++] = '/';
        }
        buf[o] = '\0';
        return 0;
}

bool emp_path_has_prefix(const char *path, const char *prefix)
{
        if (strcmp(prefix, "/") == 0)
                return path[0] == '/';
        size_t n = strlen(prefix);
        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
        size_t m = strlen(suffix);
        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* filesystem:PATH[:ro|:rw] — exactly one suffix is taken off, so a path that
 * itself ends in ":ro" is written with an explicit ":rw" (see format). */
static int parse_filesystem(const char *rest, struct emp_permission *p, const char **why)
{
        size_t n = strlen(rest);
        bool ro = false;
        if (ends_with(rest, n, ":ro")) {
                ro = true;
                n -= 3;
        } else if (ends_with(rest, n, ":rw")) {
                n -= 3;
        }
        _cleanup_free_ char *raw = strndup(rest, n);
        _cleanup_free_ char *path = malloc(PATH_MAX);
        if (!raw || !path)
                return -ENOMEM;
        int r = emp_path_normalize(raw, path, PATH_MAX);
        if (r == -ENAMETOOLONG) {
                *why = "path too long";
                return -EINVAL;
        }
        if (r < 0) {
                *why = "need an absolute path without '..', control characters or invalid UTF-8";
                return -EINVAL;
        }
        char *shrunk = realloc(path, strlen(path) + 1);
        if (shrunk)
                path = shrunk;
        p->path = TAKE_PTR(path);
        p->ro = ro;
        return 0;
}

/* --- addresses ----------------------------------------------------------- */

static const uint8_t mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void emp_addr_normalize(struct emp_addr *a)
{
        if (a->family != AF_INET6 || memcmp(a->bytes, mapped_prefix, 12) != 0)
                return;
        uint8_t v4[4];
        memcpy(v4, a->bytes + 12, 4);
        memset(a->bytes, 0, sizeof(a->bytes));
        memcpy(a->bytes, v4, 4);
        a->family = AF_INET;
}

int emp_addr_parse(const char *s, struct emp_addr *ret)
{
        struct emp_addr a = { 0 };
        if (!s)
                return -EINVAL;
        if (inet_pton(AF_INET, s, a.bytes) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, a.bytes) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        emp_addr_normalize(&a);
        *ret = a;
        return 0;
}

int emp_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct emp_addr *ret,
                           uint16_t *ret_port)
{
        struct emp_addr a = { 0 };
        uint16_t port;
        if (!sa || len < (socklen_t)sizeof(sa_family_t))
                return -EINVAL;
        if (sa->sa_family == AF_INET) {
                struct sockaddr_in in;
                if (len < (socklen_t)sizeof(in))
                        return -EINVAL;
                memcpy(&in, sa, sizeof(in)); /* the caller's buffer may be unaligned */
                a.family = AF_INET;
                memcpy(a.bytes, &in.sin_addr, 4);
                port = ntohs(in.sin_port);
        } else if (sa->sa_family == AF_INET6) {
                struct sockaddr_in6 in6;
                if (len < (socklen_t)sizeof(in6))
                        return -EINVAL;
                memcpy(&in6, sa, sizeof(in6));
                a.family = AF_INET6;
                memcpy(a.bytes, &in6.sin6_addr, 16);
                port = ntohs(in6.sin6_port);
        } else {
                return -EAFNOSUPPORT;
        }
        emp_addr_normalize(&a);
        *ret = a;
        if (ret_port)
                *ret_port = port;
        return 0;
}

static unsigned addr_bits(int family)
{
        return family == AF_INET ? 32 : 128;
}

/* Whether the first prefix bits of x and y agree. */
static bool bits_equal(const uint8_t *x, const uint8_t *y, unsigned prefix)
{
        unsigned whole = prefix / 8, rest = prefix % 8;
        if (memcmp(x, y, whole) != 0)
                return false;
        if (rest == 0)
                return true;
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (x[whole] & mask) == (y[whole] & mask);
}

static void mask_bits(uint8_t *x, unsigned prefix, unsigned total)
{
        for (unsigned bit = prefix; bit < total; bit++)
                x[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
}

/* An IPv4 address in its ::ffff:a.b.c.d form, to compare with IPv6 ranges. */
static struct emp_addr addr_mapped(const struct emp_addr *a)
{
        struct emp_addr m = { .family = AF_INET6 };
        memcpy(m.bytes, mapped_prefix, 12);
        memcpy(m.bytes + 12, a->bytes, 4);
        return m;
}

bool emp_addr_in_cidr(const struct emp_addr *a, const struct emp_addr *net, unsigned prefix)
{
        struct emp_addr x = *a;
        emp_addr_normalize(&x);
        if (x.family == AF_INET && net->family == AF_INET6)
                x = addr_mapped(&x);
        if (x.family != net->family || (x.family != AF_INET && x.family != AF_INET6))
                return false;
        if (prefix > addr_bits(x.family))
                return false;
        return bits_equal(x.bytes, net->bytes, prefix);
}

struct range {
        int family;
        uint8_t net[16];
        unsigned prefix;
};

/* The special ranges; everything else is the internet. Loopback includes
 * the unspecified address (connecting to 0.0.0.0 or :: reaches the host)
 * and, for IPv4, all of 0/8, which no route reaches except as "this host". */
static const struct range loopback_ranges[] = {
        { AF_INET, { 127 }, 8 },
        { AF_INET, { 0 }, 8 },
        { AF_INET6, { [15] = 1 }, 128 }, /* ::1 */
        { AF_INET6, { 0 }, 128 },        /* :: */
};
static const struct range lan_ranges[] = {
        { AF_INET, { 10 }, 8 },                 /* RFC 1918 */
        { AF_INET, { 172, 16 }, 12 },           /* RFC 1918 */
        { AF_INET, { 192, 168 }, 16 },          /* RFC 1918 */
        { AF_INET, { 169, 254 }, 16 },          /* link-local */
        { AF_INET, { 100, 64 }, 10 },           /* CGNAT: the ISP's side, not the internet */
        { AF_INET, { 224 }, 4 },                /* multicast */
        { AF_INET, { 255, 255, 255, 255 }, 32 }, /* limited broadcast */
        { AF_INET6, { 0xfe, 0x80 }, 10 },       /* link-local */
        { AF_INET6, { 0xfe, 0xc0 }, 10 },       /* deprecated site-local: still local */
        { AF_INET6, { 0xfc }, 7 },              /* unique-local */
        { AF_INET6, { 0xff }, 8 },              /* multicast */
};

static bool in_ranges(const struct emp_addr *a, const struct range *r, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (a->family == r[i].family && bits_equal(a->bytes, r[i].net, r[i].prefix))
                        return true;
        return false;
}

enum emp_net_class emp_addr_classify(const struct emp_addr *a)
{
        struct emp_addr x = *a;
        emp_addr_normalize(&x);
        if (in_ranges(&x, loopback_ranges, ARRAY_SIZE(loopback_ranges)))
                return EMP_NET_LOOPBACK;
        if (in_ranges(&x, lan_ranges, ARRAY_SIZE(lan_ranges)))
                return EMP_NET_LAN;
        return EMP_NET_INTERNET;
}

int emp_addr_format(const struct emp_addr *a, char *buf, size_t size)
{
        if (a->family != AF_INET && a->family != AF_INET6)
                return -EINVAL;
        if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)size))
                return -ENOSPC;
        return 0;
}

/* --- network:HOST:PORT --------------------------------------------------- */

/* Digits only, 1..65535; "*" when allowed means any port. */
static int parse_port(const char *s, uint16_t *ret)
{
        if (strcmp(s, "*") == 0) {
                *ret = EMP_PORT_ANY;
                return 0;
        }
        size_t n = strlen(s);
        if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
                return -EINVAL;
        unsigned long v = strtoul(s, NULL, 10);
        if (v < 1 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t)v;
        return 0;
}

/* ADDR or ADDR/LEN (len_s NULL when absent) into p, in canonical form:
 * mapped IPv6 becomes IPv4, host bits are cleared, a full-length range is
 * a plain address. */
static int parse_host_addr(int family, const char *addr_s, const char *len_s, struct emp_permission *p,
                           const char **why)
{
        struct emp_addr a = { .family = family };
        if (inet_pton(family, addr_s, a.bytes) != 1) {
                *why = family == AF_INET ? "bad IPv4 address" : "bad IPv6 address";
                return -EINVAL;
        }
        unsigned max = addr_bits(family), prefix = max;
        if (len_s) {
                size_t n = strlen(len_s);
                if (n == 0 || n > 3 || strspn(len_s, "0123456789") != n ||
                    (prefix = (unsigned)strtoul(len_s, NULL, 10)) > max) {
                        *why = "bad prefix length";
                        return -EINVAL;
                }
        }
        if (family == AF_INET6 && prefix >= 96 && memcmp(a.bytes, mapped_prefix, 12) == 0) {
                emp_addr_normalize(&a);
                prefix -= 96;
                max = 32;
        }
        mask_bits(a.bytes, prefix, max);
        p->host = prefix == max ? EMP_HOST_ADDR : EMP_HOST_CIDR;
        p->addr = a;
        p->prefix = prefix;
        return 0;
}

/* "[v6]:PORT", "[v6]/LEN:PORT" or "[v6/LEN]:PORT" (the manifest takes both). */
static int parse_bracketed(const char *s, char **ret_host, char **ret_len, const char **ret_port,
                           const char **why)
{
        const char *close = strchr(s, ']');
        if (!close) {
                *why = "missing ']'";
                return -EINVAL;
        }
        const char *after = close + 1;
        const char *colon = strchr(after, ':');
        if (!colon) {
                *why = "missing ':PORT'";
                return -EINVAL;
        }
        _cleanup_free_ char *inner = strndup(s + 1, (size_t)(close - s - 1));
        _cleanup_free_ char *len = NULL;
        if (!inner)
                return -ENOMEM;
        char *slash = strchr(inner, '/');
        if (after[0] == '/') {
                if (slash) {
                        *why = "two prefix lengths";
                        return -EINVAL;
                }
                len = strndup(after + 1, (size_t)(colon - after - 1));
        } else if (after != colon) {
                *why = "junk after ']'";
                return -EINVAL;
        } else if (slash) {
                *slash = '\0';
                len = strdup(slash + 1);
        }
        if ((after[0] == '/' || slash) && !len)
                return -ENOMEM;
        *ret_host = TAKE_PTR(inner);
        *ret_len = TAKE_PTR(len);
        *ret_port = colon + 1;
        return 0;
}

/* Class and listen keywords read as names would silently mean something
 * else than the user meant ("network:lan:443" is not the lan on port 443). */
static bool reserved_name(const char *host)
{
        return strcmp(host, "loopback") == 0 || strcmp(host, "lan") == 0 ||
               strcmp(host, "internet") == 0 || strcmp(host, "listen") == 0;
}

static int parse_host_name(const char *host, struct emp_permission *p, const char **why)
{
        bool wildcard = host[0] == '*' && host[1] == '.';
        const char *name = wildcard ? host + 2 : host;
        if (!emp_hostname_valid(name, strlen(name))) {
                *why = "bad host name";
                return -EINVAL;
        }
        char *lower = strdup(name);
        if (!lower)
                return -ENOMEM;
        for (char *c = lower; *c; c++)
                *c = g_ascii_tolower(*c);
        if (!wildcard && reserved_name(lower)) {
                free(lower);
                *why = "a class or 'listen' is not a host name (classes take no port)";
                return -EINVAL;
        }
        p->name = lower;
        p->host = wildcard ? EMP_HOST_WILDCARD : EMP_HOST_NAME;
        return 0;
}

static int parse_net_host(const char *rest, struct emp_permission *p, const char **why)
{
        _cleanup_free_ char *host = NULL, *len = NULL;
        const char *port_s;
        int r;
        if (rest[0] == '[') {
                r = parse_bracketed(rest, &host, &len, &port_s, why);
                if (r < 0)
                        return r;
                r = parse_host_addr(AF_INET6, host, len, p, why);
        } else {
                const char *colon = strrchr(rest, ':');
                if (!colon) {
                        *why = "missing ':PORT'";
                        return -EINVAL;
                }
                host = strndup(rest, (size_t)(colon - rest));
                if (!host)
                        return -ENOMEM;
                port_s = colon + 1;
                char *slash = strchr(host, '/');
                if (strchr(host, ':')) {
                        *why = "IPv6 addresses go in brackets";
                        r = -EINVAL;
                } else if (strcmp(host, "*") == 0) {
                        p->host = EMP_HOST_ANY;
                        r = 0;
                } else if (emp_looks_ipv4(host, strlen(host))) {
                        if (slash)
                                *slash = '\0';
                        r = parse_host_addr(AF_INET, host, slash ? slash + 1 : NULL, p, why);
                } else {
                        r = parse_host_name(host, p, why);
                }
        }
        if (r < 0)
                return r;
        if (parse_port(port_s, &p->port) < 0) {
                *why = "bad port (1..65535 or *)";
                return -EINVAL;
        }
        return 0;
}

static int parse_network(const char *rest, struct emp_permission *p, const char **why)
{
        int c = emp_enum_index(net_class_names, ARRAY_SIZE(net_class_names), rest);
        if (c) {
                p->kind = EMP_PERM_NET_CLASS;
                p->net_class = (enum emp_net_class)c;
                return 0;
        }
        if (strncmp(rest, "listen:", 7) == 0) {
                p->kind = EMP_PERM_NET_LISTEN;
                if (parse_port(rest + 7, &p->port) < 0) {
                        *why = "bad port (1..65535 or *)";
                        return -EINVAL;
                }
                return 0;
        }
        p->kind = EMP_PERM_NET_HOST;
        return parse_net_host(rest, p, why);
}

/* --- whole names --------------------------------------------------------- */

static int parse_named(const char *rest, const char *const *names, size_t n, int *ret, const char **why,
                       const char *list)
{
        int v = emp_enum_index(names, n, rest);
        if (!v) {
                *why = list;
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int parse_into(const char *s, struct emp_permission *p, const char **why)
{
        int v = 0, r;
        if (strncmp(s, "filesystem:", 11) == 0) {
                p->kind = EMP_PERM_FILESYSTEM;
                return parse_filesystem(s + 11, p, why);
        }
        if (strncmp(s, "network:", 8) == 0)
                return parse_network(s + 8, p, why);
        if (strncmp(s, "device:", 7) == 0) {
                p->kind = EMP_PERM_DEVICE;
                r = parse_named(s + 7, device_names, ARRAY_SIZE(device_names), &v, why,
                                "unknown device (dri, input, kvm or all)");
                p->device = (enum emp_device_name)v;
                return r;
        }
        if (strncmp(s, "socket:", 7) == 0) {
                p->kind = EMP_PERM_SOCKET;
                r = parse_named(s + 7, socket_names, ARRAY_SIZE(socket_names), &v, why,
                                "unknown socket (wayland, x11, pulseaudio, session-bus, system-bus or "
                                "ssh-auth)");
                p->socket = (enum emp_socket_name)v;
                return r;
        }
        *why = "unknown kind (filesystem:, network:, device: or socket:)";
        return -EINVAL;
}

int emp_permission_parse(const char *s, struct emp_permission *ret, struct emp_error *err)
{
        char q[EMP_POLICY_PRINTABLE_MAX];
        struct emp_permission p = { 0 };
        const char *why = "invalid";
        if (!s)
                return emp_error_set(err, -EINVAL, "bad permission: none given");
        if (strlen(s) > EMP_PERMISSION_MAX)
                return emp_error_set(err, -EINVAL, "bad permission '%s': too long", POLICY_PRINTABLE(q, s));
        int r = parse_into(s, &p, &why);
        if (r < 0) {
                emp_permission_free(&p);
                if (r == -ENOMEM)
                        return emp_error_set(err, r, "out of memory");
                return emp_error_set(err, r, "bad permission '%s': %s", POLICY_PRINTABLE(q, s), why);
        }
        *ret = p;
        return 0;
}

void emp_permission_free(struct emp_permission *p)
{
        if (!p)
                return;
        free(p->path);
        free(p->name);
        *p = (struct emp_permission){ 0 };
}

int emp_permission_copy(const struct emp_permission *src, struct emp_permission *ret)
{
        struct emp_permission p = *src;
        p.path = src->path ? strdup(src->path) : NULL;
        p.name = src->name ? strdup(src->name) : NULL;
        if ((src->path && !p.path) || (src->name && !p.name)) {
                emp_permission_free(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

/* --- formatting ---------------------------------------------------------- */

static int format_port(uint16_t port, char buf[static 6])
{
        if (port == EMP_PORT_ANY)
                return snprintf(buf, 6, "*");
        return snprintf(buf, 6, "%u", (unsigned)port);
}

static int format_host(const struct emp_permission *p, char **ret)
{
        char a[INET6_ADDRSTRLEN];
        bool v6 = p->addr.family == AF_INET6;
        switch (p->host) {
        case EMP_HOST_ANY:
                return asprintf(ret, "*");
        case EMP_HOST_NAME:
                return p->name ? asprintf(ret, "%s", p->name) : -1;
        case EMP_HOST_WILDCARD:
                return p->name ? asprintf(ret, "*.%s", p->name) : -1;
        case EMP_HOST_ADDR:
                if (emp_addr_format(&p->addr, a, sizeof(a)) < 0)
                        return -1;
                return asprintf(ret, v6 ? "[%s]" : "%s", a);
        case EMP_HOST_CIDR:
                if (emp_addr_format(&p->addr, a, sizeof(a)) < 0)
                        return -1;
                return asprintf(ret, v6 ? "[%s]/%u" : "%s/%u", a, p->prefix);
        }
        return -1;
}

static int format_into(const struct emp_permission *p, char **ret)
{
        char port[6];
        const char *name;
        switch (p->kind) {
        case EMP_PERM_FILESYSTEM: {
                if (!p->path)
                        return -1;
                /* Spell out ":rw" when the path's own ending would read as a suffix. */
                size_t n = strlen(p->path);
                bool ambiguous = ends_with(p->path, n, ":ro") || ends_with(p->path, n, ":rw");
                return asprintf(ret, "filesystem:%s%s", p->path, p->ro ? ":ro" : ambiguous ? ":rw" : "");
        }
        case EMP_PERM_NET_HOST: {
                _cleanup_free_ char *host = NULL;
                if (format_host(p, &host) < 0)
                        return -1;
                format_port(p->port, port);
                return asprintf(ret, "network:%s:%s", host, port);
        }
        case EMP_PERM_NET_CLASS:
                name = emp_net_class_str(p->net_class);
                return name ? asprintf(ret, "network:%s", name) : -1;
        case EMP_PERM_NET_LISTEN:
                format_port(p->port, port);
                return asprintf(ret, "network:listen:%s", port);
        case EMP_PERM_DEVICE:
                name = emp_device_name_str(p->device);
                return name ? asprintf(ret, "device:%s", name) : -1;
        case EMP_PERM_SOCKET:
                name = emp_socket_name_str(p->socket);
                return name ? asprintf(ret, "socket:%s", name) : -1;
        }
        return -1;
}

int emp_permission_format(const struct emp_permission *p, char **ret)
{
        char *s = NULL;
        if (format_into(p, &s) < 0) {
                /* asprintf leaves s undefined on failure; a struct that does
                 * not describe a permission is the other way to get here. */
                return -EINVAL;
        }
        *ret = s;
        return 0;
}

int emp_permission_canonical(const char *s, char **ret, struct emp_error *err)
{
        struct emp_permission p;
        int r = emp_permission_parse(s, &p, err);
        if (r < 0)
                return r;
        r = emp_permission_format(&p, ret);
        emp_permission_free(&p);
        return r < 0 ? emp_error_set(err, r, "out of memory") : 0;
}

/* --- comparing ----------------------------------------------------------- */

static bool addr_equal(const struct emp_addr *a, const struct emp_addr *b)
{
        return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static bool str_equal(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool emp_permission_equal(const struct emp_permission *a, const struct emp_permission *b)
{
        if (a->kind != b->kind)
                return false;
        switch (a->kind) {
        case EMP_PERM_FILESYSTEM:
                return a->ro == b->ro && str_equal(a->path, b->path);
        case EMP_PERM_NET_HOST:
                if (a->host != b->host || a->port != b->port)
                        return false;
                if (a->host == EMP_HOST_NAME || a->host == EMP_HOST_WILDCARD)
                        return str_equal(a->name, b->name);
                if (a->host == EMP_HOST_ADDR || a->host == EMP_HOST_CIDR)
                        return a->prefix == b->prefix && addr_equal(&a->addr, &b->addr);
                return true;
        case EMP_PERM_NET_CLASS:
                return a->net_class == b->net_class;
        case EMP_PERM_NET_LISTEN:
                return a->port == b->port;
        case EMP_PERM_DEVICE:
                return a->device == b->device;
        case EMP_PERM_SOCKET:
                return a->socket == b->socket;
        }
        return false;
}

/* name is strictly below suffix: "a.example.com" below "example.com". */
static bool name_below(const char *name, const char *suffix)
{
        size_t n = strlen(name), s = strlen(suffix);
        return n > s + 1 && name[n - s - 1] == '.' && strcmp(name + n - s, suffix) == 0;
}

/* The range p names lies within q's range. */
static bool range_within(const struct emp_permission *p, const struct emp_permission *q)
{
        unsigned p_prefix = p->prefix;
        if (p->addr.family == AF_INET && q->addr.family == AF_INET6)
                p_prefix += 96; /* p's range, written as mapped IPv6 */
        return p_prefix >= q->prefix && emp_addr_in_cidr(&p->addr, &q->addr, q->prefix);
}

static bool host_covers(const struct emp_permission *q, const struct emp_permission *p)
{
        switch (q->host) {
        case EMP_HOST_ANY:
                return true;
        case EMP_HOST_NAME:
                return p->host == EMP_HOST_NAME && str_equal(q->name, p->name);
        case EMP_HOST_WILDCARD:
                if (p->host == EMP_HOST_WILDCARD && str_equal(q->name, p->name))
                        return true;
                return (p->host == EMP_HOST_NAME || p->host == EMP_HOST_WILDCARD) && p->name && q->name &&
                       name_below(p->name, q->name);
        case EMP_HOST_ADDR:
                return p->host == EMP_HOST_ADDR && addr_equal(&q->addr, &p->addr);
        case EMP_HOST_CIDR:
                return (p->host == EMP_HOST_ADDR || p->host == EMP_HOST_CIDR) && range_within(p, q);
        }
        return false;
}

/* Conservative where the answer needs more than the two names (a range
 * inside a class, a name that may resolve into a range): "not covered",
 * which only means the user is asked once more. */
bool emp_permission_covers(const struct emp_permission *q, const struct emp_permission *p)
{
        switch (q->kind) {
        case EMP_PERM_FILESYSTEM:
                return p->kind == EMP_PERM_FILESYSTEM && q->path && p->path &&
                       emp_path_has_prefix(p->path, q->path) && (!q->ro || p->ro);
        case EMP_PERM_DEVICE:
                return p->kind == EMP_PERM_DEVICE &&
                       (q->device == EMP_DEVICE_NAME_ALL || q->device == p->device);
        case EMP_PERM_SOCKET:
                return p->kind == EMP_PERM_SOCKET && q->socket == p->socket;
        case EMP_PERM_NET_LISTEN:
                return p->kind == EMP_PERM_NET_LISTEN && (q->port == EMP_PORT_ANY || q->port == p->port);
        case EMP_PERM_NET_CLASS:
                if (p->kind == EMP_PERM_NET_CLASS)
                        return p->net_class == q->net_class;
                return p->kind == EMP_PERM_NET_HOST && p->host == EMP_HOST_ADDR &&
                       emp_addr_classify(&p->addr) == q->net_class;
        case EMP_PERM_NET_HOST:
                if (p->kind == EMP_PERM_NET_CLASS)
                        return q->host == EMP_HOST_ANY && q->port == EMP_PORT_ANY;
                if (p->kind != EMP_PERM_NET_HOST)
                        return false;
                if (q->port != EMP_PORT_ANY && q->port != p->port)
                        return false;
                return host_covers(q, p);
        }
        return false;
}
