/*
 * schema -- the Redis key schema of outpost, in one place.
 *
 * P below is conf redis_prefix (default "outpost:").  Every key of one
 * user NAME carries the hash tag {u:NAME}, and every script of the
 * daemons touches the keys of one user only (lib/pscript.h: KEYS built
 * here, one Redis Cluster slot per call).  What every user shares stays
 * out of the scripts: a plan's limits are copied into each user's plim
 * hash by outpostctl, and the global suppression bucket of a recipient is
 * read by the daemon with an HGET of its own, pipelined with the script
 * (the same round trip; in a Cluster another slot).
 *
 * THE MARKER (an empty Redis is an outage, not a verdict)
 *   Pschema          STRING  SCHEMA_VERSION ("2"): this Redis holds
 *                    outpost's data.  Written (SET NX) by outpostctl init
 *                    and after every change outpostctl makes; never
 *                    deleted by outpost.  outpost-policyd and the milter
 *                    read it with a command of its own (GET, outside the
 *                    scripts, so a Cluster routes it to its own slot),
 *                    at most once a second and after every reconnect;
 *                    while it is missing -- Redis emptied, restarted
 *                    without persistence, the wrong redis_db -- they answer
 *                    on_error instead of judging ("unknown sending
 *                    account" would be a permanent refusal of everyone).
 *                    A value above SCHEMA_VERSION is a newer outpost's
 *                    data: judged all the same, and logged.  A value
 *                    below it is older data the daemons cannot judge
 *                    right: answered on_error like a missing marker,
 *                    and logged ("run outpostctl migrate").
 *                    Version 1 had no plim copies (the scripts read
 *                    Pplan: themselves); "outpostctl migrate" (and init)
 *                    copies every user's plan limits, then sets "2".
 *                    A version-1 daemon still judges a version-2 Redis
 *                    right (Pplan: stays the source of the copies), so
 *                    migrate first, then upgrade the daemons.
 *
 * USERS AND PLANS
 *   P{u:NAME}:acct   HASH  plan     plan name ("" or absent: default_plan)
 *                          state    "active" | "suspended"
 *                          reason   text given at suspension ("" if none)
 *                          since    unix seconds of the last state change
 *                          created  unix seconds
 *                    The user exists iff this key exists.
 *   P{u:NAME}:lim    HASH  per-user overrides: field "DIM/WIN" -> "COUNT"
 *   P{u:NAME}:plim   HASH  the limits of the user's effective plan, copied
 *                          from Pplan:PLAN by outpostctl: "DIM/WIN" ->
 *                          "COUNT", plus "=plan" -> the plan they were
 *                          copied from (after default_plan resolved it),
 *                          and "=noplan" -> "1" when that plan did not
 *                          exist then.  Written at user add, user set
 *                          --plan, plan set / plan del (every user whose
 *                          effective plan it is), migrate.
 *                    default_plan: the daemon tells the script its own
 *                    default_plan; a user without a plan of its own
 *                    whose copy came from another plan (the MTAs
 *                    disagree on default_plan, or a copy was missed) is
 *                    judged by the limits of the daemon's default_plan,
 *                    fetched with HGETALL Pplan:PLAN in a second round
 *                    trip (logged once per plan name and process): slower,
 *                    never wrong.  The same for an unknown user with
 *                    policyd_unknown_user = default (no copy at all).
 *   P{u:NAME}:dom    SET   allowed envelope-sender domains (A-labels,
 *                          lower case).  A domain allows its subdomains.
 *                          An EMPTY set means "no sender restriction".
 *   Pplan:PLAN       HASH  field "DIM/WIN" -> "COUNT": the source of the
 *                          copies; read by outpostctl and by the daemon's
 *                          fallback above, never by a script
 *   Pplans           SET   plan names
 *   Pusers           SET   user names
 *   Puserix          ZSET  the same names, every score 0: ordered by
 *                          name, for a search by prefix (ZRANGEBYLEX
 *                          [PREFIX (PREFIX\xff) without a walk of all
 *                          users (outpost-web).  Added and removed with
 *                          Pusers by outpostctl user add / del (a
 *                          command of its own: another slot); filled from
 *                          Pusers by outpostctl init and migrate when
 *                          their sizes differ.  Readers that miss it fall
 *                          back to an SSCAN of Pusers and say so.
 *   Psuspended       SET   the names of the users whose acct state is
 *                          "suspended": an index for counting them (its
 *                          SCARD is outpost-policyd's gauge
 *                          outpost_users_paused), never read for a
 *                          verdict (the scripts read acct).  It is in
 *                          another slot than the acct hashes, so no acct
 *                          script writes it: the writers ORDER their
 *                          commands so that a crash between them leaves
 *                          an extra member, never a missing one:
 *                          - outpostctl user suspend: SADD, the acct
 *                            script, SADD again (a resume racing it
 *                            may have removed the first);
 *                          - outpost-feedback's pause: the acct script,
 *                            then SADD, then the outbox entry deleted (a
 *                            crash before the SADD leaves the entry, and
 *                            the pause is applied again at start: "already
 *                            suspended", SADD);
 *                          - outpostctl user resume, user del, user add
 *                            (a name a crashed del left): the acct script,
 *                            then "follow": SREM, HGET acct state, SADD
 *                            again if it reads "suspended" (a pause
 *                            applied in between keeps its member).
 *                          An extra member counts one user too many until
 *                          that user's next change of state or
 *                          "outpostctl migrate", which rebuilds the set
 *                          from the acct hashes (and fills it on a Redis
 *                          written before it existed).
 *
 *   DIM is messages | recipients | bytes; WIN is the window in whole
 *   seconds ("3600") or "month" (calendar month, UTC); COUNT a decimal
 *   integer >= 1 (K/M/G already expanded).  Example: "messages/3600" ->
 *   "100".  A user's effective limits are the plan's fields with the
 *   user's fields of the same DIM/WIN replacing them and the user's other
 *   fields added.  A user whose plan key does not exist has only its own
 *   overrides.  Fields that do not parse are ignored by the daemon.
 *   plan set during traffic: Pplan:PLAN changes first (one command), then
 *   each member's plim copy, one user at a time (one script each): a
 *   request of a user not yet rewritten is judged -- and counted --
 *   against the old limits, one of the new set after; never a mix of
 *   the two within one user.
 *
 * COUNTERS (written only by the daemon's scripts)
 *   P{u:NAME}:c:DIM/WIN  HASH  slot number -> amount counted in that slot.
 *     Sliding windows: slot width b = max(1, WIN div 60) seconds, slot
 *     number floor(t / b); the amount "in the window" at time t is the sum
 *     of slots floor(t/b) - ceil(WIN/b) .. floor(t/b), which covers more
 *     than the last WIN seconds (conservative: N/W never admits more than N
 *     in any interval of length W).  "month" windows use one slot
 *     numbered YYYYMM (UTC).  Each key expires WIN + b seconds after its
 *     newest slot was created (a month key at the end of the following
 *     month), old slots are deleted by the next write.  Sliding-window
 *     keys also hold
 *     the fields "n" (sum of the slots present) and "lo" (no slot present
 *     is numbered lower), kept by the scripts (lib/pscript.h); readers
 *     summing slots skip every field that is not a slot number.
 *   P{u:NAME}:q:QUEUEID  HASH  refund record of END-OF-MESSAGE:
 *     field "DIM/WIN:SLOT" -> amount added to that slot; expires after
 *     SCHEMA_REFUND_TTL seconds.  policy_refund() gives it back and deletes
 *     it.  Written only by the first END-OF-MESSAGE of that queue ID:
 *     queue IDs are unique per MTA only, and a second message of the
 *     same user with the same ID on another MTA within the TTL is counted
 *     but leaves the record as it is (the daemon logs it) -- merging the
 *     two would let one refund give back both.  A refund of either then
 *     gives back the first message's amounts, once.
 *   Time is Redis's TIME inside the scripts (one clock for a fleet).
 *
 * SENDING DOMAINS (written by outpostctl domain verify, read by the milter)
 *   Pdomain:DOMAIN   HASH  state    "verified" | "unverified"
 *                          checked  unix seconds of the last verification
 *                          since    unix seconds of the last state change
 *                          reasons  why not verified ("" when verified)
 *                          results  the checks as JSON (domain verify --json)
 *                    DOMAIN is the A-label, lower case (the one normaliser).
 *                    No key: never verified, the same as "unverified".
 *   Pdomains         SET   every DOMAIN that has a Pdomain: key (added
 *                          first, by a command of its own: another slot;
 *                          a member without a key reads as unverified)
 *
 *   The address of an entry is its SUPPRESSION FORM: mailaddr_norm's
 *   result passed through schema_sup_addr, which with conf
 *   suppress_fold_case = yes (the default) lower-cases the local part's
 *   ASCII letters -- the one fold, used by policyd, outpostctl and the
 *   CSV import alike.  Entries written before the fold existed (or with
 *   suppress_fold_case = no) may hold upper case; "outpostctl suppress
 *   migrate" re-files them, and policyd also looks up the exact
 *   (unfolded) form until then.
 *
 *   Global list:  Psup:N            N = 0 .. SCHEMA_SUP_GLOBAL_BUCKETS-1
 *                 (read at RCPT by the daemon's own HGET, never by a
 *                 script; its expiry judged by the daemon's clock)
 *   User list:    P{u:NAME}:sup:N   N = 0 .. SCHEMA_SUP_USER_BUCKETS-1
 *   Each bucket is a HASH  field -> value, where
 *     N      = FNV-1a-32(normalised address) mod number of buckets
 *     field  = schema_sup_field(address): the normalised address packed
 *              6 bits per character (byte 0x01 then the bits) when every
 *              character is in [a-z0-9.-_@+=], else the address itself.
 *              Packing keeps 1M addresses at ~38 bytes each (a SET: 88).
 *     value  = "R+4*C" as a decimal integer when the entry never expires,
 *              or "R+4*C:E" -- R reason (0 hard-bounce, 1 complaint,
 *              2 unsubscribe, 3 manual), C created and E expires in unix
 *              MINUTES.  Use schema_sup_encode / schema_sup_decode.
 *   Small buckets stay listpack-encoded; at 1M global entries a bucket
 *   holds ~250 fields, so redis.conf needs hash-max-listpack-entries 512
 *   (bench/README.md).  Expired entries are ignored at lookup and deleted
 *   by the daemon's background sweep.
 *
 * DELIVERY LOG (written by outpost-feedback and, for its refusals, by
 * outpost-policyd; read by outpostctl log / stats / user show)
 *   Every key of the delivery log, of the per-user figures and of the
 *   follower's state carries the ONE hash tag {log}: they live in one
 *   Redis Cluster slot, so a batch of the follower (its events, indexes,
 *   counters, join state and position) is one MULTI/EXEC on one node and
 *   each writer's script touches one slot.  The price: the whole log is
 *   on one master (a Cluster spreads the users' keys, not the log; a
 *   million events take ~1.3 GB).  What the log causes in a user's own
 *   slot -- a suppression, a pause -- is a separate idempotent command
 *   (outpost-feedback, feedback/effects.c).  This layout replaced the
 *   unreleased one of issue 9 (Plog:..., P{u:WHO}:st:H / rt:H, Pfb:...)
 *   without a SCHEMA_VERSION of its own: no delivery log of the older
 *   layout was ever deployed; readers read only these keys.
 *   T below is the event time in unix MILLISECONDS; R is conf
 *   log_retention.  WHO is the SASL user name, or "[IP]" (the client
 *   address in brackets) for mail without SASL, or "[uid:N]" for mail
 *   submitted on the MTA host by sendmail(1) as uid N (Postfix's pickup;
 *   the event's host says which MTA) -- names no user can have
 *   (schema_user_valid refuses '['), never paused, never suppressed for.
 *   P{log}:seq         STRING  INCR gives each event its number EID
 *   P{log}:e:EID       HASH    one delivery event of one recipient:
 *                              t T, host (MTA), qid, who, client (IP),
 *                              from, rcpt, orig_to, status (delivered |
 *                              deferred | bounced | expired | refused),
 *                              dsn (X.Y.Z), code (SMTP reply code), reply
 *                              (the receiver's exact text, at most 2,048
 *                              bytes), relay (host), relay_ip, delay
 *                              (seconds, text), category (delivered | soft
 *                              | hard | block | expired | refused |
 *                              notice), class (the rule's finer class, the
 *                              policyd refusal reason, or a notice's kind:
 *                              non-delivery | delay | delivery-status),
 *                              rule (file:line), msgid, or instead notice:
 *                              the delivery of a bounce notice to the
 *                              sender, its own queue ID (the event's qid
 *                              and who are the original's; counted in no
 *                              figure).
 *                              Absent fields are not stored.  Expires R.
 *   P{log}:all         ZSET    score T, member EID: every event
 *   P{log}:u:WHO       ZSET    the same, per sender account
 *   P{log}:r:RCPT      ZSET    per recipient (the suppression form of the
 *                              address, schema_sup_addr)
 *   P{log}:f:FROM      ZSET    per envelope sender (suppression form; ""
 *                              for <> is not indexed)
 *   P{log}:q:QID       ZSET    per queue ID (all MTAs; the event says
 *                              which host)
 *     Every index write also removes the members scored before T - R
 *     (ZREMRANGEBYSCORE) and sets the key to expire after R: no scan ever
 *     cleans up, and a lookup by user, recipient, sender or queue ID
 *     reads one sorted set.  An index member whose event expired first is
 *     skipped by readers.
 *   P{log}:who         ZSET    score T of the sender's last event, member
 *                              WHO: the senders of a period for outpostctl
 *                              stats.  Members older than SCHEMA_STATS_TTL
 *                              trimmed at each write; the key expires
 *                              SCHEMA_STATS_TTL after the last one.
 *   P{log}:m:D         HASH    the messages by Message-ID, for complaint
 *                              attribution: D = the message's unix day (T
 *                              div 86400000); field the Message-ID, value
 *                              "T HOST QID WHO FROM" (LF between them).
 *                              One key a day, not one per message (a key
 *                              and its expiry cost Redis as much as the
 *                              event).  Expires R + 1 day after its last
 *                              write; a lookup reads the days back to R +
 *                              1 day, newest first.
 *   The marker (Pschema, another slot) is checked inside the writers'
 *   scripts when redis_address is not cluster:; on a Cluster by a GET of
 *   its own before each batch (outpost-feedback, at most once a second)
 *   or by the decision path that precedes the write (policyd).
 *
 * PER-USER FIGURES (the same writers, the same slot)
 *   P{log}:st:WHO:H    HASH    H = unix hour (T div 3600000); fields
 *                              sent (attempted: delivered + bounced +
 *                              expired), delivered, deferred, hard, soft,
 *                              block, expired, complaint, refused -> counts.
 *                              Expires SCHEMA_STATS_TTL.  For outpostctl
 *                              stats and the console.
 *   P{log}:st:*:H      HASH    the same fields summed over every sender
 *                              (the fleet): incremented by the same
 *                              scripts with the same amounts, same TTL.
 *                              '*' is in no WHO (schema_who_valid).  For
 *                              the console's overview without a walk of
 *                              the senders; hours written before it
 *                              existed are missing (readers say so).
 *   P{log}:st:*:d:D    HASH    the same fields summed over the fleet's
 *                              day D = unix day (T div 86400000): the
 *                              fleet's hourly figures of that day's 24
 *                              hours, incremented by the same scripts in
 *                              the same run with the same amounts; same
 *                              TTL, so it outlives the day's last hour
 *                              by at most its own hour.  For the
 *                              console's 30 days (30 reads, not 720).
 *                              Days written before it existed have no
 *                              daily hash: a reader that finds every
 *                              field of a day missing sums that day's
 *                              24 st:*:H instead (history still shows
 *                              after an upgrade).
 *   P{log}:rt:WHO      HASH    the inputs of the pause rates, one hash per
 *                              sender: fields "attempts:H", "hard:H",
 *                              "delivered:H", "complaint:H" (H the hour)
 *                              -> counts, and "lo": hours below lo are
 *                              deleted (each write sets lo to its hour -
 *                              bounce_window/1 h - 1 when that is higher,
 *                              and drops the fields below; an increment
 *                              for an hour below lo is not counted).  The
 *                              rates at hour H sum the fields of hours
 *                              H - bounce_window/1 h .. H: one HGETALL.
 *                              Expires bounce_window + 1 h after the last
 *                              write; outpostctl user resume deletes it
 *                              (a fresh window).
 *   P{log}:pause       HASH    pauses decided and not yet applied (an
 *                              outbox): WHO -> "S REASON", S Redis's unix
 *                              seconds at the decision.  Written by the
 *                              pause check in the batch of the event that
 *                              tripped it; outpost-feedback then applies it
 *                              to P{u:WHO}:acct (unless the user was
 *                              resumed after S) and deletes the field; at
 *                              start it applies what a crash left here.
 *   acct fields added by the pause: state "suspended", reason
 *   "hard-bounce rate 12.5% over 7d (25/200)" / "complaint rate ...",
 *   paused_by "feedback".
 *
 * FEEDBACK STATE (the same slot: one transaction with the events)
 *   P{log}:fb:pos:HOST:PATH  HASH  where the follower of that log on that
 *                              MTA stands: ino, off (bytes), t.  HOST is
 *                              the follower's host name, PATH the file's.
 *   P{log}:fb:j:HOST:QID     HASH  what is known of an unfinished message
 *                              (joined from its smtpd or pickup, cleanup
 *                              and qmgr lines): who, client, from, msgid,
 *                              notice and nkind (of a bounce notice: the
 *                              original's queue ID, "non-delivery" ...),
 *                              size, nrcpt, t, pending (the recipients
 *                              deferred, LF-separated).  Expires
 *                              SCHEMA_JOIN_TTL; deleted at "removed".
 *   P{log}:fb:b:HOST:QID     STRING  a bounce notice's queue ID -> the
 *                              original queue ID; expires SCHEMA_JOIN_TTL.
 *
 * FUNCTIONS (all return 0, or -1 when buf is too small / input invalid)
 *   schema_user_valid(name)          1 if NAME may be a user name: 1..200
 *                                    bytes, no control chars, space, '{',
 *                                    '}', '*', '?', '[', ']', '\\'
 *   schema_key_user(conf, name, suffix, buf, len)
 *                                    "P{u:NAME}:SUFFIX" (acct, lim, dom,
 *                                    and the constants below)
 *   schema_key_counter(conf, name, dim, win, buf, len)
 *   schema_key_queue(conf, name, queue_id, buf, len)
 *   schema_key_plan(conf, plan, buf, len)      "Pplan:PLAN"
 *   schema_key_user(.., SCHEMA_PLIM ..) the copy; SCHEMA_CBASE ("c:")
 *                                    gives the counter base of pscript.h
 *   schema_key_global(conf, what, buf, len)    "Pplans", "Pusers", "Puserix",
 *                                    "Pdomains", "Psuspended", "Pschema"
 *                                    (SCHEMA_MARK)
 *   schema_key_domain(conf, domain, buf, len)  "Pdomain:DOMAIN"
 *   schema_key_user_glob(conf, name, buf, len) glob for SCAN MATCH of
 *                                    every key of the user (prefix escaped)
 *   schema_key_sup_glob(conf, buf, len)        glob for SCAN MATCH that
 *                                    matches every suppression bucket
 *                                    (and possibly other keys: check)
 *   schema_limit_field(dim, win, buf, len)     "messages/3600", "bytes/month"
 *   schema_limit_field_parse(field, &dim, &win)
 *   schema_sup_addr(conf, addr)      the suppression form, in place (see
 *                                    above); 1 if addr changed, else 0
 *   schema_sup_bucket(addr, user)    bucket number of a normalised address
 *   schema_key_sup(conf, user|NULL, bucket, buf, len)
 *   schema_sup_field(addr, buf, len) field bytes; returns the length or -1
 *                                    (binary: use %b / argvlen)
 *   schema_sup_field_decode(field, flen, addr, len)   back to the address
 *   schema_sup_encode(entry, buf, len) / schema_sup_decode(val, entry)
 *   schema_who_valid(who)            1 if WHO may name a sender in the
 *                                    delivery log: a valid user name,
 *                                    "[IP]" (1..64 of [0-9a-fA-F.:]) or
 *                                    "[uid:N]" (1..10 digits)
 *   schema_key_log(conf, kind, val, buf, len)
 *                                    "P{log}:seq", "P{log}:all",
 *                                    "P{log}:who", "P{log}:pause" (val
 *                                    NULL), "P{log}:KIND:VAL" for KIND e
 *                                    (val "" gives the prefix
 *                                    "P{log}:e:"), u, r, f, q, m (VAL the
 *                                    day number); VAL
 *                                    1..400 bytes, no control characters
 *                                    or blanks
 *   schema_key_figures(conf, who, kind, hour, buf, len)
 *                                    "P{log}:st:WHO:H" (SCHEMA_ST) /
 *                                    "P{log}:rt:WHO" (SCHEMA_RT, hour
 *                                    unused)
 *   schema_key_fleet(conf, hour, buf, len)    "P{log}:st:*:H"
 *   schema_key_fleet_day(conf, day, buf, len) "P{log}:st:*:d:D"
 *   schema_key_fb(conf, kind, host, rest, buf, len)
 *                                    "P{log}:fb:KIND:HOST:REST" (pos, j, b)
 *
 * Defined elsewhere and used here, not repeated: the dimensions, their
 * names and the month window are lib/limit.h's (enum limit_dim,
 * limit_dim_name, LIMIT_MONTH); the suppression reasons and their names
 * are lib/supcsv.h's (enum sup_reason, supcsv_reason_name).
 */
#ifndef OUTPOST_SCHEMA_H
#define OUTPOST_SCHEMA_H

#include <stddef.h>

#include "limit.h"
#include "supcsv.h"

struct conf;

#define SCHEMA_KEY_MAX			512
#define SCHEMA_USER_MAX			200

#define SCHEMA_ACCT			"acct"
#define SCHEMA_LIM			"lim"
#define SCHEMA_DOM			"dom"
#define SCHEMA_PLANS			"plans"
#define SCHEMA_USERS			"users"
#define SCHEMA_USERIX			"userix"
#define SCHEMA_SUSPENDED_SET		"suspended"	/* Psuspended */
#define SCHEMA_DOMAINS			"domains"
#define SCHEMA_MARK			"schema"	/* the marker */
#define SCHEMA_PLIM			"plim"
#define SCHEMA_CBASE			"c:"
#define SCHEMA_VERSION			2

/* plim fields besides the limits ('=' starts no DIM) */
#define SCHEMA_PLIM_FROM		"=plan"
#define SCHEMA_PLIM_NOPLAN		"=noplan"

/* Pdomain: fields and values */
#define SCHEMA_F_CHECKED		"checked"
#define SCHEMA_F_REASONS		"reasons"
#define SCHEMA_F_RESULTS		"results"
#define SCHEMA_VERIFIED			"verified"
#define SCHEMA_UNVERIFIED		"unverified"

/* acct fields and values */
#define SCHEMA_F_PLAN			"plan"
#define SCHEMA_F_STATE			"state"
#define SCHEMA_F_REASON			"reason"
#define SCHEMA_F_SINCE			"since"
#define SCHEMA_F_CREATED		"created"
#define SCHEMA_ACTIVE			"active"
#define SCHEMA_SUSPENDED		"suspended"

#define SCHEMA_REFUND_TTL		3600	/* seconds */

#define SCHEMA_SUP_GLOBAL_BUCKETS	4096
#define SCHEMA_SUP_USER_BUCKETS		256
#define SCHEMA_SUP_FIELD_MAX		300

#define SCHEMA_STATS_TTL		(35 * 86400)	/* seconds */
#define SCHEMA_JOIN_TTL			(6 * 86400)	/* > maximal_queue_lifetime */
#define SCHEMA_REPLY_MAX		2048

/* delivery log and feedback key kinds */
#define SCHEMA_LOG_SEQ			"seq"
#define SCHEMA_LOG_ALL			"all"
#define SCHEMA_LOG_EVENT		"e"
#define SCHEMA_LOG_USER			"u"
#define SCHEMA_LOG_RCPT			"r"
#define SCHEMA_LOG_FROM			"f"
#define SCHEMA_LOG_QID			"q"
#define SCHEMA_LOG_MSGID		"m"
#define SCHEMA_LOG_WHO			"who"
#define SCHEMA_LOG_PAUSE		"pause"
#define SCHEMA_ST			"st"
#define SCHEMA_RT			"rt"
#define SCHEMA_FB_POS			"pos"
#define SCHEMA_FB_JOIN			"j"
#define SCHEMA_FB_BOUNCE		"b"
#define SCHEMA_F_PAUSED_BY		"paused_by"

struct schema_sup {
	int		 reason;	/* enum sup_reason */
	long long	 created;	/* unix seconds (minute precision) */
	long long	 expires;	/* unix seconds, 0 = never */
};

int	 schema_user_valid(const char *);
int	 schema_key_user(const struct conf *, const char *, const char *,
	    char *, size_t);
int	 schema_key_counter(const struct conf *, const char *, int, long,
	    char *, size_t);
int	 schema_key_queue(const struct conf *, const char *, const char *,
	    char *, size_t);
int	 schema_key_plan(const struct conf *, const char *, char *, size_t);
int	 schema_key_domain(const struct conf *, const char *, char *, size_t);
int	 schema_key_global(const struct conf *, const char *, char *, size_t);
int	 schema_key_user_glob(const struct conf *, const char *, char *,
	    size_t);

int	 schema_key_sup_glob(const struct conf *, char *, size_t);
int	 schema_limit_field(int, long, char *, size_t);
int	 schema_limit_field_parse(const char *, int *, long *);

int	 schema_sup_addr(const struct conf *, char *);
unsigned schema_sup_bucket(const char *, const char *);
int	 schema_key_sup(const struct conf *, const char *, unsigned, char *,
	    size_t);
int	 schema_sup_field(const char *, char *, size_t);
int	 schema_sup_field_decode(const char *, size_t, char *, size_t);
int	 schema_sup_encode(const struct schema_sup *, char *, size_t);
int	 schema_sup_decode(const char *, struct schema_sup *);

int	 schema_who_valid(const char *);
int	 schema_key_log(const struct conf *, const char *, const char *,
	    char *, size_t);
int	 schema_key_figures(const struct conf *, const char *, const char *,
	    long long, char *, size_t);
int	 schema_key_fleet(const struct conf *, long long, char *, size_t);
int	 schema_key_fleet_day(const struct conf *, long long, char *,
	    size_t);
int	 schema_key_fb(const struct conf *, const char *, const char *,
	    const char *, char *, size_t);

#endif
