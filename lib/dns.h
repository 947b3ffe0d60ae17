/*
 * dns -- the one resolver of outpost (libunbound), shared by the milter,
 * outpostctl and the SPF helper.  Thread-safe: one struct dns serves every
 * worker thread of a process.
 *
 * Every lookup has one of four outcomes, and the difference between the
 * last one and the two before it is the point of this module: a lookup
 * that timed out or failed (SERVFAIL, REFUSED, no answer within
 * dns_timeout) is DNS_ERROR, never "no record".  Callers that decide a
 * verdict from DNS tempfail on DNS_ERROR (dns_error_action).
 *
 *   dns_new(conf, err, errlen)
 *       a resolver: conf dns_nameserver ("" = the system's resolv.conf,
 *       "IP" or "IP@PORT" = forward every query there), conf dns_timeout
 *       (bound on each lookup, retries included).  Answers are cached for
 *       their TTL: by libunbound, and the positive ones (TTL > 0) also
 *       in front of it (lib/dnscache.h, bounded), so that a cached
 *       answer costs no round trip through libunbound's thread.  NULL
 *       with err set.  Keeps no pointer to conf.
 *   dns_open(servers, timeout_ms, err, errlen)
 *       the same from plain values: servers "" or NULL = resolv.conf,
 *       else a list (commas or blanks) of "IP" / "IP@PORT" forwarders.
 *       With forwarders no file is read (usable inside a chroot) and the
 *       root servers are never asked.
 *   dns_system_servers(buf, len, err, errlen)
 *       the nameserver addresses of /etc/resolv.conf, blank-separated
 *       ("" when it names none), for a process about to chroot; 0 / -1.
 *   dns_free(d)                    NULL-safe, returns NULL
 *   dns_txt(d, name, out, err, errlen)
 *       TXT records of name.  Returns enum dns_status.  DNS_OK: out holds
 *       one string per record, its character-strings concatenated, in the
 *       order of the answer (strlist_free it).  Otherwise out is empty and,
 *       for DNS_ERROR, err says what failed ("timed out", "SERVFAIL").
 *   dns_lookup(d, name, rrtype, out, err, errlen)
 *       any type (1 A, 28 AAAA, 15 MX, 12 PTR, 16 TXT ...) as raw rdata,
 *       for the SPF layer.  Same statuses; free with dns_rrset_free.
 *   dns_lookup_until(d, name, rrtype, limit, out, err, errlen)
 *       dns_lookup whose deadline is cut to *limit (CLOCK_MONOTONIC)
 *       when that comes before now + dns_timeout; limit may be NULL.
 *   dns_exists(d, name, err, errlen)
 *       whether name exists (DMARC np=): DNS_OK when it has any A, AAAA
 *       or MX record; DNS_NXDOMAIN when it does not exist; DNS_NODATA
 *       when it exists (an empty non-terminal, or other types only) but
 *       has none of the three -- RFC 9989 counts that as non-existent
 *       too, the caller decides; DNS_ERROR as above.
 *   dns_txt_join(rdata, len, out, outlen)
 *       TXT rdata (length-prefixed character-strings) joined into out;
 *       the length, or -1 when malformed, too long or holding a NUL.
 *   dns_status_name(status)        "ok", "NXDOMAIN", "no data", "error"
 *
 * Threads: every thread may call every lookup on one struct dns at once.
 * Lookups run asynchronously in libunbound's resolver thread; one waiting
 * thread at a time polls for answers and hands each to its waiter, so a
 * slow lookup never holds up a fast one.  A lookup past its deadline is
 * cancelled and reported as "timed out".  dns_new/dns_open read no file
 * after they return; a forked child must make its own struct dns.
 */
#ifndef OUTPOST_DNS_H
#define OUTPOST_DNS_H

#include <stddef.h>
#include <time.h>

struct conf;
struct strlist;
struct dns;

enum dns_status {
	DNS_OK = 0,		/* records found */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* the name exists, no record of that type */
	DNS_ERROR		/* timeout, SERVFAIL, REFUSED, malformed */
};

struct dns_rr {
	size_t		 len;
	unsigned char	*data;		/* rdata as on the wire */
};

struct dns_rrset {
	int		 rrtype;
	unsigned	 ttl;
	size_t		 n;
	struct dns_rr	*rr;
};

struct dns	*dns_new(const struct conf *, char *, size_t);
struct dns	*dns_open(const char *, long, char *, size_t);
int		 dns_system_servers(char *, size_t, char *, size_t);
struct dns	*dns_free(struct dns *);
int		 dns_txt(struct dns *, const char *, struct strlist *, char *,
		    size_t);
int		 dns_lookup(struct dns *, const char *, int, struct dns_rrset *,
		    char *, size_t);
int		 dns_lookup_until(struct dns *, const char *, int,
		    const struct timespec *, struct dns_rrset *, char *,
		    size_t);
void		 dns_rrset_free(struct dns_rrset *);
int		 dns_txt_join(const unsigned char *, size_t, char *, size_t);
int		 dns_exists(struct dns *, const char *, char *, size_t);
const char	*dns_status_name(int);

#endif
