/*
 * refund -- give back what outpost-policyd counted at END-OF-MESSAGE for
 * one queue ID, when the message was refused after all (the milter's
 * reject or tempfail runs after smtpd_end_of_data_restrictions).
 *
 *   policy_refund(r, conf, user, queue_id, err, errlen)
 *       one atomic script (lib/pscript.h pscript_refund): every amount of
 *       the record P{u:USER}:q:QUEUEID is subtracted from the slot it was
 *       added to (never below zero; slots already expired are skipped) and
 *       the record is deleted.  Idempotent: a second call finds no record.
 *       Returns the number of counters refunded (0 when there was no
 *       record: unauthenticated mail, or policyd not in
 *       smtpd_end_of_data_restrictions), or -1 with err set (Redis error,
 *       invalid user name or queue id).  A Redis error's text starts
 *       "refund QUEUEID (nothing applied): " when the script was refused
 *       or never sent, "refund QUEUEID (sent without an answer: it may
 *       have been applied): " when the connection failed or timed out
 *       after sending it (in a failover it ran on the old master or not:
 *       redis_unanswered).  The script is never sent twice.  With
 *       redis_min_replicas set, a refund that changed counters is
 *       followed by WAIT (redis.h redis_wait_replicas); fewer replicas in
 *       time is -1 with err saying the refund is done on the master
 *       only.  Never logs.
 *   refund_keys(conf, user, queue_id, keys)
 *       the script's KEYS (the record, the counter base: one slot, the
 *       user's), built as policy_refund builds them; 0, or -1 for an
 *       invalid user name or queue id.
 */
#ifndef OUTPOST_REFUND_H
#define OUTPOST_REFUND_H

#include <stddef.h>

struct redis;
struct conf;

#define REFUND_NKEYS	2
#define REFUND_KEYLEN	512	/* SCHEMA_KEY_MAX */

int	 refund_keys(const struct conf *, const char *, const char *,
	    char [REFUND_NKEYS][REFUND_KEYLEN]);
int	 policy_refund(struct redis *, const struct conf *, const char *,
	    const char *, char *, size_t);

#endif
