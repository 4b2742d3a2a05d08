/* hash_cache.c — file hashes kept between requests, only for files no
 * unprivileged process can change: owned by root, writable by nobody else
 * (ACL masks show in the group bits), on a filesystem whose attributes the
 * kernel vouches for (not FUSE). Keyed by device, inode, size, mtime and
 * ctime, so a package update (a new inode, or new times) misses. Root can
 * change such files, but root can forge self-asserted reports anyway. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "integrity.h"

#define FUSE_SUPER_MAGIC 0x65735546

struct entry {
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime, ctime;
        char sha256[65];
        unsigned long long used;
};

struct emp_hash_cache {
        struct entry *e;
        size_t n, max;
        unsigned long long tick;
};

bool emp_hash_cacheable(const struct stat *st, long fs_type)
{
        return S_ISREG(st->st_mode) && st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH)) &&
               fs_type != FUSE_SUPER_MAGIC;
}

struct emp_hash_cache *emp_hash_cache_new(size_t max)
{
        struct emp_hash_cache *c = calloc(1, sizeof(*c));
        if (!c || !(c->e = calloc(max, sizeof(*c->e)))) {
                free(c);
                return NULL;
        }
        c->max = max;
        return c;
}

void emp_hash_cache_free(struct emp_hash_cache *c)
{
        if (c) {
                free(c->e);
                free(c);
        }
}

static bool same(const struct entry *e, const struct stat *st)
{
        return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
               e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
               e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

bool emp_hash_cache_get(struct emp_hash_cache *c, const struct stat *st, char out[65])
{
        for (size_t i = 0; c && i < c->n; i++)
                if (same(&c->e[i], st)) {
                        c->e[i].used = ++c->tick;
                        memcpy(out, c->e[i].sha256, 65);
                        return true;
                }
        return false;
}

void emp_hash_cache_put(struct emp_hash_cache *c, const struct stat *st, const char sha256[65])
{
        if (!c || !c->max)
                return;
        struct entry *slot = NULL;
        for (size_t i = 0; i < c->n; i++)
                if (c->e[i].dev == st->st_dev && c->e[i].ino == st->st_ino)
                        slot = &c->e[i]; /* the same file, changed: replace */
        if (!slot && c->n < c->max)
                slot = &c->e[c->n++];
        if (!slot) {
                slot = &c->e[0];
                for (size_t i = 1; i < c->n; i++)
                        if (c->e[i].used < slot->used)
                                slot = &c->e[i];
        }
        *slot = (struct entry){.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size, .mtime = st->st_mtim,
                               .ctime = st->st_ctim, .used = ++c->tick};
        memcpy(slot->sha256, sha256, 65);
}
