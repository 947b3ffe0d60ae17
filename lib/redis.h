/*
 * redis -- a synchronous Redis client over hiredis 0.14 for outpostctl,
 * the milter's refunds and the tests.  Not thread-safe: one per thread
 * (no static state: two clients in two threads share nothing).  The
 * daemon's asynchronous client is lib/aredis.h; what both share (target,
 * handshake, backoff, script SHA1s, first keys) is lib/rcommon.h.
 *
 * It owns one redisContext and hides hiredis 0.14's sharp edges: errors
 * are sticky (a broken context is reconnected before the next command,
 * never behind a command's back: a command that failed is not resent),
 * redisReconnect forgets the command timeout (re-applied after every
 * connect), connects are retried with exponential backoff (rcommon.h:
 * 100 ms doubling to 5 s, reset after a completed handshake; inside the
 * backoff a command fails at once).  After every connect: AUTH [user]
 * password, SELECT db (rc_hello).  Never logs.  hiredis writes with plain
 * write(2): the program must ignore SIGPIPE.
 *
 * Hooks for Sentinel and Cluster (redis.c): redis_connect asks
 * rc_target_of where to connect (Sentinel: ask the sentinels); every argv
 * command goes through send_argv with the index of its first key
 * (redis_eval: 3 when nkeys > 0; redis_commandv: rc_first_key), where a
 * Cluster client picks the node of the key's slot.  The format-string
 * calls (redis_command, redis_append) carry no key.
 *
 *   redis_new(conf, err, errlen)
 *       parse conf redis_address (see struct redis_addr below);
 *       does not connect.
 *       cluster: runs on lib/redis_cluster.c (read its contract: routing
 *       by key, MOVED/ASK, pipelines per node; redis_db must be 0).
 *       For sentinel: every connect and reconnect first asks the
 *       sentinels for the master and confirms it with ROLE (sentinel.h);
 *       a READONLY or MASTERDOWN error reply (the node is a replica now,
 *       or cut off from its master) marks the connection stale, so the
 *       next command reconnects and finds the master again.
 *       NULL with err set on a bad address.  Keeps a pointer to conf.
 *   redis_free(r)                         NULL-safe, returns NULL
 *   redis_connect(r)                      connect now; 0 / -1
 *   redis_errstr(r)                       text of the last error
 *   redis_command(r, fmt, ...)            hiredis format (%s, %b ...);
 *   redis_commandv(r, argc, argv, argvlen)
 *       the reply (free it with freeReplyObject), or NULL with errstr set;
 *       a Redis error reply is also returned as NULL, errstr = its text.
 *   redis_append(r, fmt, ...) / redis_appendv(r, argc, argv, argvlen)
 *   redis_get_reply(r)
 *       pipelining: append N commands, then read N replies (same error
 *       rules; an I/O error leaves the context broken for the next call).
 *   redis_flush(r)
 *       write the appended commands now, without reading a reply (Redis
 *       starts on them while the caller prepares more); 0 / -1 (I/O,
 *       errstr set, the commands' outcome unknown).  The replies are read
 *       with redis_get_reply as usual.
 *   redis_eval(r, lua, nkeys, argc, argv, argvlen)
 *       run a script with EVALSHA.  Scripts are identified by their text
 *       (a static string); the SHA1 is computed locally, SCRIPT LOAD runs
 *       once per connection and again on NOSCRIPT, then EVALSHA is retried
 *       once.  Returns like redis_command.  At most REDIS_EVAL_MAXARGS
 *       arguments (up to 60 without an allocation).
 *   redis_nnodes(r)                       masters to visit for a command
 *                                         over the whole keyspace (SCAN):
 *                                         1, or a cluster's masters; -1
 *   redis_command_node(r, i, fmt, ...) / redis_commandv_node(r, i, argc,
 *       argv, argvlen)   the command on master i (0..nnodes-1), no
 *       routing, no redirection; like redis_command otherwise
 *   redis_scan(r, glob, fn, arg)          (lib/redis_scan.c) SCAN MATCH
 *       glob on every master, a page at a time; fn(arg, key) for each
 *       key (a string reply), -1 from fn stops.  0 / -1 (fn's -1 too).
 *   redis_script_sha(lua, sha)            SHA1 hex (41 bytes) of a script,
 *                                         as SCRIPT LOAD would return it
 *   redis_is_io_error(r)                  1 if the last error was I/O or a
 *                                         timeout (not an error reply)
 *   redis_wait_replicas(r)
 *       after a write that matters: WAIT redis_min_replicas redis_timeout
 *       (nothing when it is 0).  0 when that many replicas acknowledged
 *       every write of this connection so far; -1 with errstr set when
 *       fewer did within the timeout (the write is done on the master
 *       all the same: WAIT never undoes it) or on a Redis error.
 *   redis_unanswered(r)
 *       after a failed command, whether Redis may have run it anyway:
 *       0 it did not (never sent: not connected, in the backoff; or
 *       refused with an error reply), REDIS_SENT_LOST it was sent and the
 *       connection failed before the reply, REDIS_SENT_TIMEOUT it was sent
 *       and no reply came within redis_timeout.  For a write the last two
 *       mean "outcome unknown", not "not done".
 */
#ifndef OUTPOST_REDIS_H
#define OUTPOST_REDIS_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct conf;
struct redis;

#define REDIS_EVAL_MAXARGS	4096
#define REDIS_SENT_LOST		1	/* redis_unanswered() */
#define REDIS_SENT_TIMEOUT	2

struct redis	*redis_new(const struct conf *, char *, size_t);
struct redis	*redis_free(struct redis *);
int		 redis_connect(struct redis *);
const char	*redis_errstr(const struct redis *);
int		 redis_is_io_error(const struct redis *);
int		 redis_unanswered(const struct redis *);
int		 redis_wait_replicas(struct redis *);
redisReply	*redis_command(struct redis *, const char *, ...);
redisReply	*redis_commandv(struct redis *, int, const char **,
		    const size_t *);
int		 redis_append(struct redis *, const char *, ...);
int		 redis_appendv(struct redis *, int, const char **,
		    const size_t *);
redisReply	*redis_get_reply(struct redis *);
int		 redis_flush(struct redis *);
redisReply	*redis_eval(struct redis *, const char *, int, int,
		    const char **, const size_t *);
void		 redis_script_sha(const char *, char[41]);
int		 redis_nnodes(struct redis *);
redisReply	*redis_command_node(struct redis *, int, const char *, ...);
redisReply	*redis_commandv_node(struct redis *, int, int, const char **,
		    const size_t *);
int		 redis_scan(struct redis *, const char *,
		    int (*)(void *, const redisReply *), void *);

/*
 * Address of conf redis_address (lib/redis_addr.c), shared with the
 * daemon's async client.  redis_addr_parse: 0, or -1 with err set.
 * redis_addr_supported: -1 (err set) for the forms the daemon's async
 * client does not handle (none today: every form);
 * redis_addr_supported_sync: the same for this synchronous client, which
 * takes every form.
 */
#define REDIS_ADDR_SEEDS	16
enum { REDIS_ADDR_TCP, REDIS_ADDR_UNIX, REDIS_ADDR_SENTINEL,
    REDIS_ADDR_CLUSTER };

struct redis_node {
	char	 host[256];
	int	 port;
};

struct redis_addr {
	int			 kind;		/* REDIS_ADDR_* */
	int			 unix_socket;	/* kind == REDIS_ADDR_UNIX */
	char			 path[108];	/* REDIS_ADDR_UNIX */
	char			 host[256];	/* REDIS_ADDR_TCP */
	int			 port;
	int			 nseeds;	/* SENTINEL: sentinels; */
	struct redis_node	 seeds[REDIS_ADDR_SEEDS]; /* CLUSTER: nodes */
	char			 master[128];	/* SENTINEL: master name */
};
int		 redis_addr_parse(const char *, struct redis_addr *, char *,
		    size_t);
int		 redis_addr_supported(const struct redis_addr *, const char *,
		    char *, size_t);
int		 redis_addr_supported_sync(const struct redis_addr *,
		    const char *, char *, size_t);

#endif
