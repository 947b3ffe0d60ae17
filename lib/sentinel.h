/*
 * sentinel -- find the master of a Redis Sentinel group (conf
 * redis_address = sentinel:HOST:PORT[,HOST:PORT...]/MASTER) on top of
 * hiredis 0.14, which has no Sentinel support.  Sentinels are asked with
 * the Sentinel credentials (redis_sentinel_username/_password); the master
 * they name is confirmed with ROLE using the data credentials
 * (redis_username/_password).  A sentinel that fails, does not know the
 * master, or names a node that is not a master is skipped for the next.
 * Never logs.
 *
 * Pure helpers (lib/sentinel.c), replies in, result out:
 *   sentinel_parse_master(rep, node, err, errlen)
 *       reply of SENTINEL get-master-addr-by-name: 0 and node set, or -1
 *       (nil: the sentinel does not know the master; error reply; any
 *       other shape, an empty host or a port outside 1..65535)
 *   sentinel_parse_role(rep, err, errlen)
 *       reply of ROLE: 0 if it says "master", else -1 with err naming the
 *       role ("slave", "sentinel") or the malformation
 *   sentinel_parse_switch(text, len, master, node)
 *       payload of a +switch-master message, "NAME OLDIP OLDPORT NEWIP
 *       NEWPORT": 1 and node = NEWIP:NEWPORT when NAME is master, 0 when
 *       it is another master, -1 when malformed
 *   sentinel_parse_message(rep, master, node)
 *       a reply read on a SUBSCRIBE +switch-master connection: 1 a switch
 *       of master (node set), 0 anything else well-formed (subscribe
 *       confirmation, another master), -1 malformed
 *
 * Synchronous resolver (lib/sentinel.c), for lib/redis.c:
 *   sentinel_resolve(conf, addr, node, err, errlen)
 *       ask each sentinel of addr in turn (connect and command timeout
 *       redis_timeout each), connect to the master it names, AUTH with
 *       the data credentials and confirm with ROLE.  Returns that
 *       connected redisContext (command timeout set; free it with
 *       redisFree) and node = the master, or NULL with err saying what
 *       each sentinel answered.  Worst case: 2 x nseeds x redis_timeout
 *       per step (connect, AUTH, query) -- a dead host costs one connect
 *       timeout, a refused port nothing.
 *
 * Asynchronous watcher (lib/sentinel_watch.c, libevent + hiredis async),
 * for the daemons; never blocks the loop:
 *   sentinel_watch_new(base, conf, addr, cb, arg)
 *       start resolving at the next loop turn (as the resolver above, every step on a
 *       redis_timeout timer) and SUBSCRIBE to +switch-master on one
 *       sentinel (the next one when it drops or fails).  cb(host, port,
 *       arg) is called from the loop whenever a resolution succeeds (the
 *       same master again after sentinel_watch_resolve, a new one after a
 *       failover) and whenever a +switch-master names a new master; cb
 *       (NULL, 0, arg) when a whole round over every sentinel failed
 *       (sentinel_watch_errstr says why; it retries by itself, backoff
 *       100 ms doubling to 5 s).  cb may call sentinel_watch_resolve but
 *       must not free the watcher.  NULL only when addr is not sentinel:.
 *       Keeps pointers to conf and addr: they outlive the watcher.
 *       Sentinel hosts and the addresses they announce should be IP
 *       addresses: hiredis 0.14 resolves a name with a blocking lookup.
 *   sentinel_watch_free(w)          NULL-safe, returns NULL; no callback
 *                                   runs after it
 *   sentinel_watch_resolve(w)       ask again now (on a disconnect,
 *                                   READONLY, -MASTERDOWN, a timeout);
 *                                   the master is forgotten until it
 *                                   answers; a round under way is kept
 *   sentinel_watch_master(w, node)  the client's "where do I connect"
 *                                   hook: 0 and node set when a confirmed
 *                                   master is known, -1 while resolving
 *   sentinel_watch_errstr(w)        why the last round failed ("" if not)
 */
#ifndef OUTPOST_SENTINEL_H
#define OUTPOST_SENTINEL_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "redis.h"

struct conf;
struct event_base;
struct sentinel_watch;

int		 sentinel_parse_master(const redisReply *, struct redis_node *,
		    char *, size_t);
int		 sentinel_parse_role(const redisReply *, char *, size_t);
int		 sentinel_parse_switch(const char *, size_t, const char *,
		    struct redis_node *);
int		 sentinel_parse_message(const redisReply *, const char *,
		    struct redis_node *);
redisContext	*sentinel_resolve(const struct conf *,
		    const struct redis_addr *, struct redis_node *, char *,
		    size_t);

typedef void	 sentinel_cb(const char *, int, void *);

struct sentinel_watch *sentinel_watch_new(struct event_base *,
		    const struct conf *, const struct redis_addr *,
		    sentinel_cb *, void *);
struct sentinel_watch *sentinel_watch_free(struct sentinel_watch *);
void		 sentinel_watch_resolve(struct sentinel_watch *);
int		 sentinel_watch_master(const struct sentinel_watch *,
		    struct redis_node *);
const char	*sentinel_watch_errstr(const struct sentinel_watch *);

#endif
