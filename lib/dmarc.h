/*
 * dmarc -- the DMARC rules outpost applies, computed by our own code:
 * record parsing, policy discovery, the organisational domain, identifier
 * alignment and the prediction of the verdict a receiver will reach for
 * a message we are about to sign.  libopendmarc is not used: 1.4.2 gets
 * strict alignment and sp= wrong.
 *
 * Everything here is pure and thread-safe: DNS reaches it only through
 * the callbacks of struct dmarc_env (lib/dns.c's dns_txt and dns_exists
 * fit them; tests pass an in-memory table), nothing is global, nothing
 * logs.  Domains given to this module must already be normalised: A-labels,
 * lower case, no trailing dot (mailaddr_domain_norm).
 *
 * Standards: RFC 9989 (DMARC, 2026), read together with RFC 7489 where
 * the two differ as noted below.
 *
 * Records
 *   dmarc_record_is_dmarc(txt)
 *       1 when a TXT string announces itself as DMARC ("v=DMARC1" as its
 *       first tag, DMARC1 case-sensitive), else 0.  Discovery discards
 *       every other TXT string at _dmarc.<name>.
 *   dmarc_record_parse(txt, out, err, errlen)
 *       0 and *out filled, or -1 with err saying why the record is not a
 *       valid DMARC record.  Tags: v (first), p, sp, np, adkim, aspf, t,
 *       psd, pct (RFC 7489; kept for information, never applied), rua and
 *       ruf (kept as text), fo, ri, rf (accepted, not used).  Tag names
 *       and keyword values are case-insensitive.  Unknown tags are
 *       ignored.  A p= that is absent is taken as p=none (RFC 9989; RFC
 *       7489 called such a record invalid): flag DMARC_REC_NO_P.  A p=,
 *       sp= or np= with a value that is not none/quarantine/reject makes
 *       the record invalid, unless rua= holds at least one syntactically
 *       valid URI: then the record counts as "p=none" throughout (flag
 *       DMARC_REC_DOWNGRADED).  A bad value of any other tag is ignored
 *       (the default stays) and named in out->note.  A known tag given
 *       twice, a bad tag name or a tag without '=' make the record
 *       invalid.  On -1, *out is reset (p = sp = np = -1).
 *
 * Discovery and the organisational domain (struct dmarc_env.org_mode)
 *   ORG_TREEWALK (RFC 9989): _dmarc.<domain>, then, when the domain has
 *   eight labels or more, _dmarc.<its last seven labels>, then one label
 *   less each time down to the TLD: at most DMARC_WALK_MAX (8) queries.
 *   At each name, the TXT strings that are not DMARC are dropped; two or
 *   more DMARC strings count as none (and are named in note); one that
 *   does not parse counts as none too (also named in note).  The policy
 *   record is the first one met.  The organisational domain is where the
 *   walk meets psd=n; or, meeting psd=y at a name, the name one label
 *   longer on the way to the domain (the domain itself when psd=y is
 *   published at the domain); or else the shortest name with a record
 *   (psd absent or u); or, without any record, the domain itself.
 *   The walk stops as soon as both answers are known.
 *   ORG_PSL (RFC 7489): the organisational domain is the public suffix
 *   (lib/psl.h, env.psl) plus one label, or the domain itself when it is
 *   a public suffix; the record is looked up at the domain, then at the
 *   organisational domain.
 *   A DNS_ERROR from the callback anywhere on the way is an error (-1,
 *   err names the query), never "no record".
 *
 *   dmarc_org_domain(env, domain, out, outlen, err, errlen)
 *       the organisational domain of domain into out; 0 or -1.
 *   dmarc_policy_lookup(env, domain, res, err, errlen)
 *       the policy governing the From domain.  0 with *res filled, also
 *       when no record governs it (res->found = 0); -1 on a DNS error or
 *       a malformed domain.  res->which: DMARC_USE_P when the record sits
 *       at the domain itself; otherwise (record at an ancestor: the
 *       organisational domain or a public suffix domain)
 *       DMARC_USE_SP, or DMARC_USE_NP when the record has np= and
 *       env->exists says the domain does not exist (NXDOMAIN); np= falls
 *       back to sp=, sp= to p=.  res->policy is that tag's value;
 *       res->effective is what a receiver applies to a failing message:
 *       policy, lowered one step under t=y (reject -> quarantine,
 *       quarantine -> none).  The existence check runs only when it can
 *       change the answer.
 *   dmarc_aligned(env, a, b, strict, err, errlen)
 *       1 when the identifiers a and b are aligned, 0 when not, -1 on a
 *       DNS error.  strict: a and b are the same name (case-insensitive).
 *       relaxed: same organisational domain under env->org_mode (a == b
 *       and names without a common suffix need no DNS).
 *   dmarc_aligned_org(env, a, a_org, b, strict, err, errlen)
 *       the same when the organisational domain of a is already known
 *       (res->org_domain of a lookup of a): saves the walk for a, and
 *       needs no DNS at all unless b lies under a_org.
 *
 * Prediction for outbound mail
 *   dmarc_predict(env, in, out, err, errlen)
 *       whether a receiver will find the message DMARC-aligned: DKIM
 *       passes when in->dkim_domain is set (we sign with it) and aligns
 *       with the From domain under adkim; SPF passes when
 *       in->envelope_domain aligns under aspf and in->spf is
 *       DMARC_SPF_PASS.  An empty envelope domain (null sender <>) is
 *       judged on DKIM alone.  DMARC_SPF_UNCHECKED (no relay_addresses)
 *       never counts as a pass.  Without a governing record the message
 *       "passes" (nothing to fail) with policy none.  out->policy is
 *       in->policy->effective when the prediction fails, else none;
 *       out->reason is one line for an SMTP reply and a log line:
 *       "would fail DMARC at example.com (p=reject): no aligned DKIM
 *       signature (signed d=other.example), SPF not aligned (envelope
 *       domain x.example)".  0, or -1 on a DNS error while aligning.
 *       The caller applies require_alignment: refuse only when
 *       !out->pass and out->policy is quarantine or reject.
 *
 *   dmarc_policy_name(p)   "none", "quarantine", "reject"
 *
 * Evaluation of received mail (lib/dmarc_eval.c)
 *   dmarc_author_domain(values, n, out, outlen, why, whylen)
 *       the RFC5322.From domain DMARC judges, from the values of the n
 *       From fields of a message (as on the wire, folds allowed).  0 with
 *       the normalised domain in out when there is exactly one From field
 *       and every address in it has one and the same domain (several
 *       addresses of one domain are fine); -1 with why ("no From field",
 *       "2 From fields", "From cannot be parsed: ...", "From has
 *       addresses in 2 domains (a.example, b.example)", "From address
 *       has no domain") otherwise: DMARC's result is then permerror and
 *       never pass (CVE-2019-16378).
 *   dmarc_evaluate(env, in, out, err, errlen)
 *       the DMARC result of a received message (RFC 9989 4.x): pass when
 *       a DKIM signature with status pass has a d= aligned with the From
 *       domain under adkim, or SPF passed for in->spf_domain and it
 *       aligns under aspf; none when no record governs the From domain;
 *       temperror when it does not pass but could have with an answer
 *       that DNS failed to give (a temperror signature whose d= aligns,
 *       or SPF temperror with an aligned spf_domain); fail otherwise.
 *       Signatures under a key with t=y count as they verified.
 *       out->policy is in->policy->policy and out->which its tag when the
 *       result is fail (for "p=" / "sp=" / "np=" in the A-R), else
 *       DMARC_NONE; out->enforce is what a receiver that enforces does:
 *       in->policy->effective on fail, DMARC_NONE under t=y (outpost
 *       treats t=y as report only) and on any other result.  out->reason
 *       is one line ("no aligned DKIM pass (d=x.example not aligned),
 *       SPF fail for y.example").  0, or -1 on a DNS error while
 *       aligning (the caller reports temperror).
 *   dmarc_result_name(r)   "none", "pass", "fail", "temperror",
 *                          "permerror"
 *
 * Glue (lib/dmarc_dns.c, the one part that is not pure)
 *   dmarc_env_dns(env, dns, org_mode, err, errlen)
 *       *env answering through lib/dns (dns_txt, dns_exists), with the
 *       system Public Suffix List for ORG_PSL.  0, or -1 with err set.
 */
#ifndef OUTPOST_DMARC_H
#define OUTPOST_DMARC_H

#include <stddef.h>

#include "dns.h"		/* enum dns_status only */

struct strlist;
struct psl;

#define DMARC_NAME_MAX		254	/* a domain name and its NUL */
#define DMARC_URI_MAX		512	/* rua=, ruf= text kept (truncated) */
#define DMARC_NOTE_MAX		256
#define DMARC_REASON_MAX	512
#define DMARC_WALK_MAX		8	/* queries of one tree walk */

enum dmarc_policy {
	DMARC_NONE = 0,
	DMARC_QUARANTINE,
	DMARC_REJECT
};

enum dmarc_psd {
	DMARC_PSD_U = 0,		/* absent or psd=u */
	DMARC_PSD_Y,
	DMARC_PSD_N
};

/* struct dmarc_record.flags */
#define DMARC_REC_NO_P		0x01	/* no p=: taken as none */
#define DMARC_REC_DOWNGRADED	0x02	/* bad p/sp/np with rua: as p=none */
#define DMARC_REC_RUA_TRUNC	0x04	/* rua text longer than kept */
#define DMARC_REC_RUF_TRUNC	0x08

struct dmarc_record {
	int		 p;		/* enum dmarc_policy */
	int		 sp;		/* enum dmarc_policy, -1 absent */
	int		 np;		/* enum dmarc_policy, -1 absent */
	int		 adkim_strict;	/* adkim=s */
	int		 aspf_strict;	/* aspf=s */
	int		 testing;	/* t=y */
	int		 psd;		/* enum dmarc_psd */
	int		 pct;		/* 0..100, default 100; informative */
	unsigned	 flags;		/* DMARC_REC_* */
	char		 rua[DMARC_URI_MAX];	/* as published, "" absent */
	char		 ruf[DMARC_URI_MAX];
	char		 note[DMARC_NOTE_MAX];	/* what was ignored, or "" */
};

/*
 * The DNS as discovery sees it.  txt: TXT strings of a name (one string
 * per record, character-strings joined), returns enum dns_status and on
 * DNS_OK fills out (the caller frees it with strlist_free).  exists: is
 * the name there at all (DNS_OK / DNS_NXDOMAIN / DNS_ERROR), for np=;
 * may be NULL, then np= is never applied.
 */
typedef int	(*dmarc_txt_fn)(void *, const char *, struct strlist *,
		    char *, size_t);
typedef int	(*dmarc_exists_fn)(void *, const char *, char *, size_t);

struct dmarc_env {
	dmarc_txt_fn		 txt;
	dmarc_exists_fn		 exists;
	void			*arg;		/* passed to both callbacks */
	int			 org_mode;	/* enum dmarc_org (conf.h) */
	const struct psl	*psl;		/* ORG_PSL: the loaded list */
};

enum dmarc_which {
	DMARC_USE_P = 0,
	DMARC_USE_SP,
	DMARC_USE_NP
};

struct dmarc_lookup {
	int			 found;		/* a record governs the domain */
	struct dmarc_record	 rec;		/* when found (else zeroed) */
	char			 record_domain[DMARC_NAME_MAX];	/* where */
	char			 org_domain[DMARC_NAME_MAX];	/* always set */
	int			 which;		/* enum dmarc_which */
	int			 policy;	/* value of that tag */
	int			 effective;	/* after t=y */
	int			 exists;	/* From domain: 1, 0, -1 unchecked */
	int			 queries;	/* TXT queries made */
	char			 note[DMARC_NOTE_MAX];	/* records ignored */
};

enum dmarc_spf {
	DMARC_SPF_UNCHECKED = 0,	/* no relay_addresses to check */
	DMARC_SPF_PASS,
	DMARC_SPF_NOT_PASS
};

struct dmarc_predict_in {
	const char			*from_domain;
	const char			*dkim_domain;	/* d=, NULL/"" none */
	const char			*envelope_domain; /* NULL/"" for <> */
	int				 spf;		/* enum dmarc_spf */
	const struct dmarc_lookup	*policy;	/* of from_domain */
};

struct dmarc_prediction {
	int		 pass;		/* 1 will pass (or nothing to fail) */
	int		 dkim_aligned;	/* d= aligned with From */
	int		 spf_aligned;	/* envelope domain aligned with From */
	int		 policy;	/* enum dmarc_policy on failure */
	char		 reason[DMARC_REASON_MAX];
};

enum dmarc_result {
	DMARC_R_NONE = 0,
	DMARC_R_PASS,
	DMARC_R_FAIL,
	DMARC_R_TEMPERROR,
	DMARC_R_PERMERROR
};

struct dmarc_dkim_in {
	const char	*domain;		/* d=, normalised */
	int		 status;		/* enum dkimv_status */
};

struct dmarc_eval_in {
	const char			*from_domain;
	const struct dmarc_dkim_in	*dkim;
	size_t				 ndkim;
	const char			*spf_domain;	/* the identity SPF
							   checked: MAIL FROM
							   domain, or HELO for
							   <> ; NULL none */
	int				 spf;		/* enum spf_result */
	const struct dmarc_lookup	*policy;	/* of from_domain */
};

struct dmarc_eval {
	int		 result;		/* enum dmarc_result */
	int		 dkim_aligned;		/* an aligned DKIM pass */
	int		 spf_aligned;		/* an aligned SPF pass */
	char		 dkim_domain[DMARC_NAME_MAX];	/* that d=, or "" */
	int		 policy;		/* enum dmarc_policy, on fail */
	int		 which;			/* enum dmarc_which of policy */
	int		 enforce;		/* enum dmarc_policy to apply */
	char		 reason[DMARC_REASON_MAX];
};

int		 dmarc_record_is_dmarc(const char *);
int		 dmarc_record_parse(const char *, struct dmarc_record *,
		    char *, size_t);
int		 dmarc_org_domain(const struct dmarc_env *, const char *,
		    char *, size_t, char *, size_t);
int		 dmarc_policy_lookup(const struct dmarc_env *, const char *,
		    struct dmarc_lookup *, char *, size_t);
int		 dmarc_aligned(const struct dmarc_env *, const char *,
		    const char *, int, char *, size_t);
int		 dmarc_aligned_org(const struct dmarc_env *, const char *,
		    const char *, const char *, int, char *, size_t);
int		 dmarc_predict(const struct dmarc_env *,
		    const struct dmarc_predict_in *, struct dmarc_prediction *,
		    char *, size_t);
const char	*dmarc_policy_name(int);
int		 dmarc_author_domain(const char *const *, size_t, char *,
		    size_t, char *, size_t);
int		 dmarc_evaluate(const struct dmarc_env *,
		    const struct dmarc_eval_in *, struct dmarc_eval *, char *,
		    size_t);
const char	*dmarc_result_name(int);
struct dns;
int		 dmarc_env_dns(struct dmarc_env *, struct dns *, int, char *,
		    size_t);

#endif
