/*
 * metrics -- outpost-policyd's Prometheus figures (lib/ometrics.h) and
 * its /metrics listener on the daemon's own event loop (lib/promhttp.h).
 * server.c calls pm_answer once per answer queued.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "ometrics.h"
#include "policyd.h"
#include "promhttp.h"

static struct promhttp	*http;

/* Before the privilege drop: the port may be privileged. */
void
pm_start(struct event_base *base, const struct conf *conf)
{
	char	 err[512];

	if (conf->policyd_metrics_listen[0] == '\0')
		return;
	if (om_init("policyd", err, sizeof(err)) < 0 ||
	    (http = promhttp_new(base, om.reg, conf->policyd_metrics_listen,
	    err, sizeof(err))) == NULL)
		fatal("policyd_metrics_listen: %s", err);
}

void
pm_stop(void)
{
	http = promhttp_free(http);
	om_free();
}

/* The action's class: DUNNO and other non-refusals, 4xx, 5xx. */
static const char *
action_class(const char *action)
{
	if (action[0] == '4' || strncasecmp(action, "DEFER", 5) == 0)
		return "defer";
	if (action[0] == '5' || strncasecmp(action, "REJECT", 6) == 0)
		return "reject";
	return "dunno";
}

void
pm_answer(const char *action, int error, const struct timespec *t0)
{
	struct timespec	 now;

	if (om.reg == NULL)
		return;
	prom_inc(om.decisions, error ? "error" : action_class(action), NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	prom_observe(om.latency, (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9);
}
