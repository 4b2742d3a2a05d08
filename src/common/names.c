/* names.c — one definition of a valid host name for every parser, so the
 * manifest and the policy store never disagree on what a rule names. */
#include "names.h"

#include <string.h>

bool emp_hostname_valid(const char *s, size_t n)
{
        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0, label = 0; i <= n; i++) {
                if (i == n || s[i] == '.') {
                        if (label == 0 || label > 63)
                                return false;
                        label = 0;
                        continue;
                }
                char c = s[i];
                if (!(c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9')))
                        return false;
                label++;
        }
        return true;
}

bool emp_looks_ipv4(const char *s, size_t n)
{
        return n > 0 && strspn(s, "0123456789./") >= n;
}
