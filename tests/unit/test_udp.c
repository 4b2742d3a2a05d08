/* test_udp.c — the gateway's UDP side without namespaces: the address a
 * peer expects the app's datagrams from (udp.c), and the socket factory's
 * protocol (common/udp_peer.c) against a real serving process. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/udp_peer.h"
#include "gateway/udp.h"

static socklen_t v4(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
        memset(ss, 0, sizeof(*ss));
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
        return sizeof(*a);
}

static socklen_t v6(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
        memset(ss, 0, sizeof(*ss));
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
        return sizeof(*a);
}

/* "ADDR:PORT" of what emp_udp_app_address made, or "error N". */
static const char *app_address(const struct sockaddr_storage *bound, socklen_t len, int dst_family)
{
        static char out[80];
        struct sockaddr_storage ret;
        memset(&ret, 0xaa, sizeof(ret));
        socklen_t ret_len = 12345;
        int r = emp_udp_app_address((const struct sockaddr *)bound, len, dst_family, &ret, &ret_len);
        if (r < 0) {
                /* Output untouched on failure. */
                assert_int_equal(ret_len, 12345);
                assert_int_equal(((unsigned char *)&ret)[0], 0xaa);
                snprintf(out, sizeof(out), "error %d", r);
                return out;
        }
        char text[INET6_ADDRSTRLEN];
        if (ret.ss_family == AF_INET) {
                assert_int_equal(ret_len, sizeof(struct sockaddr_in));
                const struct sockaddr_in *a = (const struct sockaddr_in *)&ret;
                inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
                snprintf(out, sizeof(out), "%s:%u", text, ntohs(a->sin_port));
        } else {
                assert_int_equal(ret_len, sizeof(struct sockaddr_in6));
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ret;
                inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
                snprintf(out, sizeof(out), "[%s]:%u", text, ntohs(a->sin6_port));
        }
        return out;
}

static void test_app_address(void **state)
{
        (void)state;
        struct sockaddr_storage ss;
        socklen_t l;
        l = v4("0.0.0.0", 1234, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET), "127.0.0.1:1234"); /* the route's source */
        l = v4("127.0.0.5", 1234, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET), "127.0.0.5:1234");
        l = v4("0.0.0.0", 0, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET), "error -22"); /* unbound */
        l = v4("127.0.0.1", 1234, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET6), "error -22"); /* IPv4 socket, IPv6 destination */
        l = v6("::", 4321, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET6), "[::1]:4321");
        assert_string_equal(app_address(&ss, l, AF_INET), "127.0.0.1:4321"); /* dual stack to IPv4 */
        l = v6("::ffff:127.0.0.7", 4321, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET), "127.0.0.7:4321");
        assert_string_equal(app_address(&ss, l, AF_INET6), "error -22");
        l = v6("::1", 4321, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET), "error -22");
        assert_string_equal(app_address(&ss, l, AF_INET6), "[::1]:4321");
        l = v6("::ffff:0.0.0.0", 4321, &ss);
        assert_string_equal(app_address(&ss, l, AF_INET), "127.0.0.1:4321");
        /* Short or foreign addresses. */
        assert_string_equal(app_address(&ss, 8, AF_INET6), "error -22");
        ss.ss_family = AF_UNIX;
        assert_string_equal(app_address(&ss, sizeof(ss), AF_INET), "error -22");
}

static pid_t start_factory(int *ret_sock)
{
        int sp[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(sp[0]);
                _exit(emp_udp_peer_serve(sp[1]) == 0 ? 0 : 1);
        }
        close(sp[1]);
        *ret_sock = sp[0];
        return pid;
}

static void test_factory(void **state)
{
        (void)state;
        int fac;
        pid_t pid = start_factory(&fac);
        /* A peer, bound and connected as asked. (Outside an app's namespace
         * there is no catch-all local route, so a loopback address stands in
         * for the destination.) */
        struct sockaddr_storage local, remote;
        socklen_t ll = v4("127.0.0.9", 4000, &local), rl = v4("127.0.0.1", 4001, &remote);
        int peer = emp_udp_peer_request(fac, (struct sockaddr *)&local, ll, (struct sockaddr *)&remote, rl);
        assert_true(peer >= 0);
        struct sockaddr_storage got;
        socklen_t gl = sizeof(got);
        assert_int_equal(getsockname(peer, (struct sockaddr *)&got, &gl), 0);
        assert_int_equal(((struct sockaddr_in *)&got)->sin_port, htons(4000));
        gl = sizeof(got);
        assert_int_equal(getpeername(peer, (struct sockaddr *)&got, &gl), 0);
        assert_int_equal(((struct sockaddr_in *)&got)->sin_port, htons(4001));
        int type = 0;
        socklen_t tl = sizeof(type);
        assert_int_equal(getsockopt(peer, SOL_SOCKET, SO_TYPE, &type, &tl), 0);
        assert_int_equal(type, SOCK_DGRAM);
        close(peer);
        /* Mixed families and odd lengths are refused; the factory lives on. */
        v6("2001:db8::9", 4000, &local);
        assert_int_equal(emp_udp_peer_request(fac, (struct sockaddr *)&local, sizeof(struct sockaddr_in6),
                                              (struct sockaddr *)&remote, rl),
                         -EINVAL);
        v4("192.0.2.9", 4000, &local);
        assert_int_equal(emp_udp_peer_request(fac, (struct sockaddr *)&local, 8, (struct sockaddr *)&remote, rl),
                         -EINVAL);
        /* A message of the wrong size (the serving end checks it). */
        assert_int_equal(send(fac, "abc", 3, 0), 3);
        int32_t reply = 0;
        assert_int_equal(recv(fac, &reply, sizeof(reply), 0), (ssize_t)sizeof(reply));
        assert_int_equal(reply, -EBADMSG);
        ll = v4("127.0.0.10", 4002, &local);
        peer = emp_udp_peer_request(fac, (struct sockaddr *)&local, ll, (struct sockaddr *)&remote, rl);
        assert_true(peer >= 0);
        close(peer);
        /* EOF ends it cleanly. */
        close(fac);
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_factory_gone(void **state)
{
        (void)state;
        int fac;
        pid_t pid = start_factory(&fac);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        struct sockaddr_storage local, remote;
        socklen_t ll = v4("192.0.2.9", 4000, &local), rl = v4("127.0.0.1", 4001, &remote);
        int r = emp_udp_peer_request(fac, (struct sockaddr *)&local, ll, (struct sockaddr *)&remote, rl);
        assert_true(r == -EPIPE || r == -ECONNRESET || r == -ECONNREFUSED);
        close(fac);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_app_address),
                cmocka_unit_test(test_factory),
                cmocka_unit_test(test_factory_gone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
