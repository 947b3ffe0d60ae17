/*
 * log -- syslog or stderr, one line per event; see log.h.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <paths.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

static const char	*log_ident = "outpost";
static int		 log_dest = LOGDEST_STDERR;
static atomic_int	 log_level = LOG_INFO;	/* a reload may change it */
static int		 log_stamped;

/*
 * Whether syslog(3) can deliver: glibc's syslog drops every line without
 * a word when the socket is missing or nobody listens on it.
 */
static int
syslog_usable(char *why, size_t len)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rc;

	if (stat(_PATH_LOG, &st) < 0) {
		snprintf(why, len, "%s: %s", _PATH_LOG, strerror(errno));
		return 0;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, len, "%s is not a socket", _PATH_LOG);
		return 0;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", _PATH_LOG);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 1;		/* let syslog(3) try */
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc < 0 && errno == EPROTOTYPE) {
		close(fd);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return 1;
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	}
	if (rc < 0)
		snprintf(why, len, "%s: %s", _PATH_LOG, strerror(errno));
	close(fd);
	return rc == 0;
}

void
log_open(const char *ident, int dest, int level)
{
	char	 why[256];

	log_ident = ident;
	log_dest = dest;
	log_level = level;
	if (dest != LOGDEST_SYSLOG)
		return;
	if (!syslog_usable(why, sizeof(why))) {
		fprintf(stderr, "%s: syslog is unusable (%s): logging to "
		    "stderr instead\n", ident, why);
		log_dest = LOGDEST_STDERR;
		return;
	}
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_stamp(int on)
{
	log_stamped = on;
}

int
log_to_stderr(void)
{
	return log_dest == LOGDEST_STDERR;
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

/*
 * Control characters (below 0x20, and 0x7f) of a line made '?': a value
 * from outside (a login name, a reason) cannot end the line and forge
 * another one, nor move the cursor of the admin's terminal.
 */
static void
defang(char *line)
{
	unsigned char	*p;

	for (p = (unsigned char *)line; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char	 line[4096];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	defang(line);
	if (log_dest == LOGDEST_SYSLOG) {
		syslog(LOG_MAIL | level, "%s", line);
		return;
	}
	/* One fprintf per event: stdio locks the stream for the call. */
	if (log_stamped) {
		struct timeval	 tv;
		struct tm	 tm;
		char		 ts[32];

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03dZ %s[%d]: %s: %s\n", ts,
		    (int)(tv.tv_usec / 1000), log_ident, (int)getpid(),
		    level_name(level), line);
	} else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(level),
		    line);
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

/* The line with ": strerror(e)" appended; e is errno as the caller saw it. */
static void
log_verrno(int level, int e, const char *fmt, va_list ap)
{
	char	 line[4096];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_msg(level, "%s: %s", line, strerror(e));
}

#define LOGFN_ERRNO(name, level)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	 ap;					\
	int	 e = errno;				\
							\
	va_start(ap, fmt);				\
	log_verrno(level, e, fmt, ap);			\
	va_end(ap);					\
	errno = e;					\
}
LOGFN_ERRNO(log_warn_errno, LOG_WARNING)
LOGFN_ERRNO(log_err_errno, LOG_ERR)

void
fatal_errno(const char *fmt, ...)
{
	va_list	 ap;
	char	 line[4096];
	int	 e = errno;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fatal("%s: %s", line, strerror(e));
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
	if (log_dest == LOGDEST_SYSLOG) {
		char	 line[4096];

		/* Also tell the admin who started us by hand. */
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		defang(line);
		fprintf(stderr, "%s: fatal: %s\n", log_ident, line);
	}
	exit(1);
}
