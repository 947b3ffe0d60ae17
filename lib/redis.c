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
#include <time.h>

#include <openssl/sha.h>

#include "conf.h"
#include "errf.h"
#include "redis.h"
#include "redis_cluster.h"
#include "sentinel.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define NSCRIPTS	16

struct redis {
	const struct conf	*conf;
	struct redis_addr	 addr;
	redisContext		*ctx;
	struct rcluster		*cluster;	/* cluster: addresses */
	char			 errstr[256];
	int			 io_error;
	int			 unanswered;	/* REDIS_SENT_* */
	int			 stale;		/* READONLY/MASTERDOWN seen */
	long			 backoff_ms;	/* 0: connect at once */
	long long		 next_try_ms;	/* monotonic */
	struct {
		const char	*lua;
		char		 sha[41];
	}			 scripts[NSCRIPTS];
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* AUTH and SELECT on a fresh connection; 0 / -1 (context dropped). */
static int
handshake(struct redis *r)
{
	const struct conf	*c = r->conf;
	redisReply		*rep = NULL;

	if (*c->redis_username != '\0')
		rep = redisCommand(r->ctx, "AUTH %s %s", c->redis_username,
		    c->redis_password);
	else if (*c->redis_password != '\0')
		rep = redisCommand(r->ctx, "AUTH %s", c->redis_password);
	if ((*c->redis_username != '\0' || *c->redis_password != '\0') &&
	    (rep == NULL || rep->type == REDIS_REPLY_ERROR)) {
		set_err(r, rep == NULL, "redis AUTH: %s", rep != NULL ?
		    rep->str : r->ctx->errstr);
		goto fail;
	}
	if (rep != NULL)
		freeReplyObject(rep);
	rep = NULL;
	if (c->redis_db != 0) {
		rep = redisCommand(r->ctx, "SELECT %ld", c->redis_db);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			set_err(r, rep == NULL, "redis SELECT %ld: %s",
			    c->redis_db, rep != NULL ? rep->str :
			    r->ctx->errstr);
			goto fail;
		}
		freeReplyObject(rep);
	}
	return 0;
fail:
	if (rep != NULL)
		freeReplyObject(rep);
	drop(r);
	return -1;
}

static void
backoff(struct redis *r)
{
	r->backoff_ms = r->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    r->backoff_ms * 2;
	if (r->backoff_ms > BACKOFF_MAX_MS)
		r->backoff_ms = BACKOFF_MAX_MS;
	r->next_try_ms = now_ms() + r->backoff_ms;
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
		backoff(r);
		return -1;
	}
	(void)redisEnableKeepAlive(r->ctx);
	if (handshake(r) < 0) {
		backoff(r);
		return -1;
	}
	r->backoff_ms = 0;
	return 0;
}

int
redis_connect(struct redis *r)
{
	struct timeval	 tv;
	long		 ms = r->conf->redis_timeout;

	if (r->cluster != NULL)
		return rcluster_connect(r->cluster);
	drop(r);
	r->stale = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (r->addr.kind == REDIS_ADDR_SENTINEL)
		return connect_sentinel(r);
	if (r->addr.unix_socket)
		r->ctx = redisConnectUnixWithTimeout(r->addr.path, tv);
	else
		r->ctx = redisConnectWithTimeout(r->addr.host, r->addr.port,
		    tv);
	if (r->ctx == NULL || r->ctx->err) {
		set_err(r, 1, "redis connect %s: %s", r->conf->redis_address,
		    r->ctx != NULL ? r->ctx->errstr : "out of memory");
		drop(r);
		backoff(r);
		return -1;
	}
	if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
		set_err(r, 1, "redis set timeout: %s", r->ctx->errstr);
		drop(r);
		backoff(r);
		return -1;
	}
	if (!r->addr.unix_socket)
		(void)redisEnableKeepAlive(r->ctx);
	if (handshake(r) < 0) {
		backoff(r);
		return -1;
	}
	r->backoff_ms = 0;
	return 0;
}

/* A usable context, connecting (outside the backoff) when there is none. */
static int
ready(struct redis *r)
{
	if (r->ctx != NULL && (r->ctx->err || r->stale)) {
		drop(r);
		r->next_try_ms = 0;	/* first reconnect is immediate */
	}
	if (r->ctx != NULL)
		return 0;
	if (r->backoff_ms != 0 && now_ms() < r->next_try_ms) {
		set_err(r, 1, "redis %s: not connected (next attempt in %lld "
		    "ms): %s", r->conf->redis_address,
		    r->next_try_ms - now_ms(), r->errstr);
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

redisReply *
redis_commandv(struct redis *r, int argc, const char **argv,
    const size_t *argvlen)
{
	if (r->cluster != NULL)
		return rcluster_commandv(r->cluster, argc, argv, argvlen);
	if (ready(r) < 0)
		return NULL;
	return check(r, redisCommandArgv(r->ctx, argc, argv, argvlen));
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

int
redis_appendv(struct redis *r, int argc, const char **argv,
    const size_t *argvlen)
{
	if (r->cluster != NULL)
		return rcluster_appendv(r->cluster, argc, argv, argvlen);
	if (ready(r) < 0)
		return -1;
	if (redisAppendCommandArgv(r->ctx, argc, argv, argvlen) != REDIS_OK) {
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

void
redis_script_sha(const char *lua, char sha[41])
{
	unsigned char	 md[SHA_DIGEST_LENGTH];
	int		 i;

	SHA1((const unsigned char *)lua, strlen(lua), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
}

static const char *
script_sha(struct redis *r, const char *lua)
{
	static char	 tmp[41];
	int		 i;

	for (i = 0; i < NSCRIPTS; i++) {
		if (r->scripts[i].lua == lua)
			return r->scripts[i].sha;
		if (r->scripts[i].lua == NULL) {
			r->scripts[i].lua = lua;
			redis_script_sha(lua, r->scripts[i].sha);
			return r->scripts[i].sha;
		}
	}
	redis_script_sha(lua, tmp);	/* table full: compute every time */
	return tmp;
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
		if (ready(r) < 0)
			return NULL;
		rep = redisCommandArgv(r->ctx, argc + 3, av, al);
		if (rep == NULL || rep->type != REDIS_REPLY_ERROR ||
		    strncmp(rep->str, "NOSCRIPT", 8) != 0 || attempt == 1)
			return check(r, rep);
		freeReplyObject(rep);
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
	memcpy(sha, script_sha(r, lua), sizeof(sha));
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
