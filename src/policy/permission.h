/* permission.h — permission names (DESIGN.md §6) parsed into a typed struct
 * and formatted back canonically, plus the address helpers policy needs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/names.h"

/* Longest permission name accepted: a PATH_MAX path plus prefix and suffix. */
#define EMP_PERMISSION_MAX 4200

enum emp_perm_kind {
        EMP_PERM_FILESYSTEM = 1, /* filesystem:PATH[:ro] */
        EMP_PERM_NET_HOST,       /* network:HOST:PORT */
        EMP_PERM_NET_CLASS,      /* network:loopback|lan|internet */
        EMP_PERM_NET_LISTEN,     /* network:listen:PORT */
        EMP_PERM_DEVICE,         /* device:NAME */
        EMP_PERM_SOCKET,         /* socket:NAME */
};

/* Every address is in exactly one class. */
enum emp_net_class { EMP_NET_LOOPBACK = 1, EMP_NET_LAN, EMP_NET_INTERNET };

enum emp_host_kind {
        EMP_HOST_ANY = 1,  /* "*" */
        EMP_HOST_NAME,     /* exact DNS name, lower-case */
        EMP_HOST_WILDCARD, /* "*.SUFFIX": names strictly below SUFFIX, not SUFFIX itself */
        EMP_HOST_ADDR,     /* one address (a /32 or /128 range is written as this) */
        EMP_HOST_CIDR,     /* address range, host bits cleared */
};

/* Distinct from manifest.h's bitmasks: one value, as named in a permission. */
enum emp_device_name { EMP_DEVICE_NAME_DRI = 1, EMP_DEVICE_NAME_INPUT, EMP_DEVICE_NAME_KVM, EMP_DEVICE_NAME_ALL };

enum emp_socket_name {
        EMP_SOCKET_NAME_WAYLAND = 1,
        EMP_SOCKET_NAME_X11,
        EMP_SOCKET_NAME_PULSEAUDIO,
        EMP_SOCKET_NAME_SESSION_BUS,
        EMP_SOCKET_NAME_SYSTEM_BUS,
        EMP_SOCKET_NAME_SSH_AUTH,
};

/* An IP address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is always stored as the
 * IPv4 address, so one address has one representation and one class. */
struct emp_addr {
        int family;        /* AF_INET, AF_INET6, or AF_UNSPEC for "unknown" */
        uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

/* Port 0 in a permission means "*". */
#define EMP_PORT_ANY 0

/* Fields are valid for the kinds named beside them, zero otherwise. */
struct emp_permission {
        enum emp_perm_kind kind;

        char *path; /* FILESYSTEM: absolute, normalised, no trailing '/' (except "/") */
        bool ro;    /* FILESYSTEM: speaks about reads only */

        enum emp_host_kind host; /* NET_HOST */
        char *name;              /* NET_HOST NAME/WILDCARD (the suffix without "*.") */
        struct emp_addr addr;    /* NET_HOST ADDR/CIDR */
        unsigned prefix;         /* NET_HOST ADDR/CIDR: prefix length (32/128 for ADDR) */
        uint16_t port;           /* NET_HOST, NET_LISTEN: 1..65535 or EMP_PORT_ANY */

        enum emp_net_class net_class; /* NET_CLASS */
        enum emp_device_name device;  /* DEVICE */
        enum emp_socket_name socket;  /* SOCKET */
};

/* Parse and validate a permission name. On success fills *ret (caller frees
 * with emp_permission_free); on failure returns -EINVAL (or -ENOMEM), leaves
 * *ret untouched and err reads "bad permission 'S': why". */
int emp_permission_parse(const char *s, struct emp_permission *ret, struct emp_error *err);
/* The canonical name: parse(format(p)) equals p. 0 or -ENOMEM/-EINVAL. */
int emp_permission_format(const struct emp_permission *p, char **ret);
/* parse + format in one: the canonical spelling of s. */
int emp_permission_canonical(const char *s, char **ret, struct emp_error *err);
int emp_permission_copy(const struct emp_permission *src, struct emp_permission *ret);
void emp_permission_free(struct emp_permission *p);
bool emp_permission_equal(const struct emp_permission *a, const struct emp_permission *b);
/* Whether everything q grants is also granted by p's being granted, i.e.
 * q is at least as broad as p (used to tell which permissions are new). */
bool emp_permission_covers(const struct emp_permission *q, const struct emp_permission *p);

/* Names of the enumerated parts, as they appear in permission names. */
const char *emp_net_class_str(enum emp_net_class c);
const char *emp_device_name_str(enum emp_device_name d);
const char *emp_socket_name_str(enum emp_socket_name s);

/* Normalise a path the way permissions store it ("//" and "." dropped,
 * trailing '/' removed); -EINVAL for relative paths, ".." components,
 * control characters or invalid UTF-8, -ENAMETOOLONG past size. */
int emp_path_normalize(const char *path, char *buf, size_t size);
/* Whether prefix (normalised) is path (normalised) or a parent of it. */
bool emp_path_has_prefix(const char *path, const char *prefix);

/* emp_hostname_valid(): common/names.h */

/* Address helpers. */
/* Text form without brackets ("10.1.2.3", "fe80::1"); normalised. */
int emp_addr_parse(const char *s, struct emp_addr *ret);
/* From a sockaddr the app passed (length-checked); port in host order. */
int emp_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct emp_addr *ret,
                           uint16_t *ret_port);
/* ::ffff:a.b.c.d becomes a.b.c.d; anything else is left alone. */
void emp_addr_normalize(struct emp_addr *a);
enum emp_net_class emp_addr_classify(const struct emp_addr *a);
/* Whether a lies in net/prefix; an IPv4 address is also inside IPv6 ranges
 * that contain its mapped form (::ffff:0:0/96 and wider). */
bool emp_addr_in_cidr(const struct emp_addr *a, const struct emp_addr *net, unsigned prefix);
/* "1.2.3.4" or "::1" (no brackets) into buf; -EINVAL for AF_UNSPEC. */
int emp_addr_format(const struct emp_addr *a, char *buf, size_t size);
