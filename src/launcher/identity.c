/* identity.c — derive the sandbox's pseudonymous identifiers from a per-user
 * secret with keyed BLAKE2b (libsodium), and write synthetic account files. */
#include "identity.h"

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

static int key_read(const char *path, uint8_t key[EMP_IDENTITY_KEY_LEN])
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, key, EMP_IDENTITY_KEY_LEN);
        if (n < 0)
                return -errno;
        return n == EMP_IDENTITY_KEY_LEN ? 0 : -EBADMSG;
}

/* Written to a temp file, fsynced and renamed, so a crash never leaves a
 * short key that would silently change every app's machine-id. */
static int key_create(const char *dir, const char *path, uint8_t key[EMP_IDENTITY_KEY_LEN])
{
        char tmp[4096];
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.identity.key.XXXXXX", dir) >= sizeof(tmp))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        uint8_t fresh[EMP_IDENTITY_KEY_LEN];
        randombytes_buf(fresh, sizeof(fresh));
        int r = 0;
        if (fchmod(fd, 0600) < 0 || write(fd, fresh, sizeof(fresh)) != (ssize_t)sizeof(fresh) || fsync(fd) < 0)
                r = errno ? -errno : -EIO;
        /* link() fails if another launcher won the race: then use its key. */
        if (r == 0 && link(tmp, path) < 0)
                r = -errno;
        unlink(tmp);
        if (r == -EEXIST)
                return key_read(path, key);
        if (r == 0)
                memcpy(key, fresh, sizeof(fresh));
        sodium_memzero(fresh, sizeof(fresh));
        return r;
}

int emp_identity_key_load(const char *dir, uint8_t key[EMP_IDENTITY_KEY_LEN])
{
        if (sodium_init() < 0)
                return -EIO;
        int r = emp_mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        char path[4096];
        if ((size_t)snprintf(path, sizeof(path), "%s/identity.key", dir) >= sizeof(path))
                return -ENAMETOOLONG;
        r = key_read(path, key);
        if (r == -ENOENT)
                r = key_create(dir, path, key);
        return r;
}

static void keyed_hash(const uint8_t key[EMP_IDENTITY_KEY_LEN], const char *domain, const char *a,
                       const char *b, uint8_t out[16])
{
        crypto_generichash_state st;
        crypto_generichash_init(&st, key, EMP_IDENTITY_KEY_LEN, 16);
        /* Length-prefix each field so ("ab","c") and ("a","bc") differ. */
        const char *parts[] = {domain, a, b};
        for (size_t i = 0; i < 3; i++) {
                uint32_t len = parts[i] ? (uint32_t)strlen(parts[i]) : 0;
                crypto_generichash_update(&st, (const uint8_t *)&len, sizeof(len));
                if (len)
                        crypto_generichash_update(&st, (const uint8_t *)parts[i], len);
        }
        crypto_generichash_final(&st, out, 16);
}

void emp_identity_machine_id(const uint8_t key[EMP_IDENTITY_KEY_LEN], const char *app_id, char out[33])
{
        uint8_t h[16];
        keyed_hash(key, "empyra-machine-id/v1", app_id, NULL, h);
        sodium_bin2hex(out, 33, h, sizeof(h));
}

void emp_identity_boot_id(const uint8_t key[EMP_IDENTITY_KEY_LEN], const char *app_id,
                          const char *host_boot_id, char out[37])
{
        uint8_t h[16];
        keyed_hash(key, "empyra-boot-id/v1", app_id, host_boot_id, h);
        h[6] = (uint8_t)((h[6] & 0x0f) | 0x40); /* looks like a v4 UUID, as the kernel's */
        h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
        snprintf(out, 37,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
                 h[13], h[14], h[15]);
}

char *emp_identity_passwd(const char *user, uid_t uid, gid_t gid, const char *home, const char *shell)
{
        char *s = NULL;
        if (uid == 0) {
                if (asprintf(&s, "root:x:0:0:root:/root:%s\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                             shell) < 0)
                        return NULL;
                return s;
        }
        if (asprintf(&s,
                     "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                     "%s:x:%u:%u:%s:%s:%s\n"
                     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                     user, (unsigned)uid, (unsigned)gid, user, home, shell) < 0)
                return NULL;
        return s;
}

char *emp_identity_group(const char *group, gid_t gid)
{
        char *s = NULL;
        if (asprintf(&s, "root:x:0:\n%s:x:%u:\nnogroup:x:65534:\n", group, (unsigned)gid) < 0)
                return NULL;
        return s;
}
