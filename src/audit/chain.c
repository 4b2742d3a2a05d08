/* chain.c — the audit log's cryptographic state: the key, the keyed line
 * hash, the MAC'd genesis and head files, and the list of rotated files. */
#include "audit_internal.h"
#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cleanup.h"

/* Domain separation: a state MAC can never equal a line hash, because a line
 * starts with '{' and these strings do not. */
static const char *const state_domain[] = {
        [AUDIT_STATE_GENESIS] = "empyra-audit-genesis/v1",
        [AUDIT_STATE_HEAD] = "empyra-audit-head/v1",
};
static const char *const state_file[] = {
        [AUDIT_STATE_GENESIS] = AUDIT_GENESIS,
        [AUDIT_STATE_HEAD] = AUDIT_HEAD,
};

const char *audit_state_name(enum audit_state_kind kind)
{
        return state_file[kind];
}


/* Read a small file whole; -EFBIG when it holds more than size-1 bytes. */
static int read_small_at(int dirfd, const char *name, char *buf, size_t size, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, size - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == size)
                        return -EFBIG;
        }
        *ret_len = len;
        return 0;
}

int audit_key_load(int dirfd, unsigned char key[EMP_AUDIT_KEY_BYTES], bool require_private)
{
        if (sodium_init() < 0)
                return -EIO;
        _cleanup_close_ int fd = openat(dirfd, AUDIT_KEY, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size != EMP_AUDIT_KEY_BYTES)
                return -EBADMSG;
        /* A key others could read may have leaked: refuse to sign with it. */
        if (require_private && (st.st_uid != geteuid() || (st.st_mode & 077)))
                return -EPERM;
        unsigned char buf[EMP_AUDIT_KEY_BYTES];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        if (n != EMP_AUDIT_KEY_BYTES)
                return -EBADMSG;
        memcpy(key, buf, sizeof(buf));
        sodium_memzero(buf, sizeof(buf));
        return 0;
}

int audit_key_create(int dirfd, unsigned char key[EMP_AUDIT_KEY_BYTES])
{
        if (sodium_init() < 0)
                return -EIO;
        int r = audit_key_load(dirfd, key, true);
        if (r != -ENOENT)
                return r;
        unsigned char fresh[EMP_AUDIT_KEY_BYTES];
        char tmp[64];
        snprintf(tmp, sizeof(tmp), AUDIT_KEY ".%08x.tmp", randombytes_random());
        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        randombytes_buf(fresh, sizeof(fresh));
        r = emp_write_all(fd, fresh, sizeof(fresh));
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        /* link(2) never replaces: if another writer won the race, its key
         * stays and we use it. */
        if (r == 0 && linkat(dirfd, tmp, dirfd, AUDIT_KEY, 0) < 0)
                r = errno == EEXIST ? 1 : -errno;
        unlinkat(dirfd, tmp, 0);
        if (r == 1)
                r = audit_key_load(dirfd, fresh, true);
        else if (r == 0 && fsync(dirfd) < 0)
                r = -errno;
        if (r == 0)
                memcpy(key, fresh, sizeof(fresh));
        sodium_memzero(fresh, sizeof(fresh));
        return r;
}

void audit_hash_line(const unsigned char *key, const char *line, size_t len, unsigned char out[EMP_AUDIT_HASH_BYTES])
{
        crypto_generichash(out, EMP_AUDIT_HASH_BYTES, (const unsigned char *)line, len, key, EMP_AUDIT_KEY_BYTES);
}

void audit_hex(const unsigned char *bin, size_t len, char *out)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < len; i++) {
                out[2 * i] = digits[bin[i] >> 4];
                out[2 * i + 1] = digits[bin[i] & 15];
        }
        out[2 * len] = '\0';
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1; /* uppercase too: one spelling per value, so lines stay canonical */
}

int audit_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t len)
{
        if (hexlen != 2 * len)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (unsigned char)(hi << 4 | lo);
        }
        return 0;
}

static void state_mac(enum audit_state_kind kind, const unsigned char *key, const struct audit_pos *pos,
                      unsigned char out[EMP_AUDIT_HASH_BYTES])
{
        crypto_generichash_state st;
        unsigned char seq[8];
        for (int i = 0; i < 8; i++)
                seq[i] = (unsigned char)(pos->seq >> (56 - 8 * i));
        crypto_generichash_init(&st, key, EMP_AUDIT_KEY_BYTES, EMP_AUDIT_HASH_BYTES);
        crypto_generichash_update(&st, (const unsigned char *)state_domain[kind], strlen(state_domain[kind]) + 1);
        crypto_generichash_update(&st, seq, sizeof(seq));
        crypto_generichash_update(&st, pos->hash, EMP_AUDIT_HASH_BYTES);
        crypto_generichash_final(&st, out, EMP_AUDIT_HASH_BYTES);
}

/* A hex string member of exactly EMP_AUDIT_HASH_BYTES. */
static int json_hash(json_t *obj, const char *key, unsigned char out[EMP_AUDIT_HASH_BYTES])
{
        json_t *v = json_object_get(obj, key);
        if (!json_is_string(v))
                return -EBADMSG;
        if (audit_unhex(json_string_value(v), json_string_length(v), out, EMP_AUDIT_HASH_BYTES) < 0)
                return -EBADMSG;
        return 0;
}

int audit_state_read(int dirfd, enum audit_state_kind kind, const unsigned char *key, struct audit_pos *ret)
{
        char buf[512];
        size_t len = 0;
        int r = read_small_at(dirfd, state_file[kind], buf, sizeof(buf), &len);
        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        if (!root)
                return -EBADMSG;
        struct audit_pos pos = {0};
        unsigned char mac[EMP_AUDIT_HASH_BYTES], want[EMP_AUDIT_HASH_BYTES];
        json_t *seq = json_object_get(root, "seq");
        r = -EBADMSG;
        if (json_is_object(root) && json_object_size(root) == 3 && json_is_integer(seq) &&
            json_integer_value(seq) >= 0 && json_hash(root, "hash", pos.hash) == 0 &&
            json_hash(root, "mac", mac) == 0) {
                pos.seq = (uint64_t)json_integer_value(seq);
                state_mac(kind, key, &pos, want);
                if (sodium_memcmp(mac, want, sizeof(mac)) == 0)
                        r = 0;
        }
        json_decref(root);
        if (r == 0)
                *ret = pos;
        return r;
}

int audit_replace_file(int dirfd, const char *name, const void *data, size_t len)
{
        return emp_replace_file_at(dirfd, name, data, len, 0600);
}

int audit_state_write(int dirfd, enum audit_state_kind kind, const unsigned char *key, const struct audit_pos *pos)
{
        char hash[AUDIT_HEX_BYTES + 1], machex[AUDIT_HEX_BYTES + 1], buf[256];
        unsigned char mac[EMP_AUDIT_HASH_BYTES];
        state_mac(kind, key, pos, mac);
        audit_hex(pos->hash, EMP_AUDIT_HASH_BYTES, hash);
        audit_hex(mac, sizeof(mac), machex);
        int n = snprintf(buf, sizeof(buf), "{\"seq\":%llu,\"hash\":\"%s\",\"mac\":\"%s\"}\n",
                         (unsigned long long)pos->seq, hash, machex);
        return audit_replace_file(dirfd, state_file[kind], buf, (size_t)n);
}

void audit_file_name(unsigned index, char *buf, size_t size)
{
        if (index == 0)
                snprintf(buf, size, AUDIT_LOG);
        else
                snprintf(buf, size, AUDIT_LOG ".%u", index);
}

/* "audit.log.N" with N in 1..AUDIT_INDEX_MAX written canonically; 0 otherwise. */
static unsigned rotated_index(const char *name)
{
        static const char prefix[] = AUDIT_LOG ".";
        if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
                return 0;
        const char *d = name + sizeof(prefix) - 1;
        if (*d < '1' || *d > '9' || strlen(d) > 4)
                return 0;
        unsigned v = 0;
        for (; *d; d++) {
                if (*d < '0' || *d > '9')
                        return 0;
                v = v * 10 + (unsigned)(*d - '0');
        }
        return v;
}

static int cmp_desc(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
        return x < y ? 1 : x > y ? -1 : 0;
}

int audit_set_list(int dirfd, struct audit_set *ret)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        _cleanup_free_ unsigned *idx = NULL;
        size_t n = 0, cap = 0;
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                unsigned i = rotated_index(de->d_name);
                if (i == 0)
                        continue;
                if (n + 1 >= cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        unsigned *ni = realloc(idx, ncap * sizeof(*ni));
                        if (!ni) {
                                r = -ENOMEM;
                                break;
                        }
                        idx = ni;
                        cap = ncap;
                }
                idx[n++] = i;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (!idx && !(idx = malloc(sizeof(*idx))))
                return -ENOMEM;
        qsort(idx, n, sizeof(*idx), cmp_desc);
        idx[n++] = 0;
        ret->index = TAKE_PTR(idx);
        ret->n = n;
        return 0;
}

void audit_set_free(struct audit_set *s)
{
        free(s->index);
        s->index = NULL;
        s->n = 0;
}

int audit_file_start(int dirfd, unsigned index, struct audit_pos *ret)
{
        char name[AUDIT_NAME_MAX];
        audit_file_name(index, name, sizeof(name));
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        struct audit_lines lines;
        int r = audit_lines_init(&lines, fd, 0);
        if (r < 0)
                return r;
        struct audit_line line;
        r = audit_lines_next(&lines, &line);
        if (r == 1 && !line.too_long) {
                struct audit_parsed p;
                const char *why;
                r = audit_record_parse(line.data, line.len, &p, &why);
                if (r == 0) {
                        ret->seq = p.seq;
                        memcpy(ret->hash, p.prev, EMP_AUDIT_HASH_BYTES);
                        audit_parsed_free(&p);
                }
        } else if (r >= 0) {
                r = -ENODATA;
        }
        audit_lines_free(&lines);
        return r < 0 ? (r == -EBADMSG ? -ENODATA : r) : 0;
}
