/*
 * spfeval -- SPF evaluation with libspf2 over lib/dns, run only inside
 * the SPF helper's worker process (spfhelper.c); nothing else links
 * libspf2 code paths that read DNS.
 *
 *   spfeval_new(dns, err, errlen)
 *       one libspf2 server whose DNS layer is dns (not owned; lookups
 *       map DNS_OK/NXDOMAIN/NODATA/ERROR to libspf2's NETDB_SUCCESS/
 *       HOST_NOT_FOUND/NO_DATA/TRY_AGAIN, so a DNS error is temperror).
 *       NULL with err set.
 *   spfeval_check(e, ip, helo, mailfrom, budget_ms, out)
 *       evaluate mailfrom (or, when it is "" or "<>", postmaster@helo)
 *       for ip; DNS lookups of this check stop after budget_ms in all
 *       (later ones fail as temperror).  Always fills *out; libspf2's
 *       SPF_RESULT_INVALID becomes temperror for a DNS error and
 *       permerror otherwise.  RFC 7208 4.6.4 is kept per check, across
 *       include and redirect (libspf2 alone does not): an eleventh
 *       DNS-querying term or a third void lookup (NXDOMAIN or no data
 *       for a term) ends the check as permerror, explanation "more than
 *       10 DNS-querying terms ..." / "more than 2 void DNS lookups ...".
 *       0, or -1 when ip is not an address (out says why, result
 *       permerror).
 *   spfeval_free(e)                NULL-safe, returns NULL
 *
 * Thread-safe: one spfeval serves every worker thread.  The lookup
 * budget and the term and void counts of a check live in a thread-local
 * variable, reset by spfeval_check at the start of each call.
 */
#ifndef OUTPOST_SPFEVAL_H
#define OUTPOST_SPFEVAL_H

#include "spfhelper.h"

struct dns;
struct spfeval;

struct spfeval	*spfeval_new(struct dns *, char *, size_t);
int		 spfeval_check(struct spfeval *, const char *, const char *,
		    const char *, long, struct spf_verdict *);
struct spfeval	*spfeval_free(struct spfeval *);

#endif
