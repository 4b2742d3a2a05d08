/* cmd_run.c — `empyra run`: parse options into a manifest (flags add to the
 * manifest file), plan the sandbox and run it. Exit status per DESIGN.md §2. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "launcher/sandbox.h"
#include "manifest/manifest.h"

#define EXIT_SETUP 125

static void run_usage(FILE *out)
{
        fputs("Usage: empyra run [OPTIONS] [--] PROGRAM [ARG...]\n"
              "\n"
              "Run PROGRAM in its own sandbox: user, mount, pid, ipc, uts, net and cgroup\n"
              "namespaces, a read-only minimal root, no capabilities, default-deny seccomp,\n"
              "Landlock, and an anonymous identity.\n"
              "\n"
              "  --app=ID               app id (reverse-DNS); default local.<basename>\n"
              "  --manifest=FILE        permissions from a Flatpak-style manifest; flags add to it\n"
              "  --share=network|ipc    --unshare=network|ipc\n"
              "                         network: connections go through empyrad's gateway, decided per\n"
              "                         destination (the app's own namespace has only loopback)\n"
              "  --socket=wayland|x11|pulseaudio|session-bus|system-bus|ssh-auth  --nosocket=NAME\n"
              "  --device=dri|input|kvm|all  --nodevice=NAME\n"
              "  --filesystem=SPEC      host | home | xdg-download[/SUB] | ~/PATH | /PATH,\n"
              "                         suffix :ro :rw :create\n"
              "  --nofilesystem=SPEC    --persist=DIR    --env=VAR=VALUE\n"
              "  --allow=FEATURE        multiarch (i386 programs) | nested (namespaces inside) | devel\n"
              "  --memory=SIZE --pids=N --cpu-weight=N    resource limits (cgroup)\n"
              "  --focus                start focused: this app gets the CPU (see empyra focus)\n"
              "  --files=static|brokered  static: the mount view is the whole file policy (default);\n"
              "                         brokered: host files outside it are asked for through empyrad\n"
              "  --identity=anonymous|host   default anonymous\n"
              "  --allow-weaker=MECH    accept running without MECH (landlock, cgroup) and say so\n"
              "  --verbose              print the sandbox before starting the program\n"
              "  --help                 this text\n"
              "\n"
              "Exit status: the program's own; 128+N if it died by signal N; 125 when Empyra\n"
              "failed before the program started; 126 not executable; 127 not found.\n",
              out);
}

enum { OPT_APP = 1000, OPT_MANIFEST, OPT_IDENTITY, OPT_WEAKER, OPT_VERBOSE, OPT_FOCUS, OPT_HELP, OPT_FLAG };

/* Options that are manifest permissions: applied in order after the file. */
static const struct option options[] = {
        {"app", required_argument, NULL, OPT_APP},
        {"manifest", required_argument, NULL, OPT_MANIFEST},
        {"identity", required_argument, NULL, OPT_IDENTITY},
        {"allow-weaker", required_argument, NULL, OPT_WEAKER},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"focus", no_argument, NULL, OPT_FOCUS},
        {"help", no_argument, NULL, OPT_HELP},
        {"share", required_argument, NULL, OPT_FLAG},
        {"unshare", required_argument, NULL, OPT_FLAG},
        {"socket", required_argument, NULL, OPT_FLAG},
        {"nosocket", required_argument, NULL, OPT_FLAG},
        {"device", required_argument, NULL, OPT_FLAG},
        {"nodevice", required_argument, NULL, OPT_FLAG},
        {"filesystem", required_argument, NULL, OPT_FLAG},
        {"nofilesystem", required_argument, NULL, OPT_FLAG},
        {"persist", required_argument, NULL, OPT_FLAG},
        {"env", required_argument, NULL, OPT_FLAG},
        {"files", required_argument, NULL, OPT_FLAG},
        {"memory", required_argument, NULL, OPT_FLAG},
        {"pids", required_argument, NULL, OPT_FLAG},
        {"cpu-weight", required_argument, NULL, OPT_FLAG},
        {"allow", required_argument, NULL, OPT_FLAG},
        {"disallow", required_argument, NULL, OPT_FLAG},
        {NULL, 0, NULL, 0},
};

static int parse_weaker(const char *arg, unsigned *mask)
{
        _cleanup_free_ char *copy = strdup(arg);
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (strcmp(w, "landlock") == 0)
                        *mask |= EMP_WEAK_LANDLOCK;
                else if (strcmp(w, "cgroup") == 0)
                        *mask |= EMP_WEAK_CGROUP;
                else {
                        fprintf(stderr, "empyra: --allow-weaker=%s: unknown mechanism (landlock, cgroup)\n", w);
                        return -1;
                }
        }
        return 0;
}

struct run_args {
        const char *manifest;
        const char *app;
        char **flags; /* "name\0value" pairs flattened as "name=value" */
        struct emp_sandbox *sb;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
        int idx = 0, c;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+", options, &idx)) != -1) {
                switch (c) {
                case OPT_APP: a->app = optarg; break;
                case OPT_MANIFEST: a->manifest = optarg; break;
                case OPT_VERBOSE: a->sb->verbose = true; break;
                case OPT_HELP: run_usage(stdout); return 1;
                case OPT_FOCUS: a->sb->focus = true; break;
                case OPT_IDENTITY:
                        if (strcmp(optarg, "anonymous") == 0)
                                a->sb->identity = EMP_IDENTITY_ANONYMOUS;
                        else if (strcmp(optarg, "host") == 0)
                                a->sb->identity = EMP_IDENTITY_HOST;
                        else {
                                fprintf(stderr, "empyra: --identity=%s: expected anonymous or host\n", optarg);
                                return -1;
                        }
                        break;
                case OPT_WEAKER:
                        if (parse_weaker(optarg, &a->sb->allow_weaker) < 0)
                                return -1;
                        break;
                case OPT_FLAG:
                        if (emp_strv_pushf(&a->flags, "%s=%s", options[idx].name, optarg) < 0)
                                return -1;
                        break;
                default:
                        fprintf(stderr, "empyra: run: unknown or incomplete option '%s' (see empyra run --help)\n",
                                argv[optind - 1]);
                        return -1;
                }
        }
        return 0;
}

static int build_manifest(struct run_args *a, struct emp_manifest *m)
{
        struct emp_error err = {0};
        if (a->manifest && emp_manifest_load_file(m, a->manifest, &err) < 0) {
                fprintf(stderr, "empyra: %s\n", err.msg);
                return -1;
        }
        for (size_t i = 0; a->flags && a->flags[i]; i++) {
                char *eq = strchr(a->flags[i], '=');
                *eq = '\0';
                int r = emp_manifest_apply_flag(m, a->flags[i], eq + 1, &err);
                *eq = '=';
                if (r < 0) {
                        fprintf(stderr, "empyra: %s\n", err.msg);
                        return -1;
                }
        }
        if (a->app) {
                if (!emp_app_id_valid(a->app)) {
                        fprintf(stderr, "empyra: --app=%s: not a valid app id (reverse-DNS, like org.example.Game)\n",
                                a->app);
                        return -1;
                }
                free(m->app_id);
                m->app_id = strdup(a->app);
        }
        return 0;
}

int cmd_run(int argc, char **argv)
{
        struct emp_manifest m;
        struct emp_sandbox sb;
        emp_manifest_init(&m);
        emp_sandbox_init(&sb);
        struct run_args a = {.sb = &sb};
        int code = EXIT_SETUP;
        int r = parse_args(argc, argv, &a);
        if (r != 0) {
                code = r > 0 ? 0 : EXIT_SETUP;
                goto out;
        }
        if (build_manifest(&a, &m) < 0)
                goto out;
        char *cmd_argv[2] = {m.command, NULL};
        if (optind < argc)
                sb.argv = argv + optind;
        else if (m.command)
                sb.argv = cmd_argv;
        else {
                fprintf(stderr, "empyra: run: no program given (and the manifest has no command=)\n");
                goto out;
        }
        sb.manifest = &m;
        struct emp_error err = {0};
        if (emp_sandbox_plan(&sb, &err) < 0) {
                fprintf(stderr, "empyra: %s\n", err.msg[0] ? err.msg : "planning the sandbox failed");
                goto out;
        }
        fflush(stdout);
        code = emp_sandbox_run(&sb);
out:
        emp_strv_free(a.flags);
        sb.argv = NULL;
        emp_sandbox_free(&sb);
        emp_manifest_free(&m);
        return code;
}
