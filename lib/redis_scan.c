/*
 * redis_scan -- SCAN over the whole keyspace, every master of a cluster
 * in turn (one server: itself); see redis.h.  A page at a time, so Redis
 * serves the daemons between pages however large the keyspace.
 */
#include <string.h>

#include "redis.h"

/* One node's SCAN to the end; 0 / -1. */
static int
scan_node(struct redis *r, int node, const char *glob,
    int (*fn)(void *, const redisReply *), void *arg)
{
	redisReply	*rep;
	char		 cur[32] = "0";
	size_t		 i;
	int		 rc;

	do {
		if ((rep = redis_command_node(r, node, "SCAN %s MATCH %s "
		    "COUNT 1000", cur, glob)) == NULL)
			return -1;
		rc = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
		    rep->element[0]->type == REDIS_REPLY_STRING &&
		    rep->element[0]->len < sizeof(cur) &&
		    rep->element[1]->type == REDIS_REPLY_ARRAY ? 0 : -1;
		if (rc == 0)
			memcpy(cur, rep->element[0]->str,
			    rep->element[0]->len + 1);
		for (i = 0; rc == 0 && i < rep->element[1]->elements; i++)
			if (rep->element[1]->element[i]->type ==
			    REDIS_REPLY_STRING)
				rc = fn(arg, rep->element[1]->element[i]);
		freeReplyObject(rep);
		if (rc < 0)
			return -1;
	} while (strcmp(cur, "0") != 0);
	return 0;
}

int
redis_scan(struct redis *r, const char *glob,
    int (*fn)(void *, const redisReply *), void *arg)
{
	int	 i, n;

	if ((n = redis_nnodes(r)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (scan_node(r, i, glob, fn, arg) < 0)
			return -1;
	return 0;
}
