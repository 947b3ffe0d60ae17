/*
 * aredis -- asynchronous hiredis 0.14 client on libevent: connect,
 * handshake, reconnect with backoff, per-command timeouts, EVALSHA with
 * NOSCRIPT reload; see aredis.h.
 *
 * A command is one allocation: struct acmd, its timer (a struct event of
 * libevent's size, event_assign'd) and its RESP encoding, sent with
 * redisAsyncFormattedCommand (hiredis appends it to its output buffer; it
 * formats nothing itself).  All timers share one libevent common timeout
 * (same duration: added in O(1)).
 */
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "aredis.h"
#include "aredis_int.h"
#include "conf.h"
#include "errf.h"
#include "log.h"
#include "rcommon.h"
#include "redis.h"
#include "sentinel.h"

#define RESP_MAX	(512UL * 1024 * 1024)	/* Redis's proto-max-bulk-len */
#define ALIGN_UP(n)	(((n) + alignof(max_align_t) - 1) & \
			    ~(alignof(max_align_t) - 1))

enum { AR_DOWN, AR_CONNECTING, AR_UP };

struct aredis {
	struct event_base	*base;
	const struct conf	*conf;
	struct redis_addr	 addr;
	struct sentinel_watch	*sw;		/* sentinel: addresses */
	struct rc_target	 cur;		/* last connect_to */
	redisAsyncContext	*ac;
	int			 state;
	int			 closing;	/* aredis_free: errors expected */
	int			 handshake;	/* replies awaited, -1 failed */
	struct event		*retry;
	struct rc_backoff	 backoff;
	struct rc_scripts	 scripts;
	struct timeval		 tv;		/* redis_timeout */
	const struct timeval	*tmo;		/* common timeout of tv */
	aredis_notify		*notify;
	void			*notify_arg;
	unsigned long		 errors;
	unsigned long		 connects;	/* handshakes completed */
	char			 last_error[256];
	struct arcl		*cl;		/* cluster: (aredis_cluster.c) */
};

static void	locate(struct aredis *);

void
ar_error(struct aredis *ar, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(ar->last_error, sizeof(ar->last_error), fmt, ap);
	va_end(ap);
	ar->errors++;
	log_debug("redis: %s", ar->last_error);
	if (ar->notify != NULL)
		ar->notify(ar->notify_arg, AREDIS_ERROR, ar->last_error);
}

void
ar_notify_up(struct aredis *ar, const char *text)
{
	if (ar->notify != NULL)
		ar->notify(ar->notify_arg, AREDIS_UP, text);
}

static void
schedule_retry(struct aredis *ar)
{
	struct timeval	 tv;
	long		 ms;

	ms = rc_backoff_fail(&ar->backoff, rc_now_ms());
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ar->retry, &tv);
}

/*
 * Drop the connection, if any: every command on it is answered NULL
 * (hiredis defers the free when called from one of its callbacks).
 */
static void
drop(struct aredis *ar)
{
	redisAsyncContext	*ac = ar->ac;

	ar->ac = NULL;
	ar->state = AR_DOWN;
	if (ac != NULL)
		redisAsyncFree(ac);
}

/* The connection failed or was dropped: try again after the backoff,
 * and with Sentinel ask the sentinels where the master is now. */
static void
lost(struct aredis *ar)
{
	schedule_retry(ar);
	if (ar->sw != NULL)
		sentinel_watch_resolve(ar->sw);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	locate(arg);
}

/* Connected and the handshake accepted: only now is the backoff reset
 * (a wrong password would otherwise reconnect every 100 ms). */
static void
handshake_done(struct aredis *ar)
{
	char	 text[300];

	if (rc_backoff_failing(&ar->backoff) && ar->notify != NULL) {
		snprintf(text, sizeof(text), "redis %s: connected",
		    ar->conf->redis_address);
		ar->notify(ar->notify_arg, AREDIS_UP, text);
	}
	rc_backoff_reset(&ar->backoff);
	ar->connects++;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct aredis	*ar = ac->data;

	if (status != REDIS_OK) {
		ar_error(ar, "connect %s: %s", ar->conf->redis_address,
		    ac->errstr);
		ar->ac = NULL;		/* hiredis frees it */
		ar->state = AR_DOWN;
		lost(ar);
		return;
	}
	ar->state = AR_UP;		/* commands queue behind the handshake */
	if (ar->handshake == 0)
		handshake_done(ar);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct aredis	*ar = ac->data;

	if (ar->ac != ac)
		return;
	ar->ac = NULL;
	ar->state = AR_DOWN;
	if (status != REDIS_OK)
		ar_error(ar, "%s: %s", ar->conf->redis_address, ac->errstr);
	lost(ar);
}

static void
on_handshake(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply	*rep = r;
	struct aredis	*ar = ac->data;

	if (rep == NULL || ar->ac != ac)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		ar_error(ar, "%s: %s", (const char *)priv, rep->str);
		ar->handshake = -1;	/* failed: no reset of the backoff */
		redisAsyncDisconnect(ac);
		return;
	}
	if (ar->handshake > 0 && --ar->handshake == 0)
		handshake_done(ar);
}

/*
 * Sentinel: the node the watcher named must say it is a master (ROLE,
 * queued after AUTH and SELECT, before the commands: no extra round
 * trip).  A replica or anything else: drop it and ask the sentinels.
 */
static void
on_role(redisAsyncContext *ac, void *r, void *priv)
{
	struct aredis	*ar = ac->data;
	char		 why[256];

	(void)priv;
	if (r == NULL || ar->ac != ac)
		return;
	if (sentinel_parse_role(r, why, sizeof(why)) < 0) {
		ar_error(ar, "%s: %s:%d is not the master: %s",
		    ar->conf->redis_address, ar->cur.host, ar->cur.port, why);
		ar->handshake = -1;
		drop(ar);
		lost(ar);
		return;
	}
	if (ar->handshake > 0 && --ar->handshake == 0)
		handshake_done(ar);
}

/* Connect to t and queue the handshake (rc_hello). */
static void
connect_to(struct aredis *ar, const struct rc_target *t)
{
	redisAsyncContext	*ac;
	struct rc_hello		 h;
	int			 i;

	if (t->unix_socket)
		ac = redisAsyncConnectUnix(t->path);
	else
		ac = redisAsyncConnect(t->host, t->port);
	if (ac == NULL || ac->err) {
		ar_error(ar, "connect %s: %s", ar->conf->redis_address,
		    ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		lost(ar);
		return;
	}
	ac->data = ar;
	ar->ac = ac;
	ar->cur = *t;
	ar->state = AR_CONNECTING;
	rc_hello(ar->conf, &h);
	ar->handshake = h.n + (ar->sw != NULL);
	redisLibeventAttach(ac, ar->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	for (i = 0; i < h.n; i++)
		redisAsyncCommandArgv(ac, on_handshake, (void *)h.cmd[i].what,
		    h.cmd[i].argc, h.cmd[i].argv, h.cmd[i].argvlen);
	if (ar->sw != NULL)
		redisAsyncCommand(ac, on_role, NULL, "ROLE");
}

static void
node_target(const char *host, int port, struct rc_target *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = port;
}

/*
 * The watcher's report (sentinel.h): a master confirmed by a resolution
 * or named by +switch-master, or NULL when a round over every sentinel
 * failed (it retries by itself; commands keep failing at once).  A new
 * master: drop the old connection (its commands get NULL) and connect
 * now, whatever the backoff.  The same one: connect when the backoff
 * allows (on_retry does otherwise).
 */
static void
on_master(const char *host, int port, void *arg)
{
	struct aredis		*ar = arg;
	struct rc_target	 t;
	struct timeval		 tv;
	long long		 left;
	int			 same;

	if (host == NULL) {
		ar_error(ar, "%s: %s", ar->conf->redis_address,
		    sentinel_watch_errstr(ar->sw));
		return;
	}
	same = ar->cur.port == port && strcmp(ar->cur.host, host) == 0;
	if (same && ar->ac != NULL)
		return;
	drop(ar);
	left = rc_backoff_left(&ar->backoff, rc_now_ms());
	if (same && left > 0) {
		if (!evtimer_pending(ar->retry, NULL)) {
			tv.tv_sec = (long)(left / 1000);
			tv.tv_usec = (long)(left % 1000) * 1000;
			evtimer_add(ar->retry, &tv);
		}
		return;
	}
	evtimer_del(ar->retry);
	node_target(host, port, &t);
	connect_to(ar, &t);
}

/*
 * Where to connect: THE HOOK Sentinel replaces (ask the sentinels, then
 * connect_to the master they name, possibly from a later callback).
 */
static void
locate(struct aredis *ar)
{
	struct rc_target	 t;
	struct redis_node	 n;
	char			 err[256];

	if (ar->ac != NULL)
		return;
	if (ar->sw != NULL) {	/* unknown: on_master connects later */
		if (sentinel_watch_master(ar->sw, &n) == 0) {
			node_target(n.host, n.port, &t);
			connect_to(ar, &t);
		}
		return;
	}
	if (rc_target_of(&ar->addr, &t, err, sizeof(err)) < 0) {
		ar_error(ar, "%s", err);
		schedule_retry(ar);
		return;
	}
	connect_to(ar, &t);
}

struct aredis *
aredis_new(struct event_base *base, const struct conf *conf,
    aredis_notify *notify, void *arg, char *err, size_t errlen)
{
	struct aredis	*ar;

	if ((ar = calloc(1, sizeof(*ar))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (redis_addr_parse(conf->redis_address, &ar->addr, err,
	    errlen) < 0 || redis_addr_supported(&ar->addr,
	    conf->redis_address, err, errlen) < 0) {
		free(ar);
		return NULL;
	}
	if ((ar->retry = evtimer_new(base, on_retry, ar)) == NULL) {
		free(ar);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	ar->base = base;
	ar->conf = conf;
	ar->notify = notify;
	ar->notify_arg = arg;
	ar->tv.tv_sec = conf->redis_timeout / 1000;
	ar->tv.tv_usec = (conf->redis_timeout % 1000) * 1000;
	if ((ar->tmo = event_base_init_common_timeout(base, &ar->tv)) == NULL)
		ar->tmo = &ar->tv;
	if (ar->addr.kind == REDIS_ADDR_SENTINEL && (ar->sw =
	    sentinel_watch_new(base, conf, &ar->addr, on_master, ar)) == NULL) {
		event_free(ar->retry);
		free(ar);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (ar->addr.kind != REDIS_ADDR_CLUSTER)
		locate(ar);
	else if ((ar->cl = arcl_new(ar, base, conf, &ar->addr, err,
	    errlen)) == NULL) {
		event_free(ar->retry);
		free(ar);
		return NULL;
	}
	return ar;
}

struct aredis *
aredis_free(struct aredis *ar)
{
	redisAsyncContext	*ac;

	if (ar == NULL)
		return NULL;
	ar->closing = 1;
	ar->sw = sentinel_watch_free(ar->sw);
	if ((ac = ar->ac) != NULL) {
		ar->ac = NULL;
		ar->state = AR_DOWN;
		redisAsyncFree(ac);	/* answers every command: NULL */
	}
	ar->cl = arcl_free(ar->cl);
	event_free(ar->retry);
	free(ar);
	return NULL;
}

void
acmd_finish(struct acmd *cmd, const redisReply *rep)
{
	evtimer_del(cmd->timer);
	cmd->cb(rep, cmd->arg);
	free(cmd);
}

/* A command timed out: drop the connection, which fails every pending. */
static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct acmd		*cmd = arg;
	struct aredis		*ar = cmd->ar;
	redisAsyncContext	*ac = ar->ac;

	(void)fd;
	(void)what;
	if (ar->cl != NULL) {
		arcl_timeout(ar->cl, cmd);
		return;
	}
	ar_error(ar, "%s: command timed out after %ld ms",
	    ar->conf->redis_address, ar->conf->redis_timeout);
	if (ac == NULL) {
		acmd_finish(cmd, NULL);
		return;
	}
	drop(ar);			/* calls back cmd with NULL */
	lost(ar);
}

static void	acmd_send(struct acmd *);

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct acmd	*cmd = priv;
	struct aredis	*ar = cmd->ar;
	redisReply	*rep = r;

	if (rep == NULL) {
		if (!ar->closing)
			ar_error(ar, "%s: connection lost",
			    ar->conf->redis_address);
		acmd_finish(cmd, NULL);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR && cmd->lua != NULL &&
	    !cmd->retried && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		cmd->retried = 1;
		redisAsyncCommand(ac, NULL, NULL, "SCRIPT LOAD %s", cmd->lua);
		acmd_send(cmd);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		ar_error(ar, "%s", rep->str);
		acmd_finish(cmd, NULL);
		if (ar->sw != NULL && ar->ac == ac &&
		    (strncmp(rep->str, "READONLY", 8) == 0 ||
		    strncmp(rep->str, "MASTERDOWN", 10) == 0)) {
			drop(ar);	/* a replica now, or cut off */
			lost(ar);
		}
		return;
	}
	acmd_finish(cmd, rep);
}

/*
 * THE ONE PLACE a command goes to a connection: Cluster picks the node of
 * cmd->key's slot here (and resends cmd->resp on MOVED/ASK).
 */
static void
acmd_send(struct acmd *cmd)
{
	struct aredis	*ar = cmd->ar;

	if (ar->cl != NULL) {
		arcl_send(ar->cl, cmd);
		return;
	}
	if (ar->ac == NULL || redisAsyncFormattedCommand(ar->ac, on_reply,
	    cmd, cmd->resp, cmd->resplen) != REDIS_OK) {
		ar_error(ar, "%s: not connected", ar->conf->redis_address);
		acmd_finish(cmd, NULL);
	}
}

static size_t
digits(size_t n)
{
	size_t	 d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* Bytes of the RESP encoding of nh head + argc arguments; 0: too long. */
static size_t
resp_size(int nh, const size_t *hl, int argc, const size_t *al)
{
	size_t	 len, n = 1 + digits((size_t)(nh + argc)) + 2;
	int	 i;

	for (i = 0; i < nh + argc; i++) {
		len = i < nh ? hl[i] : al[i - nh];
		if (len > RESP_MAX || n > RESP_MAX)
			return 0;
		n += 1 + digits(len) + 2 + len + 2;
	}
	return n > RESP_MAX ? 0 : n;
}

/* c, the decimal n, CRLF at p; returns the end. */
static char *
resp_num(char *p, char c, size_t n)
{
	size_t	 d = digits(n), i;

	*p++ = c;
	for (i = d; i > 0; i--) {
		p[i - 1] = (char)('0' + n % 10);
		n /= 10;
	}
	p += d;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/* Append one bulk string at p; returns the end, *data its bytes. */
static char *
resp_bulk(char *p, const char *s, size_t len, const char **data)
{
	p = resp_num(p, '$', len);
	*data = p;
	memcpy(p, s, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/*
 * THE ONE COMMAND CONSTRUCTOR: nh head words (EVALSHA sha nkeys, or none)
 * then argc caller arguments, copied into one allocation with the timer;
 * key: index of the first key in head + arguments, -1 none.  NULL (and cb
 * already called with NULL) on an error.
 */
static struct acmd *
acmd_new(struct aredis *ar, int nh, const char **hv, const size_t *hl,
    int argc, const char **argv, const size_t *argvlen, int key,
    aredis_cb *cb, void *arg)
{
	size_t		 al[AREDIS_MAXARGS], evsize, off, resplen;
	const char	*data;
	struct acmd	*cmd;
	char		*p;
	int		 i;

	if (ar->cl == NULL && ar->state == AR_DOWN) {
		ar_error(ar, "%s: not connected", ar->conf->redis_address);
		cb(NULL, arg);
		return NULL;
	}
	if (argc < 0 || argc > AREDIS_MAXARGS) {
		ar_error(ar, "%s: %d arguments, at most %d",
		    ar->conf->redis_address, argc, AREDIS_MAXARGS);
		cb(NULL, arg);
		return NULL;
	}
	for (i = 0; i < argc; i++)
		al[i] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	evsize = event_get_struct_event_size();
	off = ALIGN_UP(sizeof(*cmd));
	if ((resplen = resp_size(nh, hl, argc, al)) == 0 || (cmd =
	    malloc(off + ALIGN_UP(evsize) + resplen)) == NULL) {
		ar_error(ar, "%s: %s", ar->conf->redis_address, resplen == 0 ?
		    "command too long" : "out of memory");
		cb(NULL, arg);
		return NULL;
	}
	memset(cmd, 0, sizeof(*cmd));
	cmd->ar = ar, cmd->cb = cb, cmd->arg = arg;
	cmd->timer = (struct event *)((char *)cmd + off);
	cmd->resp = (char *)cmd + off + ALIGN_UP(evsize);
	cmd->resplen = resplen;
	p = resp_num(cmd->resp, '*', (size_t)(nh + argc));
	for (i = 0; i < nh + argc; i++) {
		p = i < nh ? resp_bulk(p, hv[i], hl[i], &data) :
		    resp_bulk(p, argv[i - nh], al[i - nh], &data);
		if (i == key) {
			cmd->key = data;
			cmd->keylen = i < nh ? hl[i] : al[i - nh];
		}
	}
	event_assign(cmd->timer, ar->base, -1, 0, on_timeout, cmd);
	evtimer_add(cmd->timer, ar->tmo);
	return cmd;
}

void
aredis_command(struct aredis *ar, int key, int argc, const char **argv,
    const size_t *argvlen, aredis_cb *cb, void *arg)
{
	struct acmd	*cmd;

	if ((cmd = acmd_new(ar, 0, NULL, NULL, argc, argv, argvlen,
	    key < argc ? key : -1, cb, arg)) != NULL)
		acmd_send(cmd);
}

void
aredis_eval(struct aredis *ar, const char *lua, int nkeys, int argc,
    const char **argv, const size_t *argvlen, aredis_cb *cb, void *arg)
{
	struct acmd	*cmd;
	char		 sha[41], nk[16];
	const char	*hv[3] = { "EVALSHA", sha, nk };
	size_t		 hl[3] = { 7, 40, 0 };

	rc_script_sha(&ar->scripts, lua, sha);
	hl[2] = (size_t)snprintf(nk, sizeof(nk), "%d", nkeys);
	if ((cmd = acmd_new(ar, 3, hv, hl, argc, argv, argvlen,
	    nkeys > 0 && argc > 0 ? 3 : -1, cb, arg)) != NULL) {
		cmd->lua = lua;
		acmd_send(cmd);
	}
}

void
aredis_command_master(struct aredis *ar, int master, int argc,
    const char **argv, const size_t *argvlen, aredis_cb *cb, void *arg)
{
	struct acmd	*cmd;

	if ((ar->cl == NULL && master != 0) || master < 0) {
		ar_error(ar, "%s: no master %d", ar->conf->redis_address,
		    master);
		cb(NULL, arg);
		return;
	}
	if ((cmd = acmd_new(ar, 0, NULL, NULL, argc, argv, argvlen, -1, cb,
	    arg)) != NULL) {
		cmd->master = master + 1;
		acmd_send(cmd);
	}
}

int
aredis_masters(const struct aredis *ar)
{
	return ar->cl != NULL ? arcl_masters(ar->cl) : 1;
}

int
aredis_master_name(const struct aredis *ar, int i, char *buf, size_t len)
{
	if (ar->cl != NULL)
		return arcl_master_name(ar->cl, i, buf, len);
	if (i != 0 || len == 0)
		return -1;
	*buf = '\0';
	return 0;
}

unsigned long
aredis_errors(const struct aredis *ar)
{
	return ar->errors;
}

const char *
aredis_last_error(const struct aredis *ar)
{
	return ar->last_error;
}

unsigned long
aredis_connects(const struct aredis *ar)
{
	if (ar->cl != NULL)
		return arcl_connects(ar->cl);
	return ar->connects;
}

int
aredis_up(const struct aredis *ar)
{
	if (ar->cl != NULL)
		return arcl_up(ar->cl);
	return ar->state == AR_UP;
}
