/* integrity_probe.c — tampering on purpose, inside a sandbox, for the
 * integrity tests (t_integrity.sh). Each mode sets up its tamper, then runs
 * CMD as a child (typically `empyra attest`) and exits with its status:
 *
 *   integrity_probe clean -- CMD...        nothing (a clean process beside CMD)
 *   integrity_probe anonexec -- CMD...     an anonymous PROT_EXEC mapping made now
 *   integrity_probe ptrace -- CMD...       a child of ours, ptrace-attached (SEIZE)
 *   integrity_probe map FILE... -- CMD...  each FILE mapped read-only
 *   integrity_probe mapx FILE... -- CMD... each FILE mapped read+execute (code, as dlopen would)
 *   integrity_probe flood N SOCK           N requests at once; prints "ok=A limited=B other=C"
 *   integrity_probe raw SOCK HEX           send HEX bytes as one request; print the answer's first line
 *   integrity_probe idle N SOCK SECONDS    hold N connections open without a word; prints "connected N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char **cmd)
{
        fflush(stdout);
        pid_t p = fork();
        if (p < 0)
                return perror("fork"), 1;
        if (p == 0) {
                execvp(cmd[0], cmd);
                perror(cmd[0]);
                _exit(127);
        }
        int st;
        if (waitpid(p, &st, 0) < 0)
                return perror("waitpid"), 1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int connect_to(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

static void answer_line(int fd, char *buf, size_t len)
{
        size_t n = 0;
        ssize_t r;
        while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
                n += (size_t)r;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

static int flood(int n, const char *sock)
{
        int *fds = calloc((size_t)n, sizeof(int));
        if (!fds)
                return 1;
        unsigned char req[33] = {'N'};
        for (int i = 0; i < n; i++) {
                fds[i] = connect_to(sock);
                if (fds[i] >= 0) {
                        if (write(fds[i], req, sizeof(req)) < 0) {
                                /* refused before it read: the answer says why */
                        }
                        shutdown(fds[i], SHUT_WR);
                }
        }
        int ok = 0, limited = 0, other = 0;
        for (int i = 0; i < n; i++) {
                char line[256] = "";
                if (fds[i] >= 0) {
                        answer_line(fds[i], line, sizeof(line));
                        close(fds[i]);
                }
                if (strcmp(line, "ok") == 0)
                        ok++;
                else if (strstr(line, "rate limited"))
                        limited++;
                else
                        other++;
        }
        free(fds);
        printf("ok=%d limited=%d other=%d\n", ok, limited, other);
        return 0;
}

static int raw(const char *sock, const char *hex)
{
        size_t l = strlen(hex) / 2;
        unsigned char *b = malloc(l + 1);
        for (size_t i = 0; i < l; i++)
                sscanf(hex + 2 * i, "%2hhx", &b[i]);
        int fd = connect_to(sock);
        if (fd < 0)
                return perror(sock), 1;
        if (write(fd, b, l) != (ssize_t)l)
                return perror("write"), 1;
        shutdown(fd, SHUT_WR);
        char line[4096];
        answer_line(fd, line, sizeof(line));
        printf("%.200s\n", line);
        free(b);
        close(fd);
        return 0;
}

static int idle(int n, const char *sock, int seconds)
{
        int held = 0;
        for (int i = 0; i < n; i++)
                if (connect_to(sock) >= 0)
                        held++;
        printf("connected %d\n", held);
        fflush(stdout);
        sleep((unsigned)seconds);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 5 && strcmp(argv[1], "idle") == 0)
                return idle(atoi(argv[2]), argv[3], atoi(argv[4]));
        if (argc >= 4 && strcmp(argv[1], "flood") == 0)
                return flood(atoi(argv[2]), argv[3]);
        if (argc >= 4 && strcmp(argv[1], "raw") == 0)
                return raw(argv[2], argv[3]);
        int dd = 0;
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        dd = i;
                        break;
                }
        if (argc < 2 || !dd || dd + 1 >= argc) {
                fprintf(stderr, "usage: integrity_probe clean|anonexec|ptrace|map FILE -- CMD...\n");
                return 2;
        }
        char **cmd = argv + dd + 1;
        const char *mode = argv[1];
        if (strcmp(mode, "clean") == 0)
                return run(cmd);
        if (strcmp(mode, "anonexec") == 0) {
                void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        return perror("mmap"), 1;
                return run(cmd);
        }
        if ((strcmp(mode, "map") == 0 || strcmp(mode, "mapx") == 0) && dd >= 3) {
                int prot = strcmp(mode, "mapx") == 0 ? PROT_READ | PROT_EXEC : PROT_READ;
                for (int i = 2; i < dd; i++) {
                        int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
                        struct stat st;
                        if (fd < 0 || fstat(fd, &st) < 0)
                                return perror(argv[i]), 1;
                        void *p = mmap(NULL, (size_t)st.st_size, prot, MAP_PRIVATE, fd, 0);
                        if (p == MAP_FAILED)
                                return perror("mmap"), 1;
                        close(fd);
                }
                return run(cmd);
        }
        if (strcmp(mode, "ptrace") == 0) {
                pid_t child = fork();
                if (child < 0)
                        return perror("fork"), 1;
                if (child == 0) {
                        for (;;)
                                pause();
                }
                if (ptrace(PTRACE_SEIZE, child, NULL, NULL) < 0) {
                        perror("ptrace(PTRACE_SEIZE)");
                        kill(child, SIGKILL);
                        return 1;
                }
                int r = run(cmd);
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                return r;
        }
        fprintf(stderr, "integrity_probe: unknown mode %s\n", mode);
        return 2;
}
