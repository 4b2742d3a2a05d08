/* strv.h — NULL-terminated string vectors (argv/envp style). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

size_t emp_strv_len(char *const *v);
/* Append a copy of s; 0 or -ENOMEM (v unchanged on failure). */
int emp_strv_push(char ***v, const char *s);
int emp_strv_pushf(char ***v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emp_strv_free(char **v);
bool emp_strv_contains(char *const *v, const char *s);
/* For "KEY=VALUE" vectors: index of KEY or -1. */
long emp_env_find(char *const *env, const char *key);
/* Set (replace or append) KEY=VALUE. */
int emp_env_set(char ***env, const char *key, const char *value);
void emp_env_unset(char **env, const char *key);
