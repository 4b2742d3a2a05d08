/* strv.c — helpers for NULL-terminated string vectors, used for argv,
 * environments and lists from the manifest. */
#include "strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t emp_strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

static int strv_push_owned(char ***v, char *s)
{
        size_t n = emp_strv_len(*v);
        char **nv = realloc(*v, (n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[n] = s;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

int emp_strv_push(char ***v, const char *s)
{
        char *c = strdup(s);
        return c ? strv_push_owned(v, c) : -ENOMEM;
}

int emp_strv_pushf(char ***v, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_push_owned(v, s);
}

void emp_strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

bool emp_strv_contains(char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

long emp_env_find(char *const *env, const char *key)
{
        size_t kl = strlen(key);
        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
                        return (long)i;
        return -1;
}

int emp_env_set(char ***env, const char *key, const char *value)
{
        char *s = NULL;
        if (asprintf(&s, "%s=%s", key, value) < 0)
                return -ENOMEM;
        long i = emp_env_find(*env, key);
        if (i >= 0) {
                free((*env)[i]);
                (*env)[i] = s;
                return 0;
        }
        return strv_push_owned(env, s);
}

void emp_env_unset(char **env, const char *key)
{
        long i = emp_env_find(env, key);
        if (i < 0)
                return;
        free(env[i]);
        for (size_t j = (size_t)i; env[j]; j++)
                env[j] = env[j + 1];
}
