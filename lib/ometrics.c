/*
 * ometrics -- outpost's metric names; see ometrics.h.
 */
#include <string.h>

#include "errf.h"
#include "ometrics.h"

struct ometrics om;

static const char *const programs[] = { "policyd", "milter", "feedback",
    NULL };
static const char *const actions[] = { "dunno", "defer", "reject", "error",
    NULL };
/* 0.5 ms to 10 s: a Redis round trip on loopback is ~0.1-1 ms. */
static const double latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10 };
static const char *const directions[] = { "inbound", "outbound", NULL };
static const char *const mresults[] = { "accept", "tempfail", "reject",
    "discard", NULL };
static const char *const algs[] = { "rsa-sha256", "ed25519-sha256", NULL };
static const char *const methods[] = { "spf", "dkim", "dmarc", NULL };
static const char *const aresults[] = { "pass", "fail", "softfail",
    "neutral", "none", "policy", "temperror", "permerror", NULL };
static const char *const categories[] = { "delivered", "soft", "hard",
    "block", "expired", "refused", "notice", NULL };
static const char *const reasons[] = { "hard-bounce", "complaint", NULL };

static int
reg_policyd(char *err, size_t errlen)
{
	if ((om.decisions = prom_counter(om.reg,
	    "outpost_policy_decisions_total", "Policy requests answered, by "
	    "action (error: Redis failed and on_error answered).", "action",
	    actions, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if ((om.latency = prom_histogram(om.reg,
	    "outpost_policy_latency_seconds", "Time from a policy request read "
	    "to its answer queued, in seconds.", latency_bounds,
	    sizeof(latency_bounds) / sizeof(latency_bounds[0]), err,
	    errlen)) == NULL)
		return -1;
	om.users_paused = prom_gauge(om.reg, "outpost_users_paused", "Users "
	    "suspended now (by an admin or for their rates), fleet-wide: the "
	    "size of the index of suspended users in Redis, read every 15 s "
	    "and at a scrape at most once a second.", NULL, NULL, NULL, NULL,
	    err, errlen);
	return om.users_paused ? 0 : -1;
}

static int
reg_milter(char *err, size_t errlen)
{
	if ((om.messages = prom_counter(om.reg,
	    "outpost_milter_messages_total", "Messages judged at end of "
	    "message, by direction and the milter's answer.", "direction",
	    directions, "result", mresults, err, errlen)) == NULL ||
	    (om.signatures = prom_counter(om.reg,
	    "outpost_dkim_signatures_total", "DKIM signatures added, by "
	    "algorithm.", "alg", algs, NULL, NULL, err, errlen)) == NULL)
		return -1;
	om.auth = prom_counter(om.reg, "outpost_auth_results_total",
	    "Authentication-Results verdicts of inbound mail, by method and "
	    "result (one per DKIM signature).", "method", methods, "result",
	    aresults, err, errlen);
	return om.auth ? 0 : -1;
}

static int
reg_feedback(char *err, size_t errlen)
{
	if ((om.deliveries = prom_counter(om.reg, "outpost_deliveries_total",
	    "Delivery events written to the delivery log, by category.",
	    "category", categories, NULL, NULL, err, errlen)) == NULL ||
	    (om.suppressions = prom_counter(om.reg,
	    "outpost_suppressions_added_total", "Recipients suppressed "
	    "automatically, by reason.", "reason", reasons, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	om.paused = prom_counter(om.reg, "outpost_users_paused_total",
	    "Users paused (suspended) for their bounce or complaint rate.",
	    NULL, NULL, NULL, NULL, err, errlen);
	return om.paused ? 0 : -1;
}

int
om_init(const char *program, char *err, size_t errlen)
{
	int	 rc;

	om_free();
	if ((om.reg = prom_new()) == NULL ||
	    prom_process(om.reg, OUTPOST_VERSION) < 0)
		return errf(err, errlen, "out of memory");
	if (strcmp(program, "policyd") == 0)
		rc = reg_policyd(err, errlen);
	else if (strcmp(program, "milter") == 0)
		rc = reg_milter(err, errlen);
	else if (strcmp(program, "feedback") == 0)
		rc = reg_feedback(err, errlen);
	else
		rc = errf(err, errlen, "no metrics for program %s", program);
	if (rc == 0 && (om.redis_errors = prom_counter(om.reg,
	    "outpost_redis_errors_total", "Redis commands or connections "
	    "that failed.", "program", programs, NULL, NULL, err,
	    errlen)) == NULL)
		rc = -1;
	if (rc < 0) {
		om_free();
		return -1;
	}
	om.program = program;
	return 0;
}

void
om_free(void)
{
	prom_free(om.reg);
	memset(&om, 0, sizeof(om));
}
