/* record.c — an audit record as one JSON line and back. Writing checks the
 * record is complete; reading accepts exactly the fields the writer writes. */
#include "audit_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"

static const char *const field_key[AUDIT_F_COUNT_] = {
        [AUDIT_F_TIME] = "time",         [AUDIT_F_APP] = "app",
        [AUDIT_F_INSTANCE] = "instance", [AUDIT_F_PERMISSION] = "permission",
        [AUDIT_F_DECISION] = "decision", [AUDIT_F_SOURCE] = "source",
        [AUDIT_F_NAME] = "name",         [AUDIT_F_ADDRESS] = "address",
        [AUDIT_F_PROTOCOL] = "protocol", [AUDIT_F_PATH] = "path",
};
/* Fields before this one are required in every line. */
#define FIRST_OPTIONAL AUDIT_F_NAME
/* 9999-12-31T23:59:59.999Z: RFC 3339 has four-digit years. */
#define TIME_MS_MAX 253402300799999LL

/* ---- writing ---- */

static int format_time(int64_t ms, char out[32])
{
        struct timespec ts;
        if (ms == 0) {
                clock_gettime(CLOCK_REALTIME, &ts);
                ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        }
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        if (ms < 0 || ms > TIME_MS_MAX || !gmtime_r(&secs, &tm))
                return -EINVAL;
        size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
        return 0;
}

/* Set key to value; bytes that are not UTF-8 go in as "key_hex" so the line
 * stays valid JSON and the exact bytes (a path may be anything) survive. */
static int set_string(json_t *obj, const char *key, const char *value)
{
        if (!value)
                return 0;
        json_t *v = json_string(value);
        char hexkey[32];
        if (!v) {
                size_t len = strlen(value);
                _cleanup_free_ char *hex = malloc(2 * len + 1);
                if (!hex)
                        return -ENOMEM;
                audit_hex((const unsigned char *)value, len, hex);
                snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
                key = hexkey;
                v = json_string(hex);
        }
        if (!v || json_object_set_new(obj, key, v) < 0)
                return -ENOMEM;
        return 0;
}

static const char *record_field(const struct emp_audit_record *rec, enum audit_field f)
{
        switch (f) {
        case AUDIT_F_APP:
                return rec->app;
        case AUDIT_F_INSTANCE:
                return rec->instance;
        case AUDIT_F_PERMISSION:
                return rec->permission;
        case AUDIT_F_DECISION:
                return rec->decision;
        case AUDIT_F_SOURCE:
                return rec->source;
        case AUDIT_F_NAME:
                return rec->name;
        case AUDIT_F_ADDRESS:
                return rec->address;
        case AUDIT_F_PROTOCOL:
                return rec->protocol;
        case AUDIT_F_PATH:
                return rec->path;
        default:
                return NULL;
        }
}

static int record_check(const struct emp_audit_record *rec, struct emp_error *err)
{
        for (int f = AUDIT_F_APP; f < AUDIT_F_COUNT_; f++) {
                const char *v = record_field(rec, f);
                if (f < FIRST_OPTIONAL && (!v || !*v))
                        return emp_error_set(err, -EINVAL, "audit: record without %s", field_key[f]);
                if (v && strnlen(v, EMP_AUDIT_FIELD_MAX + 1) > EMP_AUDIT_FIELD_MAX)
                        return emp_error_set(err, -EINVAL, "audit: record %s longer than %d bytes", field_key[f],
                                             EMP_AUDIT_FIELD_MAX);
        }
        if (rec->port > 65535)
                return emp_error_set(err, -EINVAL, "audit: record port %u out of range", rec->port);
        if (rec->time_ms < 0 || rec->time_ms > TIME_MS_MAX)
                return emp_error_set(err, -EINVAL, "audit: record time out of range");
        return 0;
}

/* The fields in the order they appear on the line. */
static int record_to_json(const struct emp_audit_record *rec, uint64_t seq, const char *time, const char *prev,
                          json_t *obj)
{
        if (json_object_set_new(obj, "seq", json_integer((json_int_t)seq)) < 0 ||
            json_object_set_new(obj, "time", json_string(time)) < 0)
                return -ENOMEM;
        for (int f = AUDIT_F_APP; f < AUDIT_F_COUNT_; f++) {
                if (f == AUDIT_F_PROTOCOL && rec->port && json_object_set_new(obj, "port", json_integer(rec->port)) < 0)
                        return -ENOMEM;
                int r = set_string(obj, field_key[f], record_field(rec, f));
                if (r < 0)
                        return r;
        }
        return json_object_set_new(obj, "prev", json_string(prev)) < 0 ? -ENOMEM : 0;
}

int audit_record_format(const struct emp_audit_record *rec, uint64_t seq,
                        const unsigned char prev[EMP_AUDIT_HASH_BYTES], char **ret, size_t *ret_len,
                        struct emp_error *err)
{
        char time[32], prevhex[AUDIT_HEX_BYTES + 1];
        int r = record_check(rec, err);
        if (r < 0)
                return r;
        if (seq == 0 || seq > (uint64_t)INT64_MAX)
                return emp_error_set(err, -EOVERFLOW, "audit: sequence number exhausted");
        if (format_time(rec->time_ms, time) < 0)
                return emp_error_set(err, -EINVAL, "audit: record time out of range");
        audit_hex(prev, EMP_AUDIT_HASH_BYTES, prevhex);
        json_t *obj = json_object();
        r = obj ? record_to_json(rec, seq, time, prevhex, obj) : -ENOMEM;
        /* ASCII only: what a terminal shows of the log is what it holds, no
         * bidi overrides or look-alike characters from an app's host names. */
        _cleanup_free_ char *s = r == 0 ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(obj);
        if (!s)
                return emp_error_errno(err, r < 0 ? r : -ENOMEM, "audit: formatting a record");
        size_t len = strlen(s);
        if (len > EMP_AUDIT_LINE_MAX)
                return emp_error_set(err, -EINVAL, "audit: record longer than %d bytes", EMP_AUDIT_LINE_MAX);
        char *line = realloc(s, len + 2);
        if (!line)
                return emp_error_errno(err, -ENOMEM, "audit: formatting a record");
        s = NULL;
        line[len] = '\n';
        line[len + 1] = '\0';
        *ret = line;
        *ret_len = len + 1;
        return 0;
}

/* ---- reading ---- */

static bool time_valid(const char *s, size_t len)
{
        static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
        if (len != sizeof(pattern) - 1)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
                        return false;
        }
        return true;
}

/* Decode a "_hex" value into a C string: no NUL inside, and only when it
 * was not valid UTF-8 (otherwise the writer would have written it plain). */
static int decode_hex_field(json_t *v, char **ret)
{
        size_t hexlen = json_string_length(v);
        if (hexlen % 2 || hexlen / 2 > EMP_AUDIT_FIELD_MAX)
                return -EBADMSG;
        _cleanup_free_ char *s = malloc(hexlen / 2 + 1);
        if (!s)
                return -ENOMEM;
        if (audit_unhex(json_string_value(v), hexlen, (unsigned char *)s, hexlen / 2) < 0 ||
            memchr(s, '\0', hexlen / 2))
                return -EBADMSG;
        s[hexlen / 2] = '\0';
        json_t *plain = json_string(s);
        if (plain) {
                json_decref(plain);
                return -EBADMSG;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* One field, plain or hex; returns how many keys it used (0 or 1). */
static int parse_field(struct audit_parsed *p, enum audit_field f, const char **why)
{
        char hexkey[32];
        snprintf(hexkey, sizeof(hexkey), "%s_hex", field_key[f]);
        json_t *plain = json_object_get(p->root, field_key[f]);
        json_t *hex = f == AUDIT_F_TIME ? NULL : json_object_get(p->root, hexkey);
        if (plain && hex)
                return *why = "a field given twice", -EBADMSG;
        if (!plain && !hex) {
                if (f < FIRST_OPTIONAL)
                        return *why = "a required field is missing", -EBADMSG;
                return 0;
        }
        json_t *v = plain ? plain : hex;
        if (!json_is_string(v))
                return *why = "a field is not a string", -EBADMSG;
        if (plain) {
                if (json_string_length(v) > EMP_AUDIT_FIELD_MAX ||
                    strlen(json_string_value(v)) != json_string_length(v))
                        return *why = "a field is too long or holds NUL", -EBADMSG;
                if (f < FIRST_OPTIONAL && json_string_length(v) == 0)
                        return *why = "a required field is empty", -EBADMSG;
                p->field[f] = json_string_value(v);
                return 1;
        }
        int r = decode_hex_field(v, &p->decoded[f]);
        if (r < 0)
                return *why = "a _hex field is not hex of non-UTF-8 bytes", r;
        p->field[f] = p->decoded[f];
        return 1;
}

static int parse_numbers(struct audit_parsed *p, size_t *used, const char **why)
{
        json_t *seq = json_object_get(p->root, "seq");
        json_t *prev = json_object_get(p->root, "prev");
        json_t *port = json_object_get(p->root, "port");
        if (!json_is_integer(seq) || json_integer_value(seq) < 1)
                return *why = "seq is not a positive integer", -EBADMSG;
        if (!json_is_string(prev) ||
            audit_unhex(json_string_value(prev), json_string_length(prev), p->prev, EMP_AUDIT_HASH_BYTES) < 0)
                return *why = "prev is not a hash", -EBADMSG;
        p->seq = (uint64_t)json_integer_value(seq);
        *used = 2;
        if (port) {
                if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
                        return *why = "port is not a port number", -EBADMSG;
                p->port = (uint32_t)json_integer_value(port);
                (*used)++;
        }
        return 0;
}

static int parse_fields(struct audit_parsed *p, const char **why)
{
        if (!json_is_object(p->root))
                return *why = "not a JSON object", -EBADMSG;
        size_t used;
        int r = parse_numbers(p, &used, why);
        if (r < 0)
                return r;
        for (int f = 0; f < AUDIT_F_COUNT_; f++) {
                r = parse_field(p, f, why);
                if (r < 0)
                        return r;
                used += (size_t)r;
        }
        if (!time_valid(p->field[AUDIT_F_TIME], strlen(p->field[AUDIT_F_TIME])))
                return *why = "time is not RFC 3339 UTC with milliseconds", -EBADMSG;
        /* Anything else was not written by us: a record has exactly these
         * fields, so nothing like a payload can ride along. */
        if (used != json_object_size(p->root))
                return *why = "an unknown field", -EBADMSG;
        return 0;
}

void audit_parsed_free(struct audit_parsed *p)
{
        json_decref(p->root);
        for (int f = 0; f < AUDIT_F_COUNT_; f++)
                free(p->decoded[f]);
        memset(p, 0, sizeof(*p));
}

int audit_record_parse(const char *line, size_t len, struct audit_parsed *ret, const char **ret_why)
{
        struct audit_parsed p = {0};
        const char *why = "not JSON";
        p.root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
        int r = p.root ? parse_fields(&p, &why) : -EBADMSG;
        if (r < 0) {
                audit_parsed_free(&p);
                if (ret_why)
                        *ret_why = why;
                return r == -ENOMEM ? r : -EBADMSG;
        }
        *ret = p;
        return 0;
}
