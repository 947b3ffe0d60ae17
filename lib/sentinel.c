/*
 * sentinel -- the reply helpers and the synchronous resolver of Redis
 * Sentinel; see sentinel.h.  The asynchronous watcher is in
 * sentinel_watch.c (it needs libevent, which not every program links).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "errf.h"
#include "sentinel.h"

/* A decimal port of len bytes; 1..65535 or -1. */
static int
parse_port(const char *s, size_t len)
{
	long	 n = 0;
	size_t	 i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n >= 1 && n <= 65535 ? (int)n : -1;
}

/* host (len bytes, no NUL, no space or control byte) into node. */
static int
set_node(struct redis_node *node, const char *host, size_t hlen,
    const char *port, size_t plen)
{
	size_t	 i;
	int	 p;

	if (hlen == 0 || hlen >= sizeof(node->host) ||
	    (p = parse_port(port, plen)) < 0)
		return -1;
	for (i = 0; i < hlen; i++)
		if ((unsigned char)host[i] <= ' ' || host[i] == 0x7f)
			return -1;
	memcpy(node->host, host, hlen);
	node->host[hlen] = '\0';
	node->port = p;
	return 0;
}

static int
is_text(const redisReply *r)
{
	return r != NULL && (r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS) && r->str != NULL;
}

int
sentinel_parse_master(const redisReply *rep, struct redis_node *node,
    char *err, size_t errlen)
{
	if (rep == NULL)
		return errf(err, errlen, "no reply");
	if (rep->type == REDIS_REPLY_NIL)
		return errf(err, errlen, "master unknown to this sentinel");
	if (rep->type == REDIS_REPLY_ERROR)
		return errf(err, errlen, "%.200s", rep->str);
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    !is_text(rep->element[0]) || !is_text(rep->element[1]) ||
	    set_node(node, rep->element[0]->str, rep->element[0]->len,
	    rep->element[1]->str, rep->element[1]->len) < 0)
		return errf(err, errlen, "malformed reply to SENTINEL "
		    "get-master-addr-by-name");
	return 0;
}

int
sentinel_parse_role(const redisReply *rep, char *err, size_t errlen)
{
	const redisReply	*r0;

	if (rep == NULL)
		return errf(err, errlen, "no reply");
	if (rep->type == REDIS_REPLY_ERROR)
		return errf(err, errlen, "ROLE: %.200s", rep->str);
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
	    !is_text(r0 = rep->element[0]) || r0->len > 32 ||
	    memchr(r0->str, '\0', r0->len) != NULL)
		return errf(err, errlen, "malformed reply to ROLE");
	if (r0->len == 6 && memcmp(r0->str, "master", 6) == 0)
		return 0;
	return errf(err, errlen, "not a master (ROLE says %s)", r0->str);
}

int
sentinel_parse_switch(const char *text, size_t len, const char *master,
    struct redis_node *node)
{
	const char		*f[5], *p = text, *end = text + len, *sp;
	size_t			 fl[5];
	struct redis_node	 n;
	int			 i;

	for (i = 0; i < 5; i++) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
			sp = end;
		if (sp == p || (i < 4 && sp == end) || (i == 4 && sp != end))
			return -1;
		f[i] = p;
		fl[i] = (size_t)(sp - p);
		p = sp + 1;
	}
	if (parse_port(f[2], fl[2]) < 0 ||
	    set_node(&n, f[3], fl[3], f[4], fl[4]) < 0)
		return -1;
	if (strlen(master) != fl[0] || memcmp(master, f[0], fl[0]) != 0)
		return 0;
	*node = n;
	return 1;
}

int
sentinel_parse_message(const redisReply *rep, const char *master,
    struct redis_node *node)
{
	const redisReply	*kind, *chan, *msg;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 3 || !is_text(kind = rep->element[0]) ||
	    !is_text(chan = rep->element[1]))
		return -1;
	msg = rep->element[2];
	if (kind->len == 9 && memcmp(kind->str, "subscribe", 9) == 0)
		return msg != NULL && msg->type == REDIS_REPLY_INTEGER ? 0 : -1;
	if (kind->len != 7 || memcmp(kind->str, "message", 7) != 0 ||
	    !is_text(msg))
		return -1;
	if (chan->len != 14 || memcmp(chan->str, "+switch-master", 14) != 0)
		return 0;
	return sentinel_parse_switch(msg->str, msg->len, master, node);
}

/* ---------------------------------------------------------- resolver */

static redisContext *
dial(const char *host, int port, long ms, char *err, size_t errlen)
{
	struct timeval	 tv;
	redisContext	*c;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	c = redisConnectWithTimeout(host, port, tv);
	if (c == NULL || c->err || redisSetTimeout(c, tv) != REDIS_OK) {
		errf(err, errlen, "%s", c != NULL ? c->errstr :
		    "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	return c;
}

/* AUTH [user] password when password is set; 0 / -1. */
static int
auth(redisContext *c, const char *user, const char *pw, char *err,
    size_t errlen)
{
	redisReply	*rep;
	int		 rc = 0;

	if (*pw == '\0')
		return 0;
	if (*user != '\0')
		rep = redisCommand(c, "AUTH %s %s", user, pw);
	else
		rep = redisCommand(c, "AUTH %s", pw);
	if (rep == NULL)
		return errf(err, errlen, "AUTH: %s", c->errstr);
	if (rep->type == REDIS_REPLY_ERROR)
		rc = errf(err, errlen, "AUTH: %.200s", rep->str);
	freeReplyObject(rep);
	return rc;
}

/* Ask one sentinel; 0 and node set, or -1. */
static int
ask(const struct conf *c, const struct redis_node *s, const char *master,
    struct redis_node *node, char *err, size_t errlen)
{
	redisContext	*ctx;
	redisReply	*rep;
	int		 rc;

	if ((ctx = dial(s->host, s->port, c->redis_timeout, err,
	    errlen)) == NULL)
		return -1;
	if (auth(ctx, c->redis_sentinel_username, c->redis_sentinel_password,
	    err, errlen) < 0) {
		redisFree(ctx);
		return -1;
	}
	rep = redisCommand(ctx, "SENTINEL get-master-addr-by-name %s", master);
	if (rep == NULL)
		rc = errf(err, errlen, "%s", ctx->errstr);
	else
		rc = sentinel_parse_master(rep, node, err, errlen);
	if (rep != NULL)
		freeReplyObject(rep);
	redisFree(ctx);
	return rc;
}

/* Connect to node, AUTH as a data client, confirm ROLE master. */
static redisContext *
confirm(const struct conf *c, const struct redis_node *node, char *err,
    size_t errlen)
{
	redisContext	*ctx;
	redisReply	*rep = NULL;

	if ((ctx = dial(node->host, node->port, c->redis_timeout, err,
	    errlen)) == NULL)
		return NULL;
	if (auth(ctx, c->redis_username, c->redis_password, err, errlen) < 0)
		goto fail;
	if ((rep = redisCommand(ctx, "ROLE")) == NULL) {
		errf(err, errlen, "ROLE: %s", ctx->errstr);
		goto fail;
	}
	if (sentinel_parse_role(rep, err, errlen) < 0)
		goto fail;
	freeReplyObject(rep);
	return ctx;
fail:
	if (rep != NULL)
		freeReplyObject(rep);
	redisFree(ctx);
	return NULL;
}

redisContext *
sentinel_resolve(const struct conf *c, const struct redis_addr *a,
    struct redis_node *node, char *err, size_t errlen)
{
	redisContext	*ctx = NULL;
	char		 why[256], at[300];
	size_t		 n;
	int		 i;

	if (a->kind != REDIS_ADDR_SENTINEL || a->nseeds < 1) {
		errf(err, errlen, "not a sentinel: address");
		return NULL;
	}
	errf(err, errlen, "no sentinel gave a usable master %s:", a->master);
	for (i = 0; i < a->nseeds && ctx == NULL; i++) {
		const struct redis_node	*s = &a->seeds[i];

		at[0] = '\0';
		if (ask(c, s, a->master, node, why, sizeof(why)) == 0 &&
		    (ctx = confirm(c, node, why, sizeof(why))) == NULL)
			snprintf(at, sizeof(at), "master %s:%d: ", node->host,
			    node->port);
		n = strlen(err);
		if (ctx == NULL && n + 1 < errlen)
			snprintf(err + n, errlen - n, "%s%s:%d: %s%s",
			    i > 0 ? "; " : " ", s->host, s->port, at, why);
	}
	return ctx;
}
