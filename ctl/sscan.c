/*
 * outpostctl: the one SSCAN walk of ctl/ (contract: ctl.h, "sscan.c").
 *
 *   ctl_sscan(ctl, r, key, fn, arg)
 *       every member of the set KEY, an SSCAN page at a time: fn(ctl,
 *       r, members, arg) for each page.  0, or -1.
 *
 * The walk runs in the client, a page of SCAN_PAGE at a time, so Redis
 * serves the daemons between pages however large the set.  The SSCAN is
 * a format-string command whose argv[1] is KEY: on a Redis Cluster it
 * goes to the master of KEY's slot (lib/redis_cluster.h, routing).
 */
#include <string.h>

#include "ctl.h"
#include "redis.h"

#define SCAN_PAGE	"1000"

int
ctl_sscan(struct ctl *ctl, struct redis *r, const char *key,
    ctl_sscan_fn *fn, void *arg)
{
	char		 cur[32] = "0";
	redisReply	*rep;
	int		 ok;

	do {
		if ((rep = redis_command(r, "SSCAN %s %s COUNT " SCAN_PAGE,
		    key, cur)) == NULL)
			return -1;
		ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
		    rep->element[0]->type == REDIS_REPLY_STRING &&
		    rep->element[0]->len < sizeof(cur) &&
		    rep->element[1]->type == REDIS_REPLY_ARRAY;
		if (ok) {
			memcpy(cur, rep->element[0]->str,
			    rep->element[0]->len + 1);
			ok = fn(ctl, r, rep->element[1], arg) == 0;
		}
		freeReplyObject(rep);
		if (!ok)
			return -1;
	} while (strcmp(cur, "0") != 0);
	return 0;
}
