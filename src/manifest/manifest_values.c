/* manifest_values.c — checks one manifest or flag value at a time: names,
 * locations, sizes, network rules, hashes. Pure: a string in, a verdict out. */
#include "manifest/manifest_internal.h"

#include "common/names.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

/* The kernel refuses a pids.max at or above PID_MAX_LIMIT + 1. */
#define PIDS_LIMIT 4194304u

static const struct emp_bit_name shared_names[] = {
        { "network", EMP_SHARE_NETWORK },
        { "ipc", EMP_SHARE_IPC },
};
static const struct emp_bit_name socket_names[] = {
        { "wayland", EMP_SOCKET_WAYLAND },
        { "x11", EMP_SOCKET_X11 },
        { "fallback-x11", EMP_SOCKET_FALLBACK_X11 },
        { "pulseaudio", EMP_SOCKET_PULSEAUDIO },
        { "session-bus", EMP_SOCKET_SESSION_BUS },
        { "system-bus", EMP_SOCKET_SYSTEM_BUS },
        { "ssh-auth", EMP_SOCKET_SSH_AUTH },
        { "cups", EMP_SOCKET_CUPS },
        { "gpg-agent", EMP_SOCKET_GPG_AGENT },
        { "pcsc", EMP_SOCKET_PCSC },
};
static const struct emp_bit_name device_names[] = {
        { "dri", EMP_DEVICE_DRI }, { "input", EMP_DEVICE_INPUT }, { "kvm", EMP_DEVICE_KVM },
        { "all", EMP_DEVICE_ALL }, { "shm", EMP_DEVICE_SHM },
};
static const struct emp_bit_name feature_names[] = {
        { "multiarch", EMP_FEATURE_MULTIARCH },
        { "devel", EMP_FEATURE_DEVEL },
        { "bluetooth", EMP_FEATURE_BLUETOOTH },
        { "canbus", EMP_FEATURE_CANBUS },
        { "per-app-dev-shm", EMP_FEATURE_PER_APP_DEV_SHM },
        { "nested", EMP_FEATURE_NESTED },
};

#define BIT_KIND(what_, names_, field_)                                                      \
        {                                                                                    \
                .what = what_, .names = names_, .n_names = ARRAY_SIZE(names_),               \
                .grant_off = offsetof(struct emp_manifest, field_),                          \
                .revoke_off = offsetof(struct emp_manifest, no##field_),                     \
        }
const struct emp_bit_kind emp_bits_shared = BIT_KIND("share", shared_names, shared);
const struct emp_bit_kind emp_bits_sockets = BIT_KIND("socket", socket_names, sockets);
const struct emp_bit_kind emp_bits_devices = BIT_KIND("device", device_names, devices);
const struct emp_bit_kind emp_bits_features = BIT_KIND("feature", feature_names, features);

static const char *const xdg_dirs[] = {
        "xdg-desktop",  "xdg-documents",    "xdg-download",  "xdg-music",
        "xdg-pictures", "xdg-public-share", "xdg-templates", "xdg-videos",
        "xdg-config",   "xdg-data",         "xdg-cache",     "xdg-run",
};
/* Whole-tree locations: they take no sub-path. */
static const char *const fs_keywords[] = { "host", "host-os", "host-etc", "home", "~" };

const char *emp_printable(char *buf, size_t size, const char *s, size_t len)
{
        size_t n = len < size ? len : size - 4;
        /* Cut on a UTF-8 character boundary so the message stays valid text. */
        if (n < len)
                while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                        n--;
        for (size_t i = 0; i < n; i++)
                buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
        strcpy(buf + n, n < len ? "..." : "");
        return buf;
}

#define PRINTABLE(buf, s) emp_printable(buf, sizeof(buf), s, strlen(s))

int emp_bit_lookup(const struct emp_bit_kind *kind, const char *name, unsigned *ret,
                   struct emp_error *why)
{
        for (size_t i = 0; i < kind->n_names; i++)
                if (strcmp(kind->names[i].name, name) == 0) {
                        *ret = kind->names[i].bit;
                        return 0;
                }
        char p[EMP_PRINTABLE_MAX];
        return emp_error_set(why, -EINVAL, "unknown %s '%s'", kind->what, PRINTABLE(p, name));
}

unsigned *emp_bits_field(struct emp_manifest *m, const struct emp_bit_kind *kind, bool revoke)
{
        return (unsigned *)((char *)m + (revoke ? kind->revoke_off : kind->grant_off));
}

static bool has_control(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static bool has_dotdot(const char *path)
{
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return true;
                p += n + (p[n] == '/');
        }
        return false;
}

static bool is_one_of(const char *s, size_t len, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
                        return true;
        return false;
}

static const char *fs_spec_problem(const char *s)
{
        size_t head = strcspn(s, "/");
        if (!*s)
                return "empty location";
        if (has_control(s))
                return "control character in location";
        if (has_dotdot(s))
                return "'..' is not allowed in a location";
        if (is_one_of(s, strlen(s), fs_keywords, ARRAY_SIZE(fs_keywords)))
                return NULL;
        if (s[0] == '/' || strncmp(s, "~/", 2) == 0)
                return NULL;
        if (s[head] && is_one_of(s, head, fs_keywords, ARRAY_SIZE(fs_keywords)))
                return "this location takes no sub-path (use ~/PATH or /PATH)";
        if (is_one_of(s, head, xdg_dirs, ARRAY_SIZE(xdg_dirs)))
                return NULL;
        if (strncmp(s, "xdg-", 4) == 0)
                return "unknown xdg- directory";
        return "relative path (start it with / or ~/)";
}

int emp_fs_spec_validate(const char *spec, const char **why)
{
        const char *problem = spec ? fs_spec_problem(spec) : "empty location";
        if (!problem)
                return 0;
        if (why)
                *why = problem;
        return -EINVAL;
}

/* Splits "SPEC:ro|:rw|:create". A last ':' followed by a '/' belongs to a
 * path ("/mnt/a:b/c"); otherwise what follows it must be a known suffix. */
static int fs_split_suffix(const char *s, size_t *spec_len, enum emp_fs_access *access,
                           bool *has_suffix, struct emp_error *why)
{
        const char *colon = strrchr(s, ':');
        *spec_len = strlen(s);
        *access = EMP_FS_RW;
        *has_suffix = colon && !strchr(colon, '/');
        if (!*has_suffix)
                return 0;
        const char *suffix = colon + 1;
        if (strcmp(suffix, "ro") == 0)
                *access = EMP_FS_RO;
        else if (strcmp(suffix, "create") == 0)
                *access = EMP_FS_CREATE;
        else if (strcmp(suffix, "rw") != 0) {
                char p[EMP_PRINTABLE_MAX];
                return emp_error_set(why, -EINVAL, "unknown suffix ':%s' (use :ro, :rw or :create)",
                                     PRINTABLE(p, suffix));
        }
        *spec_len = (size_t)(colon - s);
        return 0;
}

int emp_fs_entry_parse(const char *s, enum emp_fs_parse mode, struct emp_fs_entry *ret,
                       struct emp_error *why)
{
        bool negated = mode == EMP_FS_PARSE_REVOKE, has_suffix;
        if (s[0] == '!' && mode == EMP_FS_PARSE_GRANT)
                return emp_error_set(why, -EINVAL, "'!' is not allowed here (use --nofilesystem)");
        if (s[0] == '!' && mode == EMP_FS_PARSE_REVOKE)
                return emp_error_set(why, -EINVAL, "'!' is not allowed here");
        if (s[0] == '!') {
                negated = true;
                s++;
        }
        size_t spec_len;
        enum emp_fs_access access;
        int r = fs_split_suffix(s, &spec_len, &access, &has_suffix, why);
        if (r < 0)
                return r;
        if (negated && has_suffix)
                return emp_error_set(why, -EINVAL, "a revoked location takes no :ro/:rw/:create");

        _cleanup_free_ char *spec = strndup(s, spec_len);
        if (!spec)
                return emp_error_set(why, -ENOMEM, "out of memory");
        const char *problem = NULL;
        if (emp_fs_spec_validate(spec, &problem) < 0) {
                char p[EMP_PRINTABLE_MAX];
                return emp_error_set(why, -EINVAL, "bad location '%s': %s", PRINTABLE(p, spec),
                                     problem);
        }
        *ret = (struct emp_fs_entry){ .spec = TAKE_PTR(spec), .access = access, .negated = negated };
        return 0;
}

int emp_persistent_validate(const char *s, struct emp_error *why)
{
        const char *problem = NULL;
        if (!*s)
                problem = "empty path";
        else if (has_control(s))
                problem = "control character in path";
        else if (s[0] == '/' || s[0] == '~')
                problem = "must be relative to the home directory (e.g. .example)";
        else if (has_dotdot(s))
                problem = "'..' is not allowed";
        if (!problem)
                return 0;
        char p[EMP_PRINTABLE_MAX];
        return emp_error_set(why, -EINVAL, "bad persistent path '%s': %s", PRINTABLE(p, s),
                             problem);
}

bool emp_env_name_valid(const char *s, size_t len)
{
        if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9')))
                        return false;
        }
        return true;
}

/* Plain decimal: no sign, no blanks, no base prefixes (strtoull takes all three). */
static int parse_u64(const char *s, const char **end, uint64_t *ret)
{
        uint64_t v = 0;
        const char *p = s;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned)(*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (p == s)
                return -EINVAL;
        *end = p;
        *ret = v;
        return 0;
}

int emp_parse_size(const char *s, uint64_t *ret)
{
        const char *end;
        uint64_t v;
        int r = s ? parse_u64(s, &end, &v) : -EINVAL;
        if (r < 0)
                return r;
        unsigned shift = 0;
        switch (*end) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        case 'T': case 't': shift = 40; break;
        }
        end += shift != 0;
        if (*end)
                return -EINVAL;
        if (v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}

int emp_memory_parse(const char *s, uint64_t *ret, struct emp_error *why)
{
        uint64_t v;
        char p[EMP_PRINTABLE_MAX];
        int r = emp_parse_size(s, &v);
        if (r == -ERANGE)
                return emp_error_set(why, -EINVAL, "size '%s' is too large", PRINTABLE(p, s));
        if (r < 0)
                return emp_error_set(why, -EINVAL, "bad size '%s' (use e.g. 4G, 512M, 1024K or bytes)",
                                     PRINTABLE(p, s));
        if (v == 0)
                return emp_error_set(why, -EINVAL, "size must be greater than 0");
        *ret = v;
        return 0;
}

static int parse_ranged(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret,
                        struct emp_error *why)
{
        const char *end;
        uint64_t v;
        char p[EMP_PRINTABLE_MAX];
        int r = parse_u64(s, &end, &v);
        if (r == -EINVAL || (r == 0 && *end))
                return emp_error_set(why, -EINVAL, "'%s' is not a number", PRINTABLE(p, s));
        if (r < 0 || v < lo || v > hi)
                return emp_error_set(why, -EINVAL, "'%s' is out of range (%llu..%llu)",
                                     PRINTABLE(p, s), (unsigned long long)lo,
                                     (unsigned long long)hi);
        *ret = v;
        return 0;
}

int emp_pids_parse(const char *s, uint64_t *ret, struct emp_error *why)
{
        return parse_ranged(s, 1, PIDS_LIMIT, ret, why);
}

int emp_cpu_weight_parse(const char *s, uint32_t *ret, struct emp_error *why)
{
        uint64_t v;
        int r = parse_ranged(s, 1, 10000, &v, why);
        if (r == 0)
                *ret = (uint32_t)v;
        return r;
}

int emp_files_mode_parse(const char *s, enum emp_files_mode *ret, struct emp_error *why)
{
        char p[EMP_PRINTABLE_MAX];
        if (strcmp(s, "static") == 0)
                *ret = EMP_FILES_STATIC;
        else if (strcmp(s, "brokered") == 0)
                *ret = EMP_FILES_BROKERED;
        else
                return emp_error_set(why, -EINVAL, "unknown files mode '%s' (use static or brokered)",
                                     PRINTABLE(p, s));
        return 0;
}

static bool app_id_element_valid(const char *s, size_t n)
{
        if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!(c == '_' || c == '-' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9')))
                        return false;
        }
        return true;
}

bool emp_app_id_valid(const char *id)
{
        if (!id || strlen(id) > 255)
                return false;
        size_t elements = 0;
        for (const char *p = id;; p++) {
                size_t n = strcspn(p, ".");
                if (!app_id_element_valid(p, n))
                        return false;
                elements++;
                p += n;
                if (!*p)
                        break;
        }
        return elements >= 2;
}

int emp_app_id_check(const char *s, struct emp_error *why)
{
        char p[EMP_PRINTABLE_MAX];
        if (emp_app_id_valid(s))
                return 0;
        return emp_error_set(why, -EINVAL,
                             "invalid application id '%s' (reverse-DNS, e.g. org.example.App)",
                             PRINTABLE(p, s));
}

int emp_command_check(const char *s, struct emp_error *why)
{
        if (!*s)
                return emp_error_set(why, -EINVAL, "empty command");
        if (has_control(s))
                return emp_error_set(why, -EINVAL, "control character in command");
        return 0;
}

/* --- network --------------------------------------------------------- */

static bool parse_port(const char *s, bool allow_star)
{
        const char *end;
        uint64_t v;
        if (allow_star && strcmp(s, "*") == 0)
                return true;
        return strlen(s) <= 5 && parse_u64(s, &end, &v) == 0 && !*end && v >= 1 && v <= 65535;
}

static bool addr_valid(int family, const char *s, size_t n)
{
        char buf[INET6_ADDRSTRLEN + 1];
        unsigned char out[sizeof(struct in6_addr)];
        if (n == 0 || n >= sizeof(buf))
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        return inet_pton(family, buf, out) == 1;
}

/* "ADDR/LEN" with LEN in 0..max_len; no '/' means a plain address. */
static bool cidr_valid(int family, const char *s, size_t n, bool allow_cidr)
{
        const char *slash = memchr(s, '/', n);
        if (!slash)
                return addr_valid(family, s, n);
        char len[4] = { 0 };
        size_t len_n = (size_t)(s + n - slash - 1);
        const char *end;
        uint64_t v;
        if (!allow_cidr || len_n == 0 || len_n >= sizeof(len))
                return false;
        memcpy(len, slash + 1, len_n);
        return parse_u64(len, &end, &v) == 0 && !*end && v <= (family == AF_INET ? 32u : 128u) &&
               addr_valid(family, s, (size_t)(slash - s));
}

static bool hostname_valid(const char *s, size_t n, bool allow_wildcard)
{
        if (allow_wildcard && n > 2 && s[0] == '*' && s[1] == '.') {
                s += 2;
                n -= 2;
        }
        return emp_hostname_valid(s, n);
}

static bool bracket_host_port_valid(const char *s, bool allow_patterns)
{
        const char *close = strchr(s, ']');
        const char *port = close ? strchr(close, ':') : NULL;
        if (!port)
                return false;
        char addr[INET6_ADDRSTRLEN + 8];
        int n = snprintf(addr, sizeof(addr), "%.*s%.*s", (int)(close - s - 1), s + 1,
                         (int)(port - close - 1), close + 1);
        if (n < 0 || (size_t)n >= sizeof(addr))
                return false;
        return cidr_valid(AF_INET6, addr, (size_t)n, allow_patterns) &&
               parse_port(port + 1, allow_patterns);
}

/* HOST:PORT, HOST being a name, IPv4 or [IPv6]; rules also take a leading
 * "*." on names, CIDR ranges and port "*", a provider must be one host. */
static bool host_port_valid(const char *s, bool allow_patterns)
{
        if (s[0] == '[')
                return bracket_host_port_valid(s, allow_patterns);
        const char *port = strrchr(s, ':');
        if (!port)
                return false;
        size_t n = (size_t)(port - s);
        if (memchr(s, ':', n))
                return false; /* IPv6 needs brackets */
        bool host_ok = emp_looks_ipv4(s, n) ? cidr_valid(AF_INET, s, n, allow_patterns)
                                        : hostname_valid(s, n, allow_patterns);
        return host_ok && parse_port(port + 1, allow_patterns);
}

int emp_net_provider_validate(const char *s, struct emp_error *why)
{
        char p[EMP_PRINTABLE_MAX];
        if (strcmp(s, "direct") == 0 || strcmp(s, "none") == 0)
                return 0;
        if (strncmp(s, "socks5://", 9) == 0 && host_port_valid(s + 9, false))
                return 0;
        return emp_error_set(why, -EINVAL,
                             "bad provider '%s' (use direct, none or socks5://HOST:PORT)",
                             PRINTABLE(p, s));
}

static bool rule_target_valid(const char *t)
{
        return strcmp(t, "lan") == 0 || strcmp(t, "loopback") == 0 ||
               strcmp(t, "internet") == 0 || host_port_valid(t, true);
}

int emp_net_rule_parse(const char *s, char **ret, struct emp_error *why)
{
        char p[EMP_PRINTABLE_MAX];
        const char *blank = " \t";
        size_t action = strcspn(s, blank);
        const char *target = s + action + strspn(s + action, blank);
        size_t target_len = strcspn(target, blank);
        bool action_ok = (action == 5 && strncmp(s, "allow", 5) == 0) ||
                         (action == 4 && strncmp(s, "deny", 4) == 0) ||
                         (action == 3 && strncmp(s, "ask", 3) == 0);
        if (!action_ok || target_len == 0 || target[target_len + strspn(target + target_len, blank)])
                return emp_error_set(why, -EINVAL, "bad rule '%s' (use 'allow|deny|ask TARGET')",
                                     PRINTABLE(p, s));
        if (!rule_target_valid(target))
                return emp_error_set(why, -EINVAL,
                                     "bad rule target '%s' (use lan, loopback, internet or HOST:PORT)",
                                     PRINTABLE(p, target));
        char *out = NULL;
        if (asprintf(&out, "%.*s %.*s", (int)action, s, (int)target_len, target) < 0)
                return emp_error_set(why, -ENOMEM, "out of memory");
        *ret = out;
        return 0;
}

/* --- integrity ------------------------------------------------------- */

static bool sha256_hex_valid(const char *h)
{
        return strlen(h) == 64 && strspn(h, "0123456789abcdefABCDEF") == 64;
}

int emp_integrity_parse(const char *s, char **ret, struct emp_error *why)
{
        char p[EMP_PRINTABLE_MAX];
        const char *sep = NULL;
        for (const char *q = strstr(s, "=sha256:"); q; q = strstr(q + 1, "=sha256:"))
                sep = q; /* the last one: a path may itself hold "=sha256:" */
        if (!sep)
                return emp_error_set(why, -EINVAL, "bad entry '%s' (use /PATH=sha256:HEX)",
                                     PRINTABLE(p, s));
        size_t path_len = (size_t)(sep - s);
        _cleanup_free_ char *path = strndup(s, path_len);
        if (!path)
                return emp_error_set(why, -ENOMEM, "out of memory");
        if (path[0] != '/' || path[path_len - 1] == '/' || has_control(path) || has_dotdot(path))
                return emp_error_set(why, -EINVAL, "bad path '%s' (must be an absolute file path)",
                                     PRINTABLE(p, path));
        const char *hex = sep + 8;
        if (!sha256_hex_valid(hex))
                return emp_error_set(why, -EINVAL, "bad sha256 '%s' (need 64 hex digits)",
                                     PRINTABLE(p, hex));
        char *out = NULL;
        if (asprintf(&out, "%s=sha256:%s", path, hex) < 0)
                return emp_error_set(why, -ENOMEM, "out of memory");
        for (char *h = out + path_len + 8; *h; h++)
                if (*h >= 'A' && *h <= 'F')
                        *h = (char)(*h - 'A' + 'a');
        *ret = out;
        return 0;
}
