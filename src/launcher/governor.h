/* governor.h — focus's CPU governor extra: "performance" while an app is
 * focused, every CPU's previous governor back when focus ends. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

/* Apply the governor for the focus state (focused or not). Needs root (as a
 * user the privileged helper would do it; it is not built) and cpufreq;
 * otherwise says why on report. The previous governors are kept in
 * RUNTIME/governor.saved until restored. */
void emp_governor_apply(const char *runtime, bool focused, FILE *report);
