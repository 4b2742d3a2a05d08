/* cmd_audit.c — `empyra audit [--app ID] [--json] [--limit N]` and
 * `empyra audit verify [--json]`, through empyrad. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "audit/audit.h"
#include "common/xdg.h"
#include "cli.h"
#include "safe_print.h"

static int audit_verify(bool json)
{
        json_t *reply = cli_api_call("audit verify", "io.empyra.Audit.Verify", json_object());
        if (!reply)
                return 1;
        bool ok = json_is_true(json_object_get(reply, "ok"));
        if (json) {
                json_dumpf(reply, stdout, JSON_INDENT(2));
                putchar('\n');
        } else if (ok) {
                printf("audit log intact: %lld line(s)\n", (long long)json_integer_value(json_object_get(reply, "lines")));
        } else {
                printf("audit log BROKEN (%s) at %s line %lld: %s\n", json_string_value(json_object_get(reply, "status")),
                       json_string_value(json_object_get(reply, "file")),
                       (long long)json_integer_value(json_object_get(reply, "line")),
                       json_string_value(json_object_get(reply, "reason")));
        }
        json_decref(reply);
        return ok ? 0 : 1;
}

static void print_entry(json_t *e, bool json)
{
        if (json) {
                json_dumpf(e, stdout, JSON_COMPACT);
                putchar('\n');
                return;
        }
        const char *fields[] = {"time", "app", "decision", "permission", "source"};
        for (size_t f = 0; f < 5; f++) {
                cli_print_safe(stdout, json_string_value(json_object_get(e, fields[f])));
                putchar(f < 4 ? ' ' : '\n');
        }
}

static void print_line(const struct emp_audit_entry *e, bool json)
{
        json_t *o = json_loadb(e->line, e->line_len, 0, NULL);
        if (o)
                print_entry(o, json);
        json_decref(o);
}

/* --follow reads the log file itself (the user's own), after making sure
 * empyrad runs: the last `limit` lines, then each new one as it is written,
 * across rotations. */
static int audit_follow(const char *app, bool json, long limit)
{
        json_t *v = cli_api_call("audit", "io.empyra.Daemon.Version", json_object());
        if (!v)
                return 1;
        json_decref(v);
        struct emp_dirs dirs;
        if (emp_dirs_init(&dirs) < 0) {
                fprintf(stderr, "empyra: audit: cannot find the state directory\n");
                return 1;
        }
        int code = 1;
        struct emp_audit_reader *r = NULL;
        json_t *recent = json_array();
        int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino < 0 || inotify_add_watch(ino, dirs.state, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
                fprintf(stderr, "empyra: audit: watching %s: %s\n", dirs.state, strerror(errno));
                goto out;
        }
        uint64_t offset = 0;
        struct emp_audit_entry e;
        if (emp_audit_reader_open(dirs.state, app, EMP_AUDIT_READ_ROTATED, &r) == 0) {
                while (emp_audit_reader_next(r, &e) > 0) {
                        json_array_append_new(recent, json_stringn(e.line, e.line_len));
                        if ((long)json_array_size(recent) > limit)
                                json_array_remove(recent, 0);
                }
                offset = emp_audit_reader_offset(r);
                emp_audit_reader_free(r);
                r = NULL;
        }
        size_t i;
        json_t *line;
        json_array_foreach(recent, i, line)
        {
                json_t *o = json_loads(json_string_value(line), 0, NULL);
                if (o)
                        print_entry(o, json);
                json_decref(o);
        }
        fflush(stdout);
        if (emp_audit_follow_open(dirs.state, app, offset, &r) < 0) {
                fprintf(stderr, "empyra: audit: cannot follow the log in %s\n", dirs.state);
                goto out;
        }
        for (;;) {
                int n;
                while ((n = emp_audit_reader_next(r, &e)) > 0)
                        print_line(&e, json);
                if (fflush(stdout) != 0 || n < 0)
                        break; /* the reader went away (a pipe closed) */
                struct pollfd p = {.fd = ino, .events = POLLIN};
                poll(&p, 1, 1000);
                char buf[4096];
                while (read(ino, buf, sizeof(buf)) > 0) {
                }
        }
        code = 0;
out:
        if (ino >= 0)
                close(ino);
        emp_audit_reader_free(r);
        json_decref(recent);
        emp_dirs_free(&dirs);
        return code;
}

int cmd_audit(int argc, char **argv)
{
        bool json = false, verify = false, follow = false;
        const char *app = NULL;
        long limit = 100;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "verify") == 0 && i == 1)
                        verify = true;
                else if (strncmp(argv[i], "--app=", 6) == 0)
                        app = argv[i] + 6;
                else if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
                        app = argv[++i];
                else if (strncmp(argv[i], "--limit=", 8) == 0)
                        limit = strtol(argv[i] + 8, NULL, 10);
                else if (strcmp(argv[i], "--follow") == 0)
                        follow = true;
                else {
                        fprintf(stderr, "Usage: empyra audit [--app ID] [--follow] [--json] [--limit N] | "
                                        "empyra audit verify\n");
                        return 2;
                }
        }
        if (verify)
                return audit_verify(json);
        if (follow)
                return audit_follow(app, json, limit);
        json_t *params = json_pack("{s:I}", "limit", (json_int_t)limit);
        if (app)
                json_object_set_new(params, "app", json_string(app));
        json_t *reply = cli_api_call("audit", "io.empyra.Audit.Read", params);
        if (!reply)
                return 1;
        json_t *entries = json_object_get(reply, "entries");
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e) print_entry(e, json);
        json_decref(reply);
        return 0;
}
