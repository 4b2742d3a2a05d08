/* empyra-attest.h — ask Empyra's integrity service for a signed report of
 * the calling sandbox (see docs/integrity.md). Link with -lempyra-attest
 * (pkg-config empyra-attest). Thread-safe; no global state. */
#ifndef EMPYRA_ATTEST_H
#define EMPYRA_ATTEST_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the service's socket is inside every sandbox that asked for it. */
#define EMPYRA_ATTEST_SOCKET "/run/empyra/integrity.sock"
#define EMPYRA_ATTEST_NONCE_LEN 32

/* Request a report for the caller's whole sandbox, bound to the verifier's
 * 32-byte nonce. On success returns 0 and *report is a malloc'd,
 * NUL-terminated JSON text (free() it) that the game's server checks with
 * `empyra attest verify`. On failure returns a negative errno value and, when
 * errbuf is given, a message (the service's own reason when it refused).
 * socket_path NULL means EMPYRA_ATTEST_SOCKET. */
int empyra_attest_request(const char *socket_path, const unsigned char nonce[EMPYRA_ATTEST_NONCE_LEN],
                          char **report, char *errbuf, size_t errlen);

/* The service's verifying key for app_id's reports, as 64 hex digits plus a
 * NUL in hex_out. Served only to callers outside sandboxes (an app asking for
 * another app's key could link the two). Same return convention. */
int empyra_attest_pubkey(const char *socket_path, const char *app_id, char hex_out[65], char *errbuf,
                         size_t errlen);

/* The service's TPM attestation key (x || y of a P-256 point: 128 hex
 * digits plus a NUL), when it anchors reports in a TPM. A machine identity:
 * served only outside sandboxes. Same return convention. */
int empyra_attest_tpm_ak(const char *socket_path, char hex_out[129], char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
