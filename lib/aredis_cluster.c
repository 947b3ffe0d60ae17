/*
 * aredis_cluster -- aredis on a Redis Cluster (redis_address cluster:):
 * the slot map, one async connection per node, routing and redirections;
 * see aredis_int.h for the calls and aredis.h for the contract.
 *
 * The slot map (lib/cluster.h) comes from CLUSTER SLOTS sent on a node's
 * ordinary connection: the known nodes, then the seeds, each tried once
 * per refresh, the next after an error or redis_timeout.  Refreshes are
 * coalesced (one in flight; asked for during one: one more after it), at
 * most one every ARCL_REFRESH_MS, and after a refresh that found no node
 * the shared backoff (rcommon.h) delays the next.  The old map routes
 * until a new one is loaded.
 *
 * A node is connected when a command (or a refresh) first needs it: AUTH
 * queued first, commands queue behind it.  A node whose connection
 * failed is not tried again before its backoff has passed: its commands
 * fail at once (NULL) and each failure asks for a map refresh, which is
 * how a promoted replica is found.  A command's timeout drops the
 * connection it waits on (every command on it is answered NULL).
 *
 * A command addressed to a master by number (aredis_command_master: the
 * sweep's SCAN of each master's keyspace) goes to master i of the current
 * map, or fails (NULL) when the map has no master i.
 *
 * Replies: MOVED -> refresh (coalesced) and the same bytes to the named
 * node; ASK -> ASKING + the same bytes there; TRYAGAIN (a multi-key
 * command in a slot being migrated) -> waits for the next refresh and is
 * routed again; at most AREDIS_REDIRECTS of these per command.  A script
 * that touched an undeclared key missing from a slot being migrated
 * ("Script attempted to access a non local key") is retried like
 * TRYAGAIN: Redis aborted it at that command, and outpost's scripts read
 * before they write, so a read aborts it before any write (a script that
 * wrote first would have its earlier writes done twice; declaring every
 * key makes Redis answer TRYAGAIN before running it instead).  NOSCRIPT
 * -> SCRIPT LOAD on that node and the command there once more.
 * CLUSTERDOWN and other errors answer NULL (CLUSTERDOWN asks for a
 * refresh).  Commands arriving before the first map wait for it (their
 * timers run); once a refresh has failed and no map is known they fail
 * at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "aredis_int.h"
#include "cluster.h"
#include "conf.h"
#include "errf.h"
#include "log.h"
#include "rcommon.h"
#include "redis.h"

#define ARCL_NODES		(2 * CLUSTER_NODES_MAX)
#define ARCL_REFRESH_MS		100

enum { N_DOWN, N_CONNECTING, N_UP };

struct arnode {
	struct arcl		*cl;
	char			 host[256];
	int			 port;
	redisAsyncContext	*ac;
	int			 state;
	int			 handshake;	/* replies awaited, -1 failed */
	struct rc_backoff	 backoff;
};

struct arcl {
	struct aredis		*ar;
	struct event_base	*base;
	const struct conf	*conf;
	struct redis_addr	 addr;
	struct cluster_map	*map;
	int			 map_ok;
	struct arnode		*nodes[ARCL_NODES];
	int			 nnodes;
	int			 refreshing;	/* CLUSTER SLOTS in flight */
	int			 again;		/* asked for during one */
	int			 cand;		/* next node to ask */
	struct arnode		*asked;
	struct rc_backoff	 backoff;	/* refreshes that found none */
	long long		 last_ms;	/* last refresh started */
	struct event		*timer;		/* delay, or CLUSTER SLOTS' */
	struct timeval		 tv;		/* redis_timeout */
	TAILQ_HEAD(, acmd)	 waiting;
	unsigned long		 connects;
	int			 closing;
};

static void	request_refresh(struct arcl *);
static void	refresh_next(struct arcl *);

/* The node host:port, added if new; NULL when there are too many. */
static struct arnode *
node_find(struct arcl *cl, const char *host, int port)
{
	struct arnode	*n;
	int		 i;

	for (i = 0; i < cl->nnodes; i++)
		if (cl->nodes[i]->port == port &&
		    strcmp(cl->nodes[i]->host, host) == 0)
			return cl->nodes[i];
	if (cl->nnodes == ARCL_NODES || strlen(host) >= sizeof(n->host) ||
	    (n = calloc(1, sizeof(*n))) == NULL) {
		ar_error(cl->ar, "redis cluster: cannot add node %s:%d", host,
		    port);
		return NULL;
	}
	n->cl = cl;
	snprintf(n->host, sizeof(n->host), "%s", host);
	n->port = port;
	cl->nodes[cl->nnodes++] = n;
	return n;
}

/* A connection failed or was dropped: not again before the backoff. */
static void
node_failed(struct arnode *n)
{
	n->ac = NULL;
	n->state = N_DOWN;
	rc_backoff_fail(&n->backoff, rc_now_ms());
	request_refresh(n->cl);
}

/* Drop n's connection: every command on it is answered NULL. */
static void
node_drop(struct arnode *n)
{
	redisAsyncContext	*ac = n->ac;

	if (ac == NULL)
		return;
	node_failed(n);
	redisAsyncFree(ac);
}

/* n's connection is usable (handshake done, or none to do). */
static void
node_up(struct arnode *n)
{
	char	 text[300];

	if (rc_backoff_failing(&n->backoff)) {
		snprintf(text, sizeof(text), "redis %s:%d: connected",
		    n->host, n->port);
		ar_notify_up(n->cl->ar, text);
	}
	rc_backoff_reset(&n->backoff);
	n->cl->connects++;
}

static void
on_node_connect(const redisAsyncContext *ac, int status)
{
	struct arnode	*n = ac->data;

	if (n->ac != ac)
		return;
	if (status != REDIS_OK) {
		ar_error(n->cl->ar, "connect %s:%d: %s", n->host, n->port,
		    ac->errstr);
		node_failed(n);		/* hiredis frees ac */
		return;
	}
	n->state = N_UP;
	log_debug("redis %s:%d: connected", n->host, n->port);
	if (n->handshake == 0)
		node_up(n);
}

static void
on_node_disconnect(const redisAsyncContext *ac, int status)
{
	struct arnode	*n = ac->data;

	if (n->ac != ac)
		return;
	if (status != REDIS_OK)
		ar_error(n->cl->ar, "%s:%d: %s", n->host, n->port,
		    ac->errstr);
	node_failed(n);
}

static void
on_node_handshake(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply	*rep = r;
	struct arnode	*n = ac->data;

	if (rep == NULL || n->ac != ac)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		ar_error(n->cl->ar, "%s %s:%d: %s", (const char *)priv,
		    n->host, n->port, rep->str);
		n->handshake = -1;
		redisAsyncDisconnect(ac);
		return;
	}
	if (n->handshake > 0 && --n->handshake == 0 && n->state == N_UP)
		node_up(n);
}

/* Connect n (AUTH queued first); 0, or -1 with the backoff started. */
static int
node_connect(struct arnode *n)
{
	redisAsyncContext	*ac;
	struct rc_hello		 h;
	int			 i;

	ac = redisAsyncConnect(n->host, n->port);
	if (ac == NULL || ac->err) {
		ar_error(n->cl->ar, "connect %s:%d: %s", n->host, n->port,
		    ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		node_failed(n);
		return -1;
	}
	ac->data = n;
	n->ac = ac;
	n->state = N_CONNECTING;
	rc_hello(n->cl->conf, &h);	/* redis_db is 0: AUTH at most */
	n->handshake = h.n;
	redisLibeventAttach(ac, n->cl->base);
	redisAsyncSetConnectCallback(ac, on_node_connect);
	redisAsyncSetDisconnectCallback(ac, on_node_disconnect);
	for (i = 0; i < h.n; i++)
		redisAsyncCommandArgv(ac, on_node_handshake,
		    (void *)h.cmd[i].what, h.cmd[i].argc, h.cmd[i].argv,
		    h.cmd[i].argvlen);
	return 0;
}

/* n has a connection (made now if its backoff allows); 0 / -1. */
static int
node_ready(struct arnode *n)
{
	if (n->ac != NULL)
		return 0;
	if (n->cl->closing)
		return -1;
	if (rc_backoff_left(&n->backoff, rc_now_ms()) > 0) {
		request_refresh(n->cl);
		return -1;
	}
	return node_connect(n);
}

/* ------------------------------------------------------------ the map */

static void
arm_timer(struct arcl *cl, long ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(cl->timer, &tv);
}

/* Candidate i of a refresh: the map's nodes, then the seeds; 0: none. */
static int
candidate(struct arcl *cl, int i, struct arnode **n)
{
	const struct cluster_node	*cn;
	int				 nn = cluster_map_nnodes(cl->map);

	*n = NULL;
	if (i < nn) {
		cn = cluster_map_get(cl->map, i);
		*n = node_find(cl, cn->host, cn->port);
	} else if (i - nn < cl->addr.nseeds)
		*n = node_find(cl, cl->addr.seeds[i - nn].host,
		    cl->addr.seeds[i - nn].port);
	else
		return 0;
	return 1;
}

/* The commands waiting for a map: routed again (or failed: no map). */
static void
flush_waiting(struct arcl *cl)
{
	TAILQ_HEAD(, acmd)	 q;
	struct acmd		*cmd;

	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &cl->waiting, wait);
	while ((cmd = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, cmd, wait);
		cmd->waiting = 0;
		if (cl->map_ok && !cl->closing)
			arcl_send(cl, cmd);
		else
			acmd_finish(cmd, NULL);
	}
}

static void
refresh_done(struct arcl *cl, int ok)
{
	int	 again = cl->again;

	cl->refreshing = 0;
	cl->again = 0;
	cl->asked = NULL;
	evtimer_del(cl->timer);
	if (ok) {
		cl->map_ok = 1;
		rc_backoff_reset(&cl->backoff);
	} else {
		rc_backoff_fail(&cl->backoff, rc_now_ms());
		ar_error(cl->ar, "%s: no node answered CLUSTER SLOTS",
		    cl->conf->redis_address);
	}
	flush_waiting(cl);
	if (again)
		request_refresh(cl);
}

static void
on_slots(redisAsyncContext *ac, void *r, void *priv)
{
	struct arcl	*cl = priv;
	struct arnode	*n = ac->data;
	redisReply	*rep = r;
	char		 err[256];

	if (cl->closing || !cl->refreshing || cl->asked != n)
		return;
	evtimer_del(cl->timer);
	cl->asked = NULL;
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		ar_error(cl->ar, "CLUSTER SLOTS %s:%d: %s", n->host, n->port,
		    rep->str);
	else if (rep != NULL && cluster_map_load(cl->map, rep, n->host, err,
	    sizeof(err)) < 0)
		ar_error(cl->ar, "CLUSTER SLOTS %s:%d: %s", n->host, n->port,
		    err);
	else if (rep != NULL && cluster_map_nmasters(cl->map) > 0) {
		log_debug("redis cluster: slot map from %s:%d: %d masters, "
		    "%d nodes", n->host, n->port, cluster_map_nmasters(cl->map),
		    cluster_map_nnodes(cl->map));
		refresh_done(cl, 1);
		return;
	}
	refresh_next(cl);
}

/* Ask the next candidate for CLUSTER SLOTS; none left: done, failed. */
static void
refresh_next(struct arcl *cl)
{
	struct arnode	*n;

	while (candidate(cl, cl->cand++, &n)) {
		if (n == NULL || node_ready(n) < 0 || redisAsyncCommand(n->ac,
		    on_slots, cl, "CLUSTER SLOTS") != REDIS_OK)
			continue;
		cl->asked = n;
		evtimer_add(cl->timer, &cl->tv);
		return;
	}
	refresh_done(cl, 0);
}

static void
refresh_start(struct arcl *cl)
{
	cl->refreshing = 1;
	cl->again = 0;
	cl->cand = 0;
	cl->last_ms = rc_now_ms();
	refresh_next(cl);
}

/* The timer: a delayed refresh is due, or CLUSTER SLOTS took too long. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct arcl	*cl = arg;

	(void)fd;
	(void)what;
	if (!cl->refreshing) {
		refresh_start(cl);
		return;
	}
	if (cl->asked != NULL) {
		ar_error(cl->ar, "CLUSTER SLOTS %s:%d: timed out",
		    cl->asked->host, cl->asked->port);
		node_drop(cl->asked);	/* on_slots(NULL): the next one */
	}
}

/* A refresh now, after the one in flight, or when the delays allow. */
static void
request_refresh(struct arcl *cl)
{
	long long	 now;
	long		 wait;

	if (cl->closing)
		return;
	if (cl->refreshing) {
		cl->again = 1;
		return;
	}
	if (evtimer_pending(cl->timer, NULL))
		return;
	now = rc_now_ms();
	wait = (long)(cl->last_ms + ARCL_REFRESH_MS - now);
	if (rc_backoff_left(&cl->backoff, now) > wait)
		wait = (long)rc_backoff_left(&cl->backoff, now);
	if (wait > 0)
		arm_timer(cl, wait);
	else
		refresh_start(cl);
}

/* ------------------------------------------------------------ commands */

static void	on_reply(redisAsyncContext *, void *, void *);

/* Send cmd's bytes to n (after ASKING when it was asked to). */
static void
send_to(struct arcl *cl, struct acmd *cmd, struct arnode *n)
{
	if (n == NULL || node_ready(n) < 0) {
		ar_error(cl->ar, "redis %s:%d: down", n != NULL ? n->host :
		    "cluster", n != NULL ? n->port : 0);
		acmd_finish(cmd, NULL);
		return;
	}
	if ((cmd->asking && redisAsyncCommand(n->ac, NULL, NULL,
	    "ASKING") != REDIS_OK) || redisAsyncFormattedCommand(n->ac,
	    on_reply, cmd, cmd->resp, cmd->resplen) != REDIS_OK) {
		ar_error(cl->ar, "redis %s:%d: not connected", n->host,
		    n->port);
		acmd_finish(cmd, NULL);
		return;
	}
	cmd->node = n;
}

/* Wait for the next map (the first one, or after TRYAGAIN). */
static void
wait_map(struct arcl *cl, struct acmd *cmd)
{
	cmd->waiting = 1;
	TAILQ_INSERT_TAIL(&cl->waiting, cmd, wait);
	request_refresh(cl);
}

/* A node for a command without a key: one that is up, else slot 0's. */
static struct arnode *
any_node(struct arcl *cl)
{
	const struct cluster_node	*cn;
	int				 i;

	for (i = 0; i < cl->nnodes; i++)
		if (cl->nodes[i]->state == N_UP)
			return cl->nodes[i];
	if ((i = cluster_map_node(cl->map, 0)) < 0)
		i = 0;
	cn = cluster_map_get(cl->map, i);
	return cn != NULL ? node_find(cl, cn->host, cn->port) : NULL;
}

/* Master i of the map (aredis_command_master), NULL: none. */
static struct arnode *
master_node(struct arcl *cl, int i)
{
	const struct cluster_node	*cn;

	if (i >= cluster_map_nmasters(cl->map) ||
	    (cn = cluster_map_get(cl->map, i)) == NULL)
		return NULL;
	return node_find(cl, cn->host, cn->port);
}

void
arcl_send(struct arcl *cl, struct acmd *cmd)
{
	const struct cluster_node	*cn;
	int				 slot, m;

	cmd->asking = 0;
	if (cl->closing) {
		acmd_finish(cmd, NULL);
		return;
	}
	if (!cl->map_ok) {
		if (rc_backoff_failing(&cl->backoff) && !cl->refreshing) {
			ar_error(cl->ar, "%s: no slot map",
			    cl->conf->redis_address);
			request_refresh(cl);
			acmd_finish(cmd, NULL);
		} else
			wait_map(cl, cmd);
		return;
	}
	if (cmd->master > 0) {
		send_to(cl, cmd, master_node(cl, cmd->master - 1));
		return;
	}
	if (cmd->key == NULL) {
		send_to(cl, cmd, any_node(cl));
		return;
	}
	slot = cluster_key_slot(cmd->key, cmd->keylen);
	if ((m = cluster_map_node(cl->map, slot)) < 0 ||
	    (cn = cluster_map_get(cl->map, m)) == NULL) {
		ar_error(cl->ar, "%s: no node serves slot %d",
		    cl->conf->redis_address, slot);
		request_refresh(cl);
		acmd_finish(cmd, NULL);
		return;
	}
	send_to(cl, cmd, node_find(cl, cn->host, cn->port));
}

/* MOVED or ASK from n: the same bytes to the node named. */
static void
redirect(struct arcl *cl, struct acmd *cmd, struct arnode *n,
    const struct cluster_redirect *rd)
{
	struct arnode	*to;

	if (rd->kind == CLUSTER_MOVED)
		request_refresh(cl);
	to = node_find(cl, *rd->host != '\0' ? rd->host : n->host, rd->port);
	cmd->asking = rd->kind == CLUSTER_ASK;
	send_to(cl, cmd, to);
}

/* An error reply of cmd from n: 1 when cmd went on (redirected). */
static int
on_error_reply(struct arcl *cl, struct acmd *cmd, struct arnode *n,
    const redisReply *rep)
{
	struct cluster_redirect	 rd;
	int			 kind, again;

	kind = cluster_redirect(rep->str, rep->len, &rd);
	again = strncmp(rep->str, "TRYAGAIN", 8) == 0 || (cmd->lua != NULL &&
	    strstr(rep->str, "access a non local key") != NULL);
	if ((kind > 0 || again) && ++cmd->hops > AREDIS_REDIRECTS) {
		ar_error(cl->ar, "redis cluster: more than %d redirections, "
		    "last: %s", AREDIS_REDIRECTS, rep->str);
		return 0;
	}
	if (kind > 0) {
		redirect(cl, cmd, n, &rd);
		return 1;
	}
	if (again) {
		wait_map(cl, cmd);
		return 1;
	}
	if (cmd->lua != NULL && !cmd->retried &&
	    strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		cmd->retried = 1;
		redisAsyncCommand(n->ac, NULL, NULL, "SCRIPT LOAD %s",
		    cmd->lua);
		send_to(cl, cmd, n);
		return 1;
	}
	if (strncmp(rep->str, "CLUSTERDOWN", 11) == 0)
		request_refresh(cl);
	ar_error(cl->ar, "redis %s:%d: %s", n->host, n->port, rep->str);
	return 0;
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct acmd	*cmd = priv;
	struct arnode	*n = ac->data;
	struct arcl	*cl = n->cl;
	redisReply	*rep = r;

	cmd->node = NULL;
	if (rep == NULL) {
		if (!cl->closing)
			ar_error(cl->ar, "redis %s:%d: connection lost",
			    n->host, n->port);
		acmd_finish(cmd, NULL);
		return;
	}
	if (rep->type != REDIS_REPLY_ERROR) {
		if (rep->type == REDIS_REPLY_NIL && cmd->key != NULL)
			log_debug("redis %s:%d: nil reply (slot %d, %d hops)",
			    n->host, n->port, cluster_key_slot(cmd->key,
			    cmd->keylen), cmd->hops);
		acmd_finish(cmd, rep);
		return;
	}
	if (cl->closing || !on_error_reply(cl, cmd, n, rep))
		acmd_finish(cmd, NULL);
}

void
arcl_timeout(struct arcl *cl, struct acmd *cmd)
{
	ar_error(cl->ar, "%s: command timed out after %ld ms%s",
	    cl->conf->redis_address, cl->conf->redis_timeout,
	    cmd->waiting ? " waiting for the slot map" : "");
	if (cmd->waiting) {
		TAILQ_REMOVE(&cl->waiting, cmd, wait);
		cmd->waiting = 0;
		acmd_finish(cmd, NULL);
	} else if (cmd->node != NULL && cmd->node->ac != NULL)
		node_drop(cmd->node);	/* answers cmd NULL */
	else
		acmd_finish(cmd, NULL);
}

/* ------------------------------------------------------------ lifetime */

struct arcl *
arcl_new(struct aredis *ar, struct event_base *base, const struct conf *conf,
    const struct redis_addr *addr, char *err, size_t errlen)
{
	struct arcl	*cl;

	if (conf->redis_db != 0) {
		errf(err, errlen, "redis_address %s: a Redis Cluster has only "
		    "database 0 (redis_db = %ld)", conf->redis_address,
		    (long)conf->redis_db);
		return NULL;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL ||
	    (cl->map = cluster_map_new()) == NULL ||
	    (cl->timer = evtimer_new(base, on_timer, cl)) == NULL) {
		if (cl != NULL)
			cluster_map_free(cl->map);
		free(cl);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	cl->ar = ar;
	cl->base = base;
	cl->conf = conf;
	cl->addr = *addr;
	cl->tv.tv_sec = conf->redis_timeout / 1000;
	cl->tv.tv_usec = (conf->redis_timeout % 1000) * 1000;
	TAILQ_INIT(&cl->waiting);
	cl->last_ms = rc_now_ms() - ARCL_REFRESH_MS;
	refresh_start(cl);
	return cl;
}

struct arcl *
arcl_free(struct arcl *cl)
{
	redisAsyncContext	*ac;
	int			 i;

	if (cl == NULL)
		return NULL;
	cl->closing = 1;
	flush_waiting(cl);
	for (i = 0; i < cl->nnodes; i++) {
		if ((ac = cl->nodes[i]->ac) != NULL) {
			cl->nodes[i]->ac = NULL;
			redisAsyncFree(ac);
		}
	}
	for (i = 0; i < cl->nnodes; i++)
		free(cl->nodes[i]);
	event_free(cl->timer);
	cluster_map_free(cl->map);
	free(cl);
	return NULL;
}

unsigned long
arcl_connects(const struct arcl *cl)
{
	return cl->connects;
}

int
arcl_up(const struct arcl *cl)
{
	return cl->map_ok;
}

int
arcl_masters(const struct arcl *cl)
{
	return cl->map_ok ? cluster_map_nmasters(cl->map) : 0;
}

int
arcl_master_name(const struct arcl *cl, int i, char *buf, size_t len)
{
	const struct cluster_node	*cn;
	int				 n;

	if (!cl->map_ok || i < 0 || i >= cluster_map_nmasters(cl->map) ||
	    (cn = cluster_map_get(cl->map, i)) == NULL)
		return -1;
	n = snprintf(buf, len, "%s:%d", cn->host, cn->port);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
