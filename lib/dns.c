/*
 * dns -- the one resolver of outpost, on libunbound; see dns.h.
 *
 * libunbound has no per-query timeout, so every lookup is asynchronous
 * (ub_resolve_async, a resolver thread inside the ctx) and the caller
 * waits for its own answer until its deadline.  Several threads wait on
 * one ctx: at any time at most one of them polls ub_fd() and runs
 * ub_process(), which delivers the answers of all waiters through the
 * callback; the others sleep on a condition variable and take over
 * polling when the poller leaves.  A waiter that times out marks its
 * query abandoned and cancels it; when the cancel comes too late (the
 * answer is being delivered) the callback frees what is left.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "conf.h"
#include "dns.h"
#include "dnscache.h"
#include "errf.h"

#define DNS_RESOLV_CONF	"/etc/resolv.conf"

struct dns {
	struct ub_ctx	*ctx;
	struct dnscache	*cache;		/* positive answers, for their TTL */
	long		 timeout_ms;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 polling;	/* a thread is in poll/ub_process */
};

struct query {
	struct dns	*d;
	int		 done;
	int		 abandoned;	/* the waiter gave up: callback frees */
	int		 err;		/* libunbound error code */
	struct ub_result *res;
};

/* ---- set-up ----------------------------------------------------------- */

static int
add_servers(struct ub_ctx *ctx, const char *servers, char *err,
    size_t errlen)
{
	struct strlist	 l;
	size_t		 i;
	int		 rc;

	if (conf_parse_list(servers, &l) < 0)
		return errf(err, errlen, "out of memory");
	for (i = 0; i < l.n; i++) {
		if ((rc = ub_ctx_set_fwd(ctx, l.v[i])) != 0) {
			errf(err, errlen, "dns_nameserver \"%s\": %s", l.v[i],
			    ub_strerror(rc));
			strlist_free(&l);
			return -1;
		}
	}
	strlist_free(&l);
	return 0;
}

struct dns *
dns_open(const char *servers, long timeout_ms, char *err, size_t errlen)
{
	struct dns		*d;
	pthread_condattr_t	 ca;
	int			 rc;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	d->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((d->cache = dnscache_new(0)) == NULL) {
		errf(err, errlen, "out of memory");
		return dns_free(d);
	}
	if ((d->ctx = ub_ctx_create()) == NULL) {
		errf(err, errlen, "cannot create a libunbound context");
		return dns_free(d);
	}
	/* A thread, not a forked process: works in a chroot, dies with us. */
	if ((rc = ub_ctx_async(d->ctx, 1)) != 0) {
		errf(err, errlen, "libunbound: %s", ub_strerror(rc));
		return dns_free(d);
	}
	if (servers == NULL || *servers == '\0') {
		if ((rc = ub_ctx_resolvconf(d->ctx, DNS_RESOLV_CONF)) != 0) {
			errf(err, errlen, "%s: %s", DNS_RESOLV_CONF,
			    ub_strerror(rc));
			return dns_free(d);
		}
	} else if (add_servers(d->ctx, servers, err, errlen) < 0)
		return dns_free(d);
	return d;
}

struct dns *
dns_new(const struct conf *c, char *err, size_t errlen)
{
	return dns_open(c->dns_nameserver, c->dns_timeout, err, errlen);
}

struct dns *
dns_free(struct dns *d)
{
	if (d == NULL)
		return NULL;
	if (d->ctx != NULL)
		ub_ctx_delete(d->ctx);
	dnscache_free(d->cache);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
	return NULL;
}

int
dns_system_servers(char *buf, size_t len, char *err, size_t errlen)
{
	FILE		*fp;
	char		 line[512], addr[256];
	size_t		 used = 0, n;

	if (len == 0)
		return errf(err, errlen, "no room");
	buf[0] = '\0';
	if ((fp = fopen(DNS_RESOLV_CONF, "r")) == NULL)
		return errf(err, errlen, "%s: %s", DNS_RESOLV_CONF,
		    strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, " nameserver %255s", addr) != 1)
			continue;
		n = strlen(addr);
		if (used + n + 2 > len)
			break;
		if (used > 0)
			buf[used++] = ' ';
		memcpy(buf + used, addr, n + 1);
		used += n;
	}
	fclose(fp);
	return 0;
}

/* ---- waiting ---------------------------------------------------------- */

static long
ms_until(const struct timespec *t)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(t->tv_sec - now.tv_sec) * 1000 +
	    (t->tv_nsec - now.tv_nsec) / 1000000;
}

static void
answered(void *arg, int err, struct ub_result *res)
{
	struct query	*q = arg;
	struct dns	*d = q->d;

	pthread_mutex_lock(&d->mu);
	if (q->abandoned) {
		pthread_mutex_unlock(&d->mu);
		if (res != NULL)
			ub_resolve_free(res);
		free(q);
		return;
	}
	q->err = err;
	q->res = res;
	q->done = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Poll the ctx once, at most ms; called with d->mu released. */
static void
poll_once(struct dns *d, long ms)
{
	struct pollfd	 pfd;

	pfd.fd = ub_fd(d->ctx);
	pfd.events = POLLIN;
	if (ms > 1000)
		ms = 1000;
	if (poll(&pfd, 1, (int)(ms < 1 ? 1 : ms)) > 0)
		(void)ub_process(d->ctx);
}

/* Wait for q until deadline; called and returns with d->mu held. */
static void
wait_query(struct dns *d, struct query *q, const struct timespec *deadline)
{
	long	 ms;

	while (!q->done && (ms = ms_until(deadline)) > 0) {
		if (!d->polling) {
			d->polling = 1;
			pthread_mutex_unlock(&d->mu);
			poll_once(d, ms);
			pthread_mutex_lock(&d->mu);
			d->polling = 0;
			pthread_cond_broadcast(&d->cv);
		} else
			(void)pthread_cond_timedwait(&d->cv, &d->mu,
			    deadline);
	}
}

/*
 * One lookup; *resp is the answer (ub_resolve_free it) when 0 is
 * returned, else err says what failed.
 */
static int
resolve(struct dns *d, const char *name, int rrtype,
    const struct timespec *deadline, struct ub_result **resp, char *err,
    size_t errlen)
{
	struct query	*q;
	int		 id, rc;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return errf(err, errlen, "out of memory");
	q->d = d;
	if ((rc = ub_resolve_async(d->ctx, name, rrtype, 1, q, answered,
	    &id)) != 0) {
		free(q);
		return errf(err, errlen, "%s", ub_strerror(rc));
	}
	pthread_mutex_lock(&d->mu);
	wait_query(d, q, deadline);
	if (!q->done) {
		q->abandoned = 1;
		pthread_mutex_unlock(&d->mu);
		/* Cancelled: no callback will come.  Else it frees q. */
		if (ub_cancel(d->ctx, id) == 0)
			free(q);
		return errf(err, errlen, "timed out");
	}
	pthread_mutex_unlock(&d->mu);
	rc = q->err;
	*resp = q->res;
	free(q);
	if (rc != 0 || *resp == NULL) {
		if (*resp != NULL)
			ub_resolve_free(*resp);
		return errf(err, errlen, "%s", rc ? ub_strerror(rc) :
		    "no result");
	}
	return 0;
}

static int
classify(const struct ub_result *r, char *err, size_t errlen)
{
	if (r->bogus) {
		errf(err, errlen, "DNSSEC validation failed: %s",
		    r->why_bogus ? r->why_bogus : "bogus");
		return DNS_ERROR;
	}
	switch (r->rcode) {
	case 0:
		return r->havedata ? DNS_OK : DNS_NODATA;
	case 3:
		return DNS_NXDOMAIN;
	case 2:
		errf(err, errlen, "SERVFAIL");
		return DNS_ERROR;
	case 5:
		errf(err, errlen, "REFUSED");
		return DNS_ERROR;
	default:
		errf(err, errlen, "rcode %d", r->rcode);
		return DNS_ERROR;
	}
}

static void
deadline_after(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* The deadline of one lookup: dns_timeout, cut to limit when earlier. */
static void
lookup_deadline(const struct dns *d, const struct timespec *limit,
    struct timespec *t)
{
	deadline_after(t, d->timeout_ms);
	if (limit != NULL && (limit->tv_sec < t->tv_sec ||
	    (limit->tv_sec == t->tv_sec && limit->tv_nsec < t->tv_nsec)))
		*t = *limit;
}

/* ---- lookups ---------------------------------------------------------- */

static time_t
now_sec(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

static int
check_name(const char *name, char *err, size_t errlen)
{
	size_t	 n = strlen(name);

	if (n == 0 || n > 253 + 1)
		return errf(err, errlen, "bad DNS name (length %zu)", n);
	return 0;
}

static int
fill_rrset(const struct ub_result *r, struct dns_rrset *out, char *err,
    size_t errlen)
{
	size_t	 n = 0, i;

	while (r->data[n] != NULL)
		n++;
	if ((out->rr = calloc(n, sizeof(*out->rr))) == NULL)
		return errf(err, errlen, "out of memory");
	for (i = 0; i < n; i++) {
		out->rr[i].len = (size_t)r->len[i];
		if ((out->rr[i].data = malloc(out->rr[i].len + 1)) == NULL) {
			out->n = i;
			return errf(err, errlen, "out of memory");
		}
		memcpy(out->rr[i].data, r->data[i], out->rr[i].len);
		out->rr[i].data[out->rr[i].len] = '\0';
	}
	out->n = n;
	out->ttl = r->ttl > 0 ? (unsigned)r->ttl : 0;
	return 0;
}

int
dns_lookup_until(struct dns *d, const char *name, int rrtype,
    const struct timespec *limit, struct dns_rrset *out, char *err,
    size_t errlen)
{
	struct ub_result	*r = NULL;
	struct timespec		 t;
	int			 st;

	memset(out, 0, sizeof(*out));
	out->rrtype = rrtype;
	if (check_name(name, err, errlen) < 0)
		return DNS_ERROR;
	if (dnscache_get(d->cache, name, rrtype, now_sec(), out) == 1) {
		out->rrtype = rrtype;
		return DNS_OK;
	}
	lookup_deadline(d, limit, &t);
	if (resolve(d, name, rrtype, &t, &r, err, errlen) < 0)
		return DNS_ERROR;
	st = classify(r, err, errlen);
	if (st == DNS_OK && fill_rrset(r, out, err, errlen) < 0) {
		dns_rrset_free(out);
		st = DNS_ERROR;
	}
	ub_resolve_free(r);
	/* Out of memory while caching: the answer stands, uncached. */
	if (st == DNS_OK)
		(void)dnscache_put(d->cache, name, rrtype, now_sec(), out);
	return st;
}

int
dns_lookup(struct dns *d, const char *name, int rrtype,
    struct dns_rrset *out, char *err, size_t errlen)
{
	return dns_lookup_until(d, name, rrtype, NULL, out, err, errlen);
}

void
dns_rrset_free(struct dns_rrset *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->rr[i].data);
	free(s->rr);
	s->rr = NULL;
	s->n = 0;
}

int
dns_txt_join(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t	 i = 0, used = 0, n;

	if (outlen == 0)
		return -1;
	while (i < len) {
		n = p[i++];
		if (n > len - i || used + n >= outlen)
			return -1;
		memcpy(out + used, p + i, n);
		used += n;
		i += n;
	}
	out[used] = '\0';
	return memchr(out, '\0', used) == NULL ? (int)used : -1;
}

static int
txt_push(struct strlist *l, const struct dns_rr *rr)
{
	char	**nv, *s;

	if ((s = malloc(rr->len + 1)) == NULL)
		return -1;
	if (dns_txt_join(rr->data, rr->len, s, rr->len + 1) < 0) {
		free(s);
		return -2;
	}
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return -1;
	}
	l->v = nv;
	l->v[l->n++] = s;
	return 0;
}

int
dns_txt(struct dns *d, const char *name, struct strlist *out, char *err,
    size_t errlen)
{
	struct dns_rrset	 s;
	size_t			 i;
	int			 st, rc;

	out->n = 0;
	out->v = NULL;
	if ((st = dns_lookup(d, name, 16, &s, err, errlen)) != DNS_OK)
		return st;
	for (i = 0; i < s.n; i++) {
		if ((rc = txt_push(out, &s.rr[i])) < 0) {
			errf(err, errlen, rc == -1 ? "out of memory" :
			    "malformed TXT record of %s", name);
			strlist_free(out);
			st = DNS_ERROR;
			break;
		}
	}
	dns_rrset_free(&s);
	return st;
}

int
dns_exists(struct dns *d, const char *name, char *err, size_t errlen)
{
	static const int	 types[] = { 1, 28, 15 };
	struct dns_rrset	 s;
	size_t			 i;
	int			 st;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		st = dns_lookup(d, name, types[i], &s, err, errlen);
		dns_rrset_free(&s);
		if (st != DNS_NODATA)
			return st;
	}
	return DNS_NODATA;
}

const char *
dns_status_name(int st)
{
	switch (st) {
	case DNS_OK:		return "ok";
	case DNS_NXDOMAIN:	return "NXDOMAIN";
	case DNS_NODATA:	return "no data";
	case DNS_ERROR:		return "error";
	default:		return "unknown";
	}
}
