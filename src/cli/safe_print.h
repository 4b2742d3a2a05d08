/* safe_print.h — terminal-safe printing of app-supplied text. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

/* Print s (NULL prints "-") with control characters, invalid UTF-8 and
 * bidi overrides escaped as \xNN / \uNNNN (and '\' as "\\"). */
void cli_print_safe(FILE *out, const char *s);
