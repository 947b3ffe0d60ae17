/*
 * cluster -- key slots, the slot map, routing keys and redirections of a
 * Redis Cluster client; pure, see cluster.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster.h"
#include "errf.h"

struct cluster_map {
	int			 nnodes, nmasters;
	struct cluster_node	 nodes[CLUSTER_NODES_MAX];
	short			 slot[CLUSTER_SLOTS];	/* node, -1 none */
};

unsigned
cluster_crc16(const char *buf, size_t len)
{
	unsigned	 crc = 0;
	size_t		 i;
	int		 b;

	for (i = 0; i < len; i++) {
		crc ^= (unsigned)(unsigned char)buf[i] << 8;
		for (b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
		crc &= 0xffff;
	}
	return crc;
}

int
cluster_key_slot(const char *key, size_t len)
{
	const char	*open, *close;

	if ((open = memchr(key, '{', len)) != NULL) {
		close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
		if (close != NULL && close > open + 1)
			return (int)(cluster_crc16(open + 1,
			    (size_t)(close - open - 1)) & (CLUSTER_SLOTS - 1));
	}
	return (int)(cluster_crc16(key, len) & (CLUSTER_SLOTS - 1));
}

static void
map_clear(struct cluster_map *m)
{
	int	 i;

	m->nnodes = m->nmasters = 0;
	for (i = 0; i < CLUSTER_SLOTS; i++)
		m->slot[i] = -1;
}

struct cluster_map *
cluster_map_new(void)
{
	struct cluster_map	*m;

	if ((m = malloc(sizeof(*m))) != NULL)
		map_clear(m);
	return m;
}

struct cluster_map *
cluster_map_free(struct cluster_map *m)
{
	free(m);
	return NULL;
}

/*
 * Node [host, port, ...] of a CLUSTER SLOTS entry into host/port: 1, 0 for
 * the unknown endpoint "?", -1 when malformed.
 */
static int
node_parse(const redisReply *n, const char *self, char host[256], int *port)
{
	const char	*h;
	size_t		 hlen;

	if (n->type != REDIS_REPLY_ARRAY || n->elements < 2 ||
	    (n->element[0]->type != REDIS_REPLY_STRING &&
	    n->element[0]->type != REDIS_REPLY_NIL) ||
	    n->element[1]->type != REDIS_REPLY_INTEGER ||
	    n->element[1]->integer < 1 || n->element[1]->integer > 65535)
		return -1;
	h = n->element[0]->type == REDIS_REPLY_NIL ? "" : n->element[0]->str;
	hlen = n->element[0]->type == REDIS_REPLY_NIL ? 0 :
	    n->element[0]->len;
	if (hlen == 0) {
		h = self;
		hlen = strlen(self);
	}
	if (hlen > 255 || memchr(h, '\0', hlen) != NULL)
		return -1;
	if (hlen == 1 && *h == '?')
		return 0;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)n->element[1]->integer;
	return 1;
}

/* Index of host:port in m, added (as a replica of master) if new; -1. */
static int
node_add(struct cluster_map *m, const char *host, int port, int master)
{
	int	 i;

	for (i = 0; i < m->nnodes; i++)
		if (m->nodes[i].port == port &&
		    strcmp(m->nodes[i].host, host) == 0)
			return i;
	if (m->nnodes == CLUSTER_NODES_MAX)
		return -1;
	strcpy(m->nodes[i].host, host);
	m->nodes[i].port = port;
	m->nodes[i].master = master < 0 ? i : master;
	return m->nnodes++;
}

static int
range_check(const redisReply *e)
{
	return e->type == REDIS_REPLY_ARRAY && e->elements >= 3 &&
	    e->element[0]->type == REDIS_REPLY_INTEGER &&
	    e->element[1]->type == REDIS_REPLY_INTEGER &&
	    e->element[0]->integer >= 0 &&
	    e->element[0]->integer <= e->element[1]->integer &&
	    e->element[1]->integer < CLUSTER_SLOTS ? 0 : -1;
}

/* Pass 1: the master of each range; its slots.  0 / -1. */
static int
load_masters(struct cluster_map *m, const redisReply *rep, const char *self,
    char *err, size_t errlen)
{
	char		 host[256];
	size_t		 i;
	long long	 s;
	int		 port, rc, n;

	for (i = 0; i < rep->elements; i++) {
		if (range_check(rep->element[i]) < 0)
			return errf(err, errlen, "CLUSTER SLOTS: entry %zu is "
			    "no slot range", i + 1);
		if ((rc = node_parse(rep->element[i]->element[2], self, host,
		    &port)) < 0)
			return errf(err, errlen, "CLUSTER SLOTS: entry %zu: "
			    "bad master node", i + 1);
		if (rc == 0)
			continue;
		if ((n = node_add(m, host, port, -1)) < 0)
			return errf(err, errlen, "CLUSTER SLOTS: more than %d "
			    "nodes", CLUSTER_NODES_MAX);
		for (s = rep->element[i]->element[0]->integer;
		    s <= rep->element[i]->element[1]->integer; s++) {
			if (m->slot[s] != -1)
				return errf(err, errlen, "CLUSTER SLOTS: slot "
				    "%lld in two ranges", s);
			m->slot[s] = (short)n;
		}
	}
	m->nmasters = m->nnodes;
	return 0;
}

/* Pass 2: the replicas of each range's master.  0 / -1. */
static int
load_replicas(struct cluster_map *m, const redisReply *rep, const char *self,
    char *err, size_t errlen)
{
	const redisReply	*e;
	char			 host[256];
	size_t			 i, j;
	int			 port, rc, master;

	for (i = 0; i < rep->elements; i++) {
		e = rep->element[i];
		master = m->slot[e->element[0]->integer];
		for (j = 3; j < e->elements; j++) {
			if ((rc = node_parse(e->element[j], self, host,
			    &port)) < 0)
				return errf(err, errlen, "CLUSTER SLOTS: entry "
				    "%zu: bad replica node", i + 1);
			if (rc == 0 || master < 0)
				continue;
			if (node_add(m, host, port, master) < 0)
				return errf(err, errlen, "CLUSTER SLOTS: more "
				    "than %d nodes", CLUSTER_NODES_MAX);
		}
	}
	return 0;
}

int
cluster_map_load(struct cluster_map *m, const redisReply *rep,
    const char *self, char *err, size_t errlen)
{
	struct cluster_map	*t;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY)
		return errf(err, errlen, "CLUSTER SLOTS: not an array");
	if (self == NULL || strlen(self) > 255)
		return errf(err, errlen, "CLUSTER SLOTS: bad node name");
	if ((t = cluster_map_new()) == NULL)
		return errf(err, errlen, "out of memory");
	if (load_masters(t, rep, self, err, errlen) < 0 ||
	    load_replicas(t, rep, self, err, errlen) < 0) {
		free(t);
		return -1;
	}
	memcpy(m, t, sizeof(*m));
	free(t);
	return 0;
}

int
cluster_map_node(const struct cluster_map *m, int slot)
{
	if (slot < 0 || slot >= CLUSTER_SLOTS)
		return -1;
	return m->slot[slot];
}

int
cluster_map_nnodes(const struct cluster_map *m)
{
	return m->nnodes;
}

int
cluster_map_nmasters(const struct cluster_map *m)
{
	return m->nmasters;
}

const struct cluster_node *
cluster_map_get(const struct cluster_map *m, int i)
{
	return i >= 0 && i < m->nnodes ? &m->nodes[i] : NULL;
}

/* Digits of p..end as a number in 0..max; -1 if not. */
static long
number(const char *p, const char *end, long max)
{
	long	 n = 0;

	if (p == end || end - p > 10)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n <= max ? n : -1;
}

int
cluster_redirect(const char *text, size_t len, struct cluster_redirect *rd)
{
	const char	*p, *end = text + len, *sp, *colon = NULL, *h;
	size_t		 hlen;
	long		 slot, port;

	if (len >= 6 && memcmp(text, "MOVED ", 6) == 0) {
		rd->kind = CLUSTER_MOVED;
		p = text + 6;
	} else if (len >= 4 && memcmp(text, "ASK ", 4) == 0) {
		rd->kind = CLUSTER_ASK;
		p = text + 4;
	} else
		return 0;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    (slot = number(p, sp, CLUSTER_SLOTS - 1)) < 0)
		return -1;
	for (p = sp + 1; p < end; p++) {
		if (*p == ':')
			colon = p;
		else if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -1;
	}
	if (colon == NULL || (port = number(colon + 1, end, 65535)) < 1)
		return -1;
	h = sp + 1;
	hlen = (size_t)(colon - h);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen > 255 || memchr(h, '[', hlen) != NULL ||
	    memchr(h, ']', hlen) != NULL)
		return -1;
	memcpy(rd->host, h, hlen);
	rd->host[hlen] = '\0';
	rd->slot = (int)slot;
	rd->port = (int)port;
	return rd->kind;
}

static int
is_word(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

static const char *const keyless[] = {
	"MULTI", "EXEC", "DISCARD", "PING", "ECHO", "SCRIPT", "CLUSTER",
	"INFO", "SCAN", "DBSIZE", "FLUSHALL", "FLUSHDB", "WAIT", "ROLE",
	"ASKING", "READONLY", "READWRITE", "AUTH", "SELECT", "CLIENT",
	"CONFIG", "TIME", "KEYS", "RANDOMKEY", "HELLO", "QUIT", "COMMAND",
	"FUNCTION", "LASTSAVE", "SAVE", "BGSAVE", "DEBUG", "MEMORY",
	"SLOWLOG", "LATENCY", "ACL", "PUBLISH", "SUBSCRIBE", "SENTINEL",
	NULL
};

int
cluster_command_key(int argc, const char **argv, const size_t *argvlen,
    const char **key, size_t *keylen)
{
	size_t	 l0;
	long	 nk;
	int	 i;

	if (argc < 2)
		return 0;
	l0 = argvlen != NULL ? argvlen[0] : strlen(argv[0]);
	if (is_word(argv[0], l0, "EVAL") || is_word(argv[0], l0, "EVALSHA") ||
	    is_word(argv[0], l0, "EVAL_RO") ||
	    is_word(argv[0], l0, "EVALSHA_RO") ||
	    is_word(argv[0], l0, "FCALL") || is_word(argv[0], l0, "FCALL_RO")) {
		if (argc < 4 || (nk = number(argv[2], argv[2] + (argvlen ?
		    argvlen[2] : strlen(argv[2])), 99999)) < 1)
			return 0;
		i = 3;
	} else {
		for (i = 0; keyless[i] != NULL; i++)
			if (is_word(argv[0], l0, keyless[i]))
				return 0;
		i = 1;
	}
	*key = argv[i];
	*keylen = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	return 1;
}

/* "<c>NUMBER\r\n" at *pp (before end): the number, *pp moved past; -1. */
static long
resp_len(const char **pp, const char *end, char c)
{
	const char	*p = *pp, *cr;
	long		 n;

	if (p >= end || *p != c ||
	    (cr = memchr(p, '\r', (size_t)(end - p))) == NULL ||
	    cr + 1 >= end || cr[1] != '\n' ||
	    (n = number(p + 1, cr, 1L << 30)) < 0)
		return -1;
	*pp = cr + 2;
	return n;
}

int
cluster_resp_key(const char *buf, size_t len, const char **key,
    size_t *keylen)
{
	const char	*p = buf, *end = buf + len, *av[4];
	size_t		 al[4];
	long		 n, l;
	int		 i;

	if ((n = resp_len(&p, end, '*')) < 1)
		return -1;
	for (i = 0; i < n && i < 4; i++) {
		if ((l = resp_len(&p, end, '$')) < 0 || end - p < l + 2 ||
		    p[l] != '\r' || p[l + 1] != '\n')
			return -1;
		av[i] = p;
		al[i] = (size_t)l;
		p += l + 2;
	}
	return cluster_command_key(i, av, al, key, keylen);
}
