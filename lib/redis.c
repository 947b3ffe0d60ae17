/*
 * redis -- synchronous hiredis 0.14 wrapper: connect, auth, select,
 * timeouts, reconnect with backoff, EVALSHA with NOSCRIPT reload; see
 * redis.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "errf.h"
#include "rcommon.h"
#include "redis.h"
#include "redis_cluster.h"
#include "sentinel.h"

struct redis {
	const struct conf	*conf;
	struct redis_addr	 addr;
	redisContext		*ctx;
	struct rcluster		*cluster;	/* cluster: addresses */
	char			 errstr[256];
	char			 connerr[256];	/* why the last connect failed */
	int			 io_error;
	int			 unanswered;	/* REDIS_SENT_* */
	int			 stale;		/* READONLY/MASTERDOWN seen */
	struct rc_backoff	 backoff;
	struct rc_scripts	 scripts;
	char			*fmt;		/* format_argv's buffer */
	size_t			 fmtcap;
};

struct redis *
redis_new(const struct conf *conf, char *err, size_t errlen)
{
	struct redis	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (redis_addr_parse(conf->redis_address, &r->addr, err, errlen) < 0 ||
	    redis_addr_supported_sync(&r->addr, conf->redis_address, err,
	    errlen) < 0 || (r->addr.kind == REDIS_ADDR_CLUSTER &&
	    (r->cluster = rcluster_new(conf, &r->addr, err, errlen)) == NULL)) {
		free(r);
		return NULL;
	}
	r->conf = conf;
	return r;
}

struct redis *
redis_free(struct redis *r)
{
	if (r != NULL) {
		if (r->ctx != NULL)
			redisFree(r->ctx);
		rcluster_free(r->cluster);
		free(r->fmt);
		free(r);
	}
	return NULL;
}

const char *
redis_errstr(const struct redis *r)
{
	if (r->cluster != NULL)
		return rcluster_errstr(r->cluster);
	return r->errstr;
}

int
redis_is_io_error(const struct redis *r)
{
	if (r->cluster != NULL)
		return rcluster_is_io_error(r->cluster);
	return r->io_error;
}

int
redis_unanswered(const struct redis *r)
{
	if (r->cluster != NULL)
		return rcluster_unanswered(r->cluster);
	return r->unanswered;
}

static void
set_err(struct redis *r, int io, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(r->errstr, sizeof(r->errstr), fmt, ap);
	va_end(ap);
	r->io_error = io;
	r->unanswered = 0;
}

static void
drop(struct redis *r)
{
	if (r->ctx != NULL)
		redisFree(r->ctx);
	r->ctx = NULL;
}

/* AUTH and SELECT on a fresh connection (rc_hello); 0 / -1 (dropped). */
static int
handshake(struct redis *r)
{
	struct rc_hello	 h;
	redisReply	*rep;
	int		 i;

	rc_hello(r->conf, &h);
	for (i = 0; i < h.n; i++) {
		rep = redisCommandArgv(r->ctx, h.cmd[i].argc, h.cmd[i].argv,
		    h.cmd[i].argvlen);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			set_err(r, rep == NULL, "redis %s: %s", h.cmd[i].what,
			    rep != NULL ? rep->str : r->ctx->errstr);
			if (rep != NULL)
				freeReplyObject(rep);
			drop(r);
			return -1;
		}
		freeReplyObject(rep);
	}
	return 0;
}

/*
 * A connect failed (errstr says why): drop the context, start or
 * lengthen the backoff, keep the reason for the commands refused during
 * it (each says it once, not nested in the one before).
 */
static int
connect_failed(struct redis *r)
{
	memcpy(r->connerr, r->errstr, sizeof(r->connerr));
	drop(r);
	rc_backoff_fail(&r->backoff, rc_now_ms());
	return -1;
}

/* Every (re)connect to a sentinel: address asks the sentinels again. */
static int
connect_sentinel(struct redis *r)
{
	struct redis_node	 m;
	char			 err[768];

	if ((r->ctx = sentinel_resolve(r->conf, &r->addr, &m, err,
	    sizeof(err))) == NULL) {
		set_err(r, 1, "redis connect %s: %s", r->conf->redis_address,
		    err);
		return connect_failed(r);
	}
	(void)redisEnableKeepAlive(r->ctx);
	if (handshake(r) < 0)
		return connect_failed(r);
	rc_backoff_reset(&r->backoff);
	return 0;
}

/*
 * Connect to where rc_target_of says (the hook Sentinel replaces), then
 * timeouts, keepalive and the handshake.
 */
int
redis_connect(struct redis *r)
{
	struct rc_target t;
	struct timeval	 tv;
	long		 ms = r->conf->redis_timeout;

	if (r->cluster != NULL)
		return rcluster_connect(r->cluster);
	drop(r);
	r->stale = 0;
	if (r->addr.kind == REDIS_ADDR_SENTINEL)
		return connect_sentinel(r);
	if (rc_target_of(&r->addr, &t, r->errstr, sizeof(r->errstr)) < 0) {
		r->io_error = 1, r->unanswered = 0;
		return connect_failed(r);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (t.unix_socket)
		r->ctx = redisConnectUnixWithTimeout(t.path, tv);
	else
		r->ctx = redisConnectWithTimeout(t.host, t.port, tv);
	if (r->ctx == NULL || r->ctx->err) {
		set_err(r, 1, "redis connect %s: %s", r->conf->redis_address,
		    r->ctx != NULL ? r->ctx->errstr : "out of memory");
		return connect_failed(r);
	}
	if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
		set_err(r, 1, "redis set timeout: %s", r->ctx->errstr);
		return connect_failed(r);
	}
	if (!t.unix_socket)
		(void)redisEnableKeepAlive(r->ctx);
	if (handshake(r) < 0)
		return connect_failed(r);
	rc_backoff_reset(&r->backoff);
	return 0;
}

/* A usable context, connecting (outside the backoff) when there is none. */
static int
ready(struct redis *r)
{
	long long	 left;

	if (r->ctx != NULL && (r->ctx->err || r->stale)) {
		drop(r);
		r->backoff.next_ms = 0;	/* first reconnect is immediate */
	}
	if (r->ctx != NULL)
		return 0;
	if ((left = rc_backoff_left(&r->backoff, rc_now_ms())) > 0) {
		set_err(r, 1, "redis %s: not connected (next attempt in %lld "
		    "ms): %s", r->conf->redis_address, left, r->connerr);
		return -1;
	}
	return redis_connect(r);
}

/*
 * Turn a raw reply into the API's convention.  No reply means the command
 * went to the connection and the answer never came: a timeout shows as
 * hiredis's I/O error with errno EAGAIN (SO_RCVTIMEO / SO_SNDTIMEO).
 */
static redisReply *
check(struct redis *r, redisReply *rep)
{
	int	 e = errno;

	if (rep == NULL) {
		set_err(r, 1, "redis %s: %s", r->conf->redis_address,
		    r->ctx->errstr[0] ? r->ctx->errstr : "I/O error");
		r->unanswered = r->ctx->err == REDIS_ERR_IO && (e == EAGAIN ||
		    e == EWOULDBLOCK) ? REDIS_SENT_TIMEOUT : REDIS_SENT_LOST;
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		/* a replica now, or a master cut off: find the master again */
		if (strncmp(rep->str, "READONLY", 8) == 0 ||
		    strncmp(rep->str, "MASTERDOWN", 10) == 0)
			r->stale = 1;
		set_err(r, 0, "%s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

redisReply *
redis_command(struct redis *r, const char *fmt, ...)
{
	va_list		 ap;
	redisReply	*rep;

	va_start(ap, fmt);
	if (r->cluster != NULL) {
		rep = rcluster_vcommand(r->cluster, fmt, ap);
		va_end(ap);
		return rep;
	}
	va_end(ap);
	if (ready(r) < 0)
		return NULL;
	va_start(ap, fmt);
	rep = redisvCommand(r->ctx, fmt, ap);
	va_end(ap);
	return check(r, rep);
}

/*
 * Send one argv command and read its reply: the one place a Cluster
 * client chooses the node, from argv[key] (-1: no key, any node).
 */
static redisReply *
send_argv(struct redis *r, int key, int argc, const char **argv,
    const size_t *argvlen)
{
	(void)key;
	if (ready(r) < 0)
		return NULL;
	return check(r, redisCommandArgv(r->ctx, argc, argv, argvlen));
}

redisReply *
redis_commandv(struct redis *r, int argc, const char **argv,
    const size_t *argvlen)
{
	if (r->cluster != NULL)
		return rcluster_commandv(r->cluster, argc, argv, argvlen);
	return send_argv(r, rc_first_key(argc, argv, argvlen), argc, argv,
	    argvlen);
}

int
redis_append(struct redis *r, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	if (r->cluster != NULL) {
		va_start(ap, fmt);
		rc = rcluster_vappend(r->cluster, fmt, ap);
		va_end(ap);
		return rc;
	}
	if (ready(r) < 0)
		return -1;
	va_start(ap, fmt);
	rc = redisvAppendCommand(r->ctx, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		set_err(r, 1, "redis append: %s", r->ctx->errstr);
		return -1;
	}
	return 0;
}

/* "<c><n>\r\n" at p; the end. */
static char *
put_len(char *p, char c, size_t n)
{
	char	 d[24];
	int	 i = 0;

	*p++ = c;
	do
		d[i++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	while (i > 0)
		*p++ = d[--i];
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/*
 * argv as one RESP command in r->fmt (kept from call to call); its
 * length, or -1 out of memory.  hiredis 0.14 formats every argument with
 * sdscatfmt into a fresh string: for the follower's batches (thousands of
 * arguments per command) that was a fifth of its time.
 */
static long long
format_argv(struct redis *r, int argc, const char **argv,
    const size_t *argvlen)
{
	size_t	 need = 32, len;
	char	*p;
	int	 i;

	for (i = 0; i < argc; i++)
		need += (argvlen != NULL ? argvlen[i] : strlen(argv[i])) + 32;
	if (need > r->fmtcap) {
		if ((p = realloc(r->fmt, need)) == NULL)
			return -1;
		r->fmt = p, r->fmtcap = need;
	}
	p = put_len(r->fmt, '*', (size_t)argc);
	for (i = 0; i < argc; i++) {
		len = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		p = put_len(p, '$', len);
		memcpy(p, argv[i], len);
		p += len;
		*p++ = '\r';
		*p++ = '\n';
	}
	return (long long)(p - r->fmt);
}

int
redis_appendv(struct redis *r, int argc, const char **argv,
    const size_t *argvlen)
{
	long long	 len;

	if (r->cluster != NULL)
		return rcluster_appendv(r->cluster, argc, argv, argvlen);
	if (ready(r) < 0)
		return -1;
	if ((len = format_argv(r, argc, argv, argvlen)) < 0) {
		set_err(r, 0, "redis append: out of memory");
		return -1;
	}
	if (redisAppendFormattedCommand(r->ctx, r->fmt, (size_t)len) !=
	    REDIS_OK) {
		set_err(r, 1, "redis append: %s", r->ctx->errstr);
		return -1;
	}
	return 0;
}

redisReply *
redis_get_reply(struct redis *r)
{
	void	*rep = NULL;

	if (r->cluster != NULL)
		return rcluster_get_reply(r->cluster);
	if (r->ctx == NULL || r->ctx->err) {
		set_err(r, 1, "redis: connection lost in a pipeline");
		r->unanswered = REDIS_SENT_LOST;
		return NULL;
	}
	if (redisGetReply(r->ctx, &rep) != REDIS_OK)
		rep = NULL;
	return check(r, rep);
}

int
redis_flush(struct redis *r)
{
	int	 done;

	if (r->cluster != NULL)
		return rcluster_flush(r->cluster);
	if (r->ctx == NULL || r->ctx->err) {
		set_err(r, 1, "redis: connection lost in a pipeline");
		r->unanswered = REDIS_SENT_LOST;
		return -1;
	}
	do {
		if (redisBufferWrite(r->ctx, &done) != REDIS_OK) {
			set_err(r, 1, "redis write: %s", r->ctx->errstr);
			r->unanswered = REDIS_SENT_LOST;
			return -1;
		}
	} while (!done);
	return 0;
}

/* redis_eval with the argument arrays given (argc + 3 entries). */
static redisReply *
eval_argv(struct redis *r, const char *lua, const char *sha, const char *nk,
    int argc, const char **argv, const size_t *argvlen, const char **av,
    size_t *al)
{
	redisReply	*rep;
	int		 i, attempt;

	av[0] = "EVALSHA"; al[0] = 7;
	av[1] = sha; al[1] = 40;
	av[2] = nk; al[2] = strlen(nk);
	for (i = 0; i < argc; i++) {
		av[3 + i] = argv[i];
		al[3 + i] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	}
	if (r->cluster != NULL)
		return rcluster_eval(r->cluster, lua, argc + 3, av, al);
	for (attempt = 0; attempt < 2; attempt++) {
		rep = send_argv(r, argc > 0 && nk[0] != '0' ? 3 : -1,
		    argc + 3, av, al);
		if (rep != NULL || attempt == 1 || r->io_error ||
		    strncmp(r->errstr, "NOSCRIPT", 8) != 0)
			return rep;
		if ((rep = redis_command(r, "SCRIPT LOAD %s", lua)) == NULL) {
			r->unanswered = 0;	/* the script itself never ran */
			return NULL;
		}
		freeReplyObject(rep);
	}
	return NULL;
}

redisReply *
redis_eval(struct redis *r, const char *lua, int nkeys, int argc,
    const char **argv, const size_t *argvlen)
{
	const char	*avs[64], **av = avs;
	size_t		 als[64], *al = als;
	char		 nk[16], sha[41];
	redisReply	*rep;

	if (argc < 0 || argc > REDIS_EVAL_MAXARGS) {
		set_err(r, 0, "redis_eval: too many arguments");
		return NULL;
	}
	if (argc > 60 && ((av = calloc((size_t)argc + 3, sizeof(*av))) ==
	    NULL || (al = calloc((size_t)argc + 3, sizeof(*al))) == NULL)) {
		if (av != avs)
			free(av);
		set_err(r, 0, "redis_eval: out of memory");
		return NULL;
	}
	rc_script_sha(&r->scripts, lua, sha);
	snprintf(nk, sizeof(nk), "%d", nkeys);
	rep = eval_argv(r, lua, sha, nk, argc, argv, argvlen, av, al);
	if (av != avs) {
		free(av);
		free(al);
	}
	return rep;
}


int
redis_nnodes(struct redis *r)
{
	if (r->cluster != NULL)
		return rcluster_nnodes(r->cluster);
	return 1;
}

redisReply *
redis_command_node(struct redis *r, int node, const char *fmt, ...)
{
	va_list		 ap;
	redisReply	*rep;

	va_start(ap, fmt);
	if (r->cluster != NULL)
		rep = rcluster_vcommand_node(r->cluster, node, fmt, ap);
	else if (node != 0) {
		set_err(r, 0, "redis: no node %d", node);
		rep = NULL;
	} else if (ready(r) < 0)
		rep = NULL;
	else
		rep = check(r, redisvCommand(r->ctx, fmt, ap));
	va_end(ap);
	return rep;
}

redisReply *
redis_commandv_node(struct redis *r, int node, int argc, const char **argv,
    const size_t *argvlen)
{
	if (r->cluster != NULL)
		return rcluster_commandv_node(r->cluster, node, argc, argv,
		    argvlen);
	if (node != 0) {
		set_err(r, 0, "redis: no node %d", node);
		return NULL;
	}
	return redis_commandv(r, argc, argv, argvlen);
}

int
redis_wait_replicas(struct redis *r)
{
	redisReply	*rep;
	long		 n = r->conf->redis_min_replicas;
	long long	 got;

	if (n <= 0)
		return 0;
	if ((rep = redis_command(r, "WAIT %ld %ld", n,
	    r->conf->redis_timeout)) == NULL)
		return -1;
	got = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
	freeReplyObject(rep);
	if (got < n) {
		set_err(r, 0, "redis WAIT: %lld of %ld replicas acknowledged "
		    "the write within %ld ms", got, n, r->conf->redis_timeout);
		return -1;
	}
	return 0;
}
