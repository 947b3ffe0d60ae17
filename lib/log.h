/*
 * log -- one line per event to syslog (facility mail) or stderr.
 *
 *   log_open(ident, dest, level)  dest LOGDEST_SYSLOG or LOGDEST_STDERR,
 *                                 level a syslog priority (LOG_INFO ...)
 *   log_debug/info/warn/err(fmt, ...)
 *                                 printf-checked; the logger decides
 *                                 whether the level is emitted
 *   fatal(fmt, ...)               log at LOG_CRIT and exit(1)
 *   log_enabled(level)            1 if a message at level would be written
 *
 * Callers put the queue ID first when they know it: "3F2A1C: signed ...".
 * Safe to call from several threads; each event is one write.
 */
#ifndef OUTPOST_LOG_H
#define OUTPOST_LOG_H

#include <stdarg.h>
#include <syslog.h>

#define PRINTFLIKE(f, a)	__attribute__((format(printf, f, a)))

void	 log_open(const char *, int, int);
void	 log_set_level(int);
int	 log_enabled(int);
void	 log_msg(int, const char *, ...) PRINTFLIKE(2, 3);
void	 log_vmsg(int, const char *, va_list) PRINTFLIKE(2, 0);
void	 log_debug(const char *, ...) PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) PRINTFLIKE(1, 2);
void	 log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	 log_err(const char *, ...) PRINTFLIKE(1, 2);
void	 fatal(const char *, ...) PRINTFLIKE(1, 2) __attribute__((noreturn));

#endif
