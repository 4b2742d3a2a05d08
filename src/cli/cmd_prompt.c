/* cmd_prompt.c — `empyra prompt [--json]`: answer pending "ask" requests in
 * the terminal, oldest first. One connection watches (io.empyra.Prompts.Watch:
 * pending prompts, then each new one and each one that ended); answers go
 * over their own connection. Text from apps is printed escaped. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_call.h"
#include "cli.h"
#include "common/cleanup.h"
#include "gateway/api.h"
#include "gateway/client.h"
#include "safe_print.h"

struct prompt_ui {
        json_t *queue; /* prompts not yet answered, oldest first */
        bool shown;    /* the head has been shown and waits for a key */
        bool json;
        bool gone;     /* empyrad closed the watch connection */
        char line[256];
        size_t line_len;
};

static const struct {
        char key;
        const char *decision, *scope, *label;
} answers[] = {
        {'y', "allow", "once", "allow once"},
        {'e', "allow", "until-exit", "allow until the app exits"},
        {'h', "allow", "1h", "allow for 1 hour"},
        {'a', "allow", "always", "allow always"},
        {'n', "deny", "once", "deny once"},
        {'N', "deny", "always", "deny always"},
};

static void show_head(struct prompt_ui *ui)
{
        json_t *p = json_array_get(ui->queue, 0);
        if (!p || ui->shown)
                return;
        ui->shown = true;
        if (ui->json) {
                json_dumpf(json_pack("{s:O}", "prompt", p), stdout, JSON_COMPACT | JSON_SORT_KEYS);
                putchar('\n');
        } else {
                printf("\n[%lld] ", (long long)json_integer_value(json_object_get(p, "id")));
                cli_print_safe(stdout, json_string_value(json_object_get(p, "app")));
                const char *access = json_string_value(json_object_get(p, "access"));
                printf(" wants to %s%s ", access ? access : "?", access && !strcmp(access, "connect") ? " to" : "");
                cli_print_safe(stdout, json_string_value(json_object_get(p, "path")));
                printf("\n    permission ");
                cli_print_safe(stdout, json_string_value(json_object_get(p, "permission")));
                printf(", %lld call(s) waiting, %lld s left\n",
                       (long long)json_integer_value(json_object_get(p, "waiting")),
                       (long long)json_integer_value(json_object_get(p, "expires_in_ms")) / 1000);
                for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
                        printf("%s[%c] %s", i ? "  " : "    ", answers[i].key, answers[i].label);
                printf("\n> ");
        }
        fflush(stdout);
}

static void drop(struct prompt_ui *ui, json_int_t id)
{
        size_t i;
        json_t *p;
        json_array_foreach(ui->queue, i, p) if (json_integer_value(json_object_get(p, "id")) == id)
        {
                json_array_remove(ui->queue, i);
                if (i == 0)
                        ui->shown = false;
                return;
        }
}

static int on_event(const char *msg, size_t len, void *ctx)
{
        struct prompt_ui *ui = ctx;
        json_t *o = json_loadb(msg, len, 0, NULL);
        json_t *params = json_object_get(o, "parameters");
        json_t *list = json_object_get(params, "prompts");
        json_t *one = json_object_get(params, "prompt");
        json_t *ended = json_object_get(params, "resolved");
        size_t i;
        json_t *p;
        json_array_foreach(list, i, p) json_array_append(ui->queue, p);
        if (one)
                json_array_append(ui->queue, one);
        if (ended) {
                json_int_t id = json_integer_value(json_object_get(ended, "id"));
                json_t *head = json_array_get(ui->queue, 0);
                bool was_shown = ui->shown && head && json_integer_value(json_object_get(head, "id")) == id;
                drop(ui, id);
                if (ui->json) {
                        json_dumpf(json_pack("{s:O}", "resolved", ended), stdout, JSON_COMPACT | JSON_SORT_KEYS);
                        putchar('\n');
                } else if (was_shown) {
                        printf("\n[%lld] ended: %s (%s)\n", (long long)id,
                               json_string_value(json_object_get(ended, "decision")),
                               json_string_value(json_object_get(ended, "by")));
                }
                fflush(stdout);
        }
        json_decref(o);
        return 0;
}

static void answer(struct prompt_ui *ui, const char *line)
{
        json_t *head = json_array_get(ui->queue, 0);
        if (!head)
                return;
        size_t k = 0;
        while (k < sizeof(answers) / sizeof(answers[0]) && !(line[0] == answers[k].key && !line[1]))
                k++;
        if (k == sizeof(answers) / sizeof(answers[0])) {
                if (!ui->json)
                        printf("answer with one of y e h a n N\n> ");
                fflush(stdout);
                return;
        }
        json_int_t id = json_integer_value(json_object_get(head, "id"));
        json_t *reply = cli_api_call("prompt", "io.empyra.Prompts.Answer",
                                     json_pack("{s:I, s:s, s:s}", "id", id, "decision", answers[k].decision, "scope",
                                               answers[k].scope));
        if (reply && !ui->json)
                printf("[%lld] %s\n", (long long)id, answers[k].label);
        json_decref(reply);
        drop(ui, id);
        fflush(stdout);
}

/* Whole lines from stdin (raw reads: stdio would hide buffered lines from poll). */
static int read_stdin(struct prompt_ui *ui)
{
        ssize_t n = read(STDIN_FILENO, ui->line + ui->line_len, sizeof(ui->line) - 1 - ui->line_len);
        if (n <= 0)
                return n < 0 && errno == EINTR ? 0 : -1;
        ui->line_len += (size_t)n;
        ui->line[ui->line_len] = '\0';
        char *nl;
        while ((nl = strchr(ui->line, '\n'))) {
                *nl = '\0';
                answer(ui, ui->line);
                memmove(ui->line, nl + 1, strlen(nl + 1) + 1);
                ui->line_len = strlen(ui->line);
        }
        if (ui->line_len == sizeof(ui->line) - 1)
                ui->line_len = 0; /* an overlong line is no answer */
        return 0;
}

int cmd_prompt(int argc, char **argv)
{
        struct prompt_ui ui = {0};
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        ui.json = true;
                } else {
                        fprintf(stderr, "Usage: empyra prompt [--json]\n"
                                        "Shows each pending request and reads one answer per line:\n"
                                        "  y allow once, e until the app exits, h for 1 hour, a always,\n"
                                        "  n deny once, N deny always. End of input quits.\n");
                        return 2;
                }
        }
        struct emp_error err = {0};
        _cleanup_close_ int fd = emp_client_connect(true, &err);
        if (fd < 0) {
                fprintf(stderr, "empyra: prompt: %s\n", err.msg);
                return 1;
        }
        _cleanup_free_ char *msg = NULL;
        size_t len = 0;
        if (emp_api_format_request("io.empyra.Prompts.Watch", json_object(), &msg, &len) < 0 ||
            write(fd, msg, len) != (ssize_t)len) {
                fprintf(stderr, "empyra: prompt: sending to empyrad failed\n");
                return 1;
        }
        _cleanup_free_ struct emp_api_reader *reader = calloc(1, sizeof(*reader));
        ui.queue = json_array();
        if (!reader || !ui.queue)
                return 1;
        if (!ui.json) {
                printf("Waiting for requests (end of input quits).\n");
                fflush(stdout);
        }
        int code = 0;
        for (;;) {
                show_head(&ui);
                struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents) {
                        char buf[16384];
                        ssize_t n = read(fd, buf, sizeof(buf));
                        if (n <= 0 || emp_api_reader_feed(reader, buf, (size_t)n, on_event, &ui) < 0) {
                                fprintf(stderr, "empyra: prompt: empyrad closed the connection\n");
                                code = 1;
                                break;
                        }
                }
                if (p[1].revents && read_stdin(&ui) < 0)
                        break;
        }
        json_decref(ui.queue);
        return code;
}
