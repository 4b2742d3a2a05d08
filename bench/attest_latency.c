/* attest_latency.c — request → signed report latency, measured by the
 * client inside a sandbox through libempyra-attest: N requests, one line of
 * milliseconds each. Built static with the library's source (bench/attest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "empyra-attest.h"

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 20;
        const char *sock = argc > 2 ? argv[2] : NULL;
        unsigned char nonce[EMPYRA_ATTEST_NONCE_LEN] = {0};
        for (int i = 0; i < n; i++) {
                nonce[0] = (unsigned char)i;
                struct timespec a, b;
                char *report = NULL, err[512];
                clock_gettime(CLOCK_MONOTONIC, &a);
                int r = empyra_attest_request(sock, nonce, &report, err, sizeof(err));
                clock_gettime(CLOCK_MONOTONIC, &b);
                if (r < 0) {
                        fprintf(stderr, "attest_latency: %s\n", err);
                        return 1;
                }
                printf("%.3f %zu\n", (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6,
                       strlen(report));
                free(report);
        }
        return 0;
}
