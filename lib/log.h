/*
 * log -- one line per event to syslog (facility mail) or stderr.
 *
 *   log_open(ident, dest, level)  dest LOGDEST_SYSLOG or LOGDEST_STDERR,
 *                                 level a syslog priority (LOG_INFO ...).
 *                                 For syslog it first checks that the log
 *                                 socket (/dev/log) exists, is a socket
 *                                 and accepts a connection; when not (a
 *                                 container without syslog) it says so on
 *                                 stderr and logs to stderr instead
 *   log_stamp(on)                 stderr lines start with an ISO 8601 UTC
 *                                 time and carry the pid (the daemons;
 *                                 not -n, not outpostctl)
 *   log_to_stderr()               1 when lines go to stderr (a daemon
 *                                 keeps stderr open when it detaches)
 *   log_debug/info/warn/err(fmt, ...)
 *                                 printf-checked; the logger decides
 *                                 whether the level is emitted
 *   fatal(fmt, ...)               log at LOG_CRIT and exit(1)
 *   log_warn_errno/log_err_errno(fmt, ...), fatal_errno(fmt, ...)
 *                                 the same with ": strerror(errno)"
 *                                 appended (errno as on entry; the
 *                                 log functions leave it unchanged)
 *   log_enabled(level)            1 if a message at level would be written
 *
 * Every control character of the formatted line (below 0x20, and 0x7f:
 * a newline, a carriage return, a tab, an escape) is written as '?', so
 * that a value from outside cannot start a line of its own.
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
void	 log_stamp(int);
int	 log_to_stderr(void);
void	 log_set_level(int);
int	 log_enabled(int);
void	 log_msg(int, const char *, ...) PRINTFLIKE(2, 3);
void	 log_vmsg(int, const char *, va_list) PRINTFLIKE(2, 0);
void	 log_debug(const char *, ...) PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) PRINTFLIKE(1, 2);
void	 log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	 log_err(const char *, ...) PRINTFLIKE(1, 2);
void	 fatal(const char *, ...) PRINTFLIKE(1, 2) __attribute__((noreturn));
void	 log_warn_errno(const char *, ...) PRINTFLIKE(1, 2);
void	 log_err_errno(const char *, ...) PRINTFLIKE(1, 2);
void	 fatal_errno(const char *, ...) PRINTFLIKE(1, 2)
	    __attribute__((noreturn));

#endif
