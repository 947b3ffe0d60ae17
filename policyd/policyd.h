/*
 * outpost-policyd -- private header shared by the files of policyd/.
 *
 * proto.c   the Postfix policy protocol parser (pure: bytes in, one
 *           request record out) and the reply formatter.
 * decide.c  from a request to script arguments, and from a script reply
 *           to the action text (pure, unit-tested).
 * record.c  outpost's own refusals into the delivery log (lib/dlog),
 *           fire-and-forget after the reply.
 * mark.c    the schema marker (lib/schema.h): GET before judging, cached
 *           for a second and until a reconnect; missing -> on_error.
 * listen.c  the listening sockets: bind, accept, pause on EMFILE.
 * cpool.c   connection records in mmap'd slabs of their own, so that the
 *           RSS comes back after a wave of connections.
 * server.c  connections, the event loop, draining on SIGTERM; Redis
 *           errors of lib/aredis logged, at most a line per 10 seconds.
 * sweep.c   deletes expired suppression entries in the background.
 * track.c   warns once per user whose mail is seen at RCPT but never at
 *           END-OF-MESSAGE.
 * main.c    arguments, config, listen, drop privileges, loop.
 *
 * Redis: lib/aredis.h, the asynchronous client (hiredis async on
 * libevent) shared with the other daemons.
 */
#ifndef OUTPOST_POLICYD_H
#define OUTPOST_POLICYD_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct conf;
struct event_base;

/* ---- proto.c ---- */
#define POL_REQUEST_MAX		65536	/* a request must end within this */
#define POL_LINE_MAX		8192	/* one attribute line */
#define POL_COUNT_DIGITS	15	/* size, recipient_count */

struct pol_request {
	const char	*request;		/* "smtpd_access_policy" */
	const char	*protocol_state;	/* RCPT, END-OF-MESSAGE ... */
	const char	*sasl_username;
	const char	*sender;
	const char	*recipient;
	const char	*recipient_count;
	const char	*size;
	const char	*queue_id;
	const char	*instance;
	const char	*client_address;
	int		 nattrs;
};

/*
 * pol_parse(buf, len, req, used, err, errlen)
 *   1: a complete request: *req points into buf (lines NUL-terminated in
 *      place, absent attributes ""), *used bytes belong to it;
 *   0: need more bytes (nothing modified);
 *  -1: malformed (err says why): no end within POL_REQUEST_MAX, a line
 *      longer than POL_LINE_MAX, a line that is not name=value, a NUL byte,
 *      a size or recipient_count that is neither empty nor 1 to
 *      POL_COUNT_DIGITS decimal digits (buf may have been modified).
 */
int	 pol_parse(char *, size_t, struct pol_request *, size_t *, char *,
	    size_t);

/* ---- decide.c ---- */
enum dec_stage { DEC_DUNNO, DEC_RCPT, DEC_EOM };

#define DEC_MAXARGS	16
#define DEC_REPLY_MAX	510	/* an SMTP reply line without its CRLF */
#define DEC_ARGLEN	512
#define DEC_NKEYS_RCPT	7	/* lib/pscript.h */
#define DEC_NKEYS_EOM	5
#define DEC_NGLOBAL	2	/* global buckets looked up at RCPT */

/* A plain command of dec_call: "HGET key field" and the like. */
struct dec_cmd {
	int	 argc;
	char	 argv[3][DEC_ARGLEN];
	size_t	 argvlen[3];
};

struct dec_call {
	const struct conf *conf;
	int	 stage;				/* enum dec_stage */
	int	 nkeys;
	int	 argc;
	char	 argv[DEC_MAXARGS][DEC_ARGLEN];
	size_t	 argvlen[DEC_MAXARGS];
	long	 off;				/* clock offset */
	int	 nglobal;			/* global lookups (RCPT) */
	struct dec_cmd global[DEC_NGLOBAL];	/* HGET Psup:N field */
	int	 gsup, greason;			/* a live global entry */
	long long gcreated;
	struct dec_cmd plan[2];		/* HGETALL Pplan:P, SISMEMBER */
	char	 fbplan[DEC_ARGLEN];		/* the plan fetched (raw name) */
	char	 user[256];			/* for log lines (cleaned) */
	char	 sender[512];			/* for reply texts */
	char	 recipient[512];
	char	 queue_id[64];			/* for log lines (cleaned) */
	char	 client[64];			/* client_address (cleaned) */
	char	 badrcpt[128];	/* RCPT refused unlooked-up: why ("" no) */
};

/* Stage and script arguments of a request; DEC_DUNNO needs no Redis. */
int	 dec_prepare(const struct conf *, const struct pol_request *, long,
	    struct dec_call *);
/* The action text when the schema marker is missing: on_error's. */
void	 dec_unmarked(const struct conf *, char *, size_t);
/* The action text for a script reply (NULL reply: on_error). */
void	 dec_reply(const struct conf *, const struct dec_call *,
	    const redisReply *, char *, size_t);
/* 1 if a RCPT reply says the user's plan does not exist (name in buf). */
int	 dec_noplan(const struct dec_call *, const redisReply *, char *,
	    size_t);
/*
 * The global suppression list, looked up by the caller next to the
 * script (c->global[0 .. nglobal-1], pipelined before it):
 * dec_global(c, i, reply) takes the HGET reply of lookup i; 0, or -1
 * when Redis failed (NULL or an error reply: the request gets on_error).
 * A live entry turns the script's "ok" or "limit" into a global
 * suppression refusal in dec_reply / dec_refusal / dec_dry.
 */
int	 dec_global(struct dec_call *, int, const redisReply *);
/*
 * The plan fallback (lib/pscript.h "needplan"): dec_needplan copies the
 * plan name of such a reply into plan (raw bytes, for a key) and fills
 * c->plan with HGETALL Pplan:PLAN and SISMEMBER Pplans PLAN; 1, or 0
 * when the reply is no "needplan" (-1: the name is no plan name, which
 * dec_fallback then handles as a plan that does not exist).
 * dec_fallback(c, plan, hgetall, sismember) puts the plan into the
 * script's fallback arguments (NULL replies: the plan does not exist);
 * 0, or -1 when its limits do not fit an argument.
 */
int	 dec_needplan(const struct conf *, struct dec_call *,
	    const redisReply *, char *, size_t);
int	 dec_fallback(struct dec_call *, const char *, const redisReply *,
	    const redisReply *);
/* A deep copy of a reply (strings, integers, nil, status, arrays) that
 * outlives hiredis's callback, freed by dec_reply_free (NULL-safe). */
redisReply *dec_reply_copy(const redisReply *);
redisReply *dec_reply_free(redisReply *);
/* 1 if policyd_dry_run turns this limit refusal into DUNNO. */
int	 dec_dry(const struct conf *, const struct dec_call *,
	    const redisReply *);
/* 1 if END-OF-MESSAGE counted the message (the accounting line in buf). */
int	 dec_counted(const struct dec_call *, const redisReply *, char *,
	    size_t);
/* 1 if an END-OF-MESSAGE reply says the queue ID had a refund record. */
int	 dec_refund_dup(const struct dec_call *, const redisReply *);
/* Why a request was refused, for the delivery log's class: "unknown",
 * "suspended", "domain", "nodomain", "suppressed", "limit", "badrcpt";
 * NULL when the reply is no refusal of outpost's (admitted, or Redis
 * failed: on_error's answer is an outage, not a verdict). */
const char *dec_refusal(const struct dec_call *, const redisReply *);

/* ---- record.c ---- */
struct aredis;
/*
 * rec_refusal(ar, conf, host, call, action)
 *   the refusal just answered (action, the reply text) as one event of
 *   the delivery log (lib/dlog: status and category "refused", class
 *   dec_refusal's reason), written fire-and-forget after the reply: the
 *   client never waits for it; a failed write is logged at debug.
 */
void	 rec_refusal(struct aredis *, const struct conf *, const char *,
	    const struct dec_call *, const char *, const char *);

/* ---- cpool.c ---- */
struct cpool;
struct cpool	*cpool_new(size_t);
void		*cpool_get(struct cpool *);
void		 cpool_put(struct cpool *, void *);
struct cpool	*cpool_free(struct cpool *);

/* ---- mark.c ---- */
enum { MARK_OK, MARK_MISSING, MARK_ERROR };
struct mark;
typedef void mark_cb(int, void *);

struct mark	*mark_new(const struct conf *, struct aredis *);
/* After aredis_free, which answers the GET in flight (MARK_ERROR). */
struct mark	*mark_free(struct mark *);
/* cb(MARK_*, arg), possibly before mark_check returns. */
void		 mark_check(struct mark *, mark_cb *, void *);

/* ---- track.c ---- */
struct track;
struct track	*track_new(void);
struct track	*track_free(struct track *);
/* A transaction ended (instance changed or connection closed). */
void		 track_transaction(struct track *, const char *, int, int);
/* The user's plan does not exist: warn once per user and process. */
void		 track_noplan(struct track *, const char *, const char *);
/* A plan's limits had to be fetched: warn once per plan and process. */
void		 track_fallback(struct track *, const char *, const char *);

/* ---- sweep.c ---- */
struct sweep;
struct sweep	*sweep_new(struct event_base *, const struct conf *,
		    struct aredis *, long);
struct sweep	*sweep_free(struct sweep *);

/* ---- listen.c ---- */
struct listener;
typedef void lsn_cb(int, void *);	/* an accepted non-blocking fd */

struct listener	*lsn_open(struct event_base *, const struct conf *, lsn_cb *,
		    void *, char *, size_t);
struct listener	*lsn_free(struct listener *);

/* ---- reload.c ---- */
void		 reload_conf(struct conf *, const char *);

/* ---- metrics.c ---- Prometheus figures (lib/ometrics.h), /metrics */
struct timespec;
void		 pm_start(struct event_base *, const struct conf *);
void		 pm_stop(void);
/* One answer queued: action as sent, error when on_error answered, t0
 * the request's start (CLOCK_MONOTONIC). */
void		 pm_answer(const char *, int, const struct timespec *);
/* outpost_users_paused kept up to date through ar (after pm_start and
 * aredis_new); stop after aredis_free (it answers the SCARD in flight). */
struct aredis;
void		 pm_paused_start(struct event_base *, const struct conf *,
		    struct aredis *);
void		 pm_paused_stop(void);

/* ---- server.c ---- */
struct server;
struct server	*server_new(struct event_base *, const struct conf *,
		    char *, size_t);
int		 server_listen(struct server *, char *, size_t);
void		 server_run(struct server *);
struct server	*server_free(struct server *);

#endif
