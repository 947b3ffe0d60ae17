/*
 * spfeval -- libspf2 with a DNS layer on lib/dns; see spfeval.h.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spf2/spf.h>

#include "dns.h"
#include "errf.h"
#include "spfeval.h"

struct spfeval {
	SPF_server_t		*srv;
	SPF_dns_server_t	*layer;
};

/* The end of the current check's lookup budget (CLOCK_MONOTONIC). */
static __thread struct timespec	 check_deadline;

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

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
    int should_cache)
{
	struct dns_rrset	 s;
	SPF_dns_rr_t		*rr;
	char			 err[256];
	size_t			 i, k = 0;
	int			 st;

	(void)should_cache;
	st = dns_lookup_until(layer->hook, domain, (int)type,
	    &check_deadline, &s, err, sizeof(err));
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
	clock_gettime(CLOCK_MONOTONIC, &check_deadline);
	check_deadline.tv_sec += budget_ms / 1000;
	check_deadline.tv_nsec += (budget_ms % 1000) * 1000000;
	if (check_deadline.tv_nsec >= 1000000000) {
		check_deadline.tv_sec++;
		check_deadline.tv_nsec -= 1000000000;
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
	SPF_request_free(rq);
	return 0;
}
