/*
 * authz -- who may send as which domain: the From domain of a message a
 * SASL user submits, judged from the state outpostctl keeps in Redis.
 *
 * The rule is the one outpost-policyd applies to the envelope sender
 * (lib/pscript.c): the user must exist (unless policyd_unknown_user =
 * default) and be active, and the From domain or one of its parents must
 * be in the user's domain set.  An empty set allows any domain, except
 * with authorize_senders = yes, where it allows none and where the From
 * domain must also be verified (outpostctl domain verify): the domain
 * itself, or, with sign_subdomains = yes, its closest verified parent.
 *
 *   authz_init()          once, before the worker threads start
 *   authz_check(conf, user, domain, out)
 *       conf: the message's settings (authorize_senders, sign_subdomains,
 *       policyd_unknown_user); Redis is reached as G.conf says.
 *       AUTHZ_OK, AUTHZ_REFUSE (out->why: the reply text) or AUTHZ_ERROR
 *       (out->why: what failed; Redis unreachable, slow or refusing).
 *       domain is normalised (mailaddr_domain_norm) or the raw text of a
 *       domain that did not normalise, which then matches nothing.
 *   authz_fini()
 *
 * Nothing is judged from a Redis without the schema marker of
 * lib/schema.h (Pschema): an emptied Redis would refuse every user as
 * unknown, permanently.  The marker is read with a GET of its own (a
 * Cluster routes it to its own slot), at most once per MARK_TTL_MS; while
 * it is missing authz_check answers AUTHZ_ERROR (on_error decides), and
 * the milter logs that once when it goes missing and once when it is back.
 *
 * What Redis says is cached for AUTHZ_TTL_MS, per user and per domain, so
 * that a message of a busy user costs no round trip and an admin's change
 * ("user deny", "user suspend", a domain losing its verified state) holds
 * on every MTA within that time.  Lookups use their own small pool of
 * connections (not the refunds' one), so one slow Redis reply does not
 * hold up the other worker threads' lookups.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "milter.h"
#include "ometrics.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

#define AUTHZ_TTL_MS	5000
#define MARK_TTL_MS	1000
#define AUTHZ_BUCKETS	4096
#define AUTHZ_MAX	200000		/* cached entries; beyond: not cached */
#define POOL_MAX	16
#define MAX_LABELS	127

enum { MARK_UNKNOWN, MARK_OK, MARK_MISSING };

/* One cache entry: a user ('u') or a domain ('d'). */
struct centry {
	struct centry	*next;
	long long	 expires;	/* monotonic ms */
	char		 kind;
	char		*name;
	int		 known;		/* u: account exists; d: verified */
	int		 suspended;	/* u */
	char		*reason;	/* u: suspension reason */
	struct strlist	 domains;	/* u: allowed domains */
};

static struct {
	pthread_mutex_t	 lock;
	struct centry	*bucket[AUTHZ_BUCKETS];
	size_t		 n;
	struct redis	*pool[POOL_MAX];
	size_t		 npool;		/* idle connections in pool[] */
	long long	 mark_checked;	/* monotonic ms of the last GET */
	int		 mark;		/* MARK_*: what it said */
	unsigned long	 mark_errors;	/* messages answered while missing */
} A = { .lock = PTHREAD_MUTEX_INITIALIZER };

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned
hash(char kind, const char *s)
{
	unsigned	 h = 2166136261u ^ (unsigned char)kind;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % AUTHZ_BUCKETS;
}

static void
centry_free_fields(struct centry *e)
{
	free(e->name);
	free(e->reason);
	strlist_free(&e->domains);
	e->name = e->reason = NULL;
}

static struct centry *
centry_free(struct centry *e)
{
	if (e == NULL)
		return NULL;
	centry_free_fields(e);
	free(e);
	return NULL;
}

/* ---- the cache: copies in and out, under the lock ------------------- */

static void
centry_copy(struct centry *dst, const struct centry *src)
{
	size_t	 i;

	memset(dst, 0, sizeof(*dst));
	dst->known = src->known;
	dst->suspended = src->suspended;
	dst->reason = src->reason ? xstrdup(src->reason) : NULL;
	dst->domains.n = src->domains.n;
	dst->domains.v = src->domains.n ?
	    xcalloc(src->domains.n, sizeof(char *)) : NULL;
	for (i = 0; i < src->domains.n; i++)
		dst->domains.v[i] = xstrdup(src->domains.v[i]);
}

/* A fresh cached entry copied into *out: 1, else 0. */
static int
cache_get(char kind, const char *name, struct centry *out)
{
	struct centry	**pp, *e;
	long long	 now = now_ms();
	int		 found = 0;

	pthread_mutex_lock(&A.lock);
	for (pp = &A.bucket[hash(kind, name)]; (e = *pp) != NULL;) {
		if (e->expires <= now) {
			*pp = e->next;
			centry_free(e);
			A.n--;
			continue;
		}
		if (e->kind == kind && strcmp(e->name, name) == 0) {
			centry_copy(out, e);
			found = 1;
			break;
		}
		pp = &e->next;
	}
	pthread_mutex_unlock(&A.lock);
	return found;
}

static void
cache_put(char kind, const char *name, const struct centry *val,
    long long expires)
{
	struct centry	*e, **pp;

	e = xcalloc(1, sizeof(*e));
	centry_copy(e, val);
	e->kind = kind;
	e->name = xstrdup(name);
	e->expires = expires;
	pthread_mutex_lock(&A.lock);
	pp = &A.bucket[hash(kind, name)];
	if (A.n >= AUTHZ_MAX) {
		pthread_mutex_unlock(&A.lock);
		centry_free(e);
		return;
	}
	e->next = *pp;
	*pp = e;
	A.n++;
	pthread_mutex_unlock(&A.lock);
}

/* ---- Redis ------------------------------------------------------------ */

static struct redis *
pool_get(char *err, size_t errlen)
{
	struct redis	*r = NULL;

	pthread_mutex_lock(&A.lock);
	if (A.npool > 0)
		r = A.pool[--A.npool];
	pthread_mutex_unlock(&A.lock);
	if (r == NULL)
		r = redis_new(&G.conf, err, errlen);
	return r;
}

static void
pool_put(struct redis *r)
{
	pthread_mutex_lock(&A.lock);
	if (A.npool < POOL_MAX) {
		A.pool[A.npool++] = r;
		r = NULL;
	}
	pthread_mutex_unlock(&A.lock);
	redis_free(r);
}

static void
fill_user(struct centry *u, redisReply *acct, redisReply *dom)
{
	size_t	 i;

	memset(u, 0, sizeof(*u));
	u->known = acct->type == REDIS_REPLY_ARRAY && acct->elements == 2 &&
	    acct->element[0]->type == REDIS_REPLY_STRING;
	if (u->known)
		u->suspended = strcmp(acct->element[0]->str,
		    SCHEMA_SUSPENDED) == 0;
	if (u->known && acct->element[1]->type == REDIS_REPLY_STRING)
		u->reason = xstrdup(acct->element[1]->str);
	if (dom->type != REDIS_REPLY_ARRAY || dom->elements == 0)
		return;
	u->domains.v = xcalloc(dom->elements, sizeof(char *));
	for (i = 0; i < dom->elements; i++)
		if (dom->element[i]->type == REDIS_REPLY_STRING)
			u->domains.v[u->domains.n++] =
			    xstrdup(dom->element[i]->str);
}

/*
 * One round trip: the user's account and domain set when user != NULL,
 * then the verified state of each of the ndom names.  0, or -1 with err.
 * A connection that Redis closed while it sat in the pool (a restart)
 * is replaced and the reads sent once more (retried: 0 the first time).
 */
static int
fetch(const char *user, struct centry *u, const char *const *dom,
    size_t ndom, int *verified, int retried, char *err, size_t errlen)
{
	struct redis	*r;
	redisReply	*rep[2 + MAX_LABELS] = { NULL };
	char		 key[SCHEMA_KEY_MAX], dkey[SCHEMA_KEY_MAX];
	size_t		 i, nrep = 0, want = ndom + (user ? 2 : 0);
	int		 rc = -1;

	r = retried ? redis_new(&G.conf, err, errlen) : pool_get(err, errlen);
	if (r == NULL)
		return -1;
	/*
	 * Only the first append can fail (not connected, or inside the
	 * reconnect backoff): nothing is queued then, and the connection
	 * goes back to the pool with its backoff state.
	 */
	if (user != NULL) {
		schema_key_user(&G.conf, user, SCHEMA_ACCT, key, sizeof(key));
		schema_key_user(&G.conf, user, SCHEMA_DOM, dkey, sizeof(dkey));
		if (redis_append(r, "HMGET %s %s %s", key, SCHEMA_F_STATE,
		    SCHEMA_F_REASON) < 0)
			goto unsent;
		redis_append(r, "SMEMBERS %s", dkey);
	}
	for (i = 0; i < ndom; i++) {
		schema_key_domain(&G.conf, dom[i], key, sizeof(key));
		if (redis_append(r, "HGET %s %s", key, SCHEMA_F_STATE) < 0 &&
		    i == 0 && user == NULL)
			goto unsent;
	}
	for (; nrep < want; nrep++)
		if ((rep[nrep] = redis_get_reply(r)) == NULL) {
			snprintf(err, errlen, "redis: %s", redis_errstr(r));
			prom_inc(om.redis_errors, "milter", NULL);
			if (nrep == 0 && redis_unanswered(r) == REDIS_SENT_LOST)
				rc = -2;	/* closed while pooled */
			goto done;
		}
	if (user != NULL)
		fill_user(u, rep[0], rep[1]);
	for (i = 0; i < ndom; i++) {
		redisReply *v = rep[i + (user ? 2 : 0)];

		verified[i] = v->type == REDIS_REPLY_STRING &&
		    strcmp(v->str, SCHEMA_VERIFIED) == 0;
	}
	rc = 0;
done:
	for (i = 0; i < nrep; i++)
		freeReplyObject(rep[i]);
	/* A reply missing mid-pipeline leaves the connection out of step. */
	if (rc < 0)
		r = redis_free(r);
	else
		pool_put(r);
	if (rc == -2 && !retried)	/* reads only: safe to send again */
		return fetch(user, u, dom, ndom, verified, 1, err, errlen);
	return rc < 0 ? -1 : 0;
unsent:
	snprintf(err, errlen, "redis: %s", redis_errstr(r));
	prom_inc(om.redis_errors, "milter", NULL);
	pool_put(r);
	return -1;
}

/* The marker's GET: MARK_OK or MARK_MISSING, or -1 with err. */
static int
mark_fetch(char *err, size_t errlen)
{
	struct redis	*r;
	redisReply	*rep;
	char		 key[SCHEMA_KEY_MAX];
	int		 st;

	if ((r = pool_get(err, errlen)) == NULL)
		return -1;
	schema_key_global(&G.conf, SCHEMA_MARK, key, sizeof(key));
	rep = redis_command(r, "GET %s", key);
	/* A pooled connection that Redis closed (a restart) fails once;
	 * the lib reconnects at the next command, and a GET may be resent. */
	if (rep == NULL && redis_unanswered(r) == REDIS_SENT_LOST)
		rep = redis_command(r, "GET %s", key);
	if (rep == NULL) {
		snprintf(err, errlen, "redis: %s", redis_errstr(r));
	prom_inc(om.redis_errors, "milter", NULL);
		pool_put(r);		/* a broken context reconnects */
		return -1;
	}
	st = rep->type == REDIS_REPLY_STRING ? MARK_OK : MARK_MISSING;
	freeReplyObject(rep);
	pool_put(r);
	return st;
}

/* Once per change, under the lock: loud when the marker goes missing. */
static void
mark_log(int was, int now)
{
	char	 key[SCHEMA_KEY_MAX];

	schema_key_global(&G.conf, SCHEMA_MARK, key, sizeof(key));
	if (now == MARK_MISSING && was != MARK_MISSING)
		log_err("redis %s db %ld: the schema marker %s is missing: "
		    "this Redis holds no outpost data (emptied, restarted "
		    "without persistence, or another redis_db?); sender "
		    "authorisation answers on_error=%s until the data is "
		    "restored or outpostctl init marks it",
		    G.conf.redis_address, G.conf.redis_db, key,
		    G.conf.on_error == ON_ERROR_ACCEPT ? "accept" : "defer");
	else if (now == MARK_OK && was == MARK_MISSING) {
		log_warn("redis %s: the schema marker %s is back: judging "
		    "again (%lu messages answered by on_error while it was "
		    "missing)", G.conf.redis_address, key, A.mark_errors);
		A.mark_errors = 0;
	}
}

/* 0 when Redis carries the schema marker; -1 with err when it does not
 * or cannot say. */
static int
marked(char *err, size_t errlen)
{
	long long	 now = now_ms();
	int		 st;

	pthread_mutex_lock(&A.lock);
	st = A.mark != MARK_UNKNOWN && now - A.mark_checked < MARK_TTL_MS ?
	    A.mark : MARK_UNKNOWN;
	pthread_mutex_unlock(&A.lock);
	if (st == MARK_UNKNOWN && (st = mark_fetch(err, errlen)) < 0)
		return -1;
	pthread_mutex_lock(&A.lock);
	if (st != A.mark || now - A.mark_checked >= MARK_TTL_MS) {
		mark_log(A.mark, st);
		A.mark = st;
		A.mark_checked = now;
	}
	if (st == MARK_MISSING)
		A.mark_errors++;
	pthread_mutex_unlock(&A.lock);
	if (st == MARK_OK)
		return 0;
	snprintf(err, errlen, "sending policy data unavailable (Redis lacks "
	    "outpost's schema marker)");
	return -1;
}

/* ---- the rule --------------------------------------------------------- */

/* name, then each parent: "a.b.c" -> "a.b.c", "b.c", "c". */
static size_t
ancestors(const char *domain, const char **v, size_t max)
{
	const char	*p = domain;
	size_t		 n = 0;

	while (p != NULL && *p != '\0' && n < max) {
		v[n++] = p;
		if ((p = strchr(p, '.')) != NULL)
			p++;
	}
	return n;
}

static int
user_entry(const char *user, struct centry *u, char *err, size_t errlen)
{
	if (cache_get('u', user, u))
		return 0;
	if (fetch(user, u, NULL, 0, NULL, 0, err, errlen) < 0)
		return -1;
	cache_put('u', user, u, now_ms() + AUTHZ_TTL_MS);
	return 0;
}

/*
 * The verified state of the names in v (the From domain and, when
 * sign_subdomains, its parents): cached ones from the cache, the rest in
 * one round trip.
 */
static int
verified_states(const char *const *v, size_t n, int *verified, char *err,
    size_t errlen)
{
	const char	*miss[MAX_LABELS];
	int		 got[MAX_LABELS];
	size_t		 i, j, nmiss = 0;
	struct centry	 e;

	for (i = 0; i < n; i++) {
		verified[i] = -1;
		if (cache_get('d', v[i], &e)) {
			verified[i] = e.known;
			centry_free_fields(&e);
		} else
			miss[nmiss++] = v[i];
	}
	if (nmiss == 0)
		return 0;
	if (fetch(NULL, NULL, miss, nmiss, got, 0, err, errlen) < 0)
		return -1;
	for (i = j = 0; i < n; i++) {
		if (verified[i] != -1)
			continue;
		verified[i] = got[j++];
		memset(&e, 0, sizeof(e));
		e.known = verified[i];
		cache_put('d', v[i], &e, now_ms() + AUTHZ_TTL_MS);
	}
	return 0;
}

static int __attribute__((format(printf, 2, 3)))
refuse(struct authz *out, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return AUTHZ_REFUSE;
}

static int
allowed(const struct centry *u, const char *const *anc, size_t nanc)
{
	size_t	 i;

	for (i = 0; i < nanc; i++)
		if (strlist_has(&u->domains, anc[i]))
			return 1;
	return 0;
}

int
authz_check(const struct conf *c, const char *user, const char *domain,
    struct authz *out)
{
	struct centry	 u;
	const char	*anc[MAX_LABELS];
	int		 verified[MAX_LABELS], rc = AUTHZ_OK;
	size_t		 nanc, i;

	memset(out, 0, sizeof(*out));
	if (!schema_user_valid(user))
		return refuse(out, "invalid sending account name");
	nanc = ancestors(domain, anc, MAX_LABELS);
	if (marked(out->why, sizeof(out->why)) < 0)
		return AUTHZ_ERROR;
	if (user_entry(user, &u, out->why, sizeof(out->why)) < 0)
		return AUTHZ_ERROR;
	if (!u.known && c->policyd_unknown_user == UNKNOWN_REJECT)
		rc = refuse(out, "unknown sending account %s", user);
	else if (u.suspended)
		rc = refuse(out, "sending account %s suspended: %s", user,
		    u.reason && *u.reason ? u.reason : "no reason given");
	else if (u.domains.n == 0 && c->authorize_senders)
		rc = refuse(out, "%s is not authorised to send as %s: the "
		    "account has no sending domains", user, domain);
	else if (u.domains.n > 0 && !allowed(&u, anc, nanc))
		rc = refuse(out, "%s is not authorised to send as %s", user,
		    domain);
	centry_free_fields(&u);
	if (rc != AUTHZ_OK || !c->authorize_senders)
		return rc;

	if (!c->sign_subdomains)
		nanc = 1;
	if (verified_states(anc, nanc, verified, out->why,
	    sizeof(out->why)) < 0)
		return AUTHZ_ERROR;
	for (i = 0; i < nanc; i++)
		if (verified[i]) {
			snprintf(out->verified, sizeof(out->verified), "%s",
			    anc[i]);
			return AUTHZ_OK;
		}
	return refuse(out, "%s: not verified for sending", domain);
}

void
authz_init(void)
{
	memset(A.bucket, 0, sizeof(A.bucket));
	A.n = 0;
}

void
authz_fini(void)
{
	struct centry	*e;
	size_t		 i;

	pthread_mutex_lock(&A.lock);
	for (i = 0; i < AUTHZ_BUCKETS; i++)
		while ((e = A.bucket[i]) != NULL) {
			A.bucket[i] = e->next;
			centry_free(e);
		}
	A.n = 0;
	while (A.npool > 0)
		redis_free(A.pool[--A.npool]);
	pthread_mutex_unlock(&A.lock);
}
