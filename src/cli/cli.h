/* cli.h — the `empyra` command table: one entry per subcommand, each in its
 * own file. The CLI parses and prints; the work is in the modules. */
#pragma once
#include <stdio.h>

struct emp_command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
};

int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_unavailable(int argc, char **argv);
int cmd_focus(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_perms(int argc, char **argv);
int cmd_decide(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_prompt(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_attest(int argc, char **argv);
void cli_usage(FILE *out);

#define EMPYRA_VERSION "0.1.0"
