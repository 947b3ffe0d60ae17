/*
 * metrics -- outpost-policyd's Prometheus figures (lib/ometrics.h) and
 * its /metrics listener on the daemon's own event loop (lib/promhttp.h).
 * server.c calls pm_answer once per answer queued.
 *
 * outpost_users_paused is no event of this daemon: it is the SCARD of
 * the index of suspended users (lib/schema.h Psuspended), sent through
 * the daemon's asynchronous Redis client every PM_PAUSED_EVERY seconds
 * and when a scrape comes at least PM_PAUSED_FRESH ms after the
 * last one was sent.  Such a scrape waits for the reply (promhttp_hook:
 * the loop goes on, the answer is sent from the reply's callback, or at
 * once when Redis fails: the value then is the last one read); one
 * SCARD in flight at a time, at most PM_WAIT_MAX scrapes waiting (more
 * are answered at once).
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "aredis.h"
#include "conf.h"
#include "log.h"
#include "ometrics.h"
#include "policyd.h"
#include "promhttp.h"
#include "schema.h"

#define PM_PAUSED_EVERY	15	/* seconds */
#define PM_PAUSED_FRESH	1000	/* milliseconds */
#define PM_WAIT_MAX	16

static struct promhttp	*http;

/* The users-paused refresher; lives from pm_paused_start to _stop. */
static struct {
	const struct conf	*conf;
	struct aredis		*ar;
	struct event		*timer;
	int			 busy;		/* a SCARD in flight */
	long long		 sent;		/* CLOCK_MONOTONIC ms */
	struct promhttp_wait	*wait[PM_WAIT_MAX];
	size_t			 nwait;
} pp;

/* Before the privilege drop: the port may be privileged. */
void
pm_start(struct event_base *base, const struct conf *conf)
{
	char	 err[512];

	if (conf->policyd_metrics_listen[0] == '\0')
		return;
	if (om_init("policyd", err, sizeof(err)) < 0 ||
	    (http = promhttp_new(base, om.reg, conf->policyd_metrics_listen,
	    err, sizeof(err))) == NULL)
		fatal("policyd_metrics_listen: %s", err);
}

void
pm_stop(void)
{
	http = promhttp_free(http);
	om_free();
}

/* The action's class: DUNNO and other non-refusals, 4xx, 5xx. */
static const char *
action_class(const char *action)
{
	if (action[0] == '4' || strncasecmp(action, "DEFER", 5) == 0)
		return "defer";
	if (action[0] == '5' || strncasecmp(action, "REJECT", 6) == 0)
		return "reject";
	return "dunno";
}

void
pm_answer(const char *action, int error, const struct timespec *t0)
{
	struct timespec	 now;

	if (om.reg == NULL)
		return;
	prom_inc(om.decisions, error ? "error" : action_class(action), NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	prom_observe(om.latency, (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9);
}

static long long
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_scard(const redisReply *rep, void *arg)
{
	size_t	 i, n = pp.nwait;

	(void)arg;
	pp.busy = 0;
	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		prom_set(om.users_paused, NULL, NULL, rep->integer);
	pp.nwait = 0;
	for (i = 0; i < n; i++)
		promhttp_resume(pp.wait[i]);
}

/* One SCARD, unless one is in flight.  The callback may run before
 * aredis_command returns (Redis down): waiters are queued before. */
static void
paused_send(void)
{
	char		 key[SCHEMA_KEY_MAX];
	const char	*argv[2];

	if (pp.busy)
		return;
	if (schema_key_global(pp.conf, SCHEMA_SUSPENDED_SET, key,
	    sizeof(key)) < 0) {
		on_scard(NULL, NULL);
		return;
	}
	argv[0] = "SCARD", argv[1] = key;
	pp.busy = 1;
	pp.sent = mono();
	aredis_command(pp.ar, 1, 2, argv, NULL, on_scard, NULL);
}

static void
on_paused_timer(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { PM_PAUSED_EVERY, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	paused_send();
	evtimer_add(pp.timer, &tv);
}

/* A scrape: fresh enough, or no room to wait -- answered now. */
static void
on_scrape(void *arg, struct promhttp_wait *w)
{
	(void)arg;
	if ((!pp.busy && mono() - pp.sent < PM_PAUSED_FRESH) ||
	    pp.nwait == PM_WAIT_MAX) {
		promhttp_resume(w);
		return;
	}
	pp.wait[pp.nwait++] = w;
	paused_send();
}

void
pm_paused_start(struct event_base *base, const struct conf *conf,
    struct aredis *ar)
{
	struct timeval	 now = { 0, 0 };

	if (om.users_paused == NULL || http == NULL)
		return;
	pp.conf = conf;
	pp.ar = ar;
	pp.sent = mono() - PM_PAUSED_FRESH;
	if ((pp.timer = evtimer_new(base, on_paused_timer, NULL)) == NULL)
		fatal("evtimer_new failed");
	evtimer_add(pp.timer, &now);
	promhttp_hook(http, on_scrape, NULL);
}

void
pm_paused_stop(void)
{
	promhttp_hook(http, NULL, NULL);
	on_scard(NULL, NULL);
	if (pp.timer != NULL)
		event_free(pp.timer);
	memset(&pp, 0, sizeof(pp));
}
