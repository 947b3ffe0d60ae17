/*
 * metrics -- outpost-milter's Prometheus figures (lib/ometrics.h),
 * served by a thread of their own (lib/promhttp.h): libmilter owns the
 * main loop and its session threads; a scrape never takes one of them.
 */
#include "conf.h"
#include "log.h"
#include "milter.h"
#include "ometrics.h"
#include "promhttp.h"

static struct promhttp	*http;

/* After daemon() (threads do not survive fork), before privdrop. */
void
mm_start(const struct conf *conf)
{
	char	 err[512];

	if (conf->milter_metrics_listen[0] == '\0')
		return;
	if (om_init("milter", err, sizeof(err)) < 0 ||
	    (http = promhttp_thread(om.reg, conf->milter_metrics_listen, err,
	    sizeof(err))) == NULL)
		fatal("milter_metrics_listen: %s", err);
}

void
mm_stop(void)
{
	http = promhttp_free(http);
	om_free();
}

/* One message judged at end of message. */
void
mm_message(int inbound, sfsistat rc)
{
	const char	*result;

	switch (rc) {
	case SMFIS_TEMPFAIL:	result = "tempfail"; break;
	case SMFIS_REJECT:	result = "reject"; break;
	case SMFIS_DISCARD:	result = "discard"; break;
	default:		result = "accept"; break;
	}
	prom_inc(om.messages, inbound ? "inbound" : "outbound", result);
}
