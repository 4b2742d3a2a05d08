/* cleanup.h — ownership helpers in the style of systemd/bubblewrap:
 * _cleanup_free_, _cleanup_close_, TAKE_PTR, TAKE_FD. */
#pragma once
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void emp_freep(void *p) { free(*(void **)p); }
static inline void emp_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void emp_strv_freep(char ***v)
{
        if (*v) {
                for (char **s = *v; *s; s++)
                        free(*s);
                free(*v);
        }
}

#define _cleanup_free_ __attribute__((cleanup(emp_freep)))
#define _cleanup_close_ __attribute__((cleanup(emp_closep)))
#define _cleanup_strv_ __attribute__((cleanup(emp_strv_freep)))

#define TAKE_PTR(p)                        \
        ({                                 \
                __typeof__(p) _tp_ = (p);  \
                (p) = NULL;                \
                _tp_;                      \
        })
#define TAKE_FD(fd)                        \
        ({                                 \
                int _tf_ = (fd);           \
                (fd) = -1;                 \
                _tf_;                      \
        })
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
