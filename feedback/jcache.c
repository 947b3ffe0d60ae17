/*
 * jcache -- the joiner's state of unfinished messages: a hash table with
 * an LRU list in memory, written to Pfb:j:HOST:QID (lib/schema.h) at each
 * batch commit (the dirty entries), on eviction and on drop, in the same
 * transaction as the follower's position: a restart, or an entry dropped
 * from memory, loses nothing.  Reads (a miss) go through fb->rr; a miss
 * on a key the open batch writes commits the batch first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "feedback.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

#define NBUCKET	(FB_CACHE_MAX * 2)

struct jcache {
	struct jmsg	*bucket[NBUCKET];
	struct jmsg	*head, *tail;	/* most recent first */
	size_t		 n;
	struct jmsg	**dirty;	/* NULL: a slot forgotten */
	size_t		 ndirty, dcap;
};

static int	 write_entry(struct fb *, struct jmsg *);

static unsigned
hash2(const char *host, const char *qid)
{
	unsigned	 h = 2166136261u;
	const char	*p;

	for (p = host; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ ' ') * 16777619u;
	for (p = qid; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

struct jcache *
jcache_new(void)
{
	return xcalloc(1, sizeof(struct jcache));
}

static void
unlink_lru(struct jcache *jc, struct jmsg *m)
{
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		jc->head = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		jc->tail = m->prev;
	m->prev = m->next = NULL;
}

static void
push_lru(struct jcache *jc, struct jmsg *m)
{
	m->prev = NULL;
	m->next = jc->head;
	if (jc->head != NULL)
		jc->head->prev = m;
	jc->head = m;
	if (jc->tail == NULL)
		jc->tail = m;
}

/* Forget m in memory only. */
static void
forget(struct jcache *jc, struct jmsg *m)
{
	struct jmsg	**pp;

	for (pp = &jc->bucket[m->hash % NBUCKET]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			break;
		}
	unlink_lru(jc, m);
	jc->n--;
	if (m->dirty)
		jc->dirty[m->dslot] = NULL;
	free(m->pending);
	free(m);
}

struct jcache *
jcache_free(struct jcache *jc)
{
	if (jc == NULL)
		return NULL;
	jcache_clear(jc);
	free(jc->dirty);
	free(jc);
	return NULL;
}

void
jcache_clear(struct jcache *jc)
{
	while (jc->head != NULL)
		forget(jc, jc->head);
	jc->ndirty = 0;
}

size_t
jcache_count(const struct jcache *jc)
{
	return jc->n;
}

static struct jmsg *
insert(struct fb *fb, const char *host, const char *qid)
{
	struct jcache	*jc = fb->jc;
	struct jmsg	*m;

	if (jc->n >= FB_CACHE_MAX) {
		m = jc->tail;
		if (m->dirty) {		/* a failure shows at the commit */
			jc->dirty[m->dslot] = NULL;
			write_entry(fb, m);
			batch_pend(fb, m->hash);
		}
		forget(jc, m);
	}
	m = xcalloc(1, sizeof(*m));
	snprintf(m->host, sizeof(m->host), "%s", host);
	snprintf(m->qid, sizeof(m->qid), "%s", qid);
	m->size = -1;
	m->nrcpt = -1;
	m->hash = hash2(host, qid);
	m->hnext = jc->bucket[m->hash % NBUCKET];
	jc->bucket[m->hash % NBUCKET] = m;
	push_lru(jc, m);
	jc->n++;
	return m;
}

static void
field(struct jmsg *m, const char *k, const redisReply *v)
{
	const char	*s = v->str;

	if (strcmp(k, "who") == 0)
		snprintf(m->who, sizeof(m->who), "%s", s);
	else if (strcmp(k, "client") == 0)
		snprintf(m->client, sizeof(m->client), "%s", s);
	else if (strcmp(k, "from") == 0)
		snprintf(m->from, sizeof(m->from), "%s", s);
	else if (strcmp(k, "msgid") == 0)
		snprintf(m->msgid, sizeof(m->msgid), "%s", s);
	else if (strcmp(k, "notice") == 0)
		snprintf(m->notice, sizeof(m->notice), "%s", s);
	else if (strcmp(k, "nkind") == 0)
		snprintf(m->nkind, sizeof(m->nkind), "%s", s);
	else if (strcmp(k, "size") == 0)
		m->size = strtoll(s, NULL, 10);
	else if (strcmp(k, "nrcpt") == 0)
		m->nrcpt = strtol(s, NULL, 10);
	else if (strcmp(k, "t") == 0)
		m->t = strtoll(s, NULL, 10);
	else if (strcmp(k, "pending") == 0 && v->len > 0 &&
	    v->len < FB_PENDING_MAX)
		m->pending = xstrdup(s);
}

/* Pfb:j of host qid into a new entry; 1 found, 0 none, -1 Redis. */
static int
load(struct fb *fb, const char *host, const char *qid, struct jmsg **out)
{
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*rep;
	struct jmsg	*m;
	size_t		 i;

	if (schema_key_fb(fb->conf, SCHEMA_FB_JOIN, host, qid, key,
	    sizeof(key)) < 0)
		return 0;
	if (batch_pending(fb, hash2(host, qid)) && batch_commit(fb) < 0)
		return -1;
	if ((rep = redis_command(fb->rr, "HGETALL %s", key)) == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
		freeReplyObject(rep);
		return 0;
	}
	m = insert(fb, host, qid);
	m->stored = 1;
	for (i = 0; i + 1 < rep->elements; i += 2)
		if (rep->element[i]->type == REDIS_REPLY_STRING &&
		    rep->element[i + 1]->type == REDIS_REPLY_STRING)
			field(m, rep->element[i]->str, rep->element[i + 1]);
	freeReplyObject(rep);
	*out = m;
	return 1;
}

int
jcache_get(struct fb *fb, const char *host, const char *qid, int create,
    struct jmsg **out)
{
	struct jcache	*jc = fb->jc;
	struct jmsg	*m;
	unsigned	 h = hash2(host, qid);
	int		 rc;

	*out = NULL;
	for (m = jc->bucket[h % NBUCKET]; m != NULL; m = m->hnext)
		if (m->hash == h && strcmp(m->qid, qid) == 0 &&
		    strcmp(m->host, host) == 0) {
			unlink_lru(jc, m);
			push_lru(jc, m);
			*out = m;
			return 0;
		}
	if (create != 2 && (rc = load(fb, host, qid, out)) != 0)
		return rc < 0 ? -1 : 0;
	if (create)
		*out = insert(fb, host, qid);
	return 0;
}

/* Append m's HSET + EXPIRE to the batch. */
static int
write_entry(struct fb *fb, struct jmsg *m)
{
	char		 key[SCHEMA_KEY_MAX], size[24], nrcpt[24], t[24];
	char		 ttl[24];
	const char	*av[22] = { "HSET", key, "who", m->who, "client",
	    m->client, "from", m->from, "msgid", m->msgid, "notice",
	    m->notice, "nkind", m->nkind, "size", size, "nrcpt", nrcpt, "t",
	    t, "pending", m->pending ? m->pending : "" };
	const char	*ex[3] = { "EXPIRE", key, ttl };

	m->dirty = 0;
	if (schema_key_fb(fb->conf, SCHEMA_FB_JOIN, m->host, m->qid, key,
	    sizeof(key)) < 0)
		return 0;
	snprintf(size, sizeof(size), "%lld", m->size);
	snprintf(nrcpt, sizeof(nrcpt), "%ld", m->nrcpt);
	snprintf(t, sizeof(t), "%lld", m->t);
	snprintf(ttl, sizeof(ttl), "%d", SCHEMA_JOIN_TTL);
	m->stored = 1;
	if (batch_cmdv(fb, FBQ_NONE, NULL, 22, av, NULL) < 0 ||
	    batch_cmdv(fb, FBQ_NONE, NULL, 3, ex, NULL) < 0)
		return -1;
	return 0;
}

int
jmsg_save(struct fb *fb, struct jmsg *m)
{
	struct jcache	*jc = fb->jc;

	if (m->dirty)
		return 0;
	if (jc->ndirty == jc->dcap) {
		jc->dcap = jc->dcap ? jc->dcap * 2 : 1024;
		jc->dirty = xrealloc(jc->dirty, jc->dcap * sizeof(*jc->dirty));
	}
	m->dirty = 1;
	m->dslot = jc->ndirty;
	jc->dirty[jc->ndirty++] = m;
	return 0;
}

int
jcache_flush(struct fb *fb)
{
	struct jcache	*jc = fb->jc;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < jc->ndirty; i++)
		if (jc->dirty[i] != NULL && write_entry(fb, jc->dirty[i]) < 0)
			rc = -1;
	jc->ndirty = 0;
	return rc;
}

int
jcache_drop(struct fb *fb, struct jmsg *m)
{
	char		 key[SCHEMA_KEY_MAX];
	const char	*av[2] = { "DEL", key };

	if (m->stored && schema_key_fb(fb->conf, SCHEMA_FB_JOIN, m->host,
	    m->qid, key, sizeof(key)) == 0) {
		if (batch_cmdv(fb, FBQ_NONE, NULL, 2, av, NULL) < 0)
			return -1;
		batch_pend(fb, m->hash);
	}
	forget(fb->jc, m);
	return 0;
}

/* Is rcpt one of the '\n'-separated entries of list?  Its offset or -1. */
static long
find(const char *list, const char *rcpt)
{
	const char	*p = list;
	size_t		 n = strlen(rcpt);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, rcpt, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return p - list;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

void
jmsg_pending_add(struct jmsg *m, const char *rcpt)
{
	size_t	 old = m->pending ? strlen(m->pending) : 0, n = strlen(rcpt);

	if (*rcpt == '\0' || strchr(rcpt, '\n') != NULL ||
	    (m->pending != NULL && find(m->pending, rcpt) >= 0) ||
	    old + n + 2 > FB_PENDING_MAX)
		return;
	m->pending = xrealloc(m->pending, old + n + 2);
	if (old > 0)
		m->pending[old++] = '\n';
	memcpy(m->pending + old, rcpt, n + 1);
}

int
jmsg_pending_del(struct jmsg *m, const char *rcpt)
{
	long	 off;
	size_t	 n = strlen(rcpt);
	char	*p;

	if (m->pending == NULL || (off = find(m->pending, rcpt)) < 0)
		return 0;
	p = m->pending + off;
	if (p[n] == '\n')
		memmove(p, p + n + 1, strlen(p + n + 1) + 1);
	else if (off > 0)
		p[-1] = '\0';
	else
		p[0] = '\0';
	return 1;
}
