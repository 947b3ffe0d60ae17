/*
 * server -- connections and the event loop of outpost-policyd.
 *
 * Single-threaded libevent loop, non-blocking sockets.  Each connection
 * holds at most one request in flight (Postfix sends one at a time; a
 * client that pipelines gets its answers in order because the next
 * request is parsed only after the previous reply is queued).  The input
 * buffer never grows past POL_REQUEST_MAX + READ_CHUNK: beyond that the
 * parser has already called the request malformed.  Unsent replies never
 * grow much past OUT_MAX: while that much waits for a client that does
 * not read, its connection is neither read nor parsed; the write event
 * resumes it once the backlog drains.  A request is judged only when
 * Redis carries the schema marker (mark.c); without it on_error answers.
 * Malformed request: logged,
 * connection closed without a reply.  Connections close after
 * policyd_idle_timeout idle, or stuck that long with replies the client
 * does not read.  A request must arrive whole within REQ_TIME_MS (or
 * policyd_idle_timeout when shorter) of the moment the daemon starts
 * waiting for it (its first byte, or the reply to the one before): a
 * client trickling bytes (slowloris) would otherwise hold a connection and
 * up to IN_MAX bytes of input for as long as it likes, since every byte
 * restarts the idle timer.  SIGTERM/SIGINT: listeners close, idle
 * connections close, busy ones close once their reply is written, then
 * the loop ends -- at the latest redis_timeout + DRAIN_GRACE_MS after the
 * signal (a client that does not read its reply would hold it forever):
 * what is left then is closed by server_free.
 *
 *   server_new(base, conf, err, errlen)   NULL on error
 *   server_listen(s, err, errlen)         bind every policyd_listen address
 *                                         (listen.c)
 *   server_run(s)                         loop until drained
 *   server_free(s)                        NULL-safe, returns NULL
 */
#include <sys/socket.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "aredis.h"
#include "conf.h"
#include "log.h"
#include "ometrics.h"
#include "policyd.h"
#include "pscript.h"
#include "xmalloc.h"

#define READ_CHUNK	16384
#define IN_MAX		(POL_REQUEST_MAX + READ_CHUNK)
#define OUT_MAX		65536		/* unsent replies: stop reading */
#define DRAIN_GRACE_MS	5000		/* after redis_timeout */
#define REQ_TIME_MS	10000		/* a started request: all of it */
#define REDIS_LOG_EVERY_S 10		/* at most a Redis error line per */

struct conn {
	struct server	*srv;
	int		 fd;
	struct event	*rev, *wev, *next, *slow;
	char		*in, *out;
	size_t		 inoff, inlen, outlen, outcap;
	int		 busy, eof, dead;	/* dead: drop replies, close */
	struct dec_call	*call;
	char		 peer[64];	/* "[addr]:port" or "unix" */
	char		 instance[64], user[256];
	int		 rcpt_ok, eom_seen;
	int		 failed;	/* on_error answers (metrics) */
	struct timespec	 t0;		/* request read (metrics) */
	int		 pending;	/* replies awaited for this request */
	int		 gdone, gfail;	/* global lookups answered, failed */
	int		 fellback;	/* the script ran with a fetched plan */
	redisReply	*held;		/* script reply before the lookups' */
	redisReply	*planh;		/* fetched plan (HGETALL) */
	redisReply	*planm;		/* ... and whether it exists */
	int		 plans;		/* of these two, replies awaited */
	int		 planfail;	/* one of them failed */
	struct conn	*prevc, *nextc;
	/* then CONN_EVENTS struct events (event_assign), in one cpool slot */
};
#define CONN_EVENTS	4
#define CONN_SIZE	((sizeof(struct conn) + 15) & ~(size_t)15)

struct server {
	struct event_base	*base;
	const struct conf	*conf;
	struct aredis		*ar;
	struct mark		*mark;
	struct sweep		*sweep;
	struct track		*track;
	struct listener		*lsn;
	struct event		*sigterm, *sigint, *deadline;
	struct conn		*conns;
	struct cpool		*pool;		/* struct conn + events */
	char			 scratch[READ_CHUNK];
	struct timeval		 idle, reqtime;
	int			 draining;
	unsigned long		 nconns;
	unsigned long		 on_error;	/* answered by on_error */
	unsigned long		 rerrors, unlogged;	/* Redis errors */
	time_t			 rlogged;	/* last Redis error line */
	char			 host[256];	/* for the delivery log */
};

static void	conn_process(struct conn *);

/* Close c; -1 once it is freed, 0 when a reply is still pending (busy:
 * closed after it). */
static int
conn_close(struct conn *c)
{
	struct server	*s = c->srv;

	if (c->busy) {
		c->eof = 1;
		event_del(c->rev);
		return 0;
	}
	track_transaction(s->track, c->user, c->rcpt_ok, c->eom_seen);
	event_del(c->rev);
	event_del(c->wev);
	event_del(c->next);
	event_del(c->slow);
	close(c->fd);
	if (c->prevc != NULL)
		c->prevc->nextc = c->nextc;
	else
		s->conns = c->nextc;
	if (c->nextc != NULL)
		c->nextc->prevc = c->prevc;
	free(c->in);
	free(c->out);
	free(c->call);
	dec_reply_free(c->held);
	dec_reply_free(c->planh);
	dec_reply_free(c->planm);
	cpool_put(s->pool, c);
	s->nconns--;
	if (s->draining && s->conns == NULL)
		event_base_loopexit(s->base, NULL);
	return -1;
}

/* Write what is pending; -1 when the connection was closed (freed).  A
 * client that reads nothing for policyd_idle_timeout: on_write closes. */
static int
conn_flush(struct conn *c)
{
	ssize_t	 n;

	if (c->dead)
		c->outlen = 0;
	while (c->outlen > 0) {
		n = write(c->fd, c->out, c->outlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			event_add(c->wev, &c->srv->idle);
			return 0;
		}
		if (n <= 0) {
			c->outlen = 0;
			c->eof = c->dead = 1;
			break;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	event_del(c->wev);
	free(c->out);
	c->out = NULL;
	c->outcap = 0;
	if (c->eof || c->srv->draining)
		return conn_close(c);
	return 0;
}

static void
conn_reply(struct conn *c, const char *action)
{
	size_t	 need = strlen(action) + 10;

	if (c->dead)
		return;
	if (c->outlen + need > c->outcap) {
		c->outcap = (c->outlen + need) * 2;
		c->out = xrealloc(c->out, c->outcap);
	}
	c->outlen += (size_t)snprintf(c->out + c->outlen, c->outcap -
	    c->outlen, "action=%s\n\n", action);
}

/* The transaction tracking of track.c, per connection. */
static void
conn_track(struct conn *c, const struct pol_request *r)
{
	if (*r->sasl_username == '\0')
		return;
	if (strncmp(c->instance, r->instance, sizeof(c->instance) - 1) != 0 ||
	    strncmp(c->user, r->sasl_username, sizeof(c->user) - 1) != 0) {
		track_transaction(c->srv->track, c->user, c->rcpt_ok,
		    c->eom_seen);
		snprintf(c->instance, sizeof(c->instance), "%s", r->instance);
		snprintf(c->user, sizeof(c->user), "%s", r->sasl_username);
		c->rcpt_ok = c->eom_seen = 0;
	}
	if (strcmp(r->protocol_state, "END-OF-MESSAGE") == 0)
		c->eom_seen = 1;
}

/* Answer the request in flight with action; the next may start. */
static void
conn_answer(struct conn *c, const char *action)
{
	c->busy = 0;
	free(c->call);			/* idle connections hold no buffers */
	c->call = NULL;
	pm_answer(action, c->failed, &c->t0);
	c->failed = 0;
	conn_reply(c, action);
	event_active(c->next, EV_TIMEOUT, 0);
}

/*
 * A refusal of outpost's into the delivery log (record.c): only what the
 * client was told (a dry-run refusal became DUNNO), never on_error's
 * answer to a Redis failure.  The write is queued on the Redis
 * connection and nothing waits for it; the reply goes out as before.
 */
static void
record(struct conn *c, const redisReply *rep, const char *action)
{
	const char	*why;

	if (strcmp(action, "DUNNO") == 0 ||
	    (why = dec_refusal(c->call, rep)) == NULL)
		return;
	rec_refusal(c->srv->ar, c->srv->conf, c->srv->host, c->call, why,
	    action);
}

static void
on_result(const redisReply *rep, void *arg)
{
	struct conn	*c = arg;
	char		 action[1024], plan[256], line[512];

	dec_reply(c->srv->conf, c->call, rep, action, sizeof(action));
	if (dec_dry(c->srv->conf, c->call, rep)) {
		log_info("%s%suser=%s client=%s stage=%s dry run, would refuse: "
		    "action=\"%s\"", c->call->queue_id, c->call->queue_id[0] ?
		    ": " : "", c->call->user, c->peer, c->call->stage ==
		    DEC_RCPT ? "RCPT" : "END-OF-MESSAGE", action);
		snprintf(action, sizeof(action), "DUNNO");
	}
	if (dec_counted(c->call, rep, line, sizeof(line)))
		log_info("%s", line);
	if (c->call->stage == DEC_RCPT && strcmp(action, "DUNNO") == 0 &&
	    rep != NULL)
		c->rcpt_ok = 1;
	if (dec_noplan(c->call, rep, plan, sizeof(plan)))
		track_noplan(c->srv->track, c->call->user, plan);
	/* Redis failed: on_redis logs that, rate-limited; here it is counted,
	 * or an outage would log a line per request. */
	if (dec_refund_dup(c->call, rep))
		log_warn("%s: user=%s: a refund record of this queue ID "
		    "exists already (the same queue ID on another MTA?): "
		    "message counted, but a refund cannot give it back",
		    c->call->queue_id, c->call->user);
	if (rep == NULL && c->call->stage != DEC_DUNNO && c->call->argc > 0)
		c->srv->on_error++, c->failed = 1;
	else if (strcmp(action, "DUNNO") != 0)
		log_info("%s%suser=%s client=%s stage=%s action=\"%s\"",
		    c->call->queue_id, c->call->queue_id[0] ? ": " : "",
		    c->call->user, c->peer, c->call->stage == DEC_RCPT ?
		    "RCPT" : "END-OF-MESSAGE", action);
	record(c, rep, action);
	conn_answer(c, action);
}

/*
 * One decision, one round trip: the global suppression lookups (RCPT)
 * and the script go out together, each one slot (lib/schema.h); the
 * last reply to arrive answers.  A reply the script gives before the
 * lookups' is kept (dec_reply_copy): in a Cluster they come from other
 * nodes, in any order.  A failed lookup answers on_error: "not
 * suppressed" is not known.  "needplan" (no copy of the plan's limits
 * in the user) fetches the plan and runs the script once more.
 */
static void	on_script(const redisReply *, void *);

static void
settle(struct conn *c, const redisReply *rep)
{
	if (--c->pending > 0)
		return;
	on_result(c->gfail ? NULL : rep != NULL ? rep : c->held, c);
	c->held = dec_reply_free(c->held);
	c->planh = dec_reply_free(c->planh);
	c->planm = dec_reply_free(c->planm);
}

static void
on_global(const redisReply *rep, void *arg)
{
	struct conn	*c = arg;

	if (dec_global(c->call, c->gdone++, rep) < 0)
		c->gfail = 1;
	settle(c, NULL);
}

static void
run_script(struct conn *c)
{
	const char	*argv[DEC_MAXARGS];
	int		 i;

	for (i = 0; i < c->call->argc && i < DEC_MAXARGS; i++)
		argv[i] = c->call->argv[i];
	aredis_eval(c->srv->ar, c->call->stage == DEC_RCPT ? pscript_rcpt :
	    pscript_eom, c->call->nkeys, i, argv, c->call->argvlen,
	    on_script, c);
}

/* A plain command of dec_call (its key is argv[1]). */
static void
run_cmd(struct conn *c, const struct dec_cmd *d, aredis_cb *cb)
{
	const char	*argv[3];
	int		 i;

	for (i = 0; i < d->argc && i < 3; i++)
		argv[i] = d->argv[i];
	aredis_command(c->srv->ar, 1, i, argv, d->argvlen, cb, c);
}

/*
 * The plan's definition (HGETALL) and whether it exists (SISMEMBER): in
 * a Cluster two slots, two nodes, so the replies come in any order; the
 * last one runs the script again.
 */
static void
plan_fetched(struct conn *c)
{
	if (--c->plans > 0)
		return;
	if (c->planfail || c->planh == NULL || c->planm == NULL ||
	    dec_fallback(c->call, c->call->fbplan, c->planh, c->planm) < 0) {
		settle(c, NULL);	/* NULL: on_error */
		return;
	}
	run_script(c);
}

static void
on_plan_limits(const redisReply *rep, void *arg)
{
	struct conn	*c = arg;

	if (rep == NULL)
		c->planfail = 1;
	else
		c->planh = dec_reply_copy(rep);
	plan_fetched(c);
}

static void
on_plan_member(const redisReply *rep, void *arg)
{
	struct conn	*c = arg;

	if (rep == NULL)
		c->planfail = 1;
	else
		c->planm = dec_reply_copy(rep);
	plan_fetched(c);
}

static void
fetch_plan(struct conn *c, const redisReply *rep)
{
	int	 n;

	n = dec_needplan(c->srv->conf, c->call, rep, c->call->fbplan,
	    sizeof(c->call->fbplan));
	c->fellback = 1;
	track_fallback(c->srv->track, c->call->fbplan, c->call->user);
	if (n < 0) {			/* no such plan name: none */
		if (dec_fallback(c->call, c->call->fbplan, NULL, NULL) < 0) {
			settle(c, NULL);
			return;
		}
		run_script(c);
		return;
	}
	c->plans = 2;
	c->planfail = 0;
	run_cmd(c, &c->call->plan[0], on_plan_limits);
	run_cmd(c, &c->call->plan[1], on_plan_member);
}

static void
on_script(const redisReply *rep, void *arg)
{
	struct conn	*c = arg;
	char		 plan[8];

	if (!c->fellback && dec_needplan(c->srv->conf, c->call, rep, plan,
	    sizeof(plan)) != 0) {
		fetch_plan(c, rep);
		return;
	}
	if (c->pending > 1 && rep != NULL)
		c->held = dec_reply_copy(rep);
	settle(c, c->pending > 1 ? NULL : rep);
}

static void
judge(struct conn *c)
{
	int	 i;

	c->pending = 1 + c->call->nglobal;
	c->gdone = c->gfail = c->fellback = 0;
	for (i = 0; i < c->call->nglobal; i++)
		run_cmd(c, &c->call->global[i], on_global);
	run_script(c);
}

/* The schema marker's verdict (mark.c): judge, or on_error.  A missing
 * marker is logged by mark.c once, not here per request. */
static void
on_marked(int st, void *arg)
{
	struct conn	*c = arg;
	char		 action[DEC_REPLY_MAX + 1];

	if (st == MARK_ERROR) {
		on_result(NULL, c);
		return;
	}
	if (st == MARK_MISSING) {
		c->srv->on_error++, c->failed = 1;
		dec_unmarked(c->srv->conf, action, sizeof(action));
		conn_answer(c, action);
		return;
	}
	judge(c);
}

/* Parse and start requests while there is room for their replies; 1 when
 * it stopped at OUT_MAX (more may follow once the client reads). */
static int
conn_parse(struct conn *c)
{
	struct pol_request	 req;
	char			 err[256];
	size_t			 used;
	int			 rc;

	while (!c->busy && !c->eof) {
		if (c->outlen >= OUT_MAX)
			return 1;
		rc = pol_parse(c->in + c->inoff, c->inlen - c->inoff, &req,
		    &used, err, sizeof(err));
		if (rc == 0)
			break;
		if (rc < 0) {
			log_warn("client=%s: malformed policy request (%s); "
			    "closing the connection", c->peer, err);
			c->eof = c->dead = 1;
			break;
		}
		conn_track(c, &req);
		if (c->call == NULL)
			c->call = xmalloc(sizeof(*c->call));
		dec_prepare(c->srv->conf, &req, 0, c->call);
		clock_gettime(CLOCK_MONOTONIC, &c->t0);
		c->inoff += used;
		if (c->call->stage == DEC_DUNNO || c->call->argc == 0) {
			on_result(NULL, c);
			continue;
		}
		c->busy = 1;
		mark_check(c->srv->mark, on_marked, c);
	}
	return 0;
}

static void
conn_process(struct conn *c)
{
	int	 capped;

	do {
		capped = conn_parse(c);
		if (conn_flush(c) < 0)
			return;
	} while (capped && c->outlen < OUT_MAX);
	if (c->inoff > 0) {		/* consumed requests leave at once */
		memmove(c->in, c->in + c->inoff, c->inlen - c->inoff);
		c->inlen -= c->inoff;
		c->inoff = 0;
		evtimer_del(c->slow);	/* the next one has its own time */
	}
	if (c->outlen >= OUT_MAX)	/* on_write resumes */
		event_del(c->rev);
	else if (!c->busy && c->inlen < IN_MAX && !c->eof)
		event_add(c->rev, &c->srv->idle);
	/* Waiting for the rest of a request: its deadline runs. */
	if (c->busy || c->inlen == 0 || c->outlen >= OUT_MAX || c->eof)
		evtimer_del(c->slow);
	else if (!evtimer_pending(c->slow, NULL))
		evtimer_add(c->slow, &c->srv->reqtime);
	if (!c->busy && c->inlen == 0) {
		free(c->in);
		c->in = NULL;
	}
}

static void
on_next(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_process(arg);
}

/* A request not complete within its time (slowloris): close. */
static void
on_slow(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->busy)
		return;
	log_info("client=%s: request not complete within %ld ms (%zu bytes "
	    "of it), closing", c->peer, (long)(c->srv->reqtime.tv_sec * 1000 +
	    c->srv->reqtime.tv_usec / 1000), c->inlen);
	c->dead = c->eof = 1;
	c->outlen = 0;
	conn_close(c);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		log_info("client=%s: replies not read for %ld ms, closing",
		    c->peer, c->srv->conf->policyd_idle_timeout);
		c->dead = c->eof = 1;
		c->outlen = 0;
		conn_close(c);
		return;
	}
	conn_process(c);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n;

	if (what & EV_TIMEOUT) {
		if (c->busy)
			return;
		log_info("client=%s: idle for %ld ms, closing", c->peer,
		    c->srv->conf->policyd_idle_timeout);
		conn_close(c);
		return;
	}
	/* Read into the server's scratch buffer, keep only what arrived:
	 * an idle connection holds no input buffer at all. */
	n = read(fd, c->srv->scratch, IN_MAX - c->inlen < READ_CHUNK ?
	    IN_MAX - c->inlen : READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->eof = 1;
		conn_close(c);
		return;
	}
	c->in = xrealloc(c->in, c->inlen + (size_t)n);
	memcpy(c->in + c->inlen, c->srv->scratch, (size_t)n);
	c->inlen += (size_t)n;
	if (c->inlen == IN_MAX)
		event_del(c->rev);
	conn_process(c);
}

static void
peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[48], port[8];

	snprintf(buf, len, "unix");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    ss.ss_family != AF_UNIX &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(buf, len, "[%s]:%s", host, port);
}

/* A connection accepted by listen.c. */
static void
on_conn(int fd, void *arg)
{
	struct server	*s = arg;
	struct conn	*c;
	char		*ev;
	size_t		 evsize = event_get_struct_event_size();

	c = cpool_get(s->pool);
	c->srv = s;
	c->fd = fd;
	peer_name(fd, c->peer, sizeof(c->peer));
	ev = (char *)c + CONN_SIZE;
	c->rev = (struct event *)ev;
	c->wev = (struct event *)(ev + evsize);
	c->next = (struct event *)(ev + 2 * evsize);
	c->slow = (struct event *)(ev + 3 * evsize);
	event_assign(c->rev, s->base, fd, EV_READ | EV_PERSIST, on_read, c);
	event_assign(c->wev, s->base, fd, EV_WRITE, on_write, c);
	event_assign(c->next, s->base, -1, 0, on_next, c);
	evtimer_assign(c->slow, s->base, on_slow, c);
	event_add(c->rev, &s->idle);
	c->nextc = s->conns;
	if (s->conns != NULL)
		s->conns->prevc = c;
	s->conns = c;
	s->nconns++;
}

int
server_listen(struct server *s, char *err, size_t errlen)
{
	s->lsn = lsn_open(s->base, s->conf, on_conn, s, err, errlen);
	return s->lsn != NULL ? 0 : -1;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server	*s = arg;
	struct conn	*c, *nc;
	struct timeval	 tv;
	long		 ms;

	(void)what;
	if (s->draining)
		return;
	log_info("signal %d: closing listeners, draining %lu connection(s)",
	    (int)sig, s->nconns);
	s->draining = 1;
	s->lsn = lsn_free(s->lsn);
	for (c = s->conns; c != NULL; c = nc) {
		nc = c->nextc;
		if (!c->busy && c->outlen == 0)
			conn_close(c);
	}
	if (s->conns == NULL)
		event_base_loopexit(s->base, NULL);
	else {
		ms = s->conf->redis_timeout + DRAIN_GRACE_MS;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(s->deadline, &tv);
	}
}

/* Draining took too long: clients that do not read their replies. */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)what;
	log_warn("drain: %lu connection(s) still open %ld ms after the "
	    "signal (replies not read); closing them", s->nconns,
	    s->conf->redis_timeout + DRAIN_GRACE_MS);
	event_base_loopexit(s->base, NULL);
}

struct server *
server_new(struct event_base *base, const struct conf *conf, char *err,
    size_t errlen)
{
	struct server	*s;
	long		 ms;

	(void)err;
	(void)errlen;
	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->conf = conf;
	if (gethostname(s->host, sizeof(s->host) - 1) < 0)
		snprintf(s->host, sizeof(s->host), "localhost");
	s->idle.tv_sec = conf->policyd_idle_timeout / 1000;
	s->idle.tv_usec = (conf->policyd_idle_timeout % 1000) * 1000;
	ms = conf->policyd_idle_timeout < REQ_TIME_MS ?
	    conf->policyd_idle_timeout : REQ_TIME_MS;
	s->reqtime.tv_sec = ms / 1000;
	s->reqtime.tv_usec = (ms % 1000) * 1000;
	s->track = track_new();
	s->pool = cpool_new(CONN_SIZE + CONN_EVENTS *
	    event_get_struct_event_size());
	s->sigterm = evsignal_new(base, SIGTERM, on_signal, s);
	s->sigint = evsignal_new(base, SIGINT, on_signal, s);
	s->deadline = evtimer_new(base, on_deadline, s);
	event_add(s->sigterm, NULL);
	event_add(s->sigint, NULL);
	return s;
}

/* lib/aredis's errors: at most one line per REDIS_LOG_EVERY_S, counting
 * what was left out (an outage would otherwise log a line per request). */
static void
on_redis(void *arg, int what, const char *text)
{
	struct server	*s = arg;
	time_t		 now = time(NULL);

	if (what == AREDIS_UP) {
		log_info("%s", text);
		return;
	}
	s->rerrors++;
	prom_inc(om.redis_errors, "policyd", NULL);
	if (now - s->rlogged < REDIS_LOG_EVERY_S) {
		s->unlogged++;
		return;
	}
	log_err("redis error: %s (errors=%lu, %lu not logged since the last "
	    "line)", text, s->rerrors, s->unlogged);
	s->unlogged = 0;
	s->rlogged = now;
}

void
server_run(struct server *s)
{
	char	 err[256];

	if ((s->ar = aredis_new(s->base, s->conf, on_redis, s, err,
	    sizeof(err))) == NULL)
		fatal("%s", err);
	s->mark = mark_new(s->conf, s->ar);
	s->sweep = sweep_new(s->base, s->conf, s->ar, 0);
	pm_paused_start(s->base, s->conf, s->ar);
	event_base_dispatch(s->base);
	log_info("stopped; redis errors=%lu, requests answered by "
	    "on_error=%lu", aredis_errors(s->ar), s->on_error);
}

struct server *
server_free(struct server *s)
{
	if (s == NULL)
		return NULL;
	/* Redis first: freeing it answers the commands still in flight (NULL
	 * replies), and their callbacks use the connections and the sweep. */
	s->ar = aredis_free(s->ar);
	s->mark = mark_free(s->mark);
	pm_paused_stop();
	while (s->conns != NULL) {
		s->conns->busy = 0;
		conn_close(s->conns);
	}
	s->lsn = lsn_free(s->lsn);
	s->sweep = sweep_free(s->sweep);
	s->track = track_free(s->track);
	s->pool = cpool_free(s->pool);
	event_free(s->sigterm);
	event_free(s->sigint);
	event_free(s->deadline);

	free(s);
	return NULL;
}
