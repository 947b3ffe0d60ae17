/*
 * psl -- the Public Suffix List (publicsuffix.org, Debian package
 * publicsuffix), for the RFC 7489 organisational domain
 * (dmarc_org_domain = psl).  Our own parser; libpsl is not used.
 *
 * A loaded list is immutable: any number of threads may look names up in
 * it at once.  Rules of both sections (ICANN and PRIVATE) are used, as
 * the list's own algorithm says.  Rules written in Unicode are kept as
 * A-labels (libidn2), so lookups take A-labels.
 *
 *   psl_parse(text, len, err, errlen)
 *       a list from the text of a .dat file: one rule per line, the
 *       first white-space-delimited word; "//" comments and blank lines
 *       skipped; "*.ck" (wildcard: every child of ck is a suffix),
 *       "!www.ck" (exception: www.ck is not).  A rule with an empty
 *       label, a '*' other than a whole leftmost label, a '!' with a
 *       wildcard, or a label that IDNA refuses is skipped and counted
 *       (psl_skipped).  NULL with err set when no rule at all was found
 *       or on out of memory.  Pure.
 *   psl_load(path, err, errlen)
 *       psl_parse of a file (at most PSL_FILE_MAX bytes).
 *   psl_system(err, errlen)
 *       the list at PSL_SYSTEM_PATH, loaded on the first call of the
 *       process (pthread_once) and kept for its lifetime: the one
 *       global of lib/, immutable.  NULL with err set when it could not
 *       be loaded (the same answer on every later call).
 *   psl_free(l)                          NULL-safe, returns NULL
 *   psl_rules(l), psl_skipped(l)         rules kept, rules skipped
 *   psl_suffix(l, domain)
 *       the public suffix of domain: a pointer into domain (never NULL
 *       for a non-empty domain; with no rule matching, the last label,
 *       the list's implicit "*" rule).  domain: A-labels, no trailing dot;
 *       compared case-insensitively.
 *   psl_org_domain(l, domain)
 *       the suffix plus one label (RFC 7489 3.2), a pointer into domain;
 *       domain itself when it is a public suffix.
 *   psl_is_suffix(l, domain)            1 when domain is a public suffix
 */
#ifndef OUTPOST_PSL_H
#define OUTPOST_PSL_H

#include <stddef.h>

#define PSL_SYSTEM_PATH	"/usr/share/publicsuffix/public_suffix_list.dat"
#define PSL_FILE_MAX	(16u * 1024 * 1024)

struct psl;

struct psl	*psl_parse(const char *, size_t, char *, size_t);
struct psl	*psl_load(const char *, char *, size_t);
const struct psl *psl_system(char *, size_t);
struct psl	*psl_free(struct psl *);
size_t		 psl_rules(const struct psl *);
size_t		 psl_skipped(const struct psl *);
const char	*psl_suffix(const struct psl *, const char *);
const char	*psl_org_domain(const struct psl *, const char *);
int		 psl_is_suffix(const struct psl *, const char *);

#endif
