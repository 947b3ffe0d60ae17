/*
 * metrics -- outpost-feedback's Prometheus figures (lib/ometrics.h),
 * served by a thread with its own event loop (lib/promhttp.h): the
 * follower blocks in reads and sleeps, a scrape must not wait for it.
 */
#include "conf.h"
#include "feedback.h"
#include "log.h"
#include "ometrics.h"
#include "promhttp.h"

static struct promhttp	*http;

/* After daemon(): threads do not survive fork. */
void
fm_start(const struct conf *conf)
{
	char	 err[512];

	if (conf->feedback_metrics_listen[0] == '\0')
		return;
	if (om_init("feedback", err, sizeof(err)) < 0 ||
	    (http = promhttp_thread(om.reg, conf->feedback_metrics_listen,
	    err, sizeof(err))) == NULL)
		fatal("feedback_metrics_listen: %s", err);
}

void
fm_stop(void)
{
	http = promhttp_free(http);
	om_free();
}
