/*
 * sweep -- expired suppression entries are ignored at lookup (the RCPT
 * script checks the expiry) and deleted here in the background: every
 * SWEEP_EVERY_MS one SCAN step (MATCH schema_key_sup_glob, COUNT
 * SWEEP_COUNT) on every master, each with its own cursor: one master on
 * a single Redis or Sentinel, every master of the slot map on a Cluster,
 * where each holds its own part of the keyspace (aredis_command_master).
 * Each key that is a suppression bucket (Psup:N or P{u:NAME}:sup:N) gets
 * the pscript_sweep script, routed by its key.  One round of steps in
 * flight at a time; a full pass over a master takes its keys /
 * SWEEP_COUNT steps.  A cursor belongs to a node ("host:port"): when the
 * slot map names another node as master i (a failover, a resharding that
 * emptied one), its walk starts again at 0 on the new one; a master
 * whose SCAN fails keeps its cursor for the next tick.  Several daemons
 * sweeping the same Redis is harmless.  Every SWEEP_TRIM ticks the heap is
 * trimmed (malloc_trim) so that a burst of thousands of concurrent
 * requests does not leave the RSS high.
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

/*
 * A SCAN step's cost in Redis grows with COUNT (each bucket's keys are
 * matched against the pattern): COUNT 1000 on 190,000 keys took 1.2-1.7 ms,
 * a stall every request in flight waited for (the paced p99 at 100
 * connections showed it once a second).  Ten steps of 100 a second walk
 * as fast, each no longer than a few scripts.
 */
#define SWEEP_EVERY_MS	100
#define SWEEP_COUNT	"100"
#define SWEEP_TRIM	100	/* ticks between two malloc_trim: 10 s */
#define SWEEP_MASTERS	128	/* CLUSTER_NODES_MAX: a map has no more */

struct sweep;

struct scan {				/* one master's walk */
	struct sweep		*s;
	char			 node[300];	/* "host:port", "" not cluster */
	char			 cursor[32];
	int			 started;
};

struct sweep {
	const struct conf	*conf;
	struct aredis		*ar;
	struct event		*timer;
	char			 offset[32];
	char			 pattern[SCHEMA_KEY_MAX];
	int			 busy;		/* SCANs in flight (+1 sending) */
	unsigned		 pending;	/* sweep scripts in flight */
	unsigned long		 deleted;
	unsigned long		 ticks;
	struct scan		 scans[SWEEP_MASTERS];
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

/* A round of SCANs is over (every reply in): the next tick. */
static void
scan_done(struct sweep *s)
{
	if (--s->busy == 0)
		arm(s);
}

static void
on_scan(const redisReply *rep, void *arg)
{
	struct scan		*sc = arg;
	struct sweep		*s = sc->s;
	const redisReply	*keys;
	const char		*argv[2];
	size_t			 argvlen[2], i;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 2 || rep->element[0]->type != REDIS_REPLY_STRING) {
		scan_done(s);
		return;
	}
	snprintf(sc->cursor, sizeof(sc->cursor), "%s", rep->element[0]->str);
	if (strcmp(sc->cursor, "0") == 0)
		log_debug("sweep: pass over %s done, %lu deleted so far",
		    *sc->node != '\0' ? sc->node : "redis", s->deleted);
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
	scan_done(s);
}

/* One SCAN step on master i, its cursor reset if another node is it. */
static void
scan_step(struct sweep *s, int i)
{
	struct scan	*sc = &s->scans[i];
	char		 node[sizeof(sc->node)];
	const char	*argv[6] = { "SCAN", sc->cursor, "MATCH", s->pattern,
	    "COUNT", SWEEP_COUNT };

	if (aredis_master_name(s->ar, i, node, sizeof(node)) < 0)
		return;
	if (!sc->started || strcmp(node, sc->node) != 0) {
		memcpy(sc->node, node, sizeof(sc->node));
		strcpy(sc->cursor, "0");
		sc->started = 1;
	}
	s->busy++;
	log_debug("sweep: SCAN %s on %s", sc->cursor, *node != '\0' ? node :
	    "redis");
	aredis_command_master(s->ar, i, 6, argv, NULL, on_scan, sc);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sweep	*s = arg;
	int		 i, n;

	(void)fd;
	(void)what;
	if (++s->ticks % SWEEP_TRIM == 0)
		malloc_trim(0);		/* give back what a burst of requests
					   left in the heap */
	if (s->busy || s->pending > 0 || !aredis_up(s->ar)) {
		arm(s);
		return;
	}
	if ((n = aredis_masters(s->ar)) > SWEEP_MASTERS)
		n = SWEEP_MASTERS;
	s->busy = 1;		/* a reply called back at once must not arm */
	for (i = 0; i < n; i++)
		scan_step(s, i);
	scan_done(s);
}

struct sweep *
sweep_new(struct event_base *base, const struct conf *conf,
    struct aredis *ar, long offset)
{
	struct sweep	*s = xcalloc(1, sizeof(*s));
	int		 i;

	s->conf = conf;
	s->ar = ar;
	snprintf(s->offset, sizeof(s->offset), "%ld", offset);
	for (i = 0; i < SWEEP_MASTERS; i++)
		s->scans[i].s = s;
	s->timer = evtimer_new(base, on_timer, s);
	if (schema_key_sup_glob(conf, s->pattern, sizeof(s->pattern)) < 0)
		log_err("sweep: redis_prefix %s too long for a SCAN pattern: "
		    "expired suppressions are not deleted", conf->redis_prefix);
	else
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
