/*
 * pscript -- the Lua scripts of the policy decisions, run with EVALSHA by
 * outpost-policyd (async) and by policy_refund (lib/refund.c).  Each is
 * one atomic Redis step over the keys of lib/schema.h.  Time is Redis's
 * TIME plus a clock offset argument (the daemons always pass 0; only a
 * caller that runs a script directly may judge another instant).
 *
 * Every key a script touches is named by its caller in KEYS, built by
 * lib/schema.c, and all of them carry the user's hash tag {u:NAME}: one
 * Redis Cluster slot per call.  The one family of names a script
 * derives is the counters' (their DIM/WIN suffixes are the limits it
 * finds): KEYS[4] is the counter base "P{u:NAME}:c:" (schema_key_user
 * with SCHEMA_CBASE), and the script appends "DIM/WIN" -- same tag, same
 * slot.  The global suppression list is not the scripts' business: the
 * caller looks it up with its own HGET (lib/schema.h).
 *
 * Limits.  The plan's limits are those the user's hash P{u:NAME}:plim
 * holds (copied by outpostctl) when its "=plan" field names the user's
 * effective plan (acct plan, or ARGV default plan when that is "");
 * otherwise those of the FALLBACK arguments when they name that plan;
 * otherwise the script stops with {"needplan", PLAN} before any write,
 * and the caller fetches Pplan:PLAN and runs it again with the fallback
 * filled in (schema.h: default_plan on a mismatch).
 *
 * Common to both (RCPT and END-OF-MESSAGE):
 *   KEYS[1] acct  KEYS[2] plim  KEYS[3] lim  KEYS[4] counter base
 *   ARGV[1] offset, ARGV[2] unknown mode ("reject"|"default"), ARGV[3]
 *   default plan, ARGV[4] fallback plan name, ARGV[5] fallback state
 *   ("" none, "1" the plan exists, "0" it does not), ARGV[6] fallback
 *   limits "DIM/WIN=COUNT DIM/WIN=COUNT ..." (space separated).
 * pscript_rcpt    KEYS[5] dom, KEYS[6] the user's suppression bucket of
 *                 the suppression form, KEYS[7] that of the exact form
 *                 (KEYS[6] again when folding changed nothing).  ARGV[7]
 *                 sender domain ("" for <>, "@" for a sender without a
 *                 domain), ARGV[8] suppression field of the suppression
 *                 form, ARGV[9] of the exact form ("" = not looked up).
 * pscript_eom     KEYS[5] refund record P{u:NAME}:q:QUEUEID (when there
 *                 is no queue id, any key of the user: not touched).
 *                 ARGV[7] recipient_count, ARGV[8] size, ARGV[9] refund
 *                 record TTL, ARGV[10] dry run ("1": over a limit the
 *                 message is counted all the same, and the reply is "dry"
 *                 instead of "limit"), ARGV[11] "1" if KEYS[5] is a
 *                 refund record to write.
 *   Both reply an array whose first element says what was found:
 *     {"ok"}
 *     {"ok", "noplan", PLAN}  (RCPT) admitted, but the user's effective
 *                     plan did not exist when its limits were copied (or
 *                     the fallback says so): no plan limits apply
 *     {"needplan", PLAN}  the limits of PLAN are needed: nothing written
 *     {"ok", "duplicate"}  (END-OF-MESSAGE) counted, but a refund record
 *                     of that queue id existed already: it is kept as it
 *                     was, this message's amounts are not recorded
 *     {"unknown"}
 *     {"suspended", reason, since}
 *     {"domain"}                                  (RCPT only)
 *     {"nodomain"}    sender has no domain, user restricted (RCPT only)
 *     {"suppressed", "user", reason(0-3), created unix s}  (RCPT only)
 *     {"limit", "DIM/WIN", N, used, asked, frees_at unix s, never(0|1)}
 *     {"dry", the same six, "duplicate"|""}   (END-OF-MESSAGE, dry run)
 *                     counted although over that limit
 *   A "limit" names the limit that frees last (the one the client has to
 *   wait for); never=1 when asked > N (the message can never fit).
 *   END-OF-MESSAGE counts only on "ok": every limit or none.  Its
 *   recipient_count and size must be "" (0) or 1-15 decimal digits, the
 *   TTL 1-15 digits: anything else is an error reply before any write.
 *   A counter hash's TTL is set when a count creates a slot (HINCRBY
 *   answers the amount itself): the key then outlives the window of its
 *   newest slot, so a count into an existing slot needs no EXPIRE.
 *   The scripts write with HINCRBY, HDEL, EXPIRE and EXPIREAT only (the
 *   ACL of etc/redis/outpost.acl: no HSET for the daemons).
 *
 *   Sliding-window counters also hold "n" (the sum of the slots present)
 *   and "lo" (no slot present is older): while lo is inside the window no
 *   slot is stale and the usage is n, read with one HMGET instead of
 *   every slot (a user sending all day has ~60 slots per limit).  When lo
 *   has left the window, or either field is missing, the slots are read,
 *   and END-OF-MESSAGE deletes the stale ones and writes n and lo again;
 *   an apparent refusal is judged on the slots, never on n alone.  The
 *   refund script takes what it gives back off n too.
 *
 * pscript_refund  KEYS[1] refund record, KEYS[2] counter base
 *                 ("P{u:NAME}:c:").  Gives back every amount of the record
 *                 (never below zero, only slots that still exist), deletes
 *                 the record; replies the number of slots refunded.
 *
 * pscript_sweep   KEYS[1] suppression bucket.  ARGV: offset.  Deletes the
 *                 expired entries; replies how many.
 */
#ifndef OUTPOST_PSCRIPT_H
#define OUTPOST_PSCRIPT_H

extern const char pscript_rcpt[];
extern const char pscript_eom[];
extern const char pscript_refund[];
extern const char pscript_sweep[];

#endif
