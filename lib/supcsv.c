/*
 * supcsv -- parse and format one suppression CSV line (see supcsv.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "errf.h"
#include "supcsv.h"

#define NFIELDS		4
#define FIELD_MAX	1024

static const char *const reasons[SUP_NREASON] = {
	"hard-bounce", "complaint", "unsubscribe", "manual",
};

const char *
supcsv_reason_name(int r)
{
	if (r < 0 || r >= SUP_NREASON)
		return NULL;
	return reasons[r];
}

int
supcsv_reason_lookup(const char *name)
{
	int	 i;

	for (i = 0; i < SUP_NREASON; i++)
		if (strcmp(name, reasons[i]) == 0)
			return i;
	return -1;
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, int n)
{
	int	 v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
days_in_month(int y, int m)
{
	static const int	 dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
					   31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* "HH:MM:SS" then "Z" or "+00:00"; fills tm, 0 or -1. */
static int
parse_clock(const char *s, struct tm *tm)
{
	if (s[2] != ':' || s[5] != ':')
		return -1;
	tm->tm_hour = digits(s, 2);
	tm->tm_min = digits(s + 3, 2);
	tm->tm_sec = digits(s + 6, 2);
	if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 ||
	    tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 59)
		return -1;
	s += 8;
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		return 0;
	return strcmp(s, "+00:00") == 0 ? 0 : -1;
}

int
supcsv_parse_time(const char *s, long long *t)
{
	struct tm	 tm;
	size_t		 n = strlen(s);

	memset(&tm, 0, sizeof(tm));
	if (n < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	tm.tm_year = digits(s, 4);
	tm.tm_mon = digits(s + 5, 2);
	tm.tm_mday = digits(s + 8, 2);
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > days_in_month(tm.tm_year,
	    tm.tm_mon))
		return -1;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || n < 20 ||
		    parse_clock(s + 11, &tm) < 0)
			return -1;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = (long long)timegm(&tm);
	return 0;
}

char *
supcsv_format_time(long long t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		if (len > 0)
			*buf = '\0';
	}
	return buf;
}

/*
 * Split line into at most NFIELDS fields (RFC 4180).  Unquoted fields
 * are trimmed of spaces and tabs.  Returns the number of fields or -1.
 */
static int
split(const char *s, size_t n, char f[NFIELDS][FIELD_MAX], int quoted[NFIELDS],
    char *err, size_t errlen)
{
	size_t	 i = 0, k;
	int	 nf = 0;

	for (;;) {
		if (nf == NFIELDS)
			return errf(err, errlen, "more than 4 fields (expected "
			    SUPCSV_HEADER ")");
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		k = 0;
		quoted[nf] = i < n && s[i] == '"';
		if (quoted[nf]) {
			for (i++;; i++) {
				if (i == n)
					return errf(err, errlen, "field %d: "
					    "unterminated quote", nf + 1);
				if (s[i] == '"' && (i + 1 == n ||
				    s[i + 1] != '"'))
					break;
				if (s[i] == '"')
					i++;
				if (k + 1 < FIELD_MAX)
					f[nf][k++] = s[i];
			}
			for (i++; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
				;
			if (i < n && s[i] != ',')
				return errf(err, errlen, "field %d: text after "
				    "the closing quote", nf + 1);
		} else {
			for (; i < n && s[i] != ','; i++) {
				if (s[i] == '"')
					return errf(err, errlen, "field %d: "
					    "quote inside an unquoted field",
					    nf + 1);
				if (k + 1 < FIELD_MAX)
					f[nf][k++] = s[i];
			}
			while (k > 0 && (f[nf][k - 1] == ' ' ||
			    f[nf][k - 1] == '\t'))
				k--;
		}
		f[nf++][k] = '\0';
		if (i >= n)
			return nf;
		i++;	/* the comma */
	}
}

static int
parse_date_field(const char *name, const char *v, long long *t, char *err,
    size_t errlen)
{
	if (supcsv_parse_time(v, t) == 0)
		return 0;
	return errf(err, errlen, "bad %s date \"%.64s\" (ISO 8601 UTC, e.g. "
	    "2026-11-28T10:00:00Z)", name, v);
}

/* Fill rec from the split fields; 1 or -1. */
static int
fill(char f[NFIELDS][FIELD_MAX], int nf, long long now,
    struct supcsv_rec *rec, char *err, size_t errlen)
{
	char	 e[128];

	if (mailaddr_norm(f[0], rec->address, sizeof(rec->address), e,
	    sizeof(e)) < 0) {
		return errf(err, errlen, "bad address \"%.256s\": %s", f[0], e);
	}
	rec->reason = SUP_MANUAL;
	if (nf > 1 && f[1][0] != '\0' &&
	    (rec->reason = supcsv_reason_lookup(f[1])) < 0) {
		return errf(err, errlen, "bad reason \"%.64s\" (hard-bounce, "
		    "complaint, unsubscribe or manual)", f[1]);
	}
	rec->created = now;
	if (nf > 2 && f[2][0] != '\0' &&
	    parse_date_field("created", f[2], &rec->created, err, errlen) < 0)
		return -1;
	rec->expires = 0;
	if (nf > 3 && f[3][0] != '\0') {
		if (parse_date_field("expires", f[3], &rec->expires, err,
		    errlen) < 0)
			return -1;
		if (rec->expires <= rec->created)
			return errf(err, errlen, "expires %s is not after "
			    "created", f[3]);
	}
	return 1;
}

int
supcsv_parse(const char *line, size_t n, long long now,
    struct supcsv_rec *rec, char *err, size_t errlen)
{
	char	 f[NFIELDS][FIELD_MAX];
	int	 quoted[NFIELDS], nf;

	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (memchr(line, '\0', n) != NULL)
		return errf(err, errlen, "NUL byte in line");
	if (n >= SUPCSV_LINE_MAX)
		return errf(err, errlen, "line longer than %d bytes",
		    SUPCSV_LINE_MAX - 1);
	if ((nf = split(line, n, f, quoted, err, errlen)) < 0)
		return -1;
	if (nf == 1 && !quoted[0] && f[0][0] == '\0')
		return 0;			/* blank line */
	if (!quoted[0] && strcasecmp(f[0], "address") == 0)
		return 0;			/* header */
	return fill(f, nf, now, rec, err, errlen);
}

/* Append s to buf as a CSV field, quoted when needed; new length or -1. */
static int
put_field(char *buf, size_t len, size_t at, const char *s)
{
	size_t	 n = strlen(s), i;
	int	 q;

	q = strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' ||
	    s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'));
	if (q && at < len)
		buf[at++] = '"';
	for (i = 0; i < n && at < len; i++) {
		if (s[i] == '"' && at + 1 < len)
			buf[at++] = '"';
		buf[at++] = s[i];
	}
	if (q && at < len)
		buf[at++] = '"';
	if (at >= len)
		return -1;
	buf[at] = '\0';
	return (int)at;
}

int
supcsv_format(const struct supcsv_rec *rec, char *buf, size_t len)
{
	char	 c[SUPCSV_TIME_MAX], e[SUPCSV_TIME_MAX];
	int	 at, n;

	if (len == 0 || (at = put_field(buf, len, 0, rec->address)) < 0)
		return -1;
	e[0] = '\0';
	if (rec->expires != 0)
		supcsv_format_time(rec->expires, e, sizeof(e));
	n = snprintf(buf + at, len - (size_t)at, ",%s,%s,%s",
	    supcsv_reason_name(rec->reason),
	    supcsv_format_time(rec->created, c, sizeof(c)), e);
	if (n < 0 || (size_t)n >= len - (size_t)at)
		return -1;
	return at + n;
}
