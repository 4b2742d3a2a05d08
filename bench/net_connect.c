/* bench/net_connect.c — helper of bench/net (build: cc -O2 -static).
 *
 *   net_connect tcpserve ADDR PORT       accept and close connections on ADDR:PORT
 *   net_connect udpserve ADDR PORT [COUNT_FILE]
 *        drain datagrams on ADDR:PORT; with COUNT_FILE, keep the number received
 *        there (rewritten at least every 100 ms while any arrive)
 *   net_connect connect HOST PORT N BATCH WARM
 *        WARM untimed connect+close, then N timed ones in batches of BATCH; prints
 *        "median_ns min_ns max_ns batches failed": per connect+close, median over batches
 *   net_connect udpsend HOST PORT SECONDS SIZE
 *        a connected UDP socket sending SIZE-byte datagrams for SECONDS; prints
 *        "datagrams_per_s sent errors"
 *   net_connect udpsendto HOST PORT SECONDS SIZE
 *        the same with sendto() on an unconnected socket
 *
 * The client closes with SO_LINGER {1, 0} (a reset) so thousands of runs leave no
 * TIME_WAIT behind to exhaust the ephemeral ports; bare and sandboxed pay the same.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
        struct sockaddr_in a;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)atoi(port));
        if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
                fprintf(stderr, "net_connect: bad address %s\n", host);
                exit(2);
        }
        return a;
}

static int serve(int type, const char *host, const char *port, const char *count_file)
{
        struct sockaddr_in a = addr_of(host, port);
        int s = socket(AF_INET, type, 0), one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
                perror("net_connect: bind");
                return 2;
        }
        if (type == SOCK_DGRAM) {
                char buf[65536];
                int big = 8 << 20;
                setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
                struct timeval tv = {.tv_usec = 100000};
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                int out = count_file ? open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
                unsigned long long got = 0, written = ~0ull;
                uint64_t last = now_ns();
                for (;;) {
                        ssize_t n = recv(s, buf, sizeof(buf), 0);
                        if (n >= 0)
                                got++;
                        else if (errno != EINTR && errno != EAGAIN)
                                return 1;
                        if (out >= 0 && got != written && (n < 0 || now_ns() - last > 100000000ull)) {
                                char text[32];
                                int len = snprintf(text, sizeof(text), "%llu\n", got);
                                if (pwrite(out, text, (size_t)len, 0) == len)
                                        written = got;
                                last = now_ns();
                        }
                }
        }
        if (listen(s, 4096) < 0) {
                perror("net_connect: listen");
                return 2;
        }
        for (;;) {
                int c = accept(s, NULL, NULL);
                if (c >= 0)
                        close(c);
        }
}

static int one_connect(const struct sockaddr_in *a)
{
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0)
                return -1;
        int rc = connect(s, (const struct sockaddr *)a, sizeof(*a));
        if (rc == 0) {
                struct linger l = {1, 0};
                setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        }
        close(s);
        return rc;
}

static int cmp_u64(const void *x, const void *y)
{
        uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
        return a < b ? -1 : a > b;
}

static int do_connect(char **argv)
{
        struct sockaddr_in a = addr_of(argv[0], argv[1]);
        long n = atol(argv[2]), batch = atol(argv[3]), warm = atol(argv[4]);
        if (n < 1 || batch < 1 || batch > n)
                return 2;
        long failed = 0;
        for (long i = 0; i < warm; i++)
                if (one_connect(&a) < 0) {
                        fprintf(stderr, "net_connect: connect: %s\n", strerror(errno));
                        return 1;
                }
        long nb = n / batch;
        uint64_t *per = calloc((size_t)nb, sizeof(*per));
        for (long b = 0; b < nb; b++) {
                uint64_t t0 = now_ns();
                for (long i = 0; i < batch; i++)
                        if (one_connect(&a) < 0)
                                failed++;
                per[b] = (now_ns() - t0) / (uint64_t)batch;
        }
        qsort(per, (size_t)nb, sizeof(*per), cmp_u64);
        uint64_t med = nb % 2 ? per[nb / 2] : (per[nb / 2 - 1] + per[nb / 2]) / 2;
        printf("%llu %llu %llu %ld %ld\n", (unsigned long long)med, (unsigned long long)per[0],
               (unsigned long long)per[nb - 1], nb, failed);
        return failed ? 1 : 0;
}

static int do_udpsend(char **argv, bool connected)
{
        struct sockaddr_in a = addr_of(argv[0], argv[1]);
        double secs = atof(argv[2]);
        size_t size = (size_t)atol(argv[3]);
        char buf[65536];
        if (size > sizeof(buf))
                return 2;
        memset(buf, 'u', size);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (s < 0 || (connected && connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)) {
                fprintf(stderr, "net_connect: udp connect: %s\n", strerror(errno));
                return 1;
        }
        uint64_t t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9), t = t0;
        unsigned long long sent = 0, errors = 0;
        while (t < end) {
                for (int i = 0; i < 256; i++)
                        if ((connected ? send(s, buf, size, 0)
                                       : sendto(s, buf, size, 0, (struct sockaddr *)&a, sizeof(a))) == (ssize_t)size)
                                sent++;
                        else
                                errors++;
                t = now_ns();
        }
        printf("%.0f %llu %llu\n", (double)sent * 1e9 / (double)(t - t0), sent, errors);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 4 && !strcmp(argv[1], "tcpserve"))
                return serve(SOCK_STREAM, argv[2], argv[3], NULL);
        if ((argc == 4 || argc == 5) && !strcmp(argv[1], "udpserve"))
                return serve(SOCK_DGRAM, argv[2], argv[3], argc == 5 ? argv[4] : NULL);
        if (argc == 7 && !strcmp(argv[1], "connect"))
                return do_connect(argv + 2);
        if (argc == 6 && !strcmp(argv[1], "udpsend"))
                return do_udpsend(argv + 2, true);
        if (argc == 6 && !strcmp(argv[1], "udpsendto"))
                return do_udpsend(argv + 2, false);
        fprintf(stderr, "usage: see bench/net_connect.c\n");
        return 2;
}
