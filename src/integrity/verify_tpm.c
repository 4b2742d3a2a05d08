/* verify_tpm.c — the verifier's check of a report's TPM quote: the quote
 * (TPMS_ATTEST, parsed here by hand, big-endian) must carry the signed
 * message's hash as extra data and the digest of the PCR values the report
 * lists, and be signed (ECDSA P-256) by the attestation key — the pinned one
 * when the server gave it. libcrypto is loaded only here (dlopen), so the
 * `empyra` launcher does not pay for it at every start. */
#include <dlfcn.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "integrity.h"

#define TPM_GENERATED 0xff544347u
#define TPM_ST_ATTEST_QUOTE 0x8018u
#define TPM_ALG_SHA256 0x000bu
#define MAX_QUOTED 4096

struct rd {
        const uint8_t *p;
        size_t n, off;
        bool bad;
};

static uint64_t be(struct rd *r, size_t bytes)
{
        uint64_t v = 0;
        if (r->off + bytes > r->n) {
                r->bad = true;
                return 0;
        }
        for (size_t i = 0; i < bytes; i++)
                v = (v << 8) | r->p[r->off + i];
        r->off += bytes;
        return v;
}

static const uint8_t *sized(struct rd *r, size_t *len)
{
        *len = (size_t)be(r, 2);
        if (r->bad || r->off + *len > r->n) {
                r->bad = true;
                return NULL;
        }
        const uint8_t *p = r->p + r->off;
        r->off += *len;
        return p;
}

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t len, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* DER INTEGER of a big-endian unsigned number. */
static size_t der_int(const uint8_t *v, size_t n, uint8_t *out)
{
        while (n > 1 && v[0] == 0) {
                v++;
                n--;
        }
        size_t pad = v[0] & 0x80 ? 1 : 0;
        out[0] = 0x02;
        out[1] = (uint8_t)(n + pad);
        out[2] = 0;
        memcpy(out + 2 + pad, v, n);
        return 2 + pad + n;
}

/* ECDSA P-256 verification of digest by (x, y) through libcrypto. */
static int ecdsa_p256_verify(const uint8_t xy[64], const uint8_t r[32], const uint8_t s[32], const uint8_t digest[32],
                             char *why, size_t wl)
{
        static const uint8_t spki_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                              0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
                                              0x07, 0x03, 0x42, 0x00, 0x04};
        uint8_t spki[sizeof(spki_prefix) + 64];
        memcpy(spki, spki_prefix, sizeof(spki_prefix));
        memcpy(spki + sizeof(spki_prefix), xy, 64);
        uint8_t sig[72], ri[35], si[35];
        size_t rl = der_int(r, 32, ri), sl = der_int(s, 32, si);
        sig[0] = 0x30;
        sig[1] = (uint8_t)(rl + sl);
        memcpy(sig + 2, ri, rl);
        memcpy(sig + 2 + rl, si, sl);

        void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
        if (!lib)
                return fail(why, wl, "cannot check the TPM signature: libcrypto.so.3 not found");
        void *(*d2i_PUBKEY)(void **, const unsigned char **, long) = (void *(*)(void **, const unsigned char **, long))dlsym(lib, "d2i_PUBKEY");
        void *(*ctx_new)(void *, void *) = (void *(*)(void *, void *))dlsym(lib, "EVP_PKEY_CTX_new");
        int (*verify_init)(void *) = (int (*)(void *))dlsym(lib, "EVP_PKEY_verify_init");
        int (*verify)(void *, const unsigned char *, size_t, const unsigned char *, size_t) =
                (int (*)(void *, const unsigned char *, size_t, const unsigned char *, size_t))dlsym(lib, "EVP_PKEY_verify");
        void (*ctx_free)(void *) = (void (*)(void *))dlsym(lib, "EVP_PKEY_CTX_free");
        void (*pkey_free)(void *) = (void (*)(void *))dlsym(lib, "EVP_PKEY_free");
        int ret;
        if (!d2i_PUBKEY || !ctx_new || !verify_init || !verify || !ctx_free || !pkey_free) {
                ret = fail(why, wl, "cannot check the TPM signature: libcrypto lacks EVP_PKEY_verify");
                goto out;
        }
        const unsigned char *p = spki;
        void *pkey = d2i_PUBKEY(NULL, &p, (long)sizeof(spki));
        if (!pkey) {
                ret = fail(why, wl, "the attestation key is not a P-256 point");
                goto out;
        }
        void *ctx = ctx_new(pkey, NULL);
        int ok = ctx && verify_init(ctx) == 1 && verify(ctx, sig, 2 + rl + sl, digest, 32) == 1;
        if (ctx)
                ctx_free(ctx);
        pkey_free(pkey);
        ret = ok ? 0 : fail(why, wl, "quote signature BAD");
out:
        dlclose(lib);
        return ret;
}

static int hexfield(json_t *o, const char *key, uint8_t *out, size_t len)
{
        return emp_hex_decode(json_string_value(json_object_get(o, key)), out, len);
}

int emp_tpm_check(json_t *tpm, const uint8_t msg_hash[32], const char *pinned_ak, char *why, size_t wl)
{
        if (!json_is_object(tpm))
                return fail(why, wl, "no TPM quote in a tpm_anchored report");
        const char *ak_hex = json_string_value(json_object_get(tpm, "ak"));
        uint8_t ak[64], r[32], s[32];
        if (!ak_hex || emp_hex_decode(ak_hex, ak, sizeof(ak)) < 0 || hexfield(tpm, "sig_r", r, 32) < 0 ||
            hexfield(tpm, "sig_s", s, 32) < 0)
                return fail(why, wl, "malformed TPM section");
        if (pinned_ak && strcasecmp(pinned_ak, ak_hex) != 0)
                return fail(why, wl, "the quote's attestation key is not the pinned one");
        const char *q_hex = json_string_value(json_object_get(tpm, "quoted"));
        size_t qlen = q_hex ? strlen(q_hex) / 2 : 0;
        if (!q_hex || qlen == 0 || qlen > MAX_QUOTED)
                return fail(why, wl, "malformed TPM quote");
        uint8_t quoted[MAX_QUOTED];
        if (emp_hex_decode(q_hex, quoted, qlen) < 0)
                return fail(why, wl, "malformed TPM quote");
        struct rd rd = {.p = quoted, .n = qlen};
        size_t len;
        if (be(&rd, 4) != TPM_GENERATED || be(&rd, 2) != TPM_ST_ATTEST_QUOTE)
                return fail(why, wl, "not a TPM-generated quote");
        sized(&rd, &len); /* qualifiedSigner */
        const uint8_t *extra = sized(&rd, &len);
        if (rd.bad || len != 32 || sodium_memcmp(extra, msg_hash, 32) != 0)
                return fail(why, wl, "the quote is not over this report (qualifying data differs)");
        be(&rd, 8 + 4 + 4 + 1 + 8); /* clockInfo, firmwareVersion */
        if (be(&rd, 4) != 1 || be(&rd, 2) != TPM_ALG_SHA256)
                return fail(why, wl, "the quote is not over one sha256 PCR bank");
        size_t nsel = (size_t)be(&rd, 1);
        if (rd.bad || nsel == 0 || nsel > 4 || rd.off + nsel > rd.n)
                return fail(why, wl, "malformed PCR selection");
        const uint8_t *bits = quoted + rd.off;
        rd.off += nsel;
        const uint8_t *digest = sized(&rd, &len);
        if (rd.bad || len != 32 || rd.off != rd.n)
                return fail(why, wl, "malformed quote");
        /* The listed PCR values, in index order, must hash to the quoted digest. */
        json_t *pcrs = json_object_get(tpm, "pcrs");
        crypto_hash_sha256_state h;
        crypto_hash_sha256_init(&h);
        size_t selected = 0;
        for (unsigned i = 0; i < 8 * nsel; i++) {
                if (!(bits[i / 8] & (1u << (i % 8))))
                        continue;
                char name[8];
                snprintf(name, sizeof(name), "%u", i);
                uint8_t v[32];
                if (hexfield(pcrs, name, v, sizeof(v)) < 0)
                        return fail(why, wl, "PCR %u missing from the report", i);
                crypto_hash_sha256_update(&h, v, sizeof(v));
                selected++;
        }
        if (selected == 0 || json_object_size(pcrs) != selected)
                return fail(why, wl, "the report's PCRs are not the quoted selection");
        uint8_t mine[32];
        crypto_hash_sha256_final(&h, mine);
        if (sodium_memcmp(mine, digest, 32) != 0)
                return fail(why, wl, "the report's PCR values are not the quoted ones");
        uint8_t qd[32];
        crypto_hash_sha256(qd, quoted, qlen);
        return ecdsa_p256_verify(ak, r, s, qd, why, wl);
}
