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
 * Refunds run on a small pool of REFUND_CONNS connections (opened when
 * first needed), so one that waits for a slow Redis does not hold up the
 * others.  Each refund is bounded by redis_timeout twice over: it waits
 * at most that long for a free connection (all of them busy means Redis
 * is hanging), and its command gives up after that long (the client's
 * own timeout).  A refund that cannot run in time, or fails, is logged
 * (saying whether it may have been applied all the same: lib/refund.h)
 * and changes nothing in the reply: the refusal stands either way.  In a
 * Sentinel failover the refunds in flight fail so; none is sent twice.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "milter.h"
#include "redis.h"
#include "refund.h"

#define REFUND_CONNS	4

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 freed;
	int		 on;
	struct redis	*conn[REFUND_CONNS];
	int		 busy[REFUND_CONNS];
} R = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
refund_init(void)
{
	pthread_condattr_t	 ca;
	char			 err[256];
	struct redis		*probe;

	if (!G.conf.milter_refunds)
		return;
	/* The address is checked once here; connections come when needed. */
	if ((probe = redis_new(&G.conf, err, sizeof(err))) == NULL) {
		log_warn("refunds disabled: redis_address: %s", err);
		return;
	}
	redis_free(probe);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&R.freed, &ca);
	pthread_condattr_destroy(&ca);
	R.on = 1;
}

/* A free slot within redis_timeout, its connection made if need be; -1. */
static int
slot_get(void)
{
	struct timespec	 until;
	long		 ms = G.conf.redis_timeout;
	char		 err[256];
	int		 i, rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&R.lock);
	for (;;) {
		for (i = 0; i < REFUND_CONNS && R.busy[i]; i++)
			;
		if (i < REFUND_CONNS || rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&R.freed, &R.lock, &until);
	}
	if (i < REFUND_CONNS)
		R.busy[i] = 1;
	pthread_mutex_unlock(&R.lock);
	if (i == REFUND_CONNS)
		return -1;
	if (R.conn[i] == NULL)
		R.conn[i] = redis_new(&G.conf, err, sizeof(err));
	return i;
}

static void
slot_put(int i)
{
	pthread_mutex_lock(&R.lock);
	R.busy[i] = 0;
	pthread_cond_signal(&R.freed);
	pthread_mutex_unlock(&R.lock);
}

void
refund_message(const char *user, const char *qid)
{
	char	 err[512];
	int	 i, n, io = 0;

	if (!R.on || user == NULL || qid[0] == '-')
		return;
	if ((i = slot_get()) < 0) {
		log_warn("%s: cannot refund user=%s's limits: every refund "
		    "connection still waits for Redis after redis_timeout "
		    "(%ld ms); the refusal stands", qid, user,
		    G.conf.redis_timeout);
		return;
	}
	if (R.conn[i] == NULL) {
		n = -1;
		snprintf(err, sizeof(err), "no Redis client");
	} else if ((n = policy_refund(R.conn[i], &G.conf, user, qid, err,
	    sizeof(err))) < 0)
		io = redis_is_io_error(R.conn[i]);
	slot_put(i);
	if (n < 0)
		log_warn("%s: cannot refund user=%s's limits: %s (%s)", qid,
		    user, err, io ? "the refusal stands" : "set milter_refunds "
		    "= no where outpost-policyd is not used");
	else if (n > 0)
		log_info("%s: refunded user=%s: %d counter%s given back", qid,
		    user, n, n == 1 ? "" : "s");
}

void
refund_fini(void)
{
	int	 i;

	for (i = 0; i < REFUND_CONNS; i++)
		R.conn[i] = redis_free(R.conn[i]);
	if (R.on)
		pthread_cond_destroy(&R.freed);
	R.on = 0;
}
