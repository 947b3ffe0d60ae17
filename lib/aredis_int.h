/*
 * aredis_int -- what lib/aredis.c shares with its Cluster half,
 * lib/aredis_cluster.c; no other file includes it.
 *
 * struct acmd is one command: its RESP encoding, its first key (into
 * that encoding, NULL without one), its timer (redis_timeout), and the
 * Cluster routing state (the node it was sent to, redirections so far,
 * ASKING before it, waiting for a slot map).
 *
 *   ar_error(ar, fmt, ...)      count an error, keep its text, notify
 *   ar_notify_up(ar, text)      notify(AREDIS_UP, text)
 *   acmd_finish(cmd, rep)       stop its timer, call back, free it
 *
 *   arcl_new(ar, base, conf, addr, err, errlen)
 *       the Cluster state of ar: refuses redis_db != 0; starts loading
 *       the slot map from the seeds.  NULL with err set.
 *   arcl_free(cl)               NULL-safe; answers every command NULL
 *   arcl_send(cl, cmd)          route cmd by its key's slot and send it
 *   arcl_timeout(cl, cmd)       cmd's timer fired
 *   arcl_connects(cl)           handshakes completed on any node
 *   arcl_up(cl)                 1 once a slot map is loaded
 *   arcl_masters(cl)            masters of the slot map (0: none yet)
 *   arcl_master_name(cl, i, buf, len)   "host:port" of master i; -1: none
 */
#ifndef OUTPOST_AREDIS_INT_H
#define OUTPOST_AREDIS_INT_H

#include <sys/queue.h>
#include <stddef.h>

#include "aredis.h"

struct event_base;
struct conf;
struct redis_addr;
struct arcl;
struct arnode;

#define AREDIS_REDIRECTS	16	/* MOVED, ASK, TRYAGAIN per command */

struct acmd {
	struct aredis		*ar;
	aredis_cb		*cb;
	void			*arg;
	const char		*lua;		/* EVALSHA: for NOSCRIPT */
	int			 retried;
	struct event		*timer;		/* in this allocation */
	char			*resp;		/* in this allocation */
	size_t			 resplen;
	const char		*key;		/* into resp, NULL: none */
	size_t			 keylen;
	/* Cluster */
	struct arnode		*node;		/* sent there, reply awaited */
	int			 hops;
	int			 asking;
	int			 waiting;	/* on arcl's list */
	int			 master;	/* i + 1: to master i, 0: by key */
	TAILQ_ENTRY(acmd)	 wait;
};

void	ar_error(struct aredis *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	ar_notify_up(struct aredis *, const char *);
void	acmd_finish(struct acmd *, const redisReply *);

struct arcl	*arcl_new(struct aredis *, struct event_base *,
		    const struct conf *, const struct redis_addr *, char *,
		    size_t);
struct arcl	*arcl_free(struct arcl *);
void		 arcl_send(struct arcl *, struct acmd *);
void		 arcl_timeout(struct arcl *, struct acmd *);
unsigned long	 arcl_connects(const struct arcl *);
int		 arcl_up(const struct arcl *);
int		 arcl_masters(const struct arcl *);
int		 arcl_master_name(const struct arcl *, int, char *, size_t);

#endif
