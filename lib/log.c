/*
 * log -- syslog or stderr, one line per event; see log.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"

static const char	*log_ident = "outpost";
static int		 log_dest = LOGDEST_STDERR;
static int		 log_level = LOG_INFO;

void
log_open(const char *ident, int dest, int level)
{
	log_ident = ident;
	log_dest = dest;
	log_level = level;
	if (dest == LOGDEST_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_enabled(int level)
{
	return level <= log_level;
}

static const char *
level_name(int level)
{
	switch (level) {
	case LOG_DEBUG:	return "debug";
	case LOG_INFO:	return "info";
	case LOG_NOTICE: return "notice";
	case LOG_WARNING: return "warning";
	case LOG_ERR:	return "error";
	default:	return "fatal";
	}
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char	 line[4096];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_dest == LOGDEST_SYSLOG) {
		syslog(LOG_MAIL | level, "%s", line);
		return;
	}
	/* One fprintf per event: stdio locks the stream for the call. */
	fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(level), line);
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

#define LOGFN(name, level)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	 ap;					\
							\
	va_start(ap, fmt);				\
	log_vmsg(level, fmt, ap);			\
	va_end(ap);					\
}
LOGFN(log_debug, LOG_DEBUG)
LOGFN(log_info, LOG_INFO)
LOGFN(log_warn, LOG_WARNING)
LOGFN(log_err, LOG_ERR)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
	if (log_dest == LOGDEST_SYSLOG) {
		/* Also tell the admin who started us by hand. */
		va_start(ap, fmt);
		fprintf(stderr, "%s: fatal: ", log_ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	exit(1);
}
