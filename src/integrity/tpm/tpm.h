/* tpm.h — TPM anchoring for empyra-integrityd (libtss2-esys): an attestation
 * key made in the endorsement hierarchy at start-up, and per report a TPM2
 * quote over PCRs 0-7 (sha256) whose qualifying data is the report's hash. */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "common/error.h"

struct emp_tpm;

/* tcti: a TCTI configuration string, e.g. "device:/dev/tpmrm0" or
 * "swtpm:host=127.0.0.1,port=2321". */
int emp_tpm_open(const char *tcti, struct emp_tpm **ret, struct emp_error *err);
void emp_tpm_close(struct emp_tpm *t);
/* The attestation key's public point, x || y, 128 hex digits. */
const char *emp_tpm_ak_hex(const struct emp_tpm *t);
/* {"ak","pcr_bank","pcrs":{"0":hex..},"quoted":hex,"sig_r":hex,"sig_s":hex} */
int emp_tpm_quote(struct emp_tpm *t, const uint8_t qualifying[32], json_t **ret, struct emp_error *err);
