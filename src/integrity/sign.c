/* sign.c — the machine secret, per-app Ed25519 keys derived from it (so two
 * apps' reports cannot be linked to one machine), and the signed envelope. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "integrity.h"

#define KEY_CONTEXT "empyra-integrity-key/v1"

void emp_integrity_app_keypair(const uint8_t secret[EMP_INTEGRITY_SECRET_LEN], const char *app_id,
                               uint8_t pk[EMP_INTEGRITY_PK_LEN], uint8_t sk[64])
{
        uint8_t seed[crypto_sign_SEEDBYTES];
        crypto_generichash_state st;
        crypto_generichash_init(&st, secret, EMP_INTEGRITY_SECRET_LEN, sizeof(seed));
        crypto_generichash_update(&st, (const uint8_t *)KEY_CONTEXT, sizeof(KEY_CONTEXT)); /* with its NUL */
        crypto_generichash_update(&st, (const uint8_t *)app_id, strlen(app_id));
        crypto_generichash_final(&st, seed, sizeof(seed));
        crypto_sign_seed_keypair(pk, sk, seed);
        sodium_memzero(seed, sizeof(seed));
        sodium_memzero(&st, sizeof(st));
}

/* The signed message: the format string, its NUL, then the body. */
static uint8_t *signed_message(const char *body, size_t *ret_len)
{
        size_t pre = sizeof(EMP_INTEGRITY_FORMAT), bl = strlen(body);
        uint8_t *m = malloc(pre + bl);
        if (!m)
                return NULL;
        memcpy(m, EMP_INTEGRITY_FORMAT, pre);
        memcpy(m + pre, body, bl);
        *ret_len = pre + bl;
        return m;
}

void emp_integrity_message_hash(const char *body, size_t len, uint8_t out[32])
{
        crypto_hash_sha256_state h;
        crypto_hash_sha256_init(&h);
        crypto_hash_sha256_update(&h, (const uint8_t *)EMP_INTEGRITY_FORMAT, sizeof(EMP_INTEGRITY_FORMAT));
        crypto_hash_sha256_update(&h, (const uint8_t *)body, len);
        crypto_hash_sha256_final(&h, out);
}

int emp_integrity_sign(const char *body, const uint8_t sk[64], const uint8_t pk[EMP_INTEGRITY_PK_LEN], json_t *tpm,
                       char **ret)
{
        size_t mlen;
        _cleanup_free_ uint8_t *m = signed_message(body, &mlen);
        if (!m) {
                json_decref(tpm);
                return -ENOMEM;
        }
        uint8_t sig[crypto_sign_BYTES];
        crypto_sign_detached(sig, NULL, m, mlen, sk);
        char sig_hex[2 * crypto_sign_BYTES + 1], pk_hex[2 * EMP_INTEGRITY_PK_LEN + 1];
        sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
        sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, EMP_INTEGRITY_PK_LEN);
        json_t *env = json_pack("{s:s,s:s,s:s,s:s}", "format", EMP_INTEGRITY_FORMAT, "body", body, "public_key",
                                pk_hex, "signature", sig_hex);
        if (env && tpm)
                json_object_set(env, "tpm", tpm);
        json_decref(tpm);
        if (!env)
                return -ENOMEM;
        char *text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(env);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int emp_hex_decode(const char *hex, uint8_t *out, size_t len)
{
        size_t got = 0;
        const char *end = NULL;
        if (!hex || strlen(hex) != 2 * len ||
            sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, &end) != 0 || got != len || *end)
                return -EINVAL;
        return 0;
}

int emp_integrity_secret_load(const char *dir, uint8_t secret[EMP_INTEGRITY_SECRET_LEN], struct emp_error *err)
{
        if (sodium_init() < 0)
                return emp_error_set(err, -EIO, "libsodium initialisation failed");
        int r = emp_mkdir_p(dir, 0700);
        if (r < 0)
                return emp_error_errno(err, r, "creating %s", dir);
        _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return emp_error_errno(err, -errno, "opening %s", dir);
        struct stat st;
        if (fstat(dfd, &st) < 0)
                return emp_error_errno(err, -errno, "%s", dir);
        if (st.st_uid != geteuid() || (st.st_mode & 0077))
                return emp_error_set(err, -EPERM, "%s must be a directory of uid %u with mode 0700", dir,
                                     (unsigned)geteuid());
        _cleanup_close_ int fd = openat(dfd, "secret", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                if (fstat(fd, &st) < 0)
                        return emp_error_errno(err, -errno, "%s/secret", dir);
                if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077))
                        return emp_error_set(err, -EPERM, "%s/secret must be a private file (0600) of uid %u", dir,
                                             (unsigned)geteuid());
                ssize_t n = read(fd, secret, EMP_INTEGRITY_SECRET_LEN);
                if (n != EMP_INTEGRITY_SECRET_LEN)
                        return emp_error_set(err, -EINVAL, "%s/secret: not a %d-byte secret", dir,
                                             EMP_INTEGRITY_SECRET_LEN);
                return 0;
        }
        if (errno != ENOENT)
                return emp_error_errno(err, -errno, "%s/secret", dir);
        /* First start: a fresh secret, written whole before it takes the name. */
        uint8_t fresh[EMP_INTEGRITY_SECRET_LEN];
        randombytes_buf(fresh, sizeof(fresh));
        (void)unlinkat(dfd, "secret.tmp", 0);
        _cleanup_close_ int tmp = openat(dfd, "secret.tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (tmp < 0)
                return emp_error_errno(err, -errno, "creating %s/secret.tmp", dir);
        r = emp_write_all(tmp, fresh, sizeof(fresh));
        if (r == 0 && fsync(tmp) < 0)
                r = -errno;
        if (r == 0 && renameat(dfd, "secret.tmp", dfd, "secret") < 0)
                r = -errno;
        if (r == 0 && fsync(dfd) < 0)
                r = -errno;
        if (r < 0) {
                sodium_memzero(fresh, sizeof(fresh));
                (void)unlinkat(dfd, "secret.tmp", 0);
                return emp_error_errno(err, r, "writing %s/secret", dir);
        }
        memcpy(secret, fresh, sizeof(fresh));
        sodium_memzero(fresh, sizeof(fresh));
        return 0;
}
