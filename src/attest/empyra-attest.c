/* empyra-attest.c — the client side of empyra-integrityd's protocol: one
 * request per connection (a type byte and its payload, then EOF), one answer
 * ("ok\n" + text, or "error: why\n"). Only libc: games link it as is. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "empyra-attest.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_ANSWER (16u << 20)
#define TIMEOUT_MS 10000

static int fail(int code, char *errbuf, size_t errlen, const char *what)
{
        if (errbuf && errlen)
                snprintf(errbuf, errlen, "%s: %s", what, strerror(-code));
        return code;
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send one request and read the whole answer; *ret holds the text after
 * "ok\n". */
static int transact(const char *socket_path, const void *req, size_t req_len, char **ret, char *errbuf,
                    size_t errlen)
{
        const char *path = socket_path ? socket_path : EMPYRA_ATTEST_SOCKET;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return fail(-ENAMETOOLONG, errbuf, errlen, path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return fail(-errno, errbuf, errlen, "socket");
        char *buf = NULL;
        int r = 0;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                r = fail(-errno, errbuf, errlen, path);
                goto out;
        }
        for (size_t off = 0; off < req_len;) {
                ssize_t n = send(fd, (const char *)req + off, req_len - off, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = fail(-errno, errbuf, errlen, "sending the request");
                        goto out;
                }
                off += (size_t)n;
        }
        shutdown(fd, SHUT_WR);
        size_t len = 0, cap = 64 * 1024;
        if (!(buf = malloc(cap))) {
                r = fail(-ENOMEM, errbuf, errlen, "reading the answer");
                goto out;
        }
        int64_t deadline = now_ms() + TIMEOUT_MS;
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap >= MAX_ANSWER) {
                                r = fail(-EFBIG, errbuf, errlen, "reading the answer");
                                goto out;
                        }
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                r = fail(-ENOMEM, errbuf, errlen, "reading the answer");
                                goto out;
                        }
                        buf = nb;
                        cap *= 2;
                }
                int64_t left = deadline - now_ms();
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                int pr = left > 0 ? poll(&pfd, 1, (int)left) : 0;
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr <= 0) {
                        r = fail(pr == 0 ? -ETIMEDOUT : -errno, errbuf, errlen, "waiting for the answer");
                        goto out;
                }
                ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = fail(-errno, errbuf, errlen, "reading the answer");
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        if (strncmp(buf, "ok\n", 3) == 0) {
                memmove(buf, buf + 3, len - 3 + 1);
                *ret = buf;
                buf = NULL;
        } else if (strncmp(buf, "error: ", 7) == 0) {
                buf[strcspn(buf, "\n")] = '\0';
                if (errbuf && errlen)
                        snprintf(errbuf, errlen, "%s", buf + 7);
                r = strstr(buf, "rate limited") ? -EAGAIN : -EPERM;
        } else {
                r = fail(-EPROTO, errbuf, errlen, "unexpected answer from the integrity service");
        }
out:
        free(buf);
        close(fd);
        return r;
}

EXPORT int empyra_attest_request(const char *socket_path, const unsigned char nonce[EMPYRA_ATTEST_NONCE_LEN],
                                 char **report, char *errbuf, size_t errlen)
{
        unsigned char req[1 + EMPYRA_ATTEST_NONCE_LEN];
        req[0] = 'N';
        memcpy(req + 1, nonce, EMPYRA_ATTEST_NONCE_LEN);
        char *text = NULL;
        int r = transact(socket_path, req, sizeof(req), &text, errbuf, errlen);
        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = '\0';
        *report = text;
        return 0;
}

EXPORT int empyra_attest_pubkey(const char *socket_path, const char *app_id, char hex_out[65], char *errbuf,
                                size_t errlen)
{
        size_t l = strlen(app_id);
        if (l == 0 || l > 255)
                return fail(-EINVAL, errbuf, errlen, "app id");
        char req[257];
        req[0] = 'K';
        memcpy(req + 1, app_id, l);
        char *text = NULL;
        int r = transact(socket_path, req, 1 + l, &text, errbuf, errlen);
        if (r < 0)
                return r;
        if (strlen(text) < 64 || strspn(text, "0123456789abcdef") != 64) {
                free(text);
                return fail(-EPROTO, errbuf, errlen, "malformed key from the integrity service");
        }
        memcpy(hex_out, text, 64);
        hex_out[64] = '\0';
        free(text);
        return 0;
}

EXPORT int empyra_attest_tpm_ak(const char *socket_path, char hex_out[129], char *errbuf, size_t errlen)
{
        char *text = NULL;
        int r = transact(socket_path, "A", 1, &text, errbuf, errlen);
        if (r < 0)
                return r;
        if (strlen(text) < 128 || strspn(text, "0123456789abcdef") != 128) {
                free(text);
                return fail(-EPROTO, errbuf, errlen, "malformed attestation key from the integrity service");
        }
        memcpy(hex_out, text, 128);
        hex_out[128] = '\0';
        free(text);
        return 0;
}
