/*
 * refund -- give back what outpost-policyd counted for a message the
 * milter then refused.
 *
 * Postfix runs smtpd_end_of_data_restrictions (where outpost-policyd counts
 * the message against the user's limits) before the milters' end of
 * message.  When the milter rejects or defers a message of a SASL user, it
 * hands the queue ID to lib/refund, which undoes that count in one atomic
 * Redis step, so a refused message consumes nothing.
 *
 *   refund_init()                 once, before the worker threads start
 *   refund_message(user, qid)     after a refusal; logs the outcome
 *   refund_fini()
 *
 * Refusals are rare, so one Redis connection behind a mutex serves every
 * worker thread.  A Redis failure is logged and changes nothing in the
 * reply: the refusal stands either way.
 */
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "milter.h"
#include "redis.h"
#include "refund.h"

static pthread_mutex_t	 refund_lock = PTHREAD_MUTEX_INITIALIZER;
static struct redis	*refund_redis;

void
refund_init(void)
{
	char	 err[256];

	if (!G.conf.milter_refunds)
		return;
	if ((refund_redis = redis_new(&G.conf, err, sizeof(err))) == NULL)
		log_warn("refunds disabled: redis_address: %s", err);
}

void
refund_message(const char *user, const char *qid)
{
	char	 err[256];
	int	 n;

	if (refund_redis == NULL || user == NULL || qid[0] == '-')
		return;
	pthread_mutex_lock(&refund_lock);
	n = policy_refund(refund_redis, &G.conf, user, qid, err, sizeof(err));
	pthread_mutex_unlock(&refund_lock);
	if (n < 0)
		log_warn("%s: cannot refund user=%s's limits: %s (set "
		    "milter_refunds = no where outpost-policyd is not used)",
		    qid, user, err);
	else if (n > 0)
		log_info("%s: refunded user=%s: %d counter%s given back", qid,
		    user, n, n == 1 ? "" : "s");
}

void
refund_fini(void)
{
	refund_redis = redis_free(refund_redis);
}
