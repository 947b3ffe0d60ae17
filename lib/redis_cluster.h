/*
 * redis_cluster -- Redis Cluster under the synchronous client (lib/redis.c
 * calls these when redis_address is cluster:...; nothing else should).
 *
 * It owns the slot map (loaded with CLUSTER SLOTS from the first node that
 * answers: the known nodes, then the seeds of redis_address) and one
 * hiredis context per node, connected when first needed (timeouts,
 * keepalive, AUTH [user] password; never SELECT: a cluster has only
 * database 0, so rcluster_new refuses redis_db != 0).  Never logs.
 *
 * Routing: a command goes to the master of its key's slot
 * (cluster_command_key: EVAL/EVALSHA by their first key, other commands
 * by argv[1]); a command without a key goes to the first master.  A MOVED
 * reply reloads the map and resends the command to the node named; ASK
 * sends ASKING and the command to the node named, once; at most
 * RCLUSTER_REDIRECTS redirections per command.  A NOSCRIPT from EVALSHA
 * loads the script on the node that said it and retries once.  An I/O
 * error marks the map for reloading before the next command.
 *
 * Pipelining (rcluster_vappend/appendv, rcluster_get_reply): each command
 * is queued on its node's context at once, and replies are read back in
 * the order the commands were appended.  A command without a key follows
 * the previous command's node (EXEC after the commands of its MULTI), or
 * the next keyed command's when it comes first (MULTI), or the first
 * master.  When a reply is a redirection, the replies of every command
 * still queued are read and kept first, then the redirected command is
 * resent on its own (so no context has replies outstanding while it
 * runs).  Commands between MULTI and EXEC are never resent (that would
 * run them outside the transaction): their redirection is returned as an
 * error, and EXEC fails with EXECABORT.
 *
 * Every function returns like its redis_ counterpart in lib/redis.h; the
 * error is read with rcluster_errstr / rcluster_is_io_error /
 * rcluster_unanswered.
 *
 *   rcluster_new(conf, addr, err, errlen)  NULL with err set on redis_db
 *                                           != 0 or out of memory
 *   rcluster_free(rc)                       NULL-safe, returns NULL
 *   rcluster_connect(rc)                    (re)load the slot map; 0 / -1
 *   rcluster_vcommand / rcluster_commandv   one command, routed
 *   rcluster_vappend / rcluster_appendv / rcluster_get_reply
 *   rcluster_flush(rc)   write every context's unsent commands (a
 *       command still waiting for its node -- a MULTI before any keyed
 *       command -- is sent by the next rcluster_get_reply)
 *   rcluster_eval(rc, lua, argc, argv, argvlen)
 *       argv is the whole EVALSHA command (argv[1] the SHA of lua)
 *   rcluster_nnodes(rc)                     masters in the map (loading
 *                                           it if needed); -1 on error
 *   rcluster_commandv_node / rcluster_vcommand_node(rc, i, ...)
 *       the command on master i, no routing, no redirection followed
 */
#ifndef OUTPOST_REDIS_CLUSTER_H
#define OUTPOST_REDIS_CLUSTER_H

#include <stdarg.h>
#include <stddef.h>
#include <hiredis/hiredis.h>

#define RCLUSTER_REDIRECTS	5

struct conf;
struct redis_addr;
struct rcluster;

struct rcluster	*rcluster_new(const struct conf *, const struct redis_addr *,
		    char *, size_t);
struct rcluster	*rcluster_free(struct rcluster *);
const char	*rcluster_errstr(const struct rcluster *);
int		 rcluster_is_io_error(const struct rcluster *);
int		 rcluster_unanswered(const struct rcluster *);
int		 rcluster_connect(struct rcluster *);
redisReply	*rcluster_vcommand(struct rcluster *, const char *, va_list);
redisReply	*rcluster_commandv(struct rcluster *, int, const char **,
		    const size_t *);
int		 rcluster_vappend(struct rcluster *, const char *, va_list);
int		 rcluster_appendv(struct rcluster *, int, const char **,
		    const size_t *);
redisReply	*rcluster_get_reply(struct rcluster *);
int		 rcluster_flush(struct rcluster *);
redisReply	*rcluster_eval(struct rcluster *, const char *, int,
		    const char **, const size_t *);
int		 rcluster_nnodes(struct rcluster *);
redisReply	*rcluster_commandv_node(struct rcluster *, int, int,
		    const char **, const size_t *);
redisReply	*rcluster_vcommand_node(struct rcluster *, int, const char *,
		    va_list);

#endif
