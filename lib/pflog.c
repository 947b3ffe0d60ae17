/*
 * pflog -- one Postfix log line into a record (see pflog.h): the prefix
 * (time, host, service[pid], queue ID) and the dispatch on the message.
 * The key=value fields, reject lines and the status text are read in
 * pflog_fields.c; printing is in pflog_print.c.
 */
#include <stddef.h>
#include <string.h>

#include "pflog.h"
#include "pflog_int.h"

/* A copy of p[0..n) in the record's arena, or NULL when it is full. */
const char *
pflog_save(struct pflog_rec *r, const char *p, size_t n)
{
	char	*d;

	if (n >= sizeof(r->arena) - r->used)
		return NULL;
	d = r->arena + r->used;
	memcpy(d, p, n);
	d[n] = '\0';
	r->used += n + 1;
	return d;
}

/* The number in the n digits at p, or -1. */
long
pflog_digits(const char *p, const char *end, int n)
{
	long	 v = 0;
	int	 i;

	if (end - p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
days_from_civil(long y, long m, long d)
{
	long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long)era * 146097 + doe - 719468;
}

static long long
epoch(long y, long mo, long d, long h, long mi, long s)
{
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* "HH:MM:SS[.frac]" at p; the end of it or NULL. */
static const char *
clock_time(const char *p, const char *end, long hms[3], long *usec)
{
	long	 f = 0, scale = 100000;

	hms[0] = pflog_digits(p, end, 2);
	hms[1] = pflog_digits(p + 3, end, 2);
	hms[2] = pflog_digits(p + 6, end, 2);
	if (hms[0] < 0 || hms[1] < 0 || hms[2] < 0 || p[2] != ':' ||
	    p[5] != ':' || hms[0] > 23 || hms[1] > 59 || hms[2] > 60)
		return NULL;
	p += 8;
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			f += (*p - '0') * scale;
			scale /= 10;
		}
	}
	*usec = f;
	return p;
}

/* "Nov  3 16:04:31" / "Nov 03 16:04:31"; the end or NULL. */
static const char *
classic_time(struct pflog_rec *r, const char *p, const char *end, int year,
    long tzoff)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char	*m;
	long		 mon, day, hms[3];

	if (end - p < 15 || p[3] != ' ')
		return NULL;
	for (m = months; *m != '\0'; m += 3)
		if (memcmp(m, p, 3) == 0)
			break;
	if (*m == '\0')
		return NULL;
	mon = (m - months) / 3 + 1;
	day = p[4] == ' ' ? pflog_digits(p + 5, end, 1) :
	    pflog_digits(p + 4, end, 2);
	if (day < 1 || day > 31 || p[6] != ' ')
		return NULL;
	if ((p = clock_time(p + 7, end, hms, &r->usec)) == NULL)
		return NULL;
	r->time = epoch(year, mon, day, hms[0], hms[1], hms[2]) - tzoff;
	return p;
}

/* "2026-12-02T05:22:38[.123456](Z|+00:00)"; the end or NULL. */
static const char *
rfc3339_time(struct pflog_rec *r, const char *p, const char *end)
{
	long	 y, mo, d, hms[3], oh, om, off = 0;

	if (end - p < 20)	/* "2026-12-02T05:22:38Z" at least */
		return NULL;
	y = pflog_digits(p, end, 4);
	mo = pflog_digits(p + 5, end, 2);
	d = pflog_digits(p + 8, end, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || p[4] != '-' ||
	    p[7] != '-' || (p[10] != 'T' && p[10] != ' '))
		return NULL;
	if ((p = clock_time(p + 11, end, hms, &r->usec)) == NULL || p >= end)
		return NULL;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		oh = pflog_digits(p + 1, end, 2);
		om = pflog_digits(p + 4, end, 2);
		if (oh < 0 || om < 0 || p[3] != ':')
			return NULL;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else
		return NULL;
	r->time = epoch(y, mo, d, hms[0], hms[1], hms[2]) - off;
	return p;
}

/* Short (hex) or long (enable_long_queue_ids) queue ID: p[0..n). */
static int
is_qid(const char *p, size_t n)
{
	static const char lng[] = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
	    "bcdfghjklmnpqrstvwxyz";
	size_t	 i, hex = 0, l = 0, z = 0;

	if (n < 5 || n > 24)
		return 0;
	for (i = 0; i < n; i++) {
		if ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' &&
		    p[i] <= 'F'))
			hex++;
		if (memchr(lng, p[i], sizeof(lng) - 1) != NULL)
			l++;
		if (p[i] == 'z')
			z++;
	}
	return hex == n || (l == n && z > 0 && n >= 10);
}

/* "host service[pid]: " after the time; the message or NULL. */
static const char *
prefix(struct pflog_rec *r, const char *p, const char *end)
{
	const char	*s, *e;
	long		 pid = 0;

	if (p >= end || *p++ != ' ')
		return NULL;
	for (s = p; p < end && *p != ' '; p++)
		;
	if (p == s || p >= end)
		return NULL;
	r->host = pflog_save(r, s, (size_t)(p - s));
	for (s = ++p; p < end && *p != '[' && *p != ':' && *p != ' '; p++)
		;
	if (p == s || p >= end || *p == ' ')
		return NULL;
	r->service = pflog_save(r, s, (size_t)(p - s));
	if (r->service != NULL) {
		e = strrchr(r->service, '/');
		r->daemon = e != NULL ? e + 1 : r->service;
	}
	if (*p == '[') {
		for (p++; p < end && *p >= '0' && *p <= '9' && pid < 1 << 30;
		    p++)
			pid = pid * 10 + (*p - '0');
		if (p >= end || *p++ != ']')
			return NULL;
		r->pid = pid;
	}
	if (!pflog_starts(p, end, ": "))
		return NULL;
	return p + 2;
}

static void
clear(struct pflog_rec *r)
{
	memset(r, 0, offsetof(struct pflog_rec, arena));
	r->time = r->pid = r->client_port = r->relay_port = -1;
	r->usec = r->nrcpt = r->conn_use = r->uid = -1;
	r->size = -1;
	r->delay = -1;
}

enum pflog_kind
pflog_parse(struct pflog_rec *r, const char *line, size_t len, int year,
    long tzoff)
{
	const char	*p = line, *end, *q;

	clear(r);
	if (len > PFLOG_LINE_MAX) {
		len = PFLOG_LINE_MAX;
		r->truncated = 1;
	}
	end = line + len;
	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (end - p >= 4 && p[0] >= '0' && p[0] <= '9')
		p = rfc3339_time(r, p, end);
	else
		p = classic_time(r, p, end, year, tzoff);
	if (p == NULL || (p = prefix(r, p, end)) == NULL)
		return r->kind = PFLOG_UNKNOWN;
	for (q = p; q < end && *q != ':' && *q != ' '; q++)
		;
	if (q < end && *q == ':' && (q + 1 == end || q[1] == ' ')) {
		if ((size_t)(q - p) == 7 && memcmp(p, "NOQUEUE", 7) == 0)
			r->noqueue = 1;
		if (r->noqueue || is_qid(p, (size_t)(q - p))) {
			r->qid = pflog_save(r, p, (size_t)(q - p));
			p = q + 1 + (q + 1 < end);
		}
	}
	return r->kind = pflog_message(r, p, end);
}
