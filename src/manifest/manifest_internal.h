/* manifest_internal.h — pieces shared by the manifest's files: value
 * validators, the raw-text locator and string-vector helpers. Not for the CLI. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strv.h"
#include "manifest/manifest.h"

/* Larger manifests are refused: nothing legitimate comes close, and it
 * bounds the work the line locator can be asked to do. */
#define EMP_MANIFEST_MAX (1024 * 1024)

/* One permission bitmask (shared, sockets, devices, features): its names and
 * where its grant/revoke pair lives in struct emp_manifest. */
struct emp_bit_name {
        const char *name;
        unsigned bit;
};
struct emp_bit_kind {
        const char *what; /* noun for messages: "unknown socket 'x'" */
        const struct emp_bit_name *names;
        size_t n_names;
        size_t grant_off, revoke_off;
};
extern const struct emp_bit_kind emp_bits_shared, emp_bits_sockets, emp_bits_devices,
        emp_bits_features;

int emp_bit_lookup(const struct emp_bit_kind *kind, const char *name, unsigned *ret,
                   struct emp_error *why);
unsigned *emp_bits_field(struct emp_manifest *m, const struct emp_bit_kind *kind, bool revoke);

/* Adds src's values to m as a later source (a grant lifts an earlier
 * revocation; scalars override; lists append, env replaces by name); src
 * is emptied. -ENOMEM
 * leaves m exactly as it was. */
int emp_manifest_merge(struct emp_manifest *m, struct emp_manifest *src);
/* Appends e, taking its spec (e is zeroed) on success. */
int emp_manifest_add_fs(struct emp_manifest *m, struct emp_fs_entry *e);

/* Value validators: 0, or -EINVAL with only the reason in *why. */
enum emp_fs_parse {
        EMP_FS_PARSE_MANIFEST, /* "!spec" revokes */
        EMP_FS_PARSE_GRANT,    /* --filesystem: no '!' */
        EMP_FS_PARSE_REVOKE,   /* --nofilesystem: no '!', no suffix */
};
int emp_fs_entry_parse(const char *s, enum emp_fs_parse mode, struct emp_fs_entry *ret,
                       struct emp_error *why);
int emp_persistent_validate(const char *s, struct emp_error *why);
bool emp_env_name_valid(const char *s, size_t len);
int emp_memory_parse(const char *s, uint64_t *ret, struct emp_error *why);
int emp_pids_parse(const char *s, uint64_t *ret, struct emp_error *why);
int emp_cpu_weight_parse(const char *s, uint32_t *ret, struct emp_error *why);
int emp_files_mode_parse(const char *s, enum emp_files_mode *ret, struct emp_error *why);
int emp_app_id_check(const char *s, struct emp_error *why);
int emp_command_check(const char *s, struct emp_error *why);
int emp_net_rule_parse(const char *s, char **ret, struct emp_error *why);  /* normalised */
int emp_integrity_parse(const char *s, char **ret, struct emp_error *why); /* lower-case hex */

/* Copy of s safe to print in a message: control bytes become '?', long
 * values are cut with "...". Returns buf. */
const char *emp_printable(char *buf, size_t size, const char *s, size_t len);
#define EMP_PRINTABLE_MAX 128

/* String vectors: common/strv.h. */

/* Raw keyfile text, read the way GKeyFile reads it (manifest_locate.c). */
/* First line GKeyFile would refuse, or that holds a NUL, invalid UTF-8, a
 * duplicate key or a key name we refuse; 0 when the text is clean. */
size_t emp_keyfile_check(const char *data, size_t len, struct emp_error *why);
/* Line of `key=` inside [group] (last one), of the first [group] header, or 0. */
size_t emp_keyfile_key_line(const char *data, size_t len, const char *group, const char *key);
size_t emp_keyfile_group_line(const char *data, size_t len, const char *group);
/* First localized key (key[xx]) in [group]: its line (0 if none) and name. */
size_t emp_keyfile_localized_key(const char *data, size_t len, const char *group,
                                 const char **ret_key, size_t *ret_key_len);
