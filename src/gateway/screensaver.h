/* screensaver.h — focus's screensaver extra: while an app is focused,
 * empyrad holds an org.freedesktop.ScreenSaver inhibition on the session
 * bus (an inhibition lasts as long as the connection that took it, which is
 * why the daemon, not a command, holds it). */
#pragma once
#include <stdbool.h>

struct emp_screensaver;

struct emp_screensaver *emp_screensaver_new(void);
void emp_screensaver_free(struct emp_screensaver *s);
/* Inhibit when focused_app is set, release when it is NULL. */
void emp_screensaver_sync(struct emp_screensaver *s, const char *focused_app);
/* "inhibited for APP", "released", or "not applied: ... (why)". */
const char *emp_screensaver_status(const struct emp_screensaver *s);
