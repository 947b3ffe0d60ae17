/*
 * sentinel_watch -- the asynchronous Sentinel watcher of the daemons
 * (libevent + hiredis async); see sentinel.h.
 *
 * One round asks the sentinels in turn on one async context (w->rc):
 * connect, AUTH, SENTINEL get-master-addr-by-name; then the master it
 * names on the same slot: connect, AUTH, ROLE.  Each step of a context
 * runs under one redis_timeout timer.  A second context (w->sub) stays
 * SUBSCRIBEd to +switch-master on one sentinel.  Callbacks of a context
 * that is no longer current (w->rc or w->sub was reset before it was
 * freed) are ignored: that is how hiredis's "free calls every pending
 * callback with a NULL reply" is made harmless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "conf.h"
#include "errf.h"
#include "sentinel.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

struct sentinel_watch {
	struct event_base		*base;
	const struct conf		*conf;
	const struct redis_addr		*addr;
	sentinel_cb			*cb;
	void				*arg;
	int				 known;
	struct redis_node		 master;
	char				 errstr[1024];
	/* the resolution round */
	redisAsyncContext		*rc;
	int				 busy, idx, on_master;
	struct redis_node		 cand;
	struct event			*timer, *retry;
	long				 backoff_ms;
	/* the +switch-master subscription */
	redisAsyncContext		*sub;
	int				 sub_idx;
	struct event			*sub_timer, *sub_retry;
};

static void	try_sentinel(struct sentinel_watch *);
static void	on_connect(const redisAsyncContext *, int);
static void	sub_lost(struct sentinel_watch *);

static void
arm(struct event *ev, long ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Forget a context: its later callbacks see it is not current. */
static void
close_ctx(redisAsyncContext **acp)
{
	redisAsyncContext	*ac = *acp;

	*acp = NULL;
	if (ac != NULL)
		redisAsyncFree(ac);
}

static redisAsyncContext *
dial(struct sentinel_watch *w, const struct redis_node *n,
    void (*ondisc)(const redisAsyncContext *, int))
{
	redisAsyncContext	*ac;

	ac = redisAsyncConnect(n->host, n->port);
	if (ac == NULL || ac->err || redisLibeventAttach(ac, w->base) !=
	    REDIS_OK) {
		if (ac != NULL)
			redisAsyncFree(ac);
		return NULL;
	}
	ac->data = w;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, ondisc);
	return ac;
}

/* ---------------------------------------------------------- resolution */

static void
fail_step(struct sentinel_watch *w, const char *why)
{
	const struct redis_node	*s = &w->addr->seeds[w->idx];
	size_t			 n = strlen(w->errstr);

	if (n + 1 < sizeof(w->errstr))
		snprintf(w->errstr + n, sizeof(w->errstr) - n, "%s%s:%d: "
		    "%s%s%.200s", n > 0 ? "; " : "", s->host, s->port,
		    w->on_master ? "master " : "", w->on_master ? w->cand.host :
		    "", why);
	evtimer_del(w->timer);
	close_ctx(&w->rc);
	w->idx++;
	try_sentinel(w);
}

static void
on_disc(const redisAsyncContext *ac, int status)
{
	struct sentinel_watch	*w = ac->data;

	(void)status;
	if (w != NULL && ac == w->rc) {
		w->rc = NULL;		/* hiredis frees it */
		fail_step(w, "connection lost");
	}
}

/*
 * A failed connect: hiredis frees the context without calling the
 * disconnect callback, so forget it here first.
 */
static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct sentinel_watch	*w = ac->data;
	char			 why[300];

	if (status == REDIS_OK || w == NULL)
		return;
	snprintf(why, sizeof(why), "%s", ac->errstr);
	if (ac == w->rc) {
		w->rc = NULL;
		fail_step(w, why);
	} else if (ac == w->sub) {
		w->sub = NULL;
		sub_lost(w);
	}
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fail_step(arg, "timeout");
}

static void
on_auth(redisAsyncContext *ac, void *r, void *arg)
{
	struct sentinel_watch	*w = arg;
	redisReply		*rep = r;
	char			 why[300];

	if (ac != w->rc || rep == NULL || rep->type != REDIS_REPLY_ERROR)
		return;
	snprintf(why, sizeof(why), "AUTH: %.200s", rep->str);
	fail_step(w, why);
}

static void
auth(struct sentinel_watch *w, const char *user, const char *pw)
{
	if (*pw == '\0')
		return;
	if (*user != '\0')
		redisAsyncCommand(w->rc, on_auth, w, "AUTH %s %s", user, pw);
	else
		redisAsyncCommand(w->rc, on_auth, w, "AUTH %s", pw);
}

static void
on_role(redisAsyncContext *ac, void *r, void *arg)
{
	struct sentinel_watch	*w = arg;
	char			 why[256];

	if (ac != w->rc || r == NULL)
		return;
	if (sentinel_parse_role(r, why, sizeof(why)) < 0) {
		fail_step(w, why);
		return;
	}
	evtimer_del(w->timer);
	close_ctx(&w->rc);
	w->busy = 0;
	w->backoff_ms = 0;
	w->known = 1;
	w->master = w->cand;
	w->errstr[0] = '\0';
	w->cb(w->master.host, w->master.port, w->arg);
}

static void
on_query(redisAsyncContext *ac, void *r, void *arg)
{
	struct sentinel_watch	*w = arg;
	char			 why[256];

	if (ac != w->rc || r == NULL)
		return;
	if (sentinel_parse_master(r, &w->cand, why, sizeof(why)) < 0) {
		fail_step(w, why);
		return;
	}
	evtimer_del(w->timer);
	close_ctx(&w->rc);
	w->on_master = 1;
	if ((w->rc = dial(w, &w->cand, on_disc)) == NULL) {
		fail_step(w, "cannot connect");
		return;
	}
	auth(w, w->conf->redis_username, w->conf->redis_password);
	redisAsyncCommand(w->rc, on_role, w, "ROLE");
	arm(w->timer, w->conf->redis_timeout);
}

static void
round_failed(struct sentinel_watch *w)
{
	w->busy = 0;
	w->known = 0;
	w->backoff_ms = w->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    w->backoff_ms * 2;
	if (w->backoff_ms > BACKOFF_MAX_MS)
		w->backoff_ms = BACKOFF_MAX_MS;
	arm(w->retry, w->backoff_ms);
	w->cb(NULL, 0, w->arg);
}

static void
try_sentinel(struct sentinel_watch *w)
{
	const struct redis_addr	*a = w->addr;

	w->on_master = 0;
	if (w->idx >= a->nseeds) {
		round_failed(w);
		return;
	}
	if ((w->rc = dial(w, &a->seeds[w->idx], on_disc)) == NULL) {
		fail_step(w, "cannot connect");
		return;
	}
	auth(w, w->conf->redis_sentinel_username,
	    w->conf->redis_sentinel_password);
	redisAsyncCommand(w->rc, on_query, w,
	    "SENTINEL get-master-addr-by-name %s", a->master);
	arm(w->timer, w->conf->redis_timeout);
}

static void
start_round(struct sentinel_watch *w)
{
	w->busy = 1;
	w->idx = 0;
	w->errstr[0] = '\0';
	try_sentinel(w);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_round(arg);
}

void
sentinel_watch_resolve(struct sentinel_watch *w)
{
	w->known = 0;
	if (!w->busy && !evtimer_pending(w->retry, NULL))
		start_round(w);
}

/* -------------------------------------------------------- subscription */

static void
sub_lost(struct sentinel_watch *w)
{
	evtimer_del(w->sub_timer);
	close_ctx(&w->sub);
	w->sub_idx = (w->sub_idx + 1) % w->addr->nseeds;
	arm(w->sub_retry, BACKOFF_MIN_MS);
	sentinel_watch_resolve(w);	/* a switch may have been missed */
}

static void
on_sub_disc(const redisAsyncContext *ac, int status)
{
	struct sentinel_watch	*w = ac->data;

	(void)status;
	if (w != NULL && ac == w->sub) {
		w->sub = NULL;		/* hiredis frees it */
		sub_lost(w);
	}
}

static void
on_sub_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sub_lost(arg);
}

static void
on_sub_auth(redisAsyncContext *ac, void *r, void *arg)
{
	struct sentinel_watch	*w = arg;
	redisReply		*rep = r;

	if (ac == w->sub && rep != NULL && rep->type == REDIS_REPLY_ERROR)
		sub_lost(w);
}

static void
on_sub_msg(redisAsyncContext *ac, void *r, void *arg)
{
	struct sentinel_watch	*w = arg;
	struct redis_node	 n;
	int			 rc;

	if (ac != w->sub || r == NULL)
		return;
	if ((rc = sentinel_parse_message(r, w->addr->master, &n)) < 0) {
		sub_lost(w);
		return;
	}
	evtimer_del(w->sub_timer);	/* subscribed: idle is normal now */
	if (rc == 0 || (w->known && strcmp(n.host, w->master.host) == 0 &&
	    n.port == w->master.port))
		return;
	w->known = 1;
	w->master = n;
	w->cb(n.host, n.port, w->arg);
}

static void
sub_connect(evutil_socket_t fd, short what, void *arg)
{
	struct sentinel_watch	*w = arg;
	const struct conf	*c = w->conf;

	(void)fd;
	(void)what;
	if ((w->sub = dial(w, &w->addr->seeds[w->sub_idx],
	    on_sub_disc)) == NULL) {
		w->sub_idx = (w->sub_idx + 1) % w->addr->nseeds;
		arm(w->sub_retry, BACKOFF_MAX_MS / 5);
		return;
	}
	if (*c->redis_sentinel_password != '\0') {
		if (*c->redis_sentinel_username != '\0')
			redisAsyncCommand(w->sub, on_sub_auth, w, "AUTH %s %s",
			    c->redis_sentinel_username,
			    c->redis_sentinel_password);
		else
			redisAsyncCommand(w->sub, on_sub_auth, w, "AUTH %s",
			    c->redis_sentinel_password);
	}
	redisAsyncCommand(w->sub, on_sub_msg, w, "SUBSCRIBE +switch-master");
	arm(w->sub_timer, c->redis_timeout);
}

/* ------------------------------------------------------------- API */

struct sentinel_watch *
sentinel_watch_new(struct event_base *base, const struct conf *conf,
    const struct redis_addr *addr, sentinel_cb *cb, void *arg)
{
	struct sentinel_watch	*w;

	if (addr->kind != REDIS_ADDR_SENTINEL || addr->nseeds < 1 ||
	    (w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->base = base;
	w->conf = conf;
	w->addr = addr;
	w->cb = cb;
	w->arg = arg;
	w->timer = evtimer_new(base, on_timeout, w);
	w->retry = evtimer_new(base, on_retry, w);
	w->sub_timer = evtimer_new(base, on_sub_timeout, w);
	w->sub_retry = evtimer_new(base, sub_connect, w);
	if (w->timer == NULL || w->retry == NULL || w->sub_timer == NULL ||
	    w->sub_retry == NULL)
		return sentinel_watch_free(w);
	arm(w->retry, 0);		/* cb never runs inside _new */
	arm(w->sub_retry, 0);
	return w;
}

struct sentinel_watch *
sentinel_watch_free(struct sentinel_watch *w)
{
	struct event	*ev[4];
	int		 i;

	if (w == NULL)
		return NULL;
	close_ctx(&w->rc);
	close_ctx(&w->sub);
	ev[0] = w->timer;
	ev[1] = w->retry;
	ev[2] = w->sub_timer;
	ev[3] = w->sub_retry;
	for (i = 0; i < 4; i++)
		if (ev[i] != NULL)
			event_free(ev[i]);
	free(w);
	return NULL;
}

int
sentinel_watch_master(const struct sentinel_watch *w, struct redis_node *n)
{
	if (!w->known)
		return -1;
	*n = w->master;
	return 0;
}

const char *
sentinel_watch_errstr(const struct sentinel_watch *w)
{
	return w->errstr;
}
