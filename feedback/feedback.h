/*
 * outpost-feedback -- private header: one section per file.
 *
 * The program follows Postfix's log (follow.c), joins the lines of each
 * message by (MTA host, queue ID) (join.c, state cached in jcache.c and
 * mirrored in Pfb:j), writes one delivery event per recipient attempt
 * through lib/dlog, and acts on them (effects.c: suppression of hard
 * bounces, the pause on bounce and complaint rates).  arfin.c handles
 * one complaint report (--arf).  Keys: lib/schema.h.
 */
#ifndef OUTPOST_FEEDBACK_H
#define OUTPOST_FEEDBACK_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct conf;
struct redis;
struct bounce_rules;
struct pflog_rec;
struct jcache;
struct redisReply;
struct dlog_event;
struct dlog_batch;

#define FB_HOST_MAX	256
#define FB_WHO_MAX	256
#define FB_ADDR_MAX	512
#define FB_PENDING_MAX	(64 * 1024)	/* bytes of pending recipients */
#define FB_CACHE_MAX	65536		/* messages kept in memory */
#define FB_BATCH_EVENTS	512		/* events per batch, at most */
#define FB_BATCH_LINES	4096		/* lines per batch, at most */
#define FB_PEND_MAX	4096		/* join keys a batch writes */
#define FB_POSKEY_MAX	1024

/* batch.c -- see there.  Kinds of queued commands (their reply's use). */
enum { FBQ_NONE, FBQ_EVENT, FBQ_SUP_HARD, FBQ_SUP_COMPLAINT, FBQ_RATES };
struct fbq {
	int		 kind;
	size_t		 note;		/* offset in notes, or (size_t)-1 */
};
struct fbev {
	char		 who[FB_WHO_MAX];
	long long	 hour;
	long long	 rt[4];		/* attempts, hard, delivered, complaint */
};
struct fbchk {
	char		 who[FB_WHO_MAX];
	long long	 t;
	size_t		 after;		/* events queued before the check */
	int		 done;		/* taken by an earlier check of who */
};
struct fbpre {				/* a command run before the batch */
	int		 kind;
	char		*note;
	int		 argc;
	char		**argv;
	size_t		*argvlen;
};
struct fbfly {				/* a batch sent, its replies unread */
	int		 on;
	struct fbq	*q;
	size_t		 nq, qcap;
	char		*notes;
	size_t		 nlen, ncap;
	unsigned	 pend[FB_PEND_MAX];
	size_t		 npend;
	int		 overflow;
};
struct fbbatch {
	int		 open;		/* MULTI sent */
	struct fbq	*q;
	size_t		 nq, qcap;
	char		*notes;
	size_t		 nlen, ncap;
	size_t		 events, lines;
	unsigned	 pend[FB_PEND_MAX];
	size_t		 npend;
	int		 overflow;
	char		 poskey[FB_POSKEY_MAX];	/* "": no position */
	unsigned long long ino;
	long long	 off;
	int		 posdirty;
	struct dlog_batch *dl;		/* the delivery events queued */
	struct fbev	*ev;		/* what each adds to rt:H */
	size_t		 nev, capev;
	struct fbchk	*chk;		/* pause checks, run at the commit */
	size_t		 nchk, capchk;
	struct fbpre	*pre;		/* other slots' writes: suppressions */
	size_t		 npre, cappre;
	int		 pauses_due;	/* P{log}:pause written: apply it */
	long long	 mday;		/* P{log}:m:D whose expiry it sets */
	long long	 mark_t;	/* Cluster: last marker GET (s), */
	int		 mark_ok;	/* its outcome */
	struct fbfly	 fly;		/* the previous batch, in flight */
};

/* The program's state (one per process). */
struct fb {
	const struct conf	*conf;
	struct redis		*r;	/* writes: the batch */
	struct redis		*rr;	/* reads */
	struct fbbatch		 b;
	struct bounce_rules	*rules;
	struct jcache		*jc;
	char			 host[FB_HOST_MAX];	/* ours (position) */
	int			 year;
	long			 tzoff;
	unsigned long		 lines, unknown, events, unattributed;
	int			 softbounce_seen;	/* warned once */
};

extern volatile sig_atomic_t fb_stop, fb_reload;

/* batch.c -- batch_cmdv / batch_eval append one command (opening the
 * batch with MULTI); batch_pre keeps one EVAL of another slot (a user's
 * suppression) that batch_commit runs, on fb->rr, before it sends the
 * batch -- idempotent, so a batch that fails after it is harmless;
 * batch_event queues one delivery event (0, 1 refused:
 * err, -1 Redis failed) and batch_events_flush appends the queued events
 * as one script run (lib/dlog's batch writer), which batch_commit and
 * batch_check queues the pause check of who at time t (ms) after the
 * events queued so far: batch_commit appends it after the events'
 * script, telling it what the batch's later events of that user add
 * to the window (subtracted: the check sees the counters through its
 * own event, as if run right after it); batch_commit appends the dirty join state and the
 * position (when posdirty) and runs EXEC: 0, or -1 (the batch's outcome is
 * then unknown: batch_reset, reload the position, read again from it).
 * batch_send does the same but returns once EXEC is written: the batch
 * is in flight while the caller reads and parses the next one, and its
 * replies are read by batch_sync -- called by the next batch_send before
 * its EXEC, by batch_commit, and before a read of a join-state key that
 * the batch in flight writes (batch_pending).  A failure of the batch in
 * flight surfaces there: -1, with the same remedy. */
int	 batch_cmdv(struct fb *, int, const char *, int, const char **,
	    const size_t *);
int	 batch_eval(struct fb *, const char *, int, const char *, int, int,
	    const char **, const size_t *);
int	 batch_event(struct fb *, const struct dlog_event *, char *, size_t);
int	 batch_events_flush(struct fb *);
void	 batch_pre(struct fb *, const char *, int, const char *, int, int,
	    const char **, const size_t *);
void	 batch_check(struct fb *, const char *, long long);
void	 batch_pend(struct fb *, unsigned);
int	 batch_pending(const struct fb *, unsigned);
int	 batch_commit(struct fb *);
int	 batch_send(struct fb *);
int	 batch_sync(struct fb *);
void	 batch_reset(struct fb *);
void	 batch_free(struct fbbatch *);

/* metrics.c -- Prometheus figures (lib/ometrics.h) on
 * feedback_metrics_listen, from a thread of their own. */
void	 fm_start(const struct conf *);
void	 fm_stop(void);

/* main.c */
int	 fb_rules_load(struct fb *, char *, size_t);

/* jcache.c -- what is known of unfinished messages, by "HOST QID".
 * jcache_get finds it in memory, else in Redis (Pfb:j), else NULL
 * (create 1: a new empty one).  jmsg_save writes it through to Redis
 * (create 1: a new empty one; 2: a new one without asking Redis -- the
 * first line of a message).  jmsg_save marks it dirty: jcache_flush
 * (at each batch commit) appends every dirty entry to the batch, so a
 * message that starts and ends within one batch never costs a join-state
 * write.  jcache_drop forgets it in memory and (if it was written) in
 * Redis.  Bounded: past FB_CACHE_MAX the least recently used is dropped
 * from memory only (written first if dirty; Redis keeps it).
 * jcache_clear forgets everything in memory (after a failed batch).
 * -1: Redis failed. */
struct jmsg {
	char		 host[FB_HOST_MAX];
	char		 qid[64];
	char		 who[FB_WHO_MAX];
	char		 client[64];
	char		 from[FB_ADDR_MAX];
	char		 msgid[FB_ADDR_MAX];
	char		 notice[64];	/* original QID of a bounce notice */
	char		 nkind[24];	/* its kind: non-delivery, delay ... */
	long long	 size;
	long		 nrcpt;
	long long	 t;		/* ms */
	char		*pending;	/* deferred rcpts, '\n'-separated */
	struct jmsg	*hnext, *prev, *next;
	unsigned	 hash;
	int		 dirty, stored;
	size_t		 dslot;
};
struct jcache	*jcache_new(void);
struct jcache	*jcache_free(struct jcache *);
int		 jcache_get(struct fb *, const char *, const char *, int,
		    struct jmsg **);
int		 jmsg_save(struct fb *, struct jmsg *);
int		 jcache_drop(struct fb *, struct jmsg *);
void		 jmsg_pending_add(struct jmsg *, const char *);
int		 jmsg_pending_del(struct jmsg *, const char *);
size_t		 jcache_count(const struct jcache *);
int		 jcache_flush(struct fb *);
void		 jcache_clear(struct jcache *);

/* join.c -- one parsed line: 0 done (or nothing to do), -1 Redis failed
 * (the caller retries the line later). */
int	 join_line(struct fb *, const struct pflog_rec *);
int	 join_text(struct fb *, const char *, size_t);

/* effects.c */
int	 fx_suppress(struct fb *, const char *, const char *, int, char *,
	    size_t);
int	 fx_check_rates(struct fb *, const char *, size_t, const long long *,
	    const long long *);
void	 fx_sup_done(struct fb *, int, const char *, const struct redisReply *);
void	 fx_rates_done(struct fb *, const char *, const struct redisReply *);
int	 fx_pauses_apply(struct fb *);

/* follow.c -- follow path ("-": stdin) until fb_stop; 0 / -1 fatal. */
int	 follow_run(struct fb *, const char *, int);

/* arfin.c -- --arf: exit status for the pipe transport. */
int	 arf_main(struct fb *);

#endif
