/*
 * refund -- policy_refund(); see refund.h.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "errf.h"
#include "pscript.h"
#include "redis.h"
#include "refund.h"
#include "schema.h"

int
refund_keys(const struct conf *c, const char *user, const char *queue_id,
    char keys[REFUND_NKEYS][REFUND_KEYLEN])
{
	if (schema_key_queue(c, user, queue_id, keys[0], REFUND_KEYLEN) < 0 ||
	    schema_key_user(c, user, SCHEMA_CBASE, keys[1], REFUND_KEYLEN) < 0)
		return -1;
	return 0;
}

int
policy_refund(struct redis *r, const struct conf *c, const char *user,
    const char *queue_id, char *err, size_t errlen)
{
	char		 keys[REFUND_NKEYS][REFUND_KEYLEN];
	const char	*argv[REFUND_NKEYS];
	redisReply	*rep;
	int		 n;

	if (refund_keys(c, user, queue_id, keys) < 0)
		return errf(err, errlen, "refund: invalid user \"%s\" or queue "
		    "id \"%s\"", user, queue_id);
	argv[0] = keys[0];
	argv[1] = keys[1];
	if ((rep = redis_eval(r, pscript_refund, REFUND_NKEYS, REFUND_NKEYS,
	    argv, NULL)) == NULL)
		return errf(err, errlen, "refund %s (%s): %s", queue_id,
		    redis_unanswered(r) ? "sent without an answer: it may "
		    "have been applied" : "nothing applied", redis_errstr(r));
	n = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : 0;
	freeReplyObject(rep);
	if (n > 0 && redis_wait_replicas(r) < 0)
		return errf(err, errlen, "refund %s done on the master but a "
		    "failover now could undo it: %s", queue_id,
		    redis_errstr(r));
	return n;
}
