/*
 * tap -- the smallest TAP producer for the C unit tests run by prove.
 *
 *   ok(cond, fmt, ...)        one test line; returns cond
 *   is_str(got, want, name)   string equality, prints both on failure
 *   is_int(got, want, name)   integer equality, prints both on failure
 *   diag(fmt, ...)            a "# ..." line
 *   tap_name(s)               s fit for a test name: CR, LF shown as \r \n
 *                             (a static buffer, overwritten by the next call)
 *   done_testing()            prints the plan, returns the exit status
 */
#ifndef OUTPOST_TAP_H
#define OUTPOST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list	 ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline int
is_str(const char *got, const char *want, const char *name)
{
	int	 c;

	c = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	if (!ok(c, "%s", name)) {
		diag("     got: '%s'", got ? got : "(null)");
		diag("expected: '%s'", want ? want : "(null)");
	}
	return c;
}

static inline int
is_int(long long got, long long want, const char *name)
{
	if (!ok(got == want, "%s", name)) {
		diag("     got: %lld", got);
		diag("expected: %lld", want);
		return 0;
	}
	return 1;
}

static inline const char *
tap_name(const char *s)
{
	static char	 buf[512];
	size_t		 k = 0;

	for (; *s != '\0' && k + 3 < sizeof(buf); s++) {
		if (*s == '\r' || *s == '\n') {
			buf[k++] = '\\';
			buf[k++] = *s == '\r' ? 'r' : 'n';
		} else
			buf[k++] = *s;
	}
	buf[k] = '\0';
	return buf;
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
