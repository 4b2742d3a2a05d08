/* fuzz_api.c — libFuzzer target for what empyrad reads from strangers: the
 * control API's framing and request parser (split at every chunk size a
 * socket may deliver), the broker's path mapping of app-chosen paths, and
 * the resolver's DNS query parser and answer builder.
 * Never a crash or leak; a mapped host path is absolute, has no "..", and
 * never lies under a refused prefix. */
#include <stdint.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/api.h"
#include "gateway/broker_path.h"
#include "gateway/dns.h"
#include "policy/permission.h"

static struct emp_api_reader reader;

static int on_message(const char *msg, size_t len, void *ctx)
{
        (void)ctx;
        if (len > EMP_API_MAX_MESSAGE || msg[len] != '\0')
                __builtin_trap();
        struct emp_api_request req = {0};
        if (emp_api_parse_request(msg, len, &req, NULL) == 0) {
                if (!req.method || !req.method[0] || !json_is_object(req.params))
                        __builtin_trap();
                emp_api_request_free(&req);
        }
        return 0;
}

static void fuzz_path(const char *path)
{
        static const char *const never[] = {"/home/u/.config/empyra", "/home/u/.local/share/empyra", NULL};
        struct emp_broker_map map = {"/home/user", "/home/u", never};
        char out[4096], joined[4096];
        if (emp_broker_join("/home/user/work", path, joined, sizeof(joined)) != 0)
                return;
        if (emp_broker_host_path(joined, &map, out, sizeof(out)) != 0)
                return;
        if (out[0] != '/' || strstr(out, "/../") || strstr(out, "//") || emp_path_has_prefix(out, "/proc") ||
            emp_path_has_prefix(out, never[0]) || emp_path_has_prefix(out, never[1]))
                __builtin_trap();
}

static void fuzz_dns(const uint8_t *data, size_t size)
{
        struct emp_dns_query q;
        uint8_t out[EMP_DNS_MAX_UDP];
        if (emp_dns_parse_query(data, size, &q) != 0) {
                emp_dns_build_error(data, size, EMP_DNS_RCODE_FORMERR, out, sizeof(out));
                return;
        }
        if (strlen(q.name) >= sizeof(q.name) || 12 + q.question_len > size)
                __builtin_trap();
        struct emp_addr a[2] = {{.family = AF_INET, .bytes = {1, 2, 3, 4}}, {.family = AF_INET6}};
        int n = emp_dns_build_answer(data, &q, EMP_DNS_RCODE_NOERROR, a, 2, 60, out, sizeof(out));
        if (n > (int)sizeof(out))
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        if ((data[0] & 3) == 2) {
                fuzz_dns(data + 1, size - 1);
                return 0;
        }
        if (data[0] & 1) {
                char *path = strndup((const char *)data + 1, size - 1);
                if (path)
                        fuzz_path(path);
                free(path);
                return 0;
        }
        /* The socket may cut the stream anywhere: feed it in chunks. */
        size_t chunk = 1 + (data[0] >> 1);
        reader.len = 0;
        for (size_t off = 1; off < size; off += chunk) {
                size_t n = size - off < chunk ? size - off : chunk;
                if (emp_api_reader_feed(&reader, (const char *)data + off, n, on_message, NULL) < 0)
                        break;
        }
        return 0;
}
