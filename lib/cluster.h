/*
 * cluster -- the pure parts of a Redis Cluster client: key slots, the slot
 * map of a CLUSTER SLOTS reply, the key a command is routed by, and the
 * MOVED / ASK redirections.  No I/O, never logs; the clients that talk to
 * the nodes are lib/redis_cluster.c (synchronous) and, later, policyd's.
 *
 *   cluster_key_slot(key, len)
 *       the slot (0..16383) Redis Cluster puts the key in: CRC16 (XMODEM)
 *       mod 16384 of the key, or of its hash tag -- the bytes between the
 *       first '{' and the first '}' after it, when there are any.
 *   cluster_crc16(buf, len)               CRC16-CCITT (XMODEM), init 0
 *
 *   cluster_map_new() / cluster_map_free(m)
 *       an empty map (every slot unserved); NULL when out of memory.
 *       cluster_map_free is NULL-safe and returns NULL.
 *   cluster_map_load(m, reply, self, err, errlen)
 *       replace m by the map of a CLUSTER SLOTS reply (the hiredis reply
 *       object): each range's first node is its master, the others its
 *       replicas.  An empty (or nil) host stands for self, the node that
 *       was asked; "?" (an unknown endpoint) leaves a master's range
 *       unserved and a replica out.  0, or -1 with err set and m left as
 *       it was (a malformed reply: not an array, a range outside
 *       0..16383 or reversed, ranges that overlap, a node that is not
 *       [host, port, ...], a host longer than 255 bytes, a port outside
 *       1..65535, more than CLUSTER_NODES_MAX nodes).
 *   cluster_map_node(m, slot)             index of the slot's master, -1
 *                                         when no node serves it
 *   cluster_map_nnodes(m)                 nodes known, masters first
 *   cluster_map_nmasters(m)               masters (indexes 0..n-1)
 *   cluster_map_get(m, i)                 node i (struct cluster_node)
 *
 *   cluster_redirect(text, len, rd)
 *       parse an error reply's text: CLUSTER_MOVED or CLUSTER_ASK with
 *       rd filled in ("MOVED 3999 127.0.0.1:6381"; the host may be an
 *       IPv6 address, bare or in brackets, or empty: the node that
 *       answered), 0 when the text is no redirection, -1 when it starts
 *       like one but is malformed.
 *
 *   cluster_command_key(argc, argv, argvlen, &key, &keylen)
 *       the key a command is routed by: EVAL, EVALSHA (and _RO, FCALL):
 *       the first key when numkeys > 0; commands without keys (MULTI,
 *       EXEC, SCRIPT, SCAN, PING, ...): none; every other command: its
 *       first argument.  1 with key set, 0 when there is no key.
 *   cluster_resp_key(buf, len, &key, &keylen)
 *       the same for a command already in the wire format (a RESP array
 *       of bulk strings, as redisFormatCommand makes it); -1 when buf is
 *       not one.
 */
#ifndef OUTPOST_CLUSTER_H
#define OUTPOST_CLUSTER_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#define CLUSTER_SLOTS		16384
#define CLUSTER_NODES_MAX	128
#define CLUSTER_MOVED		1
#define CLUSTER_ASK		2

struct cluster_node {
	char	 host[256];
	int	 port;
	int	 master;	/* index of its master; its own index if one */
};

struct cluster_redirect {
	int	 kind;		/* CLUSTER_MOVED, CLUSTER_ASK */
	int	 slot;
	char	 host[256];	/* "" = the node that answered */
	int	 port;
};

struct cluster_map;

unsigned		 cluster_crc16(const char *, size_t);
int			 cluster_key_slot(const char *, size_t);
struct cluster_map	*cluster_map_new(void);
struct cluster_map	*cluster_map_free(struct cluster_map *);
int			 cluster_map_load(struct cluster_map *,
			    const redisReply *, const char *, char *, size_t);
int			 cluster_map_node(const struct cluster_map *, int);
int			 cluster_map_nnodes(const struct cluster_map *);
int			 cluster_map_nmasters(const struct cluster_map *);
const struct cluster_node *cluster_map_get(const struct cluster_map *, int);
int			 cluster_redirect(const char *, size_t,
			    struct cluster_redirect *);
int			 cluster_command_key(int, const char **,
			    const size_t *, const char **, size_t *);
int			 cluster_resp_key(const char *, size_t, const char **,
			    size_t *);

#endif
