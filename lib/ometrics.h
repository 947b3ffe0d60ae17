/*
 * ometrics -- the names outpost exports to Prometheus, registered once
 * per program, and the one process-wide handle the hooks count through.
 *
 * The hooks are one call at the place an event happens, e.g.
 *     prom_inc(om.decisions, "defer", NULL);
 * om's metrics are NULL while metrics are off (no *_metrics_listen):
 * prom_inc(NULL, ...) then does nothing.  Label values are the lists
 * below; a value not listed is not counted (prom.h).
 *
 *   om_init(program, err, errlen)
 *       program "policyd", "milter" or "feedback": a registry with that
 *       program's families and the process basics.  0 / -1
 *   om_free()                    drop the registry; every metric NULL
 *
 * policyd:  outpost_policy_decisions_total{action}  dunno|defer|reject|error
 *           outpost_policy_latency_seconds           histogram, request
 *                                                    read to answer queued
 *           outpost_redis_errors_total{program}
 *           outpost_users_paused                     gauge: users suspended
 *                                                    now, fleet-wide (SCARD
 *                                                    of Psuspended, set by
 *                                                    policyd/metrics.c)
 * milter:   outpost_milter_messages_total{direction,result}
 *                     inbound|outbound x accept|tempfail|reject|discard
 *           outpost_dkim_signatures_total{alg}       rsa-sha256|ed25519-sha256
 *           outpost_auth_results_total{method,result}
 *                     spf|dkim|dmarc x pass|fail|softfail|neutral|none|
 *                     policy|temperror|permerror
 *           outpost_redis_errors_total{program}
 * feedback: outpost_deliveries_total{category}      delivered|soft|hard|
 *                                                    block|expired|refused|
 *                                                    notice
 *           outpost_suppressions_added_total{reason} hard-bounce|complaint
 *           outpost_users_paused_total               users feedback paused
 *           outpost_redis_errors_total{program}
 * all:      process_*, outpost_build_info{version}
 */
#ifndef OUTPOST_OMETRICS_H
#define OUTPOST_OMETRICS_H

#include <stddef.h>

#include "prom.h"

struct ometrics {
	struct prom		*reg;
	struct prom_metric	*decisions, *latency, *redis_errors;
	struct prom_metric	*users_paused;
	struct prom_metric	*messages, *signatures, *auth;
	struct prom_metric	*deliveries, *suppressions, *paused;
	const char		*program;
};

extern struct ometrics om;

int	 om_init(const char *, char *, size_t);
void	 om_free(void);

#endif
