/*
 * dlog -- the one writer of the delivery log and the per-user figures of
 * lib/schema.h (DELIVERY LOG, PER-USER FIGURES): outpost-feedback for
 * what Postfix logged, outpost-policyd for its own refusals.  Each event
 * is one Lua script run (dlog_script), so an event, its indexes and its
 * counters are written together or not at all.  Every key a script
 * touches carries the hash tag {log} (one Cluster slot).  Key names are
 * built here in C (lib/schema.c) and passed as KEYS; the event's own key
 * is KEYS[2] .. EID, the number the script draws from P{log}:seq.
 *
 *   dlog_mark_in_script(conf)
 *       1 when the scripts check the schema marker themselves (one
 *       server: the marker is a KEY of the script); 0 on a Cluster
 *       (redis_address cluster:...: the marker is in another slot), where
 *       the caller checks it with a GET of its own before writing.
 *   dlog_rt_lo(conf, hour)
 *       the lowest hour P{log}:rt:WHO keeps after a write at hour:
 *       hour - bounce_window/1 h - 1.
 *   dlog_build(conf, ev, cmd, err, errlen)
 *       fills *cmd with the script's KEYS and ARGV for one event (the
 *       strings of ev must outlive cmd; cmd holds its own key buffers).
 *       0, or -1 with err (no status, an invalid WHO, a key too long).
 *       Run it with redis_eval(r, dlog_script, cmd.nkeys, cmd.argc,
 *       cmd.argv, cmd.argvlen) -- or with any client's EVALSHA
 *       (policyd's async one): the reply is the integer EID, or -1 when
 *       the Redis holds no schema marker (lib/schema.h THE MARKER): a
 *       Redis emptied under a writer stays empty, the check and the
 *       writes being one script.
 *   dlog_build_count(conf, who, t, field, cmd, err, errlen)
 *       only the counters, no event: field (DLOG_COMPLAINT) + 1 in both
 *       st:WHO:H (and the fleet's hour and day) and rt:WHO (hour t);
 *       the reply is 0 (-1: no marker).
 *   dlog_write(r, conf, ev, err, errlen)
 *       build + run: the EID (> 0), or -1 with err (Redis's errstr; then
 *       redis_unanswered(r) says whether it may have been written).
 *   dlog_count(r, conf, who, t, field, err, errlen)      0 / -1, the same
 *   dlog_figures(status, category, st, nst, rt, nrt)
 *       which st:WHO:H and rt:WHO fields an event adds 1 to (pointers to
 *       static names, at most DLOG_FIG_MAX each; in rt:WHO the field is
 *       "NAME:H"):
 *         delivered  st sent, delivered           rt attempts, delivered
 *         bounced    st sent, hard|soft|block     rt attempts [, hard]
 *         expired    st sent, expired             rt attempts
 *         deferred   st deferred                  --
 *         refused    st refused                   -- (not an attempt)
 *       and nothing at all for category "notice" (the delivery of a
 *       bounce notice to the original sender: not the user's attempt).
 *
 *
 * The batch writer (outpost-feedback): many events, one script run.
 *   dlog_batch_new()  / dlog_batch_free(b)    NULL: out of memory
 *   dlog_batch_add(b, conf, ev, err, errlen)
 *       queues one event (its strings are copied): 0, or -1 with err
 *       (what dlog_build refuses, out of memory).
 *   dlog_batch_events(b)     how many are queued
 *   dlog_batch_cmd(b, conf, &nkeys, &argc, &argv, &argvlen)
 *       the KEYS and ARGV of one run of dlog_batch_script applying every
 *       queued event in order (argv valid until the next call on b): 0,
 *       -1 out of memory or a key too long.  The reply is the EID of the
 *       first event (the others follow it), or -1 without the marker
 *       (nothing written).  The end state is that of dlog_script run for
 *       each event in turn, except that each index, counter hash and
 *       P{log}:who is trimmed and given its expiry once per batch (the cut
 *       of the batch's latest event, the same value the last dlog_script
 *       run would have used for the key) and counters are added as sums.
 *   dlog_batch_clear(b)      forget the queued events (keeps the memory)
 *
 * The event (struct dlog_event): t in unix milliseconds, the strings of
 * P{log}:e:EID's fields (NULL or "": not stored), code 0: not stored.
 * reply is cut at SCHEMA_REPLY_MAX bytes.  who must satisfy
 * schema_who_valid; rcpt and from are stored and indexed as given (the
 * caller passes their suppression form); from "" is not indexed; msgid is
 * stored, not indexed (P{log}:m is the joiner's, see feedback); notice (a
 * bounce notice's own queue ID, its event filed under the original's
 * qid) is stored instead of msgid when set, not indexed.
 * Expiry: the event key and every index log_retention after the write,
 * index members older than t - log_retention trimmed at each write;
 * st:WHO:H SCHEMA_STATS_TTL, rt:WHO bounce_window + 1 h (its hours below
 * dlog_rt_lo deleted; an event of an hour below the key's lo is not
 * counted there).  Every st:WHO:H field added is added to the fleet's
 * st:*:H of the same hour and st:*:d:D of the same day too, in the same
 * script run (lib/schema.h).  Each event also sets who's score in P{log}:who to t (members older than SCHEMA_STATS_TTL
 * trimmed, the key expires after it).
 */
#ifndef OUTPOST_DLOG_H
#define OUTPOST_DLOG_H

#include <stddef.h>

#include "schema.h"

struct conf;
struct redis;

#define DLOG_FIG_MAX	3
#define DLOG_NKEYS_MAX	13
#define DLOG_ARGS_MAX	(DLOG_NKEYS_MAX + 12 + 2 * DLOG_FIG_MAX + 2 * 19)
#define DLOG_COMPLAINT	"complaint"
#define DLOG_HFIELDS	10	/* distinct fields of one counter hash */

struct dlog_event {
	long long	 t;
	const char	*host;
	const char	*qid;
	const char	*who;
	const char	*client;
	const char	*from;
	const char	*rcpt;
	const char	*orig_to;
	const char	*status;
	const char	*dsn;
	int		 code;
	const char	*reply;
	const char	*relay;
	const char	*relay_ip;
	const char	*delay;
	const char	*category;
	const char	*class;
	const char	*rule;
	const char	*msgid;
	const char	*notice;
};

struct dlog_cmd {
	int		 nkeys;
	int		 argc;
	const char	*argv[DLOG_ARGS_MAX];
	size_t		 argvlen[DLOG_ARGS_MAX];
	char		 keys[DLOG_NKEYS_MAX][SCHEMA_KEY_MAX];
	char		 num[12][24];
};

extern const char dlog_script[];
extern const char dlog_batch_script[];

struct dlog_batch;
struct dlog_batch *dlog_batch_new(void);
struct dlog_batch *dlog_batch_free(struct dlog_batch *);
void		 dlog_batch_clear(struct dlog_batch *);
size_t		 dlog_batch_events(const struct dlog_batch *);
int		 dlog_batch_add(struct dlog_batch *, const struct conf *,
		    const struct dlog_event *, char *, size_t);
int		 dlog_batch_cmd(struct dlog_batch *, const struct conf *,
		    int *, int *, const char ***, const size_t **);

int		 dlog_mark_in_script(const struct conf *);
long long	 dlog_rt_lo(const struct conf *, long long);
int		 dlog_build(const struct conf *, const struct dlog_event *,
		    struct dlog_cmd *, char *, size_t);
int		 dlog_build_count(const struct conf *, const char *, long long,
		    const char *, struct dlog_cmd *, char *, size_t);
long long	 dlog_write(struct redis *, const struct conf *,
		    const struct dlog_event *, char *, size_t);
int		 dlog_count(struct redis *, const struct conf *, const char *,
		    long long, const char *, char *, size_t);
void		 dlog_figures(const char *, const char *, const char **,
		    int *, const char **, int *);

#endif
