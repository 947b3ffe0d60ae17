/*
 * dlogput -- write delivery events through lib/dlog's one writer, for the
 * tests of outpostctl log / stats / user show.
 *
 *   dlogput CONF < lines
 *
 * One event per line: TAB-separated NAME=VALUE pairs naming the fields of
 * struct dlog_event (t in unix ms, code a number), or ago=SECONDS for
 * t = now - SECONDS.  Prints the EID of each event.  A line
 * "count WHO SECONDS_AGO FIELD" adds a counter only (dlog_count, e.g. a
 * complaint).  Exit 1 at the first error.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "conf.h"
#include "dlog.h"
#include "redis.h"

static long long
now_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int
set(struct dlog_event *ev, char *name, char *v)
{
	static const struct { const char *n; size_t off; } f[] = {
#define F(x) { #x, offsetof(struct dlog_event, x) }
		F(host), F(qid), F(who), F(client), F(from), F(rcpt),
		F(orig_to), F(status), F(dsn), F(reply), F(relay),
		F(relay_ip), F(delay), F(category), F(class), F(rule),
		F(msgid)
#undef F
	};
	size_t	 i;

	if (strcmp(name, "t") == 0)
		ev->t = strtoll(v, NULL, 10);
	else if (strcmp(name, "ago") == 0)
		ev->t = now_ms() - strtoll(v, NULL, 10) * 1000;
	else if (strcmp(name, "code") == 0)
		ev->code = atoi(v);
	else {
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (strcmp(name, f[i].n) == 0) {
				*(const char **)((char *)ev + f[i].off) = v;
				return 0;
			}
		return -1;
	}
	return 0;
}

static int
event(struct redis *r, const struct conf *cf, char *line)
{
	struct dlog_event	 ev;
	char			*p, *eq, err[512];
	long long		 eid;

	memset(&ev, 0, sizeof(ev));
	ev.t = now_ms();
	for (p = strtok(line, "\t"); p != NULL; p = strtok(NULL, "\t")) {
		if ((eq = strchr(p, '=')) == NULL)
			return fprintf(stderr, "dlogput: no '=' in %s\n", p), -1;
		*eq = '\0';
		if (set(&ev, p, eq + 1) < 0)
			return fprintf(stderr, "dlogput: field %s?\n", p), -1;
	}
	if ((eid = dlog_write(r, cf, &ev, err, sizeof(err))) < 0)
		return fprintf(stderr, "dlogput: %s\n", err), -1;
	printf("%lld\n", eid);
	return 0;
}

static int
count(struct redis *r, const struct conf *cf, char *line)
{
	char	 who[256], field[64], err[512];
	long	 ago;

	if (sscanf(line, "count %255s %ld %63s", who, &ago, field) != 3)
		return fprintf(stderr, "dlogput: bad count line\n"), -1;
	if (dlog_count(r, cf, who, now_ms() - ago * 1000L, field, err,
	    sizeof(err)) < 0)
		return fprintf(stderr, "dlogput: %s\n", err), -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct conf	 cf;
	struct redis	*r;
	char		 line[8192], err[512];
	int		 rc = 0;

	if (argc != 2)
		return fprintf(stderr, "usage: dlogput CONF < lines\n"), 2;
	if (conf_load(&cf, argv[1], err, sizeof(err)) < 0 ||
	    (r = redis_new(&cf, err, sizeof(err))) == NULL)
		return fprintf(stderr, "dlogput: %s\n", err), 1;
	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		rc = strncmp(line, "count ", 6) == 0 ? count(r, &cf, line) :
		    event(r, &cf, line);
	}
	redis_free(r);
	conf_free(&cf);
	return rc < 0 ? 1 : 0;
}
