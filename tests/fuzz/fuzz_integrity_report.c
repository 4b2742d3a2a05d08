/* fuzz_integrity_report.c — the verifier parses whatever a game server is
 * handed: any bytes must be judged without crashing, and never accepted as
 * authentic under a key nobody holds the secret of. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "integrity/integrity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint8_t pk[EMP_INTEGRITY_PK_LEN] = {0x3d, 0x40, 0x17, 0xc3};
        static const uint8_t nonce[EMP_INTEGRITY_NONCE_LEN] = {1};
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        struct emp_verify_result r;
        if (emp_integrity_verify(text, size, pk, nonce, 1700000000, 300, NULL, &r) == 0) {
                if (r.authentic)
                        abort(); /* a forgery under a key with no known secret */
                emp_verify_result_free(&r);
        }
        /* The hand-written TPM quote parser, reached directly: the envelope
         * check above stops at the signature. */
        json_t *o = json_loadb(text, size, 0, NULL);
        if (o) {
                static const uint8_t hash[32] = {2};
                char why[256];
                json_t *tpm = json_object_get(o, "tpm");
                (void)emp_tpm_check(tpm ? tpm : o, hash, NULL, why, sizeof(why));
                json_decref(o);
        }
        free(text);
        return 0;
}
