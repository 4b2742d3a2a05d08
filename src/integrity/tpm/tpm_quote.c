/* tpm_quote.c — the daemon's side of TPM anchoring (see tpm.h). The key is a
 * restricted ECDSA P-256 signing key created from the endorsement seed with a
 * fixed template: the same key at every start, a machine identity (which is
 * why TPM-anchored reports are linkable: docs/integrity.md). */
#include "tpm.h"

#include <errno.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#define QUOTE_PCRS 8 /* PCRs 0-7: firmware, boot loader, Secure Boot state */

struct emp_tpm {
        TSS2_TCTI_CONTEXT *tcti;
        ESYS_CONTEXT *esys;
        ESYS_TR ak;
        char ak_hex[129];
};

static int tpm_err(struct emp_error *err, TSS2_RC rc, const char *what)
{
        return emp_error_set(err, -EIO, "TPM: %s: %s", what, Tss2_RC_Decode(rc));
}

static void hex(const uint8_t *b, size_t n, char *out)
{
        sodium_bin2hex(out, 2 * n + 1, b, n);
}

void emp_tpm_close(struct emp_tpm *t)
{
        if (!t)
                return;
        if (t->esys) {
                if (t->ak != ESYS_TR_NONE)
                        Esys_FlushContext(t->esys, t->ak);
                Esys_Finalize(&t->esys);
        }
        if (t->tcti)
                Tss2_TctiLdr_Finalize(&t->tcti);
        free(t);
}

const char *emp_tpm_ak_hex(const struct emp_tpm *t)
{
        return t->ak_hex;
}

static void pcr_selection(TPML_PCR_SELECTION *sel)
{
        memset(sel, 0, sizeof(*sel));
        sel->count = 1;
        sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
        sel->pcrSelections[0].sizeofSelect = 3;
        sel->pcrSelections[0].pcrSelect[0] = 0xff; /* 0-7 */
}

int emp_tpm_open(const char *tcti, struct emp_tpm **ret, struct emp_error *err)
{
        struct emp_tpm *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->ak = ESYS_TR_NONE;
        TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
        if (rc != TSS2_RC_SUCCESS) {
                emp_tpm_close(t);
                return tpm_err(err, rc, tcti);
        }
        rc = Esys_Initialize(&t->esys, t->tcti, NULL);
        if (rc != TSS2_RC_SUCCESS) {
                emp_tpm_close(t);
                return tpm_err(err, rc, "initialising ESYS");
        }
        rc = Esys_Startup(t->esys, TPM2_SU_CLEAR);
        if (rc != TSS2_RC_SUCCESS && (rc & 0xfff) != TPM2_RC_INITIALIZE) {
                emp_tpm_close(t);
                return tpm_err(err, rc, "startup");
        }
        TPM2B_SENSITIVE_CREATE sensitive = {0};
        TPM2B_PUBLIC tmpl = {
                .publicArea = {
                        .type = TPM2_ALG_ECC,
                        .nameAlg = TPM2_ALG_SHA256,
                        .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                            TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                            TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT,
                        .parameters.eccDetail = {
                                .symmetric = {.algorithm = TPM2_ALG_NULL},
                                .scheme = {.scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256},
                                .curveID = TPM2_ECC_NIST_P256,
                                .kdf = {.scheme = TPM2_ALG_NULL},
                        },
                },
        };
        TPM2B_DATA outside = {0};
        TPML_PCR_SELECTION none = {0};
        TPM2B_PUBLIC *pub = NULL;
        rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                &sensitive, &tmpl, &outside, &none, &t->ak, &pub, NULL, NULL, NULL);
        if (rc != TSS2_RC_SUCCESS) {
                emp_tpm_close(t);
                return tpm_err(err, rc, "creating the attestation key");
        }
        const TPMS_ECC_POINT *q = &pub->publicArea.unique.ecc;
        if (q->x.size != 32 || q->y.size != 32) {
                Esys_Free(pub);
                emp_tpm_close(t);
                return emp_error_set(err, -EIO, "TPM: unexpected attestation key size");
        }
        hex(q->x.buffer, 32, t->ak_hex);
        hex(q->y.buffer, 32, t->ak_hex + 64);
        Esys_Free(pub);
        *ret = t;
        return 0;
}

int emp_tpm_quote(struct emp_tpm *t, const uint8_t qualifying[32], json_t **ret, struct emp_error *err)
{
        TPML_PCR_SELECTION sel;
        pcr_selection(&sel);
        TPM2B_DATA qd = {.size = 32};
        memcpy(qd.buffer, qualifying, 32);
        TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_NULL}; /* the key's own: ECDSA-SHA256 */
        /* The PCRs may move between reading them and quoting: the quote's
         * digest is checked against the values read, once more on a miss. */
        for (int attempt = 0; attempt < 2; attempt++) {
                TPML_PCR_SELECTION *sel_out = NULL;
                TPML_DIGEST *values = NULL;
                UINT32 counter;
                TSS2_RC rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
                                           &sel_out, &values);
                if (rc != TSS2_RC_SUCCESS)
                        return tpm_err(err, rc, "reading PCRs");
                Esys_Free(sel_out);
                if (values->count != QUOTE_PCRS) {
                        Esys_Free(values);
                        return emp_error_set(err, -EIO, "TPM: read %u PCRs, expected %d", values->count, QUOTE_PCRS);
                }
                crypto_hash_sha256_state h;
                crypto_hash_sha256_init(&h);
                json_t *pcrs = json_object();
                for (unsigned i = 0; i < values->count; i++) {
                        char name[12], v[2 * sizeof(values->digests[i].buffer) + 1];
                        snprintf(name, sizeof(name), "%u", i);
                        hex(values->digests[i].buffer, values->digests[i].size, v);
                        json_object_set_new(pcrs, name, json_string(v));
                        crypto_hash_sha256_update(&h, values->digests[i].buffer, values->digests[i].size);
                }
                Esys_Free(values);
                uint8_t pcr_digest[32];
                crypto_hash_sha256_final(&h, pcr_digest);

                TPM2B_ATTEST *quoted = NULL;
                TPMT_SIGNATURE *sig = NULL;
                rc = Esys_Quote(t->esys, t->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qd, &scheme, &sel,
                                &quoted, &sig);
                if (rc != TSS2_RC_SUCCESS) {
                        json_decref(pcrs);
                        return tpm_err(err, rc, "quote");
                }
                /* The quote's PCR digest is the last 32 bytes of TPMS_ATTEST. */
                bool same = quoted->size > 32 &&
                            memcmp(quoted->attestationData + quoted->size - 32, pcr_digest, 32) == 0;
                if (!same || sig->sigAlg != TPM2_ALG_ECDSA) {
                        Esys_Free(quoted);
                        Esys_Free(sig);
                        json_decref(pcrs);
                        if (!same && attempt == 0)
                                continue;
                        return emp_error_set(err, -EIO, "TPM: %s",
                                             same ? "unexpected signature algorithm" : "PCRs changed during the quote");
                }
                char *qhex = malloc(2 * (size_t)quoted->size + 1);
                char r[2 * sizeof(sig->signature.ecdsa.signatureR.buffer) + 1];
                char s[2 * sizeof(sig->signature.ecdsa.signatureS.buffer) + 1];
                if (!qhex) {
                        Esys_Free(quoted);
                        Esys_Free(sig);
                        json_decref(pcrs);
                        return -ENOMEM;
                }
                hex(quoted->attestationData, quoted->size, qhex);
                hex(sig->signature.ecdsa.signatureR.buffer, sig->signature.ecdsa.signatureR.size, r);
                hex(sig->signature.ecdsa.signatureS.buffer, sig->signature.ecdsa.signatureS.size, s);
                Esys_Free(quoted);
                Esys_Free(sig);
                *ret = json_pack("{s:s,s:s,s:o,s:s,s:s,s:s}", "ak", t->ak_hex, "pcr_bank", "sha256", "pcrs", pcrs,
                                 "quoted", qhex, "sig_r", r, "sig_s", s);
                free(qhex);
                return *ret ? 0 : -ENOMEM;
        }
        return emp_error_set(err, -EIO, "TPM: quote failed");
}
