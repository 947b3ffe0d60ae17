/*
 * pscript -- the Lua scripts of the policy decisions, run with EVALSHA by
 * outpost-policyd (async) and by policy_refund (lib/refund.c).  Each is
 * one atomic Redis step over the keys of lib/schema.h.  Time is Redis's
 * TIME plus a clock offset argument (the daemons always pass 0; only a
 * caller that runs a script directly may judge another instant).
 *
 * pscript_rcpt    KEYS[1] acct key.  ARGV: prefix, user, offset,
 *                 unknown mode ("reject"|"default"), default plan,
 *                 sender domain ("" for <>, "@" for a sender without
 *                 a domain), user suppression bucket key,
 *                 global suppression bucket key, suppression field
 *                 (of the suppression form), then the same three for the
 *                 exact form when folding changed it (else "", "", "");
 *                 a field "" is not looked up.  The user's list is
 *                 checked before the global one.
 * pscript_eom     KEYS[1] acct key.  ARGV: prefix, user, offset, unknown
 *                 mode, default plan, recipient_count, size, queue id
 *                 ("" = no refund record), refund record TTL, dry run
 *                 ("1": over a limit the message is counted all the
 *                 same, and the reply is "dry" instead of "limit").
 *   Both reply an array whose first element says what was found:
 *     {"ok"}
 *     {"ok", "noplan", PLAN}  (RCPT) admitted, but the user's effective
 *                     plan is not in Pplans: no plan limits apply
 *     {"ok", "duplicate"}  (END-OF-MESSAGE) counted, but a refund record
 *                     of that queue id existed already: it is kept as it
 *                     was, this message's amounts are not recorded
 *     {"unknown"}
 *     {"suspended", reason, since}
 *     {"domain"}                                  (RCPT only)
 *     {"nodomain"}    sender has no domain, user restricted (RCPT only)
 *     {"suppressed", "user"|"global", reason(0-3), created unix s}
 *     {"limit", "DIM/WIN", N, used, asked, frees_at unix s, never(0|1)}
 *     {"dry", the same six, "duplicate"|""}   (END-OF-MESSAGE, dry run)
 *                     counted although over that limit
 *   A "limit" names the limit that frees last (the one the client has to
 *   wait for); never=1 when asked > N (the message can never fit).
 *   END-OF-MESSAGE counts only on "ok": every limit or none.  Its
 *   recipient_count and size must be "" (0) or 1-15 decimal digits, the
 *   TTL 1-15 digits: anything else is an error reply before any write.
 *
 * pscript_refund  KEYS[1] refund record.  ARGV: counter key base
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
