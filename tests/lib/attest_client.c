/* attest_client.c — a "game" linked dynamically against libempyra-attest, as
 * a game would be (t_integrity.sh runs it inside a sandbox):
 *   attest_client NONCE-HEX    prints the report, or "error: ..." and exits 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "empyra-attest.h"

int main(int argc, char **argv)
{
        unsigned char nonce[EMPYRA_ATTEST_NONCE_LEN];
        if (argc != 2 || strlen(argv[1]) != 2 * EMPYRA_ATTEST_NONCE_LEN) {
                fprintf(stderr, "usage: attest_client NONCE-HEX\n");
                return 2;
        }
        for (int i = 0; i < EMPYRA_ATTEST_NONCE_LEN; i++)
                if (sscanf(argv[1] + 2 * i, "%2hhx", &nonce[i]) != 1)
                        return 2;
        char *report = NULL, err[512];
        if (empyra_attest_request(NULL, nonce, &report, err, sizeof(err)) < 0) {
                printf("error: %s\n", err);
                return 1;
        }
        printf("%s\n", report);
        free(report);
        return 0;
}
