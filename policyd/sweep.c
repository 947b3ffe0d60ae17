/*
 * sweep -- expired suppression entries are ignored at lookup (the RCPT
 * script checks the expiry) and deleted here in the background: every
 * SWEEP_EVERY_MS one SCAN step (MATCH "P*sup:*", COUNT SWEEP_COUNT) walks
 * the keyspace; each key that is a suppression bucket (Psup:N or
 * P{u:NAME}:sup:N) gets the pscript_sweep script.  One step in flight at
 * a time; a full pass over the keyspace takes keys / SWEEP_COUNT steps.
 * Several daemons sweeping the same Redis is harmless.  Every 10 ticks
 * the heap is trimmed (malloc_trim) so that a burst of thousands of
 * concurrent requests does not leave the RSS high.
 *
 *   sweep_new(base, conf, ar, clock_offset)       starts the timer
 *   sweep_free(s)                                 NULL-safe, returns NULL
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "aredis.h"
#include "conf.h"
#include "log.h"
#include "policyd.h"
#include "pscript.h"
#include "schema.h"
#include "xmalloc.h"

#define SWEEP_EVERY_MS	1000
#define SWEEP_COUNT	"1000"

struct sweep {
	const struct conf	*conf;
	struct aredis		*ar;
	struct event		*timer;
	char			 cursor[32];
	char			 offset[32];
	char			 pattern[SCHEMA_KEY_MAX];
	int			 busy;
	unsigned		 pending;	/* sweep scripts in flight */
	unsigned long		 deleted;
	unsigned long		 ticks;
};

static void
arm(struct sweep *s)
{
	struct timeval	 tv = { SWEEP_EVERY_MS / 1000,
	    (SWEEP_EVERY_MS % 1000) * 1000 };

	evtimer_add(s->timer, &tv);
}

/* 1 if key is Psup:DIGITS or P{u:NAME}:sup:DIGITS. */
static int
is_bucket(const struct sweep *s, const char *key, size_t len)
{
	const char	*p, *end = key + len;
	size_t		 plen = strlen(s->conf->redis_prefix);

	if (len <= plen || memcmp(key, s->conf->redis_prefix, plen) != 0)
		return 0;
	p = end;
	while (p > key && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == end || p - key < (long)plen + 4 || memcmp(p - 4, "sup:", 4))
		return 0;
	p -= 4;
	if (p == key + plen)
		return 1;
	return key[plen] == '{' && p - key >= (long)plen + 5 &&
	    memcmp(key + plen, "{u:", 3) == 0 && memcmp(p - 2, "}:", 2) == 0;
}

static void
on_swept(const redisReply *rep, void *arg)
{
	struct sweep	*s = arg;

	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		s->deleted += (unsigned long)rep->integer;
	s->pending--;
}

static void
on_scan(const redisReply *rep, void *arg)
{
	struct sweep		*s = arg;
	const redisReply	*keys;
	const char		*argv[2];
	size_t			 argvlen[2], i;

	s->busy = 0;
	arm(s);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 2 || rep->element[0]->type != REDIS_REPLY_STRING)
		return;
	snprintf(s->cursor, sizeof(s->cursor), "%s", rep->element[0]->str);
	keys = rep->element[1];
	for (i = 0; i < keys->elements; i++) {
		if (keys->element[i]->type != REDIS_REPLY_STRING ||
		    !is_bucket(s, keys->element[i]->str,
		    keys->element[i]->len))
			continue;
		argv[0] = keys->element[i]->str;
		argvlen[0] = keys->element[i]->len;
		argv[1] = s->offset;
		argvlen[1] = strlen(s->offset);
		s->pending++;
		aredis_eval(s->ar, pscript_sweep, 1, 2, argv, argvlen,
		    on_swept, s);
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sweep	*s = arg;
	const char	*argv[6] = { "SCAN", s->cursor, "MATCH", s->pattern,
	    "COUNT", SWEEP_COUNT };

	(void)fd;
	(void)what;
	if (++s->ticks % 10 == 0)
		malloc_trim(0);		/* give back what a burst of requests
					   left in the heap */
	if (s->busy || s->pending > 0 || !aredis_up(s->ar)) {
		arm(s);
		return;
	}
	s->busy = 1;
	log_debug("sweep: SCAN %s", s->cursor);
	aredis_command(s->ar, -1, 6, argv, NULL, on_scan, s);
}

struct sweep *
sweep_new(struct event_base *base, const struct conf *conf,
    struct aredis *ar, long offset)
{
	struct sweep	*s = xcalloc(1, sizeof(*s));
	const char	*p;
	size_t		 n = 0;

	s->conf = conf;
	s->ar = ar;
	strcpy(s->cursor, "0");
	snprintf(s->offset, sizeof(s->offset), "%ld", offset);
	for (p = conf->redis_prefix; *p != '\0' && n + 8 < sizeof(s->pattern); p++) {
		if (strchr("*?[]\\", *p) != NULL)
			s->pattern[n++] = '\\';
		s->pattern[n++] = *p;
	}
	memcpy(s->pattern + n, "*sup:*", 7);
	s->timer = evtimer_new(base, on_timer, s);
	arm(s);
	return s;
}

struct sweep *
sweep_free(struct sweep *s)
{
	if (s == NULL)
		return NULL;
	event_free(s->timer);
	free(s);
	return NULL;
}
