/*
 * aredis -- the asynchronous Redis client of the daemons (hiredis 0.14
 * async on libevent), one per event loop; policyd today, any daemon with
 * a libevent loop later.  The synchronous client is lib/redis.h; what the
 * two share (target, handshake, backoff, script SHA1s) is lib/rcommon.h.
 *
 * It owns one redisAsyncContext.  After every connect: AUTH [user]
 * password, SELECT db (commands queue behind them).  hiredis async has no
 * command timeout, so each command has a timer of redis_timeout; when one
 * fires the connection is considered dead: the context is freed, which
 * answers every pending command with NULL, and a reconnect is scheduled
 * (backoff 100 ms doubling to 5 s, reset only once the handshake
 * succeeded).  While Redis is down commands fail at once: the callback
 * runs before the submitting call returns.  Never logs: every error is
 * counted, kept as the last error, and passed to the notify function.
 *
 *   aredis_new(base, conf, notify, arg, err, errlen)
 *       parse conf redis_address (sentinel: follows the master
 *       through lib/sentinel_watch.c; cluster: runs on
 *       lib/aredis_cluster.c: a slot map, one connection per master, MOVED/ASK/TRYAGAIN followed, redis_db
 *       must be 0) and start connecting; NULL with err set on a bad
 *       address or out of memory.  Keeps pointers to base and conf.
 *       notify(arg, AREDIS_ERROR, text): a Redis error happened (every
 *       one: rate-limit in the caller); notify(arg, AREDIS_UP, text): the
 *       handshake completed after a failure.  notify may be NULL.
 *   aredis_free(ar)
 *       NULL-safe, returns NULL.  Answers every command still in flight
 *       with NULL (callbacks run) before it returns: free the client
 *       before what those callbacks use.
 *   aredis_command(ar, key, argc, argv, argvlen, cb, arg)
 *       a plain command.  key: the index in argv of its first key, -1
 *       when it has none (what Cluster routing hashes).  argvlen NULL:
 *       strlen of each.  The arguments are copied (once, into the
 *       command's single allocation): the caller need not keep them.
 *       cb(reply, arg) once: the reply (valid during cb only), or NULL on
 *       an error reply, a timeout, a lost connection, Redis down, more
 *       than AREDIS_MAXARGS arguments or out of memory.
 *   aredis_eval(ar, lua, nkeys, argc, argv, argvlen, cb, arg)
 *       run a script (lua: a static string, identified by its address)
 *       with EVALSHA of its locally computed SHA1; keys are argv[0 ..
 *       nkeys-1].  On NOSCRIPT: SCRIPT LOAD and the same EVALSHA once
 *       more.  Arguments and callback as aredis_command.
 *   aredis_masters(ar)
 *       the masters a command can be addressed to by number: on a
 *       cluster: address, those of the current slot map (0 before the
 *       first map is loaded); else 1.  The numbering changes when the map
 *       does: aredis_master_name tells who master i is now.
 *   aredis_master_name(ar, i, buf, len)
 *       buf = "host:port" of master i on a cluster: address, "" for
 *       master 0 elsewhere; 0, or -1 when there is no master i (or buf
 *       is too short).
 *   aredis_command_master(ar, i, argc, argv, argvlen, cb, arg)
 *       a command without a key (SCAN, DBSIZE) sent to master i, as
 *       aredis_command otherwise; cb(NULL) when there is no master i by
 *       the time it is sent.  What walks every master's keyspace uses it.
 *   aredis_errors(ar)        errors so far
 *   aredis_last_error(ar)    text of the last one ("" none)
 *   aredis_connects(ar)      handshakes completed so far: what a caller
 *                            cached about the data may be stale once it
 *                            changes (a Redis restarted empty)
 *   aredis_up(ar)            1 while connected (handshake may be queued)
 *
 * Sentinel (sentinel: addresses): a watcher (sentinel.h) finds the
 * master and follows +switch-master.  While no master is known every
 * command fails at once (nothing waits for the failover).  The client
 * connects where the watcher says and sends ROLE after the handshake,
 * before the commands (no extra round trip): a node that is not a master
 * is dropped.  On a disconnect, a command timeout, a READONLY or
 * MASTERDOWN error reply it drops the connection (commands in flight get
 * NULL) and asks the sentinels again; a +switch-master naming another
 * node drops the old connection and connects to the new master at once,
 * ignoring the backoff.  Writes the old master acknowledged but had not
 * replicated are lost with it: see redis_min_replicas.
 *
 * Hooks for Sentinel and Cluster (aredis.c): locate() decides where to
 * connect (rc_target_of, or the watcher's master; on_master() connects
 * when the watcher answers later: both end by calling
 * connect_to(ar, target)).  Every
 * command is a struct acmd holding its RESP encoding and its first key
 * (pointer and length into that encoding, NULL without one: EVALSHA's
 * argv[3] when nkeys > 0, aredis_command's key otherwise); acmd_send()
 * is the one place it goes to a connection, where Cluster picks the node
 * of the key's slot and resends the same bytes on MOVED/ASK.
 */
#ifndef OUTPOST_AREDIS_H
#define OUTPOST_AREDIS_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct conf;
struct event_base;
struct aredis;

#define AREDIS_MAXARGS	1024
enum { AREDIS_ERROR, AREDIS_UP };

typedef void aredis_cb(const redisReply *, void *);
typedef void aredis_notify(void *, int, const char *);

struct aredis	*aredis_new(struct event_base *, const struct conf *,
		    aredis_notify *, void *, char *, size_t);
struct aredis	*aredis_free(struct aredis *);
void		 aredis_command(struct aredis *, int, int, const char **,
		    const size_t *, aredis_cb *, void *);
void		 aredis_eval(struct aredis *, const char *, int, int,
		    const char **, const size_t *, aredis_cb *, void *);
int		 aredis_masters(const struct aredis *);
int		 aredis_master_name(const struct aredis *, int, char *,
		    size_t);
void		 aredis_command_master(struct aredis *, int, int,
		    const char **, const size_t *, aredis_cb *, void *);
unsigned long	 aredis_errors(const struct aredis *);
const char	*aredis_last_error(const struct aredis *);
unsigned long	 aredis_connects(const struct aredis *);
int		 aredis_up(const struct aredis *);

#endif
