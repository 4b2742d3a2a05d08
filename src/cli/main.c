/* main.c — `empyra` entry point: dispatch on the first word through one
 * command table; unknown commands get the usage and exit status 2. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct emp_command commands[] = {
        {"run", cmd_run, "run a program in its own sandbox"},
        {"version", cmd_version, "print the version"},
        {"help", cmd_help, "show this help"},
        {"call", cmd_call, "one raw control API call to empyrad (started on demand)"},
        /* Commands that talk to empyrad (started on demand) or
         * empyra-integrityd. harden and dashboard are in the contract but not
         * built: they say so instead of pretending. */
        {"ps", cmd_ps, "list running apps that have a cgroup of their own"},
        {"perms", cmd_perms, "show the rules the user set for an app"},
        {"allow", cmd_decide, "allow a permission: allow ID PERMISSION [--for=1h]"},
        {"deny", cmd_decide, "deny a permission: deny ID PERMISSION [--for=1h]"},
        {"ask", cmd_decide, "always ask: ask ID PERMISSION"},
        {"reset", cmd_reset, "remove the user's rules: reset ID [PERMISSION]"},
        {"net", cmd_net, "network provider, rules, recent connections: net ID [--provider=P] [--json]"},
        {"audit", cmd_audit, "the audit log: audit [--app ID] [--follow] [--json] | audit verify"},
        {"prompt", cmd_prompt, "answer pending requests in the terminal: prompt [--json]"},
        {"attest", cmd_attest, "integrity reports: attest [--nonce HEX] | attest pubkey | attest verify"},
        {"focus", cmd_focus, "give a running app the CPU (or --clear)"},
        {"harden", cmd_unavailable, "check the host's hardening (not in this build)"},
        {"dashboard", cmd_unavailable, "the web dashboard (not in this build)"},
};

void cli_usage(FILE *out)
{
        fprintf(out, "Usage: empyra COMMAND [OPTIONS]\n\nEmpyra runs every application in its own sandbox.\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(out, "\n`empyra run --help` lists the sandbox options; see empyra(1) and empyra-run(1).\n");
}

int cmd_help(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        cli_usage(stdout);
        return 0;
}

int cmd_version(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        printf("empyra %s\n", EMPYRA_VERSION);
        return 0;
}

int cmd_unavailable(int argc, char **argv)
{
        (void)argc;
        fprintf(stderr, "empyra: %s: not available in this build\n", argv[0]);
        return 2;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                cli_usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
                return cmd_help(argc - 1, argv + 1);
        if (strcmp(argv[1], "--version") == 0)
                return cmd_version(argc - 1, argv + 1);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "empyra: unknown command '%s'\n", argv[1]);
        cli_usage(stderr);
        return 2;
}
