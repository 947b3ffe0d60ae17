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
#include "rcommon.h"
#include "redis.h"

#define RESP_MAX	(512UL * 1024 * 1024)	/* Redis's proto-max-bulk-len */
#define ALIGN_UP(n)	(((n) + alignof(max_align_t) - 1) & \
			    ~(alignof(max_align_t) - 1))

enum { AR_DOWN, AR_CONNECTING, AR_UP };

struct aredis {
	struct event_base	*base;
	const struct conf	*conf;
	struct redis_addr	 addr;
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
		schedule_retry(ar);
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
	schedule_retry(ar);
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
		schedule_retry(ar);
		return;
	}
	ac->data = ar;
	ar->ac = ac;
	ar->state = AR_CONNECTING;
	rc_hello(ar->conf, &h);
	ar->handshake = h.n;
	redisLibeventAttach(ac, ar->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	for (i = 0; i < h.n; i++)
		redisAsyncCommandArgv(ac, on_handshake, (void *)h.cmd[i].what,
		    h.cmd[i].argc, h.cmd[i].argv, h.cmd[i].argvlen);
}

/*
 * Where to connect: THE HOOK Sentinel replaces (ask the sentinels, then
 * connect_to the master they name, possibly from a later callback).
 */
static void
locate(struct aredis *ar)
{
	struct rc_target	 t;
	char			 err[256];

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
	ar->ac = NULL;
	ar->state = AR_DOWN;
	redisAsyncFree(ac);		/* calls back cmd with NULL */
	schedule_retry(ar);
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
