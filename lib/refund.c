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
policy_refund(struct redis *r, const struct conf *c, const char *user,
    const char *queue_id, char *err, size_t errlen)
{
	char		 qkey[SCHEMA_KEY_MAX], base[SCHEMA_KEY_MAX];
	const char	*argv[2];
	redisReply	*rep;
	int		 n;

	if (schema_key_queue(c, user, queue_id, qkey, sizeof(qkey)) < 0 ||
	    schema_key_user(c, user, SCHEMA_CBASE, base, sizeof(base)) < 0) {
		return errf(err, errlen, "refund: invalid user \"%s\" or queue "
		    "id \"%s\"", user, queue_id);
	}
	argv[0] = qkey;
	argv[1] = base;
	if ((rep = redis_eval(r, pscript_refund, 2, 2, argv, NULL)) == NULL)
		return errf(err, errlen, "refund %s: %s", queue_id,
		    redis_errstr(r));
	n = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : 0;
	freeReplyObject(rep);
	if (n > 0 && redis_wait_replicas(r) < 0)
		return errf(err, errlen, "refund %s done on the master but a "
		    "failover now could undo it: %s", queue_id,
		    redis_errstr(r));
	return n;
}
