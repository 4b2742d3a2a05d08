/* integrity.h — integrity reports (DESIGN.md §11): the facts the daemon
 * gathers from /proc and /sys, and the pure functions that judge them. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define EMP_INTEGRITY_FORMAT "empyra-integrity-report/v1"
#define EMP_INTEGRITY_NONCE_LEN 32
#define EMP_INTEGRITY_SECRET_LEN 32
#define EMP_INTEGRITY_PK_LEN 32 /* crypto_sign_PUBLICKEYBYTES */
#define EMP_INTEGRITY_SIG_LEN 64

/* Bounds on one request's work; hitting one makes a check unknown. */
#define EMP_INTEGRITY_MAX_PROCS 256
#define EMP_INTEGRITY_MAX_FILES 1024               /* distinct mapped files per request */
#define EMP_INTEGRITY_MAX_HASH_BYTES (1024ull << 20) /* bytes hashed per request */
#define EMP_INTEGRITY_MAX_MANIFEST (64 * 1024)

enum emp_check_status { EMP_CHECK_UNKNOWN = 0, EMP_CHECK_PASS, EMP_CHECK_FAIL };
const char *emp_check_status_name(enum emp_check_status s);

/* A file the manifest lists, resolved inside the sandbox's root. */
struct emp_listed_file {
        char *path;
        char sha256[65]; /* the manifest's, lower-case hex */
        int err;         /* 0 when dev/ino are known */
        dev_t dev;
        ino_t ino;
};

/* A mapped (or executed) file, opened through the kernel, never by path. */
struct emp_mapped_file {
        char *path; /* as the kernel names it (informational) */
        dev_t dev;
        ino_t ino;
        int err;         /* 0, or why it could not be hashed (-EPERM, -EFBIG...) */
        bool device;     /* not a regular file (a mapped device node): nothing to hash */
        bool root_only;  /* only root can change it (emp_hash_cacheable): a system file */
        char sha256[65]; /* valid when err == 0 and !device */
};

struct emp_proc_facts {
        pid_t pid;    /* as the sandbox sees it */
        char comm[17];
        int status_err;          /* 0 when the fields below are read */
        int n_threads;
        pid_t tracer;            /* first non-zero TracerPid of any thread, 0 none */
        int seccomp_mode;        /* 0 off, 1 strict, 2 filter */
        int no_new_privs;
        uint64_t cap_eff, cap_prm, cap_amb;
        int ns_err;              /* 0 when the three below are known */
        bool userns_host, mntns_host, pidns_host;
        int environ_err;
        char *ld_preload, *ld_audit; /* values when set, else NULL */
        int maps_err;
        unsigned n_anon_exec, n_write_exec;
        char *first_bad_map; /* first offending maps line, for the reason */
        int exe_err;
        size_t exe; /* index into the subject's files */
        size_t *maps; /* indexes into the subject's files */
        bool *maps_exec; /* per entry of maps: mapped executable */
        size_t n_maps;
        bool maps_truncated; /* hit EMP_INTEGRITY_MAX_FILES */
};

struct emp_platform_facts {
        int taint_err;
        unsigned long taint;
        int modules_err;
        unsigned mod_out_of_tree, mod_unsigned, mod_proprietary;
        int lockdown_err;
        char lockdown[32]; /* "none", "integrity", "confidentiality" */
        int sig_enforce_err, sig_enforce;
        int secure_boot_err, secure_boot;
        int kexec_err, kexec_disabled;
        int iommu_err, iommu_groups;
        int yama_err, yama_scope;
        int hypervisor_err, hypervisor; /* hypervisor: 1 present, 0 not */
        char hypervisor_kind[32];
};

struct emp_subject_facts {
        char *app_id;               /* from the sandbox, informational */
        int manifest_err;
        char manifest_sha256[65];
        struct emp_listed_file *listed;
        size_t n_listed;
        int ld_so_preload;          /* 1 /etc/ld.so.preload present, 0 not, -errno unknown */
        struct emp_proc_facts *procs;
        size_t n_procs;
        bool procs_truncated;
        pid_t caller;               /* the caller's pid inside the sandbox */
        struct emp_mapped_file *files;
        size_t n_files;
        bool hash_budget_hit;
};

void emp_subject_facts_free(struct emp_subject_facts *s);

/* The report body (pure): checks, per-process results and the verdict.
 * report_id is 16 random bytes from the caller; issued_at Unix seconds. */
json_t *emp_integrity_build(const struct emp_subject_facts *s, const struct emp_platform_facts *p,
                            const uint8_t nonce[EMP_INTEGRITY_NONCE_LEN], const uint8_t report_id[16],
                            int64_t issued_at, const char *assurance);

/* --- keys and signatures (sign.c) --------------------------------------- */

/* Per-app Ed25519 key: seed = BLAKE2b-256 keyed with the machine secret over
 * "empyra-integrity-key/v1\0" || app_id. sk is 64 bytes (libsodium's). */
void emp_integrity_app_keypair(const uint8_t secret[EMP_INTEGRITY_SECRET_LEN], const char *app_id,
                               uint8_t pk[EMP_INTEGRITY_PK_LEN], uint8_t sk[64]);
/* The signed envelope: {"format","body","public_key","signature"[,"tpm"]};
 * *ret is malloc'd, one line without a trailing newline. tpm (may be NULL)
 * is a TPM quote over emp_integrity_message_hash(body); its reference is
 * taken. */
int emp_integrity_sign(const char *body, const uint8_t sk[64], const uint8_t pk[EMP_INTEGRITY_PK_LEN], json_t *tpm,
                       char **ret);
/* sha256("empyra-integrity-report/v1\0" || body): the TPM's qualifying data. */
void emp_integrity_message_hash(const char *body, size_t len, uint8_t out[32]);
/* Load the machine secret from dir/secret, creating it (0600, atomically)
 * when missing; dir is created 0700. */
int emp_integrity_secret_load(const char *dir, uint8_t secret[EMP_INTEGRITY_SECRET_LEN], struct emp_error *err);

/* --- verification (verify.c, pure) -------------------------------------- */

struct emp_verify_result {
        bool authentic;      /* signature, format, nonce, freshness all good */
        char status[16];     /* the report's verdict status (pass/fail/unknown) */
        char process[16];    /* the report's process verdict */
        char platform[16];   /* the report's platform verdict */
        char assurance[32];
        char app_id[128];
        char manifest_sha256[65];
        bool tpm_anchored;   /* a TPM quote over this report checked out */
        bool tpm_pinned;     /* ... under the attestation key the verifier pinned */
        int64_t age;         /* seconds between issued_at and now */
        char **lines;        /* human lines: what was checked, the reasons */
};
void emp_verify_result_free(struct emp_verify_result *r);
/* Check one report file's text against the verifying key and the nonce the
 * verifier sent; max_age seconds of freshness (future skew of 60 s allowed).
 * tpm_ak (128 hex digits, or NULL): the attestation key the verifier pinned;
 * when given, the report must be TPM-anchored under it.
 * Returns 0 when it could judge (r->authentic says how), -errno otherwise. */
int emp_integrity_verify(const char *text, size_t len, const uint8_t pk[EMP_INTEGRITY_PK_LEN],
                         const uint8_t nonce[EMP_INTEGRITY_NONCE_LEN], int64_t now, int64_t max_age,
                         const char *tpm_ak, struct emp_verify_result *r);
/* verify_tpm.c: a report's "tpm" section against the signed message's hash;
 * 0, or -EINVAL with the reason in why. */
int emp_tpm_check(json_t *tpm, const uint8_t msg_hash[32], const char *pinned_ak, char *why, size_t why_len);

/* Hex helpers: 0 or -EINVAL. */
int emp_hex_decode(const char *hex, uint8_t *out, size_t len);

/* --- gathering (gather.c, platform.c): the kernel's word, read from /proc
 * and /sys; never a path or id the caller names. ------------------------- */

/* Facts about the sandbox of host pid `pid` (a pid pinned by the caller's
 * pidfd). -EPERM with a reason when it is not in an Empyra sandbox. */
struct emp_hash_cache;
int emp_integrity_gather_subject(pid_t pid, struct emp_hash_cache *cache, struct emp_subject_facts *s,
                                 struct emp_error *err);
void emp_integrity_gather_platform(struct emp_platform_facts *p);

/* --- hashes kept between requests (hash_cache.c) ------------------------ */

struct stat;
/* Only files no unprivileged process can change (pure). */
bool emp_hash_cacheable(const struct stat *st, long fs_type);
struct emp_hash_cache *emp_hash_cache_new(size_t max);
void emp_hash_cache_free(struct emp_hash_cache *c);
bool emp_hash_cache_get(struct emp_hash_cache *c, const struct stat *st, char out[65]);
void emp_hash_cache_put(struct emp_hash_cache *c, const struct stat *st, const char sha256[65]);
