/*
 * dnscache -- a small, bounded cache of positive DNS answers in front of
 * libunbound, for lib/dns.  libunbound caches too, but every lookup, even
 * one its cache answers, is a round trip through its resolver thread
 * (two pipe writes, two wake-ups); on the milter's inbound path that
 * round trip, not the crypto, was most of the CPU of a message.  Only
 * DNS_OK answers with a TTL above zero are kept, each until its TTL runs
 * out (the TTL libunbound reports is what is left of its own cache
 * entry, so nothing lives longer here than there); NXDOMAIN, no-data and
 * errors always go to the resolver.  Thread-safe (one mutex).
 *
 *   dnscache_new(max)              a cache of at most max entries
 *                                  (DNSCACHE_MAX when 0); NULL out of
 *                                  memory
 *   dnscache_free(c)               NULL-safe, returns NULL
 *   dnscache_get(c, name, rrtype, now, out)
 *       1 with *out a copy of the answer (dns_rrset_free it, ttl = what
 *       is left), 0 when not cached or expired, -1 out of memory.  Names
 *       compare case-insensitively; now is seconds on CLOCK_MONOTONIC.
 *   dnscache_put(c, name, rrtype, now, set)
 *       keeps a copy of set for set->ttl seconds; ignored when the TTL is
 *       0, the name longer than 255 bytes, or the rdata above
 *       DNSCACHE_ENTRY_BYTES.  When full, the oldest entry (in order of
 *       insertion) makes room.  0, or -1 out of memory (nothing kept).
 * Memory: at most max x (DNSCACHE_ENTRY_BYTES + the name) bytes of data.
 */
#ifndef OUTPOST_DNSCACHE_H
#define OUTPOST_DNSCACHE_H

#include <time.h>

#define DNSCACHE_MAX		1024
#define DNSCACHE_ENTRY_BYTES	4096

struct dns_rrset;
struct dnscache;

struct dnscache	*dnscache_new(size_t);
struct dnscache	*dnscache_free(struct dnscache *);
int		 dnscache_get(struct dnscache *, const char *, int, time_t,
		    struct dns_rrset *);
int		 dnscache_put(struct dnscache *, const char *, int, time_t,
		    const struct dns_rrset *);

#endif
