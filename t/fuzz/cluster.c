/*
 * libFuzzer target for lib/cluster: the input is tried as a MOVED / ASK
 * text, as a command in RESP form (its routing key must lie inside the
 * input), and as a CLUSTER SLOTS reply (every slot of a loaded map names
 * a master, every node's master is a master); key slots stay in range.
 */
// fuzz-sources: lib/cluster.c lib/errf.c
// fuzz-pkgs: hiredis
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_map(const char *buf, size_t len)
{
	struct cluster_map		*m;
	const struct cluster_node	*n;
	redisReader			*rd;
	void				*rep = NULL;
	char				 err[256];
	int				 i, node;

	if ((rd = redisReaderCreate()) == NULL)
		return;
	redisReaderFeed(rd, buf, len);
	if (redisReaderGetReply(rd, &rep) == REDIS_OK && rep != NULL &&
	    (m = cluster_map_new()) != NULL) {
		if (cluster_map_load(m, rep, "self", err, sizeof(err)) == 0) {
			for (i = 0; i < CLUSTER_SLOTS; i++)
				if ((node = cluster_map_node(m, i)) >=
				    cluster_map_nmasters(m))
					abort();
			for (i = 0; i < cluster_map_nnodes(m); i++) {
				n = cluster_map_get(m, i);
				if (n->master >= cluster_map_nmasters(m) ||
				    n->port < 1 || n->port > 65535 ||
				    *n->host == '\0')
					abort();
			}
		}
		cluster_map_free(m);
	}
	if (rep != NULL)
		freeReplyObject(rep);
	redisReaderFree(rd);
}

/* hiredis 0.14 allocates a whole "*N" array up front: keep N small. */
static int
small_arrays(const char *buf, size_t len)
{
	size_t	 i, d;

	for (i = 0; i < len; i++) {
		if (buf[i] != '*')
			continue;
		for (d = 0; i + 1 + d < len && buf[i + 1 + d] >= '0' &&
		    buf[i + 1 + d] <= '9'; d++)
			;
		if (d > 3)
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*buf = (const char *)data, *key;
	struct cluster_redirect	 rd;
	size_t			 keylen;
	int			 rc;

	rc = cluster_redirect(buf, size, &rd);
	if (rc > 0 && (rd.slot < 0 || rd.slot >= CLUSTER_SLOTS ||
	    rd.port < 1 || rd.port > 65535 || strlen(rd.host) > 255))
		abort();
	if (cluster_resp_key(buf, size, &key, &keylen) == 1 &&
	    (key < buf || key + keylen > buf + size))
		abort();
	if (cluster_key_slot(buf, size) >= CLUSTER_SLOTS)
		abort();
	if (size < 65536 && small_arrays(buf, size))
		check_map(buf, size);
	return 0;
}
