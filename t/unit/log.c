/*
 * Unit test of lib/log's errno variants: log_warn_errno, log_err_errno
 * append ": strerror(errno)" to the line, leave errno as it was, and
 * write nothing below the level; lines go to stderr (captured in a file).
 * Control characters of a line (a value from outside) are written as '?'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "../tap.h"

static FILE	*cap;

/* What was written to stderr since the last call, last newline cut. */
static const char *
captured(void)
{
	static char	 buf[512];
	size_t		 n;

	fflush(stderr);
	rewind(cap);
	n = fread(buf, 1, sizeof(buf) - 1, cap);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	rewind(cap);
	if (ftruncate(fileno(cap), 0) < 0)
		abort();
	return buf;
}

int
main(void)
{
	char	 want[256];
	int	 saved;

	if ((cap = tmpfile()) == NULL || (saved = dup(2)) < 0 ||
	    dup2(fileno(cap), 2) < 0)
		return 1;
	log_open("t", LOGDEST_STDERR, LOG_INFO);

	errno = ENOENT;
	log_warn_errno("pid_file %s: cannot remove", "/run/x.pid");
	snprintf(want, sizeof(want), "t: warning: pid_file /run/x.pid: "
	    "cannot remove: %s", strerror(ENOENT));
	is_str(captured(), want, "log_warn_errno appends strerror(errno)");
	is_int(errno, ENOENT, "  errno unchanged");

	errno = EACCES;
	log_err_errno("open %d", 7);
	snprintf(want, sizeof(want), "t: error: open 7: %s",
	    strerror(EACCES));
	is_str(captured(), want, "log_err_errno at error level");
	is_int(errno, EACCES, "  errno unchanged");

	log_info("login failed: name=%s", "x\nchange: admin=root\r\t\x1b[2J\x7f.");
	is_str(captured(), "t: info: login failed: name=x?change: admin=root"
	    "???[2J?.", "control characters of a value are written as '?'");
	errno = ENOENT;
	log_warn_errno("user %s", "a\nb");
	snprintf(want, sizeof(want), "t: warning: user a?b: %s",
	    strerror(ENOENT));
	is_str(captured(), want, "  in the errno variants too");

	log_set_level(LOG_ERR);
	errno = EPERM;
	log_warn_errno("below the level");
	is_str(captured(), "", "below the level: nothing written");
	is_int(errno, EPERM, "  errno unchanged");

	dup2(saved, 2);
	return done_testing();
}
