/* verify.c — what a game server runs on a report: the envelope's format and
 * signature, then the body's nonce and freshness, then the verdict. Pure:
 * text, key, nonce and the current time in; a result with reasons out. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "integrity.h"

void emp_verify_result_free(struct emp_verify_result *r)
{
        emp_strv_free(r->lines);
        memset(r, 0, sizeof(*r));
}

static int line(struct emp_verify_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int line(struct emp_verify_result *r, const char *fmt, ...)
{
        char buf[800];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return emp_strv_push(&r->lines, buf);
}

static void copy(char *dst, size_t len, const char *src)
{
        snprintf(dst, len, "%s", src ? src : "");
}

/* Rejects with a reason line; returns 0 so the caller reports it. */
#define REJECT(...)                                    \
        do {                                           \
                if (line(r, __VA_ARGS__) < 0)          \
                        goto nomem;                    \
                goto out;                              \
        } while (0)

int emp_integrity_verify(const char *text, size_t len, const uint8_t pk[EMP_INTEGRITY_PK_LEN],
                         const uint8_t nonce[EMP_INTEGRITY_NONCE_LEN], int64_t now, int64_t max_age,
                         const char *tpm_ak, struct emp_verify_result *r)
{
        memset(r, 0, sizeof(*r));
        int ret = 0;
        json_t *env = NULL, *body = NULL;
        uint8_t *msg = NULL;
        if (sodium_init() < 0)
                return -EIO;
        json_error_t jerr;
        env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(env))
                REJECT("format: not a report (%s)", env ? "not a JSON object" : jerr.text);
        const char *format = json_string_value(json_object_get(env, "format"));
        const char *body_text = json_string_value(json_object_get(env, "body"));
        const char *sig_hex = json_string_value(json_object_get(env, "signature"));
        size_t body_len = json_string_length(json_object_get(env, "body"));
        if (!format || strcmp(format, EMP_INTEGRITY_FORMAT) != 0)
                REJECT("format: not %s", EMP_INTEGRITY_FORMAT);
        if (!body_text || !sig_hex || strlen(body_text) != body_len)
                REJECT("format: body or signature missing");
        uint8_t sig[crypto_sign_BYTES];
        if (emp_hex_decode(sig_hex, sig, sizeof(sig)) < 0)
                REJECT("signature: malformed");
        size_t pre = sizeof(EMP_INTEGRITY_FORMAT);
        msg = malloc(pre + body_len + 1);
        if (!msg)
                goto nomem;
        memcpy(msg, EMP_INTEGRITY_FORMAT, pre);
        memcpy(msg + pre, body_text, body_len);
        if (crypto_sign_verify_detached(sig, msg, pre + body_len, pk) != 0)
                REJECT("signature: BAD (not signed by this key, or altered)");
        if (line(r, "signature: ok") < 0)
                goto nomem;

        body = json_loadb(body_text, body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(body))
                REJECT("format: signed body is not a JSON object");
        if (json_integer_value(json_object_get(body, "v")) != 1)
                REJECT("format: unknown report version");
        uint8_t got[EMP_INTEGRITY_NONCE_LEN];
        if (emp_hex_decode(json_string_value(json_object_get(body, "nonce")), got, sizeof(got)) < 0)
                REJECT("nonce: missing or malformed");
        if (sodium_memcmp(got, nonce, sizeof(got)) != 0)
                REJECT("nonce: MISMATCH (a replayed report, or one made for another request)");
        if (line(r, "nonce: ok") < 0)
                goto nomem;
        json_t *at = json_object_get(body, "issued_at");
        if (!json_is_integer(at))
                REJECT("freshness: issued_at missing");
        r->age = now - json_integer_value(at);
        if (r->age > max_age)
                REJECT("freshness: STALE (issued %lld s ago, more than %lld s)", (long long)r->age,
                       (long long)max_age);
        if (r->age < -60)
                REJECT("freshness: issued %lld s in the future", (long long)-r->age);
        if (line(r, "freshness: ok (issued %lld s ago)", (long long)r->age) < 0)
                goto nomem;

        json_t *verdict = json_object_get(body, "verdict");
        json_t *subject = json_object_get(body, "subject");
        const char *status = json_string_value(json_object_get(verdict, "status"));
        if (!status || (strcmp(status, "pass") && strcmp(status, "fail") && strcmp(status, "unknown")))
                REJECT("format: verdict missing");
        const char *assurance = json_string_value(json_object_get(body, "assurance"));
        if (!assurance)
                REJECT("format: assurance missing");
        if (strcmp(assurance, "tpm_anchored") == 0) {
                uint8_t mh[32];
                char why[256];
                emp_integrity_message_hash(body_text, body_len, mh);
                if (emp_tpm_check(json_object_get(env, "tpm"), mh, tpm_ak, why, sizeof(why)) < 0)
                        REJECT("tpm: %s", why);
                r->tpm_anchored = true;
                r->tpm_pinned = tpm_ak != NULL;
                if (line(r, "tpm: quote ok over this report, PCRs 0-7 (sha256), attestation key %s", tpm_ak ? "pinned"
                                : "NOT pinned (the report's own; give --tpm-ak to anchor it)") < 0)
                        goto nomem;
        } else if (strcmp(assurance, "self_asserted") != 0) {
                REJECT("assurance: %s is not supported by this verifier", assurance);
        } else if (tpm_ak) {
                REJECT("tpm: the report is not TPM-anchored, but an attestation key was pinned");
        }
        copy(r->status, sizeof(r->status), status);
        copy(r->process, sizeof(r->process), json_string_value(json_object_get(verdict, "process")));
        copy(r->platform, sizeof(r->platform), json_string_value(json_object_get(verdict, "platform")));
        copy(r->assurance, sizeof(r->assurance), assurance);
        copy(r->app_id, sizeof(r->app_id), json_string_value(json_object_get(subject, "app_id")));
        copy(r->manifest_sha256, sizeof(r->manifest_sha256),
             json_string_value(json_object_get(subject, "manifest_sha256")));
        r->authentic = true;
        if (line(r, "assurance: %s%s", assurance,
                 r->tpm_pinned ? " (anchored in the pinned TPM key)"
                               : " (the machine's root could forge it)") < 0 ||
            line(r, "app: %s, manifest sha256 %s", r->app_id[0] ? r->app_id : "?",
                 r->manifest_sha256[0] ? r->manifest_sha256 : "unknown") < 0 ||
            line(r, "verdict: %s (process %s, platform %s)", r->status, r->process[0] ? r->process : "?",
                 r->platform[0] ? r->platform : "?") < 0)
                goto nomem;
        json_t *reasons = json_object_get(verdict, "reasons");
        size_t i;
        json_t *v;
        json_array_foreach(reasons, i, v)
        {
                if (i >= 64) {
                        if (line(r, "  ... %zu more", json_array_size(reasons) - i) < 0)
                                goto nomem;
                        break;
                }
                if (json_is_string(v) && line(r, "  %s", json_string_value(v)) < 0)
                        goto nomem;
        }
        goto out;
nomem:
        ret = -ENOMEM;
out:
        free(msg);
        json_decref(body);
        json_decref(env);
        if (ret < 0)
                emp_verify_result_free(r);
        return ret;
}
