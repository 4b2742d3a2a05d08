/* safe_print.c — print text that came from apps (paths, names) so it can
 * never drive the terminal: control characters (C0, DEL, C1), invalid UTF-8
 * and bidirectional overrides are shown as escapes. */
#include "safe_print.h"

#include <glib.h>
#include <string.h>

static bool dangerous(gunichar c)
{
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
               c == 0x200e || c == 0x200f || c == 0x061c;
}

void cli_print_safe(FILE *out, const char *s)
{
        if (!s) {
                fputc('-', out);
                return;
        }
        const char *p = s, *end = s + strlen(s);
        while (p < end) {
                gunichar c = g_utf8_get_char_validated(p, end - p);
                if (c == (gunichar)-1 || c == (gunichar)-2) {
                        fprintf(out, "\\x%02x", (unsigned char)*p++);
                        continue;
                }
                const char *next = g_utf8_next_char(p);
                if (c == '\\')
                        fputs("\\\\", out);
                else if (dangerous(c))
                        fprintf(out, c < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)c);
                else
                        fwrite(p, 1, (size_t)(next - p), out);
                p = next;
        }
}
