/*
 * outpostctl -- private header shared by the files of ctl/.
 *
 * One verb table (verbs.c) names every command: group, verb, how many
 * positional arguments, which options, what the first argument is, whether
 * it needs Redis, whether it changes Redis, the handler and the usage
 * line.  ctl_run parses the command line against it, checks the
 * arguments, connects to Redis when the entry asks, and calls the handler
 * with the parsed arguments; after a change that succeeded it writes the
 * schema marker (init.c, lib/schema.h), so that any change marks a Redis
 * as outpost's.  The usage text (--help) is generated from the same table.
 *
 * Every handler returns the exit status, and every group keeps one
 * contract (out.c):
 *   0 EXIT_OK       success: text on stdout, or with --json one JSON
 *                   document; changes print {"ok":true,...}
 *   1 EXIT_REFUSED  refused: "outpostctl: REASON" on stderr and, with
 *                   --json, {"ok":false,"error":REASON} on stdout
 *                   (ctl_refuse)
 *   2 EXIT_USAGE    usage error: stderr only (ctl_bad_usage)
 */
#ifndef OUTPOST_CTL_H
#define OUTPOST_CTL_H

#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

#include "conf.h"

#define EXIT_OK		0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2

#define CTL_MAX_DOMAINS	50	/* + 4 KEYS + 3 ARGV <= redis_eval's 60 */
#define CTL_DOMAIN_MAX	254	/* an A-label domain + NUL */
#define CTL_MAX_KEYS	32	/* --key options of verify */

struct redis;
struct json;

struct ctl {
	struct conf	 conf;
	const char	*conf_path;
	int		 json;		/* --json: machine-readable output */
	struct redis	*r;		/* connected when the verb says so */
};

/*
 * What ctl_run parsed for a verb.  Option letters (struct ctl_verb opts):
 * p --plan, d --domain (repeatable), r --reason, t --ttl, u --user,
 * a --any, s --selector, A --all, k --key (repeatable), R --rcpt,
 * F --from, Q --queue-id, S --status, b --since, e --until, n --limit,
 * N --top; --json is accepted everywhere.
 */
struct ctl_opts {
	const char	*plan;
	const char	*reason;
	const char	*ttl;
	const char	*user;
	const char	*selector;
	const char	*rcpt, *from, *qid, *status;	/* log */
	const char	*since, *until, *limit, *top;	/* log, stats */
	int		 any;		/* --any */
	int		 all;		/* --all */
	const char	*domains[CTL_MAX_DOMAINS];
	int		 ndomains;
	const char	*keys[CTL_MAX_KEYS];	/* --key NAME=FILE */
	int		 nkeys;
	char		**args;		/* positional arguments */
	int		 nargs;
	char		 domain[CTL_DOMAIN_MAX];	/* CTL_DOMAIN: args[0] */
};

typedef int	 ctl_handler(struct ctl *, struct ctl_opts *);

/* flags of a verb */
#define CTL_REDIS	0x01	/* ctl->r connected before the handler */
#define CTL_USER	0x02	/* args[0] is a user name (checked) */
#define CTL_PLAN	0x04	/* args[0] is a plan name (checked) */
#define CTL_DOMAIN	0x08	/* args[0] a domain: A-label in o->domain */
#define CTL_WRITE	0x10	/* changes Redis: marker written after success */
#define CTL_WHO		0x20	/* --user may also be "[IP]" (delivery log) */

struct ctl_verb {
	const char	*group;
	const char	*verb;		/* NULL: the group alone is the command */
	int		 min, max;	/* positional arguments */
	const char	*opts;		/* option letters, see struct ctl_opts */
	int		 flags;
	ctl_handler	*fn;
	const char	*usage;		/* arguments and options */
};

/* verbs.c */
int	 ctl_run(struct ctl *, int, char **);	/* argv[0]: the group */
int	 ctl_usage(const char *);		/* full usage on stderr; 2 */

/*
 * out.c -- the one refusal / JSON path of every group.
 *   ctl_refuse(ctl, fmt, ...)   see EXIT_REFUSED above; returns 1
 *   ctl_bad_usage(fmt, ...)     "outpostctl: MSG (outpostctl --help shows
 *                               the usage)" on stderr; returns 2
 *   ctl_warn(fmt, ...)          "outpostctl: warning: MSG" on stderr
 *   ctl_done(ctl, key, value, fmt, ...)
 *                               success of a change: the text, or with
 *                               --json {"ok":true,KEY:VALUE,"message":TEXT}
 *   ctl_json_open(ctl)          a writer on stdout (out of memory: exit 1)
 *   ctl_json_close(ctl, j)      json_end + free: EXIT_OK, or the refusal
 *                               when the document could not be written
 *   ctl_redis(ctl)              connected client, or NULL (refusal printed)
 *   ctl_redis_failed(ctl, r, what)   ctl_refuse with the Redis error
 *   ctl_write_failed(ctl, r, what, check)
 *       the same for a change, except when Redis may have run it (sent,
 *       then no reply: timeout or connection lost): "WHAT: outcome unknown
 *       (...): check with outpostctl CHECK"
 */
int	 ctl_refuse(struct ctl *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 ctl_bad_usage(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 ctl_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
int	 ctl_done(struct ctl *, const char *, const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
struct json *ctl_json_open(struct ctl *);
int	 ctl_json_close(struct ctl *, struct json *);
struct redis *ctl_redis(struct ctl *);
int	 ctl_redis_failed(struct ctl *, struct redis *, const char *);
int	 ctl_write_failed(struct ctl *, struct redis *, const char *,
	    const char *);

/*
 * sscan.c -- the one SSCAN page loop of ctl/ (plan copies, plan counts,
 * the name index, the index of suspended users walk a set through it).
 *   ctl_sscan(ctl, r, key, fn, arg)
 *       every member of the set KEY, "SSCAN KEY CURSOR COUNT 1000" a page
 *       at a time (Redis serves the daemons between pages), until the
 *       cursor comes back "0".  fn(ctl, r, members, arg) once per page:
 *       members is the page's array reply (valid during the call only;
 *       it may be empty, its elements are not checked: skip any that is
 *       not a string); fn returns 0 to go on, -1 to stop the walk.  A
 *       member present from start to end is seen at least once, one
 *       added or removed meanwhile maybe not; any may be seen twice
 *       (SSCAN's guarantee): fn must tolerate repeats.
 *       On a Redis Cluster every page goes to the master of KEY's slot
 *       (redis_command routes by argv[1], lib/redis_cluster.h).
 *       Returns 0 when the whole set was walked, -1 when
 *         - an SSCAN failed: redis_errstr(r) has the Redis error reply or
 *           the I/O failure (the callers print it);
 *         - a reply was not SSCAN's [cursor, members] (or its cursor was
 *           over 31 bytes): nothing new in redis_errstr(r);
 *         - fn returned -1: whatever fn left in r.
 *       Never prints: the caller refuses with its own words.
 */
typedef int	 ctl_sscan_fn(struct ctl *, struct redis *, const redisReply *,
		    void *);
int		 ctl_sscan(struct ctl *, struct redis *, const char *,
		    ctl_sscan_fn *, void *);

/* init.c: the schema marker (SET NX); 0, or -1 with the error in r */
int	 ctl_mark(struct ctl *, struct redis *, int *);
/* plancopy.c: plan limits copied into users (lib/schema.h plim) */
int	 ctl_plan_copy(struct ctl *, struct redis *, const char *, int *);
int	 ctl_plan_sync(struct ctl *, struct redis *, const char *,
	    long long *);
/* ctl_users_walk(ctl, r, plan, page, &n): ctl_sscan of Pusers, *n set to
 * 0 first, then page(ctl, r, plan, members, &n) for each page (0 goes on,
 * -1 stops); 0 or -1 as ctl_sscan */
typedef int ctl_users_page(struct ctl *, struct redis *, const char *,
	    const redisReply *, long long *);
int	 ctl_users_walk(struct ctl *, struct redis *, const char *,
	    ctl_users_page *, long long *);
/* plancopy.c: the name index Puserix (lib/schema.h) filled from Pusers
 * when their sizes differ (init, migrate); *n names added; 0 / -1 */
int	 ctl_users_index(struct ctl *, struct redis *, long long *);
/* suspidx.c: the index of suspended users (lib/schema.h Psuspended) */
int	 ctl_susp_add(struct ctl *, struct redis *, const char *);
int	 ctl_susp_follow(struct ctl *, struct redis *, const char *);
int	 ctl_susp_rebuild(struct ctl *, struct redis *, long long *);

/* The handlers, by group. */
int	 ctl_init(struct ctl *, struct ctl_opts *);		/* init.c */
int	 ctl_migrate(struct ctl *, struct ctl_opts *);
int	 domain_add(struct ctl *, struct ctl_opts *);		/* domain.c */
int	 domain_rotate(struct ctl *, struct ctl_opts *);
int	 domain_activate(struct ctl *, struct ctl_opts *);
int	 domain_retire(struct ctl *, struct ctl_opts *);
int	 domain_list(struct ctl *, struct ctl_opts *);		/* domain_show.c */
int	 domain_show(struct ctl *, struct ctl_opts *);
int	 domain_verify(struct ctl *, struct ctl_opts *);	/* verify.c */
int	 config_show(struct ctl *, struct ctl_opts *);		/* config.c */
int	 user_add(struct ctl *, struct ctl_opts *);		/* user.c */
int	 user_set(struct ctl *, struct ctl_opts *);
int	 user_suspend(struct ctl *, struct ctl_opts *);
int	 user_resume(struct ctl *, struct ctl_opts *);
int	 user_del(struct ctl *, struct ctl_opts *);
int	 user_allow(struct ctl *, struct ctl_opts *);
int	 user_deny(struct ctl *, struct ctl_opts *);
int	 user_show(struct ctl *, struct ctl_opts *);		/* usershow.c */
int	 user_list(struct ctl *, struct ctl_opts *);
int	 plan_set(struct ctl *, struct ctl_opts *);		/* plan.c */
int	 plan_show(struct ctl *, struct ctl_opts *);
int	 plan_list(struct ctl *, struct ctl_opts *);
int	 plan_del(struct ctl *, struct ctl_opts *);
int	 sup_add(struct ctl *, struct ctl_opts *);		/* suppress.c */
int	 sup_check(struct ctl *, struct ctl_opts *);
int	 sup_del(struct ctl *, struct ctl_opts *);
int	 sup_list(struct ctl *, struct ctl_opts *);		/* supio.c */
int	 sup_export(struct ctl *, struct ctl_opts *);
int	 sup_import(struct ctl *, struct ctl_opts *);
int	 sup_migrate(struct ctl *, struct ctl_opts *);		/* supmigrate.c */
int	 msg_verify(struct ctl *, struct ctl_opts *);		/* msgverify.c */
int	 log_show(struct ctl *, struct ctl_opts *);		/* log.c */
int	 stats_show(struct ctl *, struct ctl_opts *);		/* stats.c */

/*
 * logtime.c -- what log, stats and user show share about the delivery
 * log (lib/schema.h "DELIVERY LOG", "PER-USER FIGURES").
 *   ctl_now_ms(ctl, r, &ms)      Redis's clock (TIME) in milliseconds, the
 *                                one the writers' scripts use; 0, or the
 *                                refusal (printed)
 *   ctl_when(text, now, &ms)     a --since / --until value: a duration
 *                                (2h, 7d: now minus it) or an ISO 8601 UTC
 *                                time or date; 0, or -1
 *   ctl_count(text, max, &n)     a --limit / --top value: 1..max; 0 / -1
 *   ctl_log_key(ctl, kind, name, buf)
 *                                schema_key_log's "P{log}:KIND:NAME" (KIND
 *                                e, u, r, f, q), or with name "" the
 *                                "P{log}:KIND" of all and who; 0 / -1
 *   ctl_rate(num, den, buf, len) "12.500%", or "-" when den is 0
 */
#define CTL_HOUR_MS	3600000LL
int	 ctl_now_ms(struct ctl *, struct redis *, long long *);
int	 ctl_when(const char *, long long, long long *);
int	 ctl_count(const char *, long, long *);
int	 ctl_log_key(struct ctl *, const char *, const char *, char *);
char	*ctl_rate(unsigned long long, unsigned long long, char *, size_t);
/* stats.c: attempts, hard, delivered, complaint of the hours of
 * bounce_window back from now (ms) in h, the HGETALL reply of
 * P{log}:rt:WHO (NULL or not an array: all 0).  Pure. */
void	 ctl_rt_sum(struct ctl *, const redisReply *, long long,
	    unsigned long long[4]);

/*
 * usershow.c -- what user show reads, as a record (outpost-web shows it
 * too).
 *   ctl_users_read(ctl, r, names, n, out)
 *       the records of n users at once, in a constant number of round
 *       trips per CTL_USERS_BATCH names (three: the accounts, then the
 *       distinct plans and the rate hashes, then the counters, each
 *       pipelined; two more for each node that answers NOSCRIPT: the
 *       script is loaded there, after a restart or SCRIPT FLUSH).  On
 *       a Redis Cluster the same, no per-user fallback: lib/
 *       redis_cluster.h queues each command on the node of its key's
 *       slot and gives the replies back in order, so a pipeline may
 *       span slots (each user's keys share one slot, P{u:NAME}).
 *       0: out[i] is what ctl_user_read gives for names[i] (each user
 *       with its own Redis clock; a name may repeat); out[i].rep NULL
 *       for a user that does not exist (out[i] zeroed).  Free each
 *       with ctl_user_clear (all of them: a missing one is a no-op).
 *       -1: a Redis error (errstr in r: the last error of the
 *       pipeline; every reply was still read, so r stays usable); out
 *       is all zeroed, nothing to free.
 *   ctl_user_read(ctl, r, name, u)   the batch of one: 0 (u filled:
 *                                    free it with ctl_user_clear), 1 no
 *                                    such user, -1 Redis error (errstr
 *                                    in r)
 *   ctl_user_clear(u)                frees what u holds; u is zeroed
 *   ctl_user_field(u, name)          an acct field, "" when absent
 * rt[]: RT_ATTEMPTS, RT_HARD, RT_DELIVERED, RT_COMPLAINT of bounce_window.
 */
#include "ctlpol.h"
enum { RT_ATTEMPTS, RT_HARD, RT_DELIVERED, RT_COMPLAINT };

struct ctl_user {
	redisReply		*rep;	/* owns acct, dom, plan; NULL: none */
	long long		 now;	/* Redis's clock, seconds */
	const redisReply	*acct, *dom;
	const char		*plan;	/* effective: default_plan resolved */
	int			 plan_exists;
	struct ctl_elimit	 lim[CTL_MAX_LIMITS];
	unsigned long long	 used[CTL_MAX_LIMITS];
	int			 nlim;
	unsigned long long	 rt[4];
};

#define CTL_USERS_BATCH	64

int		 ctl_users_read(struct ctl *, struct redis *,
		    const char *const *, int, struct ctl_user *);
int		 ctl_user_read(struct ctl *, struct redis *, const char *,
		    struct ctl_user *);
void		 ctl_user_clear(struct ctl_user *);
const char	*ctl_user_field(const struct ctl_user *, const char *);

/*
 * log.c -- the search of outpostctl log without its output.
 *   ctl_log_search(ctl, o, fn, arg, &found)
 *       the filters of o (user, rcpt, from, qid, status, since, until,
 *       limit) over ctl->r; fn(arg, eid, event) for each event that
 *       passes (an HGETALL reply), newest first.  EXIT_OK, or the usage
 *       error / refusal (printed, as outpostctl log prints it).
 */
typedef void	 ctl_log_fn(void *, const char *, const redisReply *);
int		 ctl_log_search(struct ctl *, struct ctl_opts *, ctl_log_fn *,
		    void *, long *);

/* domain_show.c: what the domain verbs print */
struct dom {
	struct ctl	*ctl;
	const char	*dir;		/* keys_directory */
	uid_t		 uid;		/* new files: chown to uid:gid, */
	gid_t		 gid;		/*   unless uid is (uid_t)-1 */
	uid_t		 owner;		/* the daemon account, for the */
	gid_t		 group;		/*   safety verdicts */
};

int	 dom_init(struct dom *, struct ctl *, int);		/* domain.c */
int	 dom_print_new(struct dom *, const char *, const char *,
	    const char *);

/*
 * verify.c, verify_check.c, verify_spf.c -- outpostctl domain verify.
 *   vctx_init(v, ctl)      resolver (dns_nameserver, dns_timeout), DMARC
 *                          environment, keys directory; 0 or the refusal
 *   vctx_free(v)
 *   vcheck_dkim(v, d), vcheck_spf(v, d), vcheck_dmarc(v, d)
 *                          append their check lines to d and set d's
 *                          dkim_ok / dmarc_ok / dnserr
 *   vdkim_tag(rec, tag, out, len)   a tag's value in a DKIM key record,
 *                          white space removed; 1 found, 0 not.  Pure.
 *   vspf_eval(v, ip, domain, res, reslen, err, errlen)
 *                          the SPF result name (RFC 7208: pass, fail,
 *                          softfail, neutral, none, temperror, permerror)
 *                          a receiver gets for mail from ip with an
 *                          envelope sender at domain; 0, or -1 with err
 *                          when no evaluation could be made
 *   vspf_close(v)          ends what vspf_eval started
 *   dom_state_get(ctl, r, domain, st)  the stored state (Pdomain:DOMAIN);
 *                          0, or -1 on a Redis error or r NULL (then
 *                          st->unknown is set)
 *   dom_redis_try(ctl)     a connection for domain list / show, or NULL
 *                          with a warning: the keys are shown without it
 *   dom_state_json(j, st)  the member "verification": {state (null: never
 *                          checked; "unknown": no Redis), since, checked,
 *                          reasons}
 *   dom_state_word(st)     "verified", "not verified", "-", "unknown"
 *   dom_state_text(st, domain)   the "verified:" line of domain show
 */
#include "dkimkey.h"
#include "dmarc.h"
#include "dkimverify.h"

#define VERIFY_MAXCHECKS	(DKIMKEY_ACTIVEMAX + 3)

enum vverdict { V_OK, V_WRONG, V_MISSING, V_DNSERR, V_UNCHECKED };

struct vcheck {
	char	 what[8];		/* DKIM, SPF, DMARC */
	char	 subject[96];		/* "SEL (alg)", or the domain */
	int	 verdict;		/* enum vverdict */
	char	 found[768];		/* what DNS holds, in one line */
	char	*publish;		/* the record to publish, or NULL */
};

struct vdomain {
	char		 domain[CTL_DOMAIN_MAX];
	struct vcheck	 c[VERIFY_MAXCHECKS];
	size_t		 n;
	int		 dkim_ok;	/* an active selector's record matches */
	int		 dmarc_ok;	/* a DMARC record governs the domain */
	int		 dnserr;	/* a DNS error left DKIM/DMARC open */
	char		 policy[16];	/* DMARC policy applied, when found */
};

struct vctx {
	struct dom		 dom;
	struct dns		*dns;
	struct dmarc_env	 env;
	void			*spf;		/* verify_spf.c's state */
};

struct dom_state {
	int	 unknown;	/* Redis could not be read */
	char	 state[16];	/* "verified", "unverified", "" never */
	long long since, checked;
	char	 reasons[1024];
};

int	 vctx_init(struct vctx *, struct ctl *);
void	 vctx_free(struct vctx *);
void	 vcheck_dkim(struct vctx *, struct vdomain *);
void	 vcheck_spf(struct vctx *, struct vdomain *);
void	 vcheck_dmarc(struct vctx *, struct vdomain *);
int	 vdkim_tag(const char *, const char *, char *, size_t);
int	 vspf_eval(struct vctx *, const char *, const char *, char *, size_t,
	    char *, size_t);
void	 vspf_close(struct vctx *);
int	 dom_state_get(struct ctl *, struct redis *, const char *,
	    struct dom_state *);
struct redis *dom_redis_try(struct ctl *);
void	 dom_state_json(struct json *, const struct dom_state *);
const char *dom_state_word(const struct dom_state *);
void	 dom_state_text(const struct dom_state *, const char *);

/*
 * msgparse.c -- a stored message back into header fields and a CRLF body
 * (pure; the rules are at the top of msgparse.c).
 *   msgp_new(hdr, body, arg)   a parser calling hdr(arg, name, value) for
 *                              each field (value as after the colon, folds
 *                              "\r\n" + WSP) and body(arg, buf, len) for
 *                              the body; NULL when out of memory
 *   msgp_feed(m, buf, len)     any split; 0, or -1 when a callback failed
 *                              or memory ran out (then every call fails)
 *   msgp_finish(m)             end of input: the last field is delivered
 *   msgp_free(m)               NULL-safe, returns NULL
 *
 * msgkey.c -- the keys of verify --key SELECTOR._domainkey.DOMAIN=FILE.
 *   mkeys_load(ks, opts, n, err, errlen)
 *                              each FILE read: a PEM public key (RSA
 *                              "PUBLIC KEY" / "RSA PUBLIC KEY", Ed25519)
 *                              made into "v=DKIM1; k=...; p=..." text, or
 *                              a DKIM key record's text (bare, or quoted
 *                              strings as in a zone file); 0, or -1 with
 *                              err naming the option or file
 *   mkeys_txt(ks, name, out, err, errlen)
 *                              a dkimv_txt_fn: the --key record of name
 *                              (case-insensitive), else DNS through
 *                              ks->dns (dns_txt)
 *   mkeys_find(ks, sel, domain)  the key given for SEL._domainkey.DOMAIN,
 *                              NULL when DNS answers for it;
 *                              mkeys_find_name(ks, name) the same by name
 *   mkeys_free(ks)             frees the texts
 */
#define MSGP_FIELD_MAX	(DKIMV_HEADER_BYTES + 1)

struct msgp;
typedef int	 msgp_header_fn(void *, const char *, const char *);
typedef int	 msgp_body_fn(void *, const char *, size_t);

struct msgp	*msgp_new(msgp_header_fn *, msgp_body_fn *, void *);
int		 msgp_feed(struct msgp *, const char *, size_t);
int		 msgp_finish(struct msgp *);
struct msgp	*msgp_free(struct msgp *);

struct mkey {
	char		 name[CTL_DOMAIN_MAX + 80];	/* SEL._domainkey.DOM */
	const char	*file;
	char		*txt;		/* the key record text */
	int		 used;		/* asked for by some signature */
};

struct mkeys {
	struct mkey	 k[CTL_MAX_KEYS];
	size_t		 n;
	struct dns	*dns;
};

int		 mkeys_load(struct mkeys *, const char *const *, int, char *,
		    size_t);
int		 mkeys_txt(void *, const char *, struct strlist *, char *,
		    size_t);
struct mkey	*mkeys_find(struct mkeys *, const char *, const char *);
struct mkey	*mkeys_find_name(struct mkeys *, const char *);
void		 mkeys_free(struct mkeys *);

/*
 * msgverify.c, msgprint.c -- outpostctl verify: one struct mfile per
 * message, filled by msgverify.c and printed (text or JSON) by msgprint.c.
 *   mfile_print(f, ks)           the lines of one file on stdout
 *   mfile_json(j, f, ks)         its member of the "files" array
 */
#define MFILE_FROM_MAX	8	/* From field values kept (the count is not
				   bounded: "9 From fields" is still wrong) */

struct mfile {
	const char		*name;		/* as given; "stdin" for - */
	char			 error[512];	/* unreadable: why, else "" */
	struct dkimv		*v;
	char			*from[MFILE_FROM_MAX];
	size_t			 nfrom;		/* From fields seen */
	int			 from_ok;	/* from_domain is set */
	char			 from_domain[DMARC_NAME_MAX];
	char			 from_why[256];	/* why there is none */
	int			 pol_rc;	/* 0 looked up, -1 DNS error */
	struct dmarc_lookup	 pol;
	char			 pol_err[256];
	int			 ev_rc;		/* 0 evaluated, -1 DNS error */
	struct dmarc_eval	 ev;
	char			 ev_err[256];
	int			 strict;	/* adkim=s governs */
	signed char		*aligned;	/* per signature: 1 yes, 0 no,
						   -1 DNS error, -2 no pass */
	size_t			 pass_i;	/* the aligned pass; or count */
	int			 pass;		/* an aligned passing signature */
};

void		 mfile_print(const struct mfile *, struct mkeys *);
void		 mfile_json(struct json *, const struct mfile *,
		    struct mkeys *);

#include "ctlpol.h"

#endif
