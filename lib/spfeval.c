/*
 * spfeval -- libspf2 with a DNS layer on lib/dns; see spfeval.h.
 *
 * The DNS layer also keeps the per-check limits of RFC 7208 4.6.4 that
 * libspf2 1.2.10 gets wrong: it counts DNS-querying terms per record (an
 * include starts again from zero), checks the count only before the next
 * term (so an eleventh term that matches passes), and has no void lookup
 * limit at all.  The layer cannot see terms, only queries, so it tells
 * them apart by what libspf2 asks:
 *   - A/AAAA, MX, PTR: one term (a, exists, mx, ptr), except the A/AAAA
 *     queries of the host names an MX or PTR answer just gave (libspf2
 *     asks them in order right after it): those belong to that term;
 *   - TXT/SPF: the record of the checked domain is no term; any other
 *     name is an include or redirect target when its answer holds a
 *     "v=spf1" record (an exp= text does not, and is no term).  A target
 *     without a record fails the check anyway.
 * A term's query that returns NXDOMAIN or no data is a void lookup.  On
 * the eleventh term or the third void lookup the check is over: that
 * query and every later one are answered "no such name" without asking
 * DNS, so libspf2 finishes at once, and the result becomes permerror
 * with the reason as explanation, whatever libspf2 concluded.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <spf2/spf.h>

#include "dns.h"
#include "errf.h"
#include "spfeval.h"

struct spfeval {
	SPF_server_t		*srv;
	SPF_dns_server_t	*layer;
};

#define SPF_MAX_TERMS	10	/* RFC 7208 4.6.4 */
#define SPF_MAX_VOID	2
#define SPF_MAX_FOLLOW	10	/* libspf2's max_dns_mx and max_dns_ptr */
#define SPF_NAME	256

/* The DNS side of the check running on this thread. */
struct check {
	struct timespec	 deadline;	/* lookup budget (CLOCK_MONOTONIC) */
	char		 top[SPF_NAME];	/* domain of the first record query */
	int		 terms;		/* DNS-querying terms so far */
	int		 voids;		/* of them, NXDOMAIN / no data */
	char		 follow[SPF_MAX_FOLLOW][SPF_NAME]; /* MX/PTR hosts */
	int		 nfollow, nextf;
	char		 over[200];	/* why the check is over, or "" */
};

static __thread struct check	 cur;

/* ---- DNS layer ------------------------------------------------------- */

/* A domain name in wire form (uncompressed) as dotted text. */
static int
wire_name(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t	 i = 0, used = 0, n;

	while (i < len && (n = p[i++]) != 0) {
		if (n > 63 || i + n > len || used + n + 2 > outlen)
			return -1;
		memcpy(out + used, p + i, n);
		used += n;
		out[used++] = '.';
		i += n;
	}
	if (used > 0)
		used--;			/* no trailing dot */
	out[used] = '\0';
	return 0;
}

/* Store rdata number i of s into rr as libspf2 wants it; 0 or -1. */
static int
put_rr(SPF_dns_rr_t *rr, int i, int type, const struct dns_rr *d)
{
	char	 text[1024];
	size_t	 n;

	switch (type) {
	case ns_t_a:
	case ns_t_aaaa:
		n = type == ns_t_a ? 4 : 16;
		if (d->len != n || SPF_dns_rr_buf_realloc(rr, i, n) != 0)
			return -1;
		memcpy(rr->rr[i], d->data, n);
		return 0;
	case ns_t_mx:
		if (d->len < 3 || wire_name(d->data + 2, d->len - 2, text,
		    sizeof(text)) < 0)
			return -1;
		break;
	case ns_t_ptr:
		if (wire_name(d->data, d->len, text, sizeof(text)) < 0)
			return -1;
		break;
	default:		/* TXT, SPF */
		if (dns_txt_join(d->data, d->len, text, sizeof(text)) < 0)
			return -1;
	}
	n = strlen(text) + 1;
	if (SPF_dns_rr_buf_realloc(rr, i, n) != 0)
		return -1;
	memcpy(rr->rr[i]->txt, text, n);
	return 0;
}

/* Whether name is the next host of the last MX or PTR answer. */
static int
is_follow_up(const char *name)
{
	if (cur.nextf >= cur.nfollow ||
	    strcasecmp(cur.follow[cur.nextf], name) != 0) {
		cur.nfollow = cur.nextf = 0;
		return 0;
	}
	cur.nextf++;
	return 1;
}

/* The host names of an MX or PTR answer, for is_follow_up. */
static void
note_hosts(const SPF_dns_rr_t *rr, int type)
{
	int	 i;

	cur.nfollow = cur.nextf = 0;
	for (i = 0; i < rr->num_rr && i < SPF_MAX_FOLLOW; i++)
		snprintf(cur.follow[cur.nfollow++], SPF_NAME, "%s",
		    type == ns_t_mx ? rr->rr[i]->mx : rr->rr[i]->ptr);
}

static int
has_spf1(const SPF_dns_rr_t *rr)
{
	int	 i;

	for (i = 0; i < rr->num_rr; i++)
		if (strncasecmp(rr->rr[i]->txt, "v=spf1", 6) == 0 &&
		    (rr->rr[i]->txt[6] == ' ' || rr->rr[i]->txt[6] == '\0'))
			return 1;
	return 0;
}

/* Before a query: 1 when it is a term (A/AAAA/MX/PTR kinds), else 0. */
static int
is_address_term(const char *domain, int type)
{
	if (type == ns_t_mx || type == ns_t_ptr) {
		cur.nfollow = cur.nextf = 0;
		return 1;
	}
	if (type == ns_t_a || type == ns_t_aaaa)
		return !is_follow_up(domain);
	return 0;
}

/* A term was made: over the limit?  Sets cur.over. */
static void
count_term(const char *domain, int is_void)
{
	if (++cur.terms > SPF_MAX_TERMS)
		snprintf(cur.over, sizeof(cur.over), "more than %d "
		    "DNS-querying terms (RFC 7208 4.6.4) at %.100s",
		    SPF_MAX_TERMS, domain);
	else if (is_void && ++cur.voids > SPF_MAX_VOID)
		snprintf(cur.over, sizeof(cur.over), "more than %d void DNS "
		    "lookups (RFC 7208 4.6.4): %.100s has no record",
		    SPF_MAX_VOID, domain);
}

/* The answer of lib/dns as libspf2 wants it (rr NULL: out of memory). */
static SPF_dns_rr_t *
ask(SPF_dns_server_t *layer, const char *domain, ns_type type)
{
	struct dns_rrset	 s;
	SPF_dns_rr_t		*rr;
	char			 err[256];
	size_t			 i, k = 0;
	int			 st;

	st = dns_lookup_until(layer->hook, domain, (int)type,
	    &cur.deadline, &s, err, sizeof(err));
	rr = SPF_dns_rr_new_init(layer, domain, type, st == DNS_OK ?
	    (int)s.ttl : 0, st == DNS_OK ? NETDB_SUCCESS :
	    st == DNS_NXDOMAIN ? HOST_NOT_FOUND : st == DNS_NODATA ? NO_DATA :
	    TRY_AGAIN);
	if (rr == NULL || st != DNS_OK) {
		dns_rrset_free(&s);
		return rr;
	}
	/* A malformed record is skipped, as a resolver would drop it. */
	for (i = 0; i < s.n && i < 1000; i++)
		if (put_rr(rr, (int)k, type, &s.rr[i]) == 0)
			k++;
	rr->num_rr = (int)k;
	if (k == 0)
		rr->herrno = NO_DATA;
	dns_rrset_free(&s);
	return rr;
}

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
    int should_cache)
{
	SPF_dns_rr_t	*rr;
	int		 term, record;

	(void)should_cache;
	if (cur.over[0] != '\0')
		return SPF_dns_rr_new_init(layer, domain, type, 0,
		    HOST_NOT_FOUND);
	record = type == ns_t_txt || type == ns_t_spf;
	if (record && cur.top[0] == '\0')
		snprintf(cur.top, sizeof(cur.top), "%s", domain);
	term = is_address_term(domain, type);
	if (term && cur.terms >= SPF_MAX_TERMS) {
		count_term(domain, 0);
		return SPF_dns_rr_new_init(layer, domain, type, 0,
		    HOST_NOT_FOUND);
	}
	if ((rr = ask(layer, domain, type)) == NULL)
		return NULL;
	if (term)
		count_term(domain, rr->herrno == HOST_NOT_FOUND ||
		    rr->herrno == NO_DATA);
	else if (record && strcasecmp(domain, cur.top) != 0 && has_spf1(rr))
		count_term(domain, 0);
	if (cur.over[0] != '\0') {
		rr->num_rr = 0;		/* the answer comes too late */
		rr->herrno = HOST_NOT_FOUND;
	} else if (rr->herrno == NETDB_SUCCESS && (type == ns_t_mx ||
	    type == ns_t_ptr))
		note_hosts(rr, type);
	return rr;
}

static void
layer_destroy(SPF_dns_server_t *layer)
{
	free(layer);
}

/* ---- evaluation ------------------------------------------------------ */

static void
quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

struct spfeval *
spfeval_new(struct dns *d, char *err, size_t errlen)
{
	struct spfeval	*e;

	SPF_warning_handler = quiet;
	SPF_info_handler = quiet;
	SPF_debug_handler = quiet;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->layer = calloc(1, sizeof(*e->layer))) == NULL) {
		free(e);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	e->layer->lookup = layer_lookup;
	e->layer->destroy = layer_destroy;
	e->layer->name = "outpost";
	e->layer->hook = d;
	if ((e->srv = SPF_server_new_dns(e->layer, 0)) == NULL) {
		free(e->layer);
		free(e);
		errf(err, errlen, "libspf2: cannot create a server");
		return NULL;
	}
	return e;
}

struct spfeval *
spfeval_free(struct spfeval *e)
{
	if (e == NULL)
		return NULL;
	SPF_server_free(e->srv);	/* destroys the layer too */
	free(e);
	return NULL;
}

static enum spf_result
map_result(SPF_result_t r, SPF_errcode_t code)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL:	return SPFR_NEUTRAL;
	case SPF_RESULT_PASS:		return SPFR_PASS;
	case SPF_RESULT_FAIL:		return SPFR_FAIL;
	case SPF_RESULT_SOFTFAIL:	return SPFR_SOFTFAIL;
	case SPF_RESULT_NONE:		return SPFR_NONE;
	case SPF_RESULT_TEMPERROR:	return SPFR_TEMPERROR;
	case SPF_RESULT_PERMERROR:	return SPFR_PERMERROR;
	default:
		return code == SPF_E_DNS_ERROR ? SPFR_TEMPERROR :
		    SPFR_PERMERROR;
	}
}

/* Which identity is checked, and its domain. */
static void
identity(const char *helo, const char *mailfrom, struct spf_verdict *out)
{
	const char	*at;

	if (*mailfrom != '\0' && strcmp(mailfrom, "<>") != 0) {
		snprintf(out->identity, sizeof(out->identity), "mailfrom");
		at = strrchr(mailfrom, '@');
		snprintf(out->domain, sizeof(out->domain), "%s",
		    at ? at + 1 : helo);
	} else {
		snprintf(out->identity, sizeof(out->identity), "helo");
		snprintf(out->domain, sizeof(out->domain), "%s", helo);
	}
}

static void
explain(SPF_response_t *resp, struct spf_verdict *out)
{
	const char	*s = NULL;

	if (SPF_response_messages(resp) > 0)
		s = SPF_error_message(SPF_response_message(resp, 0));
	if (s == NULL || out->result == SPFR_PASS)
		s = SPF_response_get_header_comment(resp);
	snprintf(out->explanation, sizeof(out->explanation), "%s",
	    s != NULL ? s : "");
}

static int
set_request(SPF_request_t *rq, const char *ip, const char *helo,
    const char *mailfrom)
{
	struct in6_addr	 a6;
	int		 rc;

	if (strchr(ip, ':') != NULL && inet_pton(AF_INET6, ip, &a6) == 1)
		rc = SPF_request_set_ipv6_str(rq, ip);
	else
		rc = SPF_request_set_ipv4_str(rq, ip);
	if (rc != 0 || SPF_request_set_helo_dom(rq, helo) != 0)
		return -1;
	if (*mailfrom != '\0' && strcmp(mailfrom, "<>") != 0 &&
	    SPF_request_set_env_from(rq, mailfrom) != 0)
		return -1;
	return 0;
}

int
spfeval_check(struct spfeval *e, const char *ip, const char *helo,
    const char *mailfrom, long budget_ms, struct spf_verdict *out)
{
	SPF_request_t	*rq;
	SPF_response_t	*resp = NULL;
	SPF_errcode_t	 code;

	memset(out, 0, sizeof(*out));
	identity(helo, mailfrom, out);
	memset(&cur, 0, sizeof(cur));
	clock_gettime(CLOCK_MONOTONIC, &cur.deadline);
	cur.deadline.tv_sec += budget_ms / 1000;
	cur.deadline.tv_nsec += (budget_ms % 1000) * 1000000;
	if (cur.deadline.tv_nsec >= 1000000000) {
		cur.deadline.tv_sec++;
		cur.deadline.tv_nsec -= 1000000000;
	}
	if ((rq = SPF_request_new(e->srv)) == NULL ||
	    set_request(rq, ip, helo, mailfrom) < 0) {
		if (rq != NULL)
			SPF_request_free(rq);
		out->result = SPFR_PERMERROR;
		snprintf(out->explanation, sizeof(out->explanation),
		    "bad request (address \"%s\", HELO \"%s\")", ip, helo);
		return -1;
	}
	code = SPF_request_query_mailfrom(rq, &resp);
	if (resp == NULL) {
		out->result = SPFR_TEMPERROR;
		snprintf(out->explanation, sizeof(out->explanation),
		    "libspf2 gave no response (error %d)", (int)code);
	} else {
		out->result = map_result(SPF_response_result(resp), code);
		explain(resp, out);
		SPF_response_free(resp);
	}
	if (cur.over[0] != '\0') {
		out->result = SPFR_PERMERROR;
		snprintf(out->explanation, sizeof(out->explanation), "%s",
		    cur.over);
	}
	SPF_request_free(rq);
	return 0;
}
