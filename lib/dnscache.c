/*
 * dnscache -- positive DNS answers kept for their TTL; see dnscache.h.
 *
 * A fixed array of entries, a hash table of bucket chains over it, and a
 * clock hand that walks the array in insertion order: a new answer takes
 * the next free or expired entry, else the one under the hand (the
 * oldest).  Everything is allocated at dnscache_new except the copies of
 * names and rdata.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "dnscache.h"

#define NAME_MAX_LEN	255

struct centry {
	char		*name;		/* lower case; NULL: entry unused */
	int		 rrtype;
	time_t		 expires;
	struct dns_rrset set;
	size_t		 bucket;
	struct centry	*next;		/* in its bucket */
};

struct dnscache {
	pthread_mutex_t	 mu;
	size_t		 max, nbuckets, hand;
	struct centry	*e;
	struct centry	**bucket;
};

static uint32_t
hash_name(const char *s, int rrtype)
{
	uint32_t	 h = 2166136261u ^ (uint32_t)rrtype;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) *
		    16777619u;
	return h;
}

struct dnscache *
dnscache_new(size_t max)
{
	struct dnscache	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->max = max > 0 ? max : DNSCACHE_MAX;
	c->nbuckets = c->max * 2;
	c->e = calloc(c->max, sizeof(*c->e));
	c->bucket = calloc(c->nbuckets, sizeof(*c->bucket));
	if (c->e == NULL || c->bucket == NULL) {
		free(c->e);
		free(c->bucket);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

static void
entry_clear(struct dnscache *c, struct centry *e)
{
	struct centry	**pp;

	if (e->name == NULL)
		return;
	for (pp = &c->bucket[e->bucket]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	free(e->name);
	e->name = NULL;
	dns_rrset_free(&e->set);
}

struct dnscache *
dnscache_free(struct dnscache *c)
{
	size_t	 i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->max; i++)
		entry_clear(c, &c->e[i]);
	pthread_mutex_destroy(&c->mu);
	free(c->e);
	free(c->bucket);
	free(c);
	return NULL;
}

/* A deep copy of src into dst; 0 / -1 (dst then empty). */
static int
copy_set(struct dns_rrset *dst, const struct dns_rrset *src)
{
	size_t	 i;

	*dst = *src;
	dst->n = 0;
	if ((dst->rr = calloc(src->n ? src->n : 1, sizeof(*dst->rr))) == NULL)
		return -1;
	for (i = 0; i < src->n; i++) {
		dst->rr[i].len = src->rr[i].len;
		if ((dst->rr[i].data = malloc(src->rr[i].len + 1)) == NULL) {
			dns_rrset_free(dst);
			return -1;
		}
		memcpy(dst->rr[i].data, src->rr[i].data, src->rr[i].len + 1);
		dst->n = i + 1;
	}
	return 0;
}

static struct centry *
find(struct dnscache *c, const char *name, int rrtype, size_t b)
{
	struct centry	*e;

	for (e = c->bucket[b]; e != NULL; e = e->next)
		if (e->rrtype == rrtype && strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

int
dnscache_get(struct dnscache *c, const char *name, int rrtype, time_t now,
    struct dns_rrset *out)
{
	struct centry	*e;
	size_t		 b = hash_name(name, rrtype) % c->nbuckets;
	int		 rc = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, name, rrtype, b)) != NULL && e->expires <= now) {
		entry_clear(c, e);
		e = NULL;
	}
	if (e != NULL) {
		rc = copy_set(out, &e->set) < 0 ? -1 : 1;
		out->ttl = (unsigned)(e->expires - now);
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static size_t
set_bytes(const struct dns_rrset *s)
{
	size_t	 i, n = 0;

	for (i = 0; i < s->n; i++)
		n += s->rr[i].len;
	return n;
}

/* The entry a new answer takes: a free or expired one, else the oldest. */
static struct centry *
victim(struct dnscache *c, time_t now)
{
	struct centry	*e;
	size_t		 i;

	for (i = 0; i < c->max; i++) {
		e = &c->e[(c->hand + i) % c->max];
		if (e->name == NULL || e->expires <= now)
			break;
	}
	e = &c->e[(c->hand + (i < c->max ? i : 0)) % c->max];
	c->hand = (size_t)(e - c->e + 1) % c->max;
	entry_clear(c, e);
	return e;
}

int
dnscache_put(struct dnscache *c, const char *name, int rrtype, time_t now,
    const struct dns_rrset *set)
{
	struct centry	*e;
	size_t		 b, i, len = strlen(name);
	int		 rc = 0;

	if (set->ttl == 0 || set->n == 0 || len > NAME_MAX_LEN ||
	    set_bytes(set) > DNSCACHE_ENTRY_BYTES)
		return 0;
	b = hash_name(name, rrtype) % c->nbuckets;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, name, rrtype, b)) != NULL)
		entry_clear(c, e);
	e = victim(c, now);
	if ((e->name = malloc(len + 1)) == NULL ||
	    copy_set(&e->set, set) < 0) {
		free(e->name);
		e->name = NULL;
		rc = -1;
	} else {
		for (i = 0; i <= len; i++)
			e->name[i] = (char)tolower((unsigned char)name[i]);
		e->rrtype = rrtype;
		e->expires = now + (time_t)set->ttl;
		e->bucket = b;
		e->next = c->bucket[b];
		c->bucket[b] = e;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}
