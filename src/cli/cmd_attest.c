/* cmd_attest.c — `empyra attest`: ask empyra-integrityd for a signed report
 * of this sandbox, fetch an app's verifying key, or verify a report the way a
 * game server would. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/empyra-attest.h"
#include "cli.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "integrity/integrity.h"

/* Exit statuses of `attest verify`. */
enum { VERIFY_PASS = 0, VERIFY_NOT_PASS = 1, VERIFY_USAGE = 2, VERIFY_REJECTED = 3 };

static void attest_usage(FILE *out)
{
        fprintf(out, "Usage: empyra attest [--nonce HEX] [--socket PATH]\n"
                     "       empyra attest pubkey --app ID [--tpm] [--socket PATH]\n"
                     "       empyra attest verify FILE --pubkey KEY --nonce HEX [--max-age SECONDS]\n"
                     "                            [--tpm-ak AK] [--require all|process] [--json]\n"
                     "  attest           from inside a sandbox: print a signed integrity report\n"
                     "  attest pubkey    the service's verifying key for that app's reports (--tpm: its\n"
                     "                   TPM attestation key, when it anchors reports in a TPM)\n"
                     "  attest verify    check signature, nonce, freshness and verdict; exit 0 when the\n"
                     "                   report is authentic and passes, 1 when authentic but not\n"
                     "                   passing, 3 when it is rejected (forged, altered, replayed, stale)\n"
                     "The socket defaults to $EMPYRA_INTEGRITY_SOCKET (pubkey only) or %s.\n",
                EMPYRA_ATTEST_SOCKET);
}

static int attest_request(int argc, char **argv)
{
        static const struct option opts[] = {
                {"nonce", required_argument, NULL, 'n'},
                {"socket", required_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *nonce_hex = NULL, *sock = NULL;
        int o;
        optind = 1;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (o) {
                case 'n': nonce_hex = optarg; break;
                case 's': sock = optarg; break;
                case 'h': attest_usage(stdout); return 0;
                default: attest_usage(stderr); return 2;
                }
        }
        if (optind != argc) {
                attest_usage(stderr);
                return 2;
        }
        uint8_t nonce[EMP_INTEGRITY_NONCE_LEN];
        if (nonce_hex) {
                if (emp_hex_decode(nonce_hex, nonce, sizeof(nonce)) < 0) {
                        fprintf(stderr, "empyra: attest: --nonce: need %d hex digits\n", 2 * EMP_INTEGRITY_NONCE_LEN);
                        return 2;
                }
        } else {
                if (sodium_init() < 0)
                        return 1;
                randombytes_buf(nonce, sizeof(nonce));
        }
        char *report = NULL;
        char why[1200] = "";
        int r = empyra_attest_request(sock, nonce, &report, why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "empyra: attest: %s\n", why);
                return 1;
        }
        printf("%s\n", report);
        free(report);
        return 0;
}

static int attest_pubkey(int argc, char **argv)
{
        static const struct option opts[] = {
                {"app", required_argument, NULL, 'a'},
                {"socket", required_argument, NULL, 's'},
                {"tpm", no_argument, NULL, 't'},
                {NULL, 0, NULL, 0},
        };
        const char *app = NULL, *sock = getenv("EMPYRA_INTEGRITY_SOCKET");
        bool tpm = false;
        int o;
        optind = 1;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (o) {
                case 'a': app = optarg; break;
                case 's': sock = optarg; break;
                case 't': tpm = true; break;
                default: attest_usage(stderr); return 2;
                }
        }
        if (tpm) {
                char ak[129], why[1200] = "";
                if (empyra_attest_tpm_ak(sock && sock[0] ? sock : NULL, ak, why, sizeof(why)) < 0) {
                        fprintf(stderr, "empyra: attest pubkey --tpm: %s\n", why);
                        return 1;
                }
                printf("%s\n", ak);
                return 0;
        }
        if (!app || optind != argc) {
                attest_usage(stderr);
                return 2;
        }
        char hex[65], why[1200] = "";
        if (empyra_attest_pubkey(sock && sock[0] ? sock : NULL, app, hex, why, sizeof(why)) < 0) {
                fprintf(stderr, "empyra: attest pubkey: %s\n", why);
                return 1;
        }
        printf("%s\n", hex);
        return 0;
}

/* KEY is 64 hex digits, or a file holding them. */
static int load_key(const char *arg, uint8_t pk[EMP_INTEGRITY_PK_LEN])
{
        if (emp_hex_decode(arg, pk, EMP_INTEGRITY_PK_LEN) == 0)
                return 0;
        _cleanup_free_ char *text = NULL;
        if (emp_read_file(arg, 4096, &text, NULL) < 0)
                return -EINVAL;
        text[strcspn(text, " \t\r\n")] = '\0';
        return emp_hex_decode(text, pk, EMP_INTEGRITY_PK_LEN);
}

static int read_input(const char *file, char **ret, size_t *ret_len)
{
        if (strcmp(file, "-") != 0)
                return emp_read_file(file, 64u << 20, ret, ret_len);
        size_t cap = 65536, len = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        size_t n;
        while ((n = fread(buf + len, 1, cap - 1 - len, stdin)) > 0) {
                len += n;
                if (len + 1 == cap) {
                        if (cap >= (64u << 20)) {
                                free(buf);
                                return -EFBIG;
                        }
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                        cap *= 2;
                }
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int attest_verify(int argc, char **argv)
{
        static const struct option opts[] = {
                {"pubkey", required_argument, NULL, 'k'}, {"nonce", required_argument, NULL, 'n'},
                {"max-age", required_argument, NULL, 'a'}, {"require", required_argument, NULL, 'r'},
                {"json", no_argument, NULL, 'j'},          {"tpm-ak", required_argument, NULL, 't'},
                {NULL, 0, NULL, 0},
        };
        const char *key = NULL, *nonce_hex = NULL, *require = "all", *tpm_ak = NULL;
        _cleanup_free_ char *tpm_ak_file = NULL;
        long max_age = 300;
        bool json = false;
        int o;
        optind = 1;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (o) {
                case 'k': key = optarg; break;
                case 'n': nonce_hex = optarg; break;
                case 'a': {
                        char *end;
                        max_age = strtol(optarg, &end, 10);
                        if (*end || max_age < 0) {
                                fprintf(stderr, "empyra: attest verify: --max-age: a number of seconds\n");
                                return VERIFY_USAGE;
                        }
                        break;
                }
                case 'r': require = optarg; break;
                case 'j': json = true; break;
                case 't': tpm_ak = optarg; break;
                default: attest_usage(stderr); return VERIFY_USAGE;
                }
        }
        if (!key || !nonce_hex || optind + 1 != argc ||
            (strcmp(require, "all") != 0 && strcmp(require, "process") != 0)) {
                attest_usage(stderr);
                return VERIFY_USAGE;
        }
        uint8_t pk[EMP_INTEGRITY_PK_LEN], nonce[EMP_INTEGRITY_NONCE_LEN];
        if (load_key(key, pk) < 0) {
                fprintf(stderr, "empyra: attest verify: --pubkey: need 64 hex digits (or a file holding them)\n");
                return VERIFY_USAGE;
        }
        if (emp_hex_decode(nonce_hex, nonce, sizeof(nonce)) < 0) {
                fprintf(stderr, "empyra: attest verify: --nonce: need %d hex digits\n", 2 * EMP_INTEGRITY_NONCE_LEN);
                return VERIFY_USAGE;
        }
        if (tpm_ak) {
                /* 128 hex digits (x || y of the P-256 key), or a file holding them. */
                uint8_t ak[64];
                if (emp_hex_decode(tpm_ak, ak, sizeof(ak)) < 0) {
                        if (emp_read_file(tpm_ak, 4096, &tpm_ak_file, NULL) < 0 ||
                            (tpm_ak_file[strcspn(tpm_ak_file, " \t\r\n")] = '\0',
                             emp_hex_decode(tpm_ak_file, ak, sizeof(ak)) < 0)) {
                                fprintf(stderr, "empyra: attest verify: --tpm-ak: need 128 hex digits (or a file "
                                                "holding them)\n");
                                return VERIFY_USAGE;
                        }
                        tpm_ak = tpm_ak_file;
                }
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_input(argv[optind], &text, &len);
        if (r < 0) {
                fprintf(stderr, "empyra: attest verify: %s: %s\n", argv[optind], strerror(-r));
                return VERIFY_USAGE;
        }
        struct emp_verify_result res;
        if ((r = emp_integrity_verify(text, len, pk, nonce, (int64_t)time(NULL), max_age, tpm_ak, &res)) < 0) {
                fprintf(stderr, "empyra: attest verify: %s\n", strerror(-r));
                return VERIFY_REJECTED;
        }
        const char *st = strcmp(require, "process") == 0 ? res.process : res.status;
        int code = !res.authentic ? VERIFY_REJECTED : strcmp(st, "pass") == 0 ? VERIFY_PASS : VERIFY_NOT_PASS;
        const char *result = code == VERIFY_PASS ? "accepted" : code == VERIFY_NOT_PASS ? "authentic, not passing"
                                                                                         : "rejected";
        if (json) {
                json_t *lines = json_array();
                for (size_t i = 0; res.lines && res.lines[i]; i++)
                        json_array_append_new(lines, json_string(res.lines[i]));
                json_t *o = json_pack("{s:s,s:b,s:s,s:s,s:s,s:o}", "result", result, "authentic", res.authentic,
                                      "verdict", res.status, "process", res.process, "platform", res.platform,
                                      "lines", lines);
                char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
                if (s)
                        printf("%s\n", s);
                free(s);
                json_decref(o);
        } else {
                for (size_t i = 0; res.lines && res.lines[i]; i++)
                        printf("%s\n", res.lines[i]);
                printf("result: %s\n", result);
        }
        emp_verify_result_free(&res);
        return code;
}

int cmd_attest(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "pubkey") == 0)
                return attest_pubkey(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "verify") == 0)
                return attest_verify(argc - 1, argv + 1);
        return attest_request(argc, argv);
}
