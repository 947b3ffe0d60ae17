/*
 * rstore -- the daemon's asynchronous Redis client (hiredis 0.14 async on
 * libevent).  hiredis async has no command timeout, so each command gets
 * a timer of redis_timeout; when one fires the connection is considered
 * dead: the context is freed, which answers every pending command with a
 * NULL reply, and a reconnect is scheduled (backoff 100 ms doubling to
 * 5 s, reset only once AUTH and SELECT succeeded).  While Redis is down
 * commands fail at once (the callback runs before rstore_eval returns).  EVALSHA uses the locally computed SHA1; a
 * NOSCRIPT reply queues SCRIPT LOAD and the same EVALSHA once more.
 * After every connect: AUTH [user] password, SELECT db.
 * Errors are counted and logged, at most one line per 10 seconds.
 * rstore_connects counts the connections that completed AUTH and SELECT:
 * what a caller cached about the data may be stale once it changes.
 * rstore_free answers every command still in flight with NULL before it
 * returns: free the rstore before what those callbacks use.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "conf.h"
#include "log.h"
#include "policyd.h"
#include "redis.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define LOG_EVERY_S	10
#define NSHA		8

enum { RS_DOWN, RS_CONNECTING, RS_UP };

struct rstore {
	struct event_base	*base;
	const struct conf	*conf;
	struct redis_addr	 addr;
	redisAsyncContext	*ac;
	int			 state;
	int			 closing;	/* rstore_free: errors expected */
	int			 handshake;	/* AUTH/SELECT replies awaited */
	struct event		*retry;
	long			 backoff_ms;
	unsigned long		 errors, unlogged;
	unsigned long		 connects;	/* handshakes completed */
	time_t			 last_log;
	char			 last_error[256];
	struct {
		const char	*lua;
		char		 sha[41];
	}			 sha[NSHA];
};

struct rcmd {
	struct rstore		*rs;
	struct event		*timer;
	rstore_cb		*cb;
	void			*arg;
	const char		*lua;
	int			 argc;
	const char		*argv[RSTORE_MAXARGS + 3];
	size_t			 argvlen[RSTORE_MAXARGS + 3];
	char			 nkeys[16];
	int			 retried;
};

static void	connect_now(struct rstore *);

static void
rs_error(struct rstore *rs, const char *fmt, ...)
{
	va_list	 ap;
	time_t	 now = time(NULL);

	va_start(ap, fmt);
	vsnprintf(rs->last_error, sizeof(rs->last_error), fmt, ap);
	va_end(ap);
	rs->errors++;
	if (now - rs->last_log < LOG_EVERY_S) {
		rs->unlogged++;
		return;
	}
	log_err("redis error: %s (errors=%lu, %lu not logged since the last "
	    "line)", rs->last_error, rs->errors, rs->unlogged);
	rs->unlogged = 0;
	rs->last_log = now;
}

static void
schedule_retry(struct rstore *rs)
{
	struct timeval	 tv;

	rs->backoff_ms = rs->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    rs->backoff_ms * 2;
	if (rs->backoff_ms > BACKOFF_MAX_MS)
		rs->backoff_ms = BACKOFF_MAX_MS;
	tv.tv_sec = rs->backoff_ms / 1000;
	tv.tv_usec = (rs->backoff_ms % 1000) * 1000;
	evtimer_add(rs->retry, &tv);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_now(arg);
}

/* Connected and AUTH/SELECT accepted: only now is the backoff reset (a
 * wrong password would otherwise reconnect every BACKOFF_MIN_MS). */
static void
handshake_done(struct rstore *rs)
{
	if (rs->backoff_ms != 0)
		log_info("redis %s: connected", rs->conf->redis_address);
	rs->backoff_ms = 0;
	rs->connects++;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rstore	*rs = ac->data;

	if (status != REDIS_OK) {
		rs_error(rs, "connect %s: %s", rs->conf->redis_address,
		    ac->errstr);
		rs->ac = NULL;		/* hiredis frees it */
		rs->state = RS_DOWN;
		schedule_retry(rs);
		return;
	}
	rs->state = RS_UP;		/* commands queue behind AUTH, SELECT */
	if (rs->handshake == 0)
		handshake_done(rs);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rstore	*rs = ac->data;

	if (rs->ac != ac)
		return;
	rs->ac = NULL;
	rs->state = RS_DOWN;
	if (status != REDIS_OK)
		rs_error(rs, "%s: %s", rs->conf->redis_address, ac->errstr);
	schedule_retry(rs);
}

static void
on_handshake(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply	*rep = r;
	struct rstore	*rs = ac->data;

	if (rep == NULL || rs->ac != ac)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		rs_error(rs, "%s: %s", (const char *)priv, rep->str);
		rs->handshake = -1;	/* failed: no reset of the backoff */
		redisAsyncDisconnect(ac);
		return;
	}
	if (rs->handshake > 0 && --rs->handshake == 0)
		handshake_done(rs);
}

static void
connect_now(struct rstore *rs)
{
	const struct conf	*c = rs->conf;
	redisAsyncContext	*ac;

	if (rs->addr.unix_socket)
		ac = redisAsyncConnectUnix(rs->addr.path);
	else
		ac = redisAsyncConnect(rs->addr.host, rs->addr.port);
	if (ac == NULL || ac->err) {
		rs_error(rs, "connect %s: %s", c->redis_address,
		    ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		schedule_retry(rs);
		return;
	}
	ac->data = rs;
	rs->ac = ac;
	rs->state = RS_CONNECTING;
	rs->handshake = (*c->redis_username != '\0' ||
	    *c->redis_password != '\0') + (c->redis_db != 0);
	redisLibeventAttach(ac, rs->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (*c->redis_username != '\0')
		redisAsyncCommand(ac, on_handshake, "AUTH", "AUTH %s %s",
		    c->redis_username, c->redis_password);
	else if (*c->redis_password != '\0')
		redisAsyncCommand(ac, on_handshake, "AUTH", "AUTH %s",
		    c->redis_password);
	if (c->redis_db != 0)
		redisAsyncCommand(ac, on_handshake, "SELECT", "SELECT %ld",
		    c->redis_db);
}

struct rstore *
rstore_new(struct event_base *base, const struct conf *conf)
{
	struct rstore	*rs;
	char		 err[256];

	rs = xcalloc(1, sizeof(*rs));
	if (redis_addr_parse(conf->redis_address, &rs->addr, err,
	    sizeof(err)) < 0 || redis_addr_supported(&rs->addr,
	    conf->redis_address, err, sizeof(err)) < 0)
		fatal("%s", err);
	rs->base = base;
	rs->conf = conf;
	rs->retry = evtimer_new(base, on_retry, rs);
	connect_now(rs);
	return rs;
}

struct rstore *
rstore_free(struct rstore *rs)
{
	if (rs == NULL)
		return NULL;
	rs->closing = 1;
	if (rs->ac != NULL) {
		redisAsyncContext *ac = rs->ac;

		rs->ac = NULL;
		rs->state = RS_DOWN;
		redisAsyncFree(ac);
	}
	event_free(rs->retry);
	free(rs);
	return NULL;
}

static void
finish(struct rcmd *cmd, const redisReply *rep)
{
	evtimer_del(cmd->timer);
	event_free(cmd->timer);
	cmd->cb(rep, cmd->arg);
	free(cmd);
}

/* A command timed out: drop the connection, which fails every pending. */
static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct rcmd		*cmd = arg;
	struct rstore		*rs = cmd->rs;
	redisAsyncContext	*ac = rs->ac;

	(void)fd;
	(void)what;
	rs_error(rs, "%s: command timed out after %ld ms",
	    rs->conf->redis_address, rs->conf->redis_timeout);
	if (ac == NULL) {
		finish(cmd, NULL);
		return;
	}
	rs->ac = NULL;
	rs->state = RS_DOWN;
	redisAsyncFree(ac);		/* calls back cmd with NULL */
	schedule_retry(rs);
}

static void
send_cmd(struct rcmd *);

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct rcmd	*cmd = priv;
	redisReply	*rep = r;

	(void)ac;
	if (rep == NULL) {
		if (!cmd->rs->closing)
			rs_error(cmd->rs, "%s: connection lost",
			    cmd->rs->conf->redis_address);
		finish(cmd, NULL);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR && cmd->lua != NULL &&
	    !cmd->retried && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		cmd->retried = 1;
		redisAsyncCommand(ac, NULL, NULL, "SCRIPT LOAD %s", cmd->lua);
		send_cmd(cmd);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		rs_error(cmd->rs, "%s", rep->str);
		finish(cmd, NULL);
		return;
	}
	finish(cmd, rep);
}

static void
send_cmd(struct rcmd *cmd)
{
	struct rstore	*rs = cmd->rs;

	if (rs->ac == NULL || redisAsyncCommandArgv(rs->ac, on_reply, cmd,
	    cmd->argc, cmd->argv, cmd->argvlen) != REDIS_OK) {
		rs_error(rs, "%s: not connected", rs->conf->redis_address);
		finish(cmd, NULL);
	}
}

static const char *
sha_of(struct rstore *rs, const char *lua)
{
	int	 i;

	for (i = 0; i < NSHA; i++) {
		if (rs->sha[i].lua == lua)
			return rs->sha[i].sha;
		if (rs->sha[i].lua == NULL) {
			rs->sha[i].lua = lua;
			redis_script_sha(lua, rs->sha[i].sha);
			return rs->sha[i].sha;
		}
	}
	fatal("rstore: too many scripts");
}

void
rstore_eval(struct rstore *rs, const char *lua, int nkeys, int argc,
    const char (*argv)[DEC_ARGLEN], const size_t *argvlen, rstore_cb *cb,
    void *arg)
{
	const char	*av[DEC_MAXARGS];
	int		 i;

	for (i = 0; i < argc && i < DEC_MAXARGS; i++)
		av[i] = argv[i];
	rstore_evalv(rs, lua, nkeys, argc > DEC_MAXARGS ? RSTORE_MAXARGS + 1 :
	    argc, av, argvlen, cb, arg);
}

void
rstore_evalv(struct rstore *rs, const char *lua, int nkeys, int argc,
    const char **argv, const size_t *argvlen, rstore_cb *cb, void *arg)
{
	struct rcmd	*cmd;
	struct timeval	 tv;
	int		 i;

	if (rs->state == RS_DOWN || argc > RSTORE_MAXARGS) {
		rs_error(rs, "%s: not connected", rs->conf->redis_address);
		cb(NULL, arg);
		return;
	}
	cmd = xcalloc(1, sizeof(*cmd));
	cmd->rs = rs;
	cmd->cb = cb;
	cmd->arg = arg;
	cmd->lua = lua;
	snprintf(cmd->nkeys, sizeof(cmd->nkeys), "%d", nkeys);
	cmd->argv[0] = "EVALSHA";
	cmd->argvlen[0] = 7;
	cmd->argv[1] = sha_of(rs, lua);
	cmd->argvlen[1] = 40;
	cmd->argv[2] = cmd->nkeys;
	cmd->argvlen[2] = strlen(cmd->nkeys);
	for (i = 0; i < argc; i++) {
		cmd->argv[3 + i] = argv[i];
		cmd->argvlen[3 + i] = argvlen[i];
	}
	cmd->argc = argc + 3;
	cmd->timer = evtimer_new(rs->base, on_timeout, cmd);
	tv.tv_sec = rs->conf->redis_timeout / 1000;
	tv.tv_usec = (rs->conf->redis_timeout % 1000) * 1000;
	evtimer_add(cmd->timer, &tv);
	send_cmd(cmd);
}

void
rstore_cmdv(struct rstore *rs, int argc, const char (*argv)[DEC_ARGLEN],
    const size_t *argvlen, rstore_cb *cb, void *arg)
{
	struct rcmd	*cmd;
	struct timeval	 tv;
	int		 i;

	if (rs->state == RS_DOWN || argc > RSTORE_MAXARGS) {
		rs_error(rs, "%s: not connected", rs->conf->redis_address);
		cb(NULL, arg);
		return;
	}
	cmd = xcalloc(1, sizeof(*cmd));
	cmd->rs = rs;
	cmd->cb = cb;
	cmd->arg = arg;
	for (i = 0; i < argc; i++) {
		cmd->argv[i] = argv[i];
		cmd->argvlen[i] = argvlen[i];
	}
	cmd->argc = argc;
	cmd->timer = evtimer_new(rs->base, on_timeout, cmd);
	tv.tv_sec = rs->conf->redis_timeout / 1000;
	tv.tv_usec = (rs->conf->redis_timeout % 1000) * 1000;
	evtimer_add(cmd->timer, &tv);
	send_cmd(cmd);
}

unsigned long
rstore_errors(const struct rstore *rs)
{
	return rs->errors;
}

const char *
rstore_last_error(const struct rstore *rs)
{
	return rs->last_error;
}

unsigned long
rstore_connects(const struct rstore *rs)
{
	return rs->connects;
}

int
rstore_up(const struct rstore *rs)
{
	return rs->state == RS_UP;
}
