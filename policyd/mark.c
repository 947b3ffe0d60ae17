/*
 * mark -- is the Redis outpost's?  The schema marker of lib/schema.h
 * (Pschema), read with a GET of its own before a request is judged: never
 * inside the scripts, so that in a Redis Cluster it goes to its own slot.
 *
 * The answer is cached for MARK_TTL_MS and forgotten at every reconnect
 * (aredis_connects changes), so a Redis restarted empty is noticed at the
 * first request after the reconnect and a busy daemon sends at most one
 * GET a second.  Requests that arrive while the GET is in flight wait for
 * its answer.  A missing marker is logged once when it goes missing, with
 * what to do, and once when it is back (with how many requests on_error
 * answered meanwhile): never a line per request.  A marker below
 * SCHEMA_VERSION (data outpostctl migrate has not upgraded) is handled
 * like a missing one: MARK_MISSING, logged once.
 *
 *   mark_new(conf, ar)          the cache, empty
 *   mark_free(m)                NULL-safe, returns NULL; after aredis_free
 *                               (which answers the GET in flight)
 *   mark_check(m, cb, arg)      cb(MARK_OK | MARK_MISSING | MARK_ERROR,
 *                               arg), possibly before mark_check returns;
 *                               MARK_ERROR: Redis failed (logged by server.c)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aredis.h"
#include "conf.h"
#include "log.h"
#include "policyd.h"
#include "schema.h"
#include "xmalloc.h"

#define MARK_TTL_MS	1000

enum { KNOWN_NOT, KNOWN_OK, KNOWN_MISSING, KNOWN_OLD };

struct waiter {
	struct waiter	*next;
	mark_cb		*cb;
	void		*arg;
};

struct mark {
	const struct conf	*conf;
	struct aredis		*ar;
	int			 known;		/* KNOWN_* of the cache */
	int			 logged;	/* KNOWN_* last logged */
	long long		 checked;	/* monotonic ms */
	unsigned long		 connects;	/* aredis_connects then */
	int			 inflight;
	struct waiter		*head, **tail;
	unsigned long		 answered;	/* while missing */
	char			 key[SCHEMA_KEY_MAX];
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct mark *
mark_new(const struct conf *conf, struct aredis *ar)
{
	struct mark	*m;

	m = xcalloc(1, sizeof(*m));
	m->conf = conf;
	m->ar = ar;
	m->tail = &m->head;
	schema_key_global(conf, SCHEMA_MARK, m->key, sizeof(m->key));
	return m;
}

struct mark *
mark_free(struct mark *m)
{
	struct waiter	*w;

	if (m == NULL)
		return NULL;
	while ((w = m->head) != NULL) {
		m->head = w->next;
		free(w);
	}
	free(m);
	return NULL;
}

/* Once per change of state: loud when it goes missing. */
static void
log_change(struct mark *m, const char *value)
{
	if (m->known == KNOWN_OLD && m->logged != KNOWN_OLD)
		log_err("redis %s db %ld: %s = %s: data of an older outpost "
		    "(this one needs schema version %d: plan limits copied into "
		    "each user); every SASL request is answered by on_error=%s "
		    "until outpostctl migrate has run", m->conf->redis_address,
		    m->conf->redis_db, m->key, value, SCHEMA_VERSION,
		    m->conf->on_error == ON_ERROR_ACCEPT ? "accept" : "defer");
	else if (m->known == KNOWN_MISSING && m->logged != KNOWN_MISSING)
		log_err("redis %s db %ld: the schema marker %s is missing: "
		    "this Redis holds no outpost data (emptied, restarted "
		    "without persistence, or another redis_db?); every SASL "
		    "request is answered by on_error=%s until the data is "
		    "restored or outpostctl init marks it",
		    m->conf->redis_address, m->conf->redis_db, m->key,
		    m->conf->on_error == ON_ERROR_ACCEPT ? "accept" : "defer");
	else if (m->known == KNOWN_OK && m->logged == KNOWN_MISSING)
		log_warn("redis %s: the schema marker %s is back: judging "
		    "again (%lu requests answered by on_error while it was "
		    "missing)", m->conf->redis_address, m->key, m->answered);
	else if (m->known == KNOWN_OK && m->logged == KNOWN_OLD)
		log_warn("redis %s: %s = %s: migrated, judging again (%lu "
		    "requests answered by on_error while it was older)",
		    m->conf->redis_address, m->key, value, m->answered);
	if (m->known == KNOWN_OK && m->logged != KNOWN_OK &&
	    strtol(value, NULL, 10) > SCHEMA_VERSION)
		log_warn("redis %s: %s = %s: data of a newer outpost (this "
		    "one knows schema version %d)", m->conf->redis_address,
		    m->key, value, SCHEMA_VERSION);
	if (m->known == KNOWN_OK)
		m->answered = 0;
	m->logged = m->known;
}

static int
verdict(struct mark *m)
{
	if (m->known == KNOWN_MISSING || m->known == KNOWN_OLD) {
		m->answered++;
		return MARK_MISSING;
	}
	return MARK_OK;
}

static void
on_get(const redisReply *rep, void *arg)
{
	struct mark	*m = arg;
	struct waiter	*w, *list;
	int		 st;

	m->inflight = 0;
	if (rep == NULL) {
		m->known = KNOWN_NOT;		/* ask again next time */
	} else {
		if (rep->type != REDIS_REPLY_STRING)
			log_debug("redis %s: GET %s: reply type %d",
			    m->conf->redis_address, m->key, rep->type);
		m->known = rep->type != REDIS_REPLY_STRING ? KNOWN_MISSING :
		    strtol(rep->str, NULL, 10) < SCHEMA_VERSION ? KNOWN_OLD :
		    KNOWN_OK;
		m->checked = now_ms();
		m->connects = aredis_connects(m->ar);
		log_change(m, rep->type == REDIS_REPLY_STRING ? rep->str : "");
	}
	list = m->head;			/* callbacks may queue new waiters */
	m->head = NULL;
	m->tail = &m->head;
	while ((w = list) != NULL) {
		list = w->next;
		st = rep == NULL ? MARK_ERROR : verdict(m);
		w->cb(st, w->arg);
		free(w);
	}
}

void
mark_check(struct mark *m, mark_cb *cb, void *arg)
{
	struct waiter	*w;
	const char	*argv[2] = { "GET", m->key };

	if (m->known != KNOWN_NOT && !m->inflight &&
	    m->connects == aredis_connects(m->ar) &&
	    now_ms() - m->checked < MARK_TTL_MS) {
		cb(verdict(m), arg);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	*m->tail = w;
	m->tail = &w->next;
	if (m->inflight)
		return;
	m->inflight = 1;
	aredis_command(m->ar, 1, 2, argv, NULL, on_get, m);
}
