/*
 * redis_cluster -- the synchronous client on a Redis Cluster: slot map,
 * one context per node, routing, MOVED / ASK, pipelines; see
 * redis_cluster.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster.h"
#include "conf.h"
#include "errf.h"
#include "redis.h"
#include "redis_cluster.h"

struct conn {
	char		 host[256];
	int		 port;
	redisContext	*ctx;
};

struct pend {
	char		*cmd;		/* RESP, ours */
	size_t		 len;
	int		 conn;		/* -1: not sent yet */
	int		 multi;		/* between MULTI and EXEC */
	int		 done;		/* rep read (NULL: I/O error) */
	int		 lost;		/* REDIS_SENT_* when rep is NULL */
	redisReply	*rep;
};

struct rcluster {
	const struct conf	*conf;
	struct redis_addr	 addr;
	struct cluster_map	*map;
	int			 map_ok;	/* 0: load before routing */
	struct conn		 conns[CLUSTER_NODES_MAX];
	int			 nconns;
	struct pend		*q;
	size_t			 qhead, qn, qcap;
	int			 in_multi;
	char			 errstr[256];
	int			 io_error, unanswered;
};

static void
set_err(struct rcluster *rc, int io, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_err(struct rcluster *rc, int io, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(rc->errstr, sizeof(rc->errstr), fmt, ap);
	va_end(ap);
	rc->io_error = io;
	rc->unanswered = 0;
}

struct rcluster *
rcluster_new(const struct conf *conf, const struct redis_addr *addr,
    char *err, size_t errlen)
{
	struct rcluster	*rc;

	if (conf->redis_db != 0) {
		errf(err, errlen, "redis_address %s: a Redis Cluster has only "
		    "database 0 (redis_db = %ld)", conf->redis_address,
		    (long)conf->redis_db);
		return NULL;
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL ||
	    (rc->map = cluster_map_new()) == NULL) {
		free(rc);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	rc->conf = conf;
	rc->addr = *addr;
	return rc;
}

static void
queue_clear(struct rcluster *rc)
{
	size_t	 i;

	for (i = rc->qhead; i < rc->qn; i++) {
		free(rc->q[i].cmd);
		if (rc->q[i].rep != NULL)
			freeReplyObject(rc->q[i].rep);
	}
	rc->qhead = rc->qn = 0;
	rc->in_multi = 0;
}

struct rcluster *
rcluster_free(struct rcluster *rc)
{
	int	 i;

	if (rc == NULL)
		return NULL;
	queue_clear(rc);
	free(rc->q);
	for (i = 0; i < rc->nconns; i++)
		if (rc->conns[i].ctx != NULL)
			redisFree(rc->conns[i].ctx);
	cluster_map_free(rc->map);
	free(rc);
	return NULL;
}

const char *
rcluster_errstr(const struct rcluster *rc)
{
	return rc->errstr;
}

int
rcluster_is_io_error(const struct rcluster *rc)
{
	return rc->io_error;
}

int
rcluster_unanswered(const struct rcluster *rc)
{
	return rc->unanswered;
}

/* Index of the connection to host:port, a new one if unknown; -1. */
static int
conn_find(struct rcluster *rc, const char *host, int port)
{
	int	 i;

	for (i = 0; i < rc->nconns; i++)
		if (rc->conns[i].port == port &&
		    strcmp(rc->conns[i].host, host) == 0)
			return i;
	if (rc->nconns == CLUSTER_NODES_MAX || strlen(host) > 255) {
		set_err(rc, 0, "redis cluster: too many nodes");
		return -1;
	}
	snprintf(rc->conns[i].host, sizeof(rc->conns[i].host), "%s", host);
	rc->conns[i].port = port;
	rc->conns[i].ctx = NULL;
	return rc->nconns++;
}

/* AUTH on a fresh context; 0 / -1. */
static int
conn_auth(struct rcluster *rc, struct conn *c)
{
	const struct conf	*cf = rc->conf;
	redisReply		*rep;

	if (*cf->redis_username != '\0')
		rep = redisCommand(c->ctx, "AUTH %s %s", cf->redis_username,
		    cf->redis_password);
	else if (*cf->redis_password != '\0')
		rep = redisCommand(c->ctx, "AUTH %s", cf->redis_password);
	else
		return 0;
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		set_err(rc, rep == NULL, "redis AUTH %s:%d: %s", c->host,
		    c->port, rep != NULL ? rep->str : c->ctx->errstr);
		if (rep != NULL)
			freeReplyObject(rep);
		return -1;
	}
	freeReplyObject(rep);
	return 0;
}

/* The connected context of conn i, connecting if needed; NULL. */
static redisContext *
conn_ctx(struct rcluster *rc, int i)
{
	struct conn	*c = &rc->conns[i];
	struct timeval	 tv;
	long		 ms = rc->conf->redis_timeout;

	size_t		 k;

	if (c->ctx != NULL && c->ctx->err == 0)
		return c->ctx;
	for (k = rc->qhead; k < rc->qn; k++)
		if (rc->q[k].conn == i && !rc->q[k].done) {
			rc->q[k].done = 1;	/* its reply died with ctx */
			rc->q[k].lost = REDIS_SENT_LOST;
		}
	if (c->ctx != NULL)
		redisFree(c->ctx);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	c->ctx = redisConnectWithTimeout(c->host, c->port, tv);
	if (c->ctx == NULL || c->ctx->err ||
	    redisSetTimeout(c->ctx, tv) != REDIS_OK) {
		set_err(rc, 1, "redis connect %s:%d: %s", c->host, c->port,
		    c->ctx != NULL ? c->ctx->errstr : "out of memory");
		goto fail;
	}
	(void)redisEnableKeepAlive(c->ctx);
	if (conn_auth(rc, c) < 0)
		goto fail;
	return c->ctx;
fail:
	if (c->ctx != NULL)
		redisFree(c->ctx);
	c->ctx = NULL;
	rc->map_ok = 0;
	return NULL;
}

/* CLUSTER SLOTS from conn i into the map; 0 / -1. */
static int
map_from(struct rcluster *rc, int i)
{
	redisContext	*ctx;
	redisReply	*rep;
	char		 err[200];
	int		 rv;

	if ((ctx = conn_ctx(rc, i)) == NULL)
		return -1;
	if ((rep = redisCommand(ctx, "CLUSTER SLOTS")) == NULL) {
		set_err(rc, 1, "redis CLUSTER SLOTS %s:%d: %s",
		    rc->conns[i].host, rc->conns[i].port, ctx->errstr);
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		set_err(rc, 0, "redis CLUSTER SLOTS %s:%d: %s",
		    rc->conns[i].host, rc->conns[i].port, rep->str);
		rv = -1;
	} else if ((rv = cluster_map_load(rc->map, rep, rc->conns[i].host,
	    err, sizeof(err))) < 0)
		set_err(rc, 0, "redis %s:%d: %s", rc->conns[i].host,
		    rc->conns[i].port, err);
	freeReplyObject(rep);
	return rv;
}

int
rcluster_connect(struct rcluster *rc)
{
	const struct cluster_node	*n;
	int				 i, c, nn = cluster_map_nnodes(rc->map);
	struct cluster_node		 known[CLUSTER_NODES_MAX];

	for (i = 0; i < nn; i++)
		known[i] = *cluster_map_get(rc->map, i);
	for (i = 0; i < nn + rc->addr.nseeds; i++) {
		n = i < nn ? &known[i] : NULL;
		c = n != NULL ? conn_find(rc, n->host, n->port) :
		    conn_find(rc, rc->addr.seeds[i - nn].host,
		    rc->addr.seeds[i - nn].port);
		if (c >= 0 && map_from(rc, c) == 0) {
			rc->map_ok = 1;
			return 0;
		}
	}
	return -1;
}

/* The connection of master node m of the map; -1. */
static int
master_conn(struct rcluster *rc, int m)
{
	const struct cluster_node	*n;

	if (!rc->map_ok && rcluster_connect(rc) < 0)
		return -1;
	if ((n = cluster_map_get(rc->map, m)) == NULL ||
	    m >= cluster_map_nmasters(rc->map)) {
		set_err(rc, 0, "redis cluster: no master %d", m);
		return -1;
	}
	return conn_find(rc, n->host, n->port);
}

/* The connection a command (RESP) goes to; -1. */
static int
route(struct rcluster *rc, const char *cmd, size_t len)
{
	const char	*key;
	size_t		 keylen;
	int		 slot = -1, node, k;

	if ((k = cluster_resp_key(cmd, len, &key, &keylen)) < 0) {
		set_err(rc, 0, "redis cluster: malformed command");
		return -1;
	}
	if (k == 0)
		return master_conn(rc, 0);
	slot = cluster_key_slot(key, keylen);
	if (!rc->map_ok && rcluster_connect(rc) < 0)
		return -1;
	if ((node = cluster_map_node(rc->map, slot)) < 0 &&
	    (rcluster_connect(rc) < 0 ||
	    (node = cluster_map_node(rc->map, slot)) < 0)) {
		set_err(rc, 0, "redis cluster: no node serves slot %d", slot);
		return -1;
	}
	return master_conn(rc, node);
}

/* A reply read from ctx is NULL: set the error of an unanswered command. */
static void
lost(struct rcluster *rc, int c, int e)
{
	redisContext	*ctx = rc->conns[c].ctx;

	set_err(rc, 1, "redis %s:%d: %s", rc->conns[c].host,
	    rc->conns[c].port, ctx != NULL && ctx->errstr[0] ? ctx->errstr :
	    "I/O error");
	rc->unanswered = ctx != NULL && ctx->err == REDIS_ERR_IO &&
	    (e == EAGAIN || e == EWOULDBLOCK) ? REDIS_SENT_TIMEOUT :
	    REDIS_SENT_LOST;
	rc->map_ok = 0;		/* a node gone: ask again */
}

/* Send cmd on conn c (after ASKING when asking), read its reply; NULL. */
static redisReply *
roundtrip(struct rcluster *rc, int c, const char *cmd, size_t len,
    int asking)
{
	redisContext	*ctx;
	void		*rep = NULL;

	if ((ctx = conn_ctx(rc, c)) == NULL)
		return NULL;
	if ((asking && redisAppendCommand(ctx, "ASKING") != REDIS_OK) ||
	    redisAppendFormattedCommand(ctx, cmd, len) != REDIS_OK) {
		set_err(rc, 1, "redis append: %s", ctx->errstr);
		return NULL;
	}
	if (asking) {
		if (redisGetReply(ctx, &rep) != REDIS_OK) {
			lost(rc, c, errno);
			return NULL;
		}
		freeReplyObject(rep);
		rep = NULL;
	}
	if (redisGetReply(ctx, &rep) != REDIS_OK || rep == NULL) {
		lost(rc, c, errno);
		return NULL;
	}
	return rep;
}

static redisReply *
check(struct rcluster *rc, redisReply *rep)
{
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
		set_err(rc, 0, "%s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* SCRIPT LOAD lua on conn c; 0 / -1. */
static int
script_load(struct rcluster *rc, int c, const char *lua)
{
	redisContext	*ctx;
	redisReply	*rep;

	if ((ctx = conn_ctx(rc, c)) == NULL)
		return -1;
	if ((rep = redisCommand(ctx, "SCRIPT LOAD %s", lua)) == NULL) {
		lost(rc, c, errno);
		rc->unanswered = 0;	/* the script itself never ran */
		return -1;
	}
	if (check(rc, rep) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/*
 * A redirection in rep (freed then): the connection to go to next, *asking
 * set for ASK; -2 when rep is no redirection, -1 on error.
 */
static int
redirected(struct rcluster *rc, int c, redisReply *rep, int *asking)
{
	struct cluster_redirect	 rd;
	char			 host[256];
	int			 kind;

	if (rep->type != REDIS_REPLY_ERROR || (kind = cluster_redirect(
	    rep->str, rep->len, &rd)) == 0)
		return -2;
	if (kind < 0) {
		set_err(rc, 0, "redis cluster: bad redirection: %s", rep->str);
		freeReplyObject(rep);
		return -1;
	}
	freeReplyObject(rep);
	snprintf(host, sizeof(host), "%s", *rd.host != '\0' ? rd.host :
	    rc->conns[c].host);
	*asking = kind == CLUSTER_ASK;
	if (kind == CLUSTER_MOVED && rcluster_connect(rc) < 0)
		rc->map_ok = 0;		/* follow it anyway, reload later */
	return conn_find(rc, host, rd.port);
}

/*
 * Run one command (RESP) starting on conn c (-1: route it), following
 * redirections; with lua, load it on NOSCRIPT and retry once.
 */
static redisReply *
run(struct rcluster *rc, const char *cmd, size_t len, const char *lua,
    int c, int asking)
{
	redisReply	*rep;
	int		 hops, loaded = 0, next;

	if (c < 0 && (c = route(rc, cmd, len)) < 0)
		return NULL;
	for (hops = 0; hops <= RCLUSTER_REDIRECTS; hops++) {
		if ((rep = roundtrip(rc, c, cmd, len, asking)) == NULL)
			return NULL;
		if ((next = redirected(rc, c, rep, &asking)) == -1)
			return NULL;
		if (next >= 0) {
			c = next;
			continue;
		}
		if (lua == NULL || loaded || rep->type != REDIS_REPLY_ERROR ||
		    strncmp(rep->str, "NOSCRIPT", 8) != 0)
			return check(rc, rep);
		freeReplyObject(rep);
		if (script_load(rc, c, lua) < 0)
			return NULL;
		loaded = 1;
	}
	set_err(rc, 0, "redis cluster: more than %d redirections",
	    RCLUSTER_REDIRECTS);
	return NULL;
}

/* Run a formatted command (freed here); rc < 0 from the formatter: error. */
static redisReply *
run_fmt(struct rcluster *rc, char *cmd, long long len, const char *lua)
{
	redisReply	*rep;

	if (len < 0 || cmd == NULL) {
		set_err(rc, 0, "redis cluster: bad command format");
		return NULL;
	}
	rep = run(rc, cmd, (size_t)len, lua, -1, 0);
	free(cmd);
	return rep;
}

redisReply *
rcluster_vcommand(struct rcluster *rc, const char *fmt, va_list ap)
{
	char	*cmd = NULL;
	int	 len;

	len = redisvFormatCommand(&cmd, fmt, ap);
	return run_fmt(rc, cmd, len, NULL);
}

redisReply *
rcluster_commandv(struct rcluster *rc, int argc, const char **argv,
    const size_t *argvlen)
{
	char		*cmd = NULL;
	long long	 len;

	len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	return run_fmt(rc, cmd, len, NULL);
}

redisReply *
rcluster_eval(struct rcluster *rc, const char *lua, int argc,
    const char **argv, const size_t *argvlen)
{
	char		*cmd = NULL;
	long long	 len;

	len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	return run_fmt(rc, cmd, len, lua);
}

int
rcluster_nnodes(struct rcluster *rc)
{
	if (!rc->map_ok && rcluster_connect(rc) < 0)
		return -1;
	return cluster_map_nmasters(rc->map);
}

/* A formatted command (freed here) on master i, no redirection. */
static redisReply *
node_fmt(struct rcluster *rc, int i, char *cmd, long long len)
{
	redisReply	*rep = NULL;
	int		 c;

	if (len < 0 || cmd == NULL)
		set_err(rc, 0, "redis cluster: bad command format");
	else if ((c = master_conn(rc, i)) >= 0)
		rep = check(rc, roundtrip(rc, c, cmd, (size_t)len, 0));
	free(cmd);
	return rep;
}

redisReply *
rcluster_commandv_node(struct rcluster *rc, int i, int argc,
    const char **argv, const size_t *argvlen)
{
	char		*cmd = NULL;
	long long	 len;

	len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	return node_fmt(rc, i, cmd, len);
}

redisReply *
rcluster_vcommand_node(struct rcluster *rc, int i, const char *fmt,
    va_list ap)
{
	char	*cmd = NULL;
	int	 len;

	len = redisvFormatCommand(&cmd, fmt, ap);
	return node_fmt(rc, i, cmd, len);
}

/* ------------------------------------------------------------ pipelines */

/* Queue entry e on conn c (no I/O: hiredis buffers it); 0 / -1. */
static int
send_on(struct rcluster *rc, struct pend *e, int c)
{
	redisContext	*ctx;

	if ((ctx = conn_ctx(rc, c)) == NULL)
		return -1;
	if (redisAppendFormattedCommand(ctx, e->cmd, e->len) != REDIS_OK) {
		set_err(rc, 1, "redis append: %s", ctx->errstr);
		return -1;
	}
	e->conn = c;
	return 0;
}

/* Send the entries not sent yet (commands without a key) on conn c. */
static int
send_deferred(struct rcluster *rc, int c)
{
	size_t	 i;

	for (i = rc->qhead; i < rc->qn; i++)
		if (rc->q[i].conn < 0 && send_on(rc, &rc->q[i], c) < 0)
			return -1;
	return 0;
}

static int
is_cmd(const char *cmd, size_t len, const char *name)
{
	char	 want[32];
	int	 n;

	n = snprintf(want, sizeof(want), "*1\r\n$%zu\r\n%s\r\n",
	    strlen(name), name);
	return (size_t)n == len && strncasecmp(cmd, want, len) == 0;
}

/* Queue a formatted command (ours from here on); 0 / -1. */
static int
append_fmt(struct rcluster *rc, char *cmd, long long len)
{
	struct pend	*e, *q;
	const char	*key;
	size_t		 keylen;
	int		 c = -1, k;

	if (len < 0 || cmd == NULL ||
	    (k = cluster_resp_key(cmd, (size_t)len, &key, &keylen)) < 0) {
		free(cmd);
		set_err(rc, 0, "redis cluster: bad command format");
		return -1;
	}
	if ((k == 1 && (c = route(rc, cmd, (size_t)len)) < 0) ||
	    (k == 1 && send_deferred(rc, c) < 0)) {
		free(cmd);
		return -1;
	}
	if (rc->qn == rc->qcap) {
		if ((q = realloc(rc->q, (rc->qcap * 2 + 16) *
		    sizeof(*q))) == NULL) {
			free(cmd);
			set_err(rc, 0, "redis cluster: out of memory");
			return -1;
		}
		rc->q = q;
		rc->qcap = rc->qcap * 2 + 16;
	}
	e = &rc->q[rc->qn];
	memset(e, 0, sizeof(*e));
	e->cmd = cmd;
	e->len = (size_t)len;
	e->conn = -1;
	e->multi = rc->in_multi;
	if (is_cmd(cmd, e->len, "MULTI"))
		rc->in_multi = 1;
	else if (is_cmd(cmd, e->len, "EXEC") || is_cmd(cmd, e->len, "DISCARD"))
		rc->in_multi = 0;
	if (k == 0 && rc->qn > rc->qhead && rc->q[rc->qn - 1].conn >= 0)
		c = rc->q[rc->qn - 1].conn;
	if (c >= 0 && send_on(rc, e, c) < 0) {
		free(cmd);
		return -1;
	}
	rc->qn++;
	return 0;
}

int
rcluster_vappend(struct rcluster *rc, const char *fmt, va_list ap)
{
	char	*cmd = NULL;
	int	 len;

	len = redisvFormatCommand(&cmd, fmt, ap);
	return append_fmt(rc, cmd, len);
}

int
rcluster_appendv(struct rcluster *rc, int argc, const char **argv,
    const size_t *argvlen)
{
	char		*cmd = NULL;
	long long	 len;

	len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	return append_fmt(rc, cmd, len);
}

/* Read the reply of e from its connection into e. */
static void
read_one(struct rcluster *rc, struct pend *e)
{
	redisContext	*ctx = rc->conns[e->conn].ctx;
	void		*rep = NULL;

	e->done = 1;
	if (ctx == NULL || redisGetReply(ctx, &rep) != REDIS_OK ||
	    rep == NULL) {
		lost(rc, e->conn, errno);
		e->lost = rc->unanswered;
		e->rep = NULL;
		return;
	}
	e->rep = rep;
}

/* Read and keep every reply still outstanding: contexts idle after. */
static void
drain(struct rcluster *rc)
{
	size_t	 i;

	for (i = rc->qhead; i < rc->qn; i++)
		if (rc->q[i].conn >= 0 && !rc->q[i].done)
			read_one(rc, &rc->q[i]);
}

/* Write what the contexts hold unsent; replies stay queued. */
int
rcluster_flush(struct rcluster *rc)
{
	int	 i, done;

	for (i = 0; i < rc->nconns; i++) {
		if (rc->conns[i].ctx == NULL)
			continue;
		do {
			if (redisBufferWrite(rc->conns[i].ctx, &done) !=
			    REDIS_OK) {
				lost(rc, i, errno);
				return -1;
			}
		} while (!done);
	}
	return 0;
}

redisReply *
rcluster_get_reply(struct rcluster *rc)
{
	struct pend	 e;
	redisReply	*rep;
	int		 next, asking = 0;

	if (rc->qhead == rc->qn) {
		set_err(rc, 0, "redis cluster: no reply pending");
		return NULL;
	}
	if (rc->q[rc->qhead].conn < 0) {
		if ((next = master_conn(rc, 0)) < 0 ||
		    send_deferred(rc, next) < 0) {
			e = rc->q[rc->qhead++];
			free(e.cmd);
			return NULL;
		}
	}
	if (!rc->q[rc->qhead].done)
		read_one(rc, &rc->q[rc->qhead]);
	e = rc->q[rc->qhead++];
	if (rc->qhead == rc->qn)
		rc->qhead = rc->qn = 0;
	if ((rep = e.rep) == NULL) {
		set_err(rc, 1, "redis cluster: connection lost in a pipeline");
		rc->unanswered = e.lost;
	} else if (e.multi)
		rep = check(rc, rep);
	else if ((next = redirected(rc, e.conn, rep, &asking)) == -2)
		rep = check(rc, rep);
	else if (next == -1)
		rep = NULL;
	else {
		drain(rc);
		rep = run(rc, e.cmd, e.len, NULL, next, asking);
	}
	free(e.cmd);
	return rep;
}
