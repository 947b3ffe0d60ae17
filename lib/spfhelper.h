/*
 * spfhelper -- SPF checks in an isolated helper process, for the milter
 * (inbound SPF) and outpostctl (domain verify).  libspf2 is unmaintained
 * and Debian's carries CVE-2023-42118, reachable from DNS answers an
 * attacker controls; the milter's account owns the DKIM private keys.
 * So libspf2 never runs in the caller: it runs in a worker process that
 * cannot read the keys.
 *
 * Processes.  spfhelper_start forks a supervisor, which (when started as
 * root) enters an empty directory that is then deleted, chroots into it,
 * drops every group and switches to the account "nobody", sets
 * PR_SET_NO_NEW_PRIVS, no core dumps, no file writes (RLIMIT_FSIZE 0,
 * RLIMIT_CORE 0) and few descriptors.  The supervisor forks the worker,
 * which also gets RLIMIT_AS 512 MB and RLIMIT_NPROC, makes its own
 * resolver (lib/dns, forwarders only: the nameservers of dns_nameserver
 * or /etc/resolv.conf were read before the chroot) and answers requests
 * with SPFHELPER_THREADS threads.  When the worker dies (crash, kill -9)
 * the supervisor -- already nobody, so no root is needed -- tells the
 * caller and forks a new one (after 0.1 s, up to 2 s when it keeps
 * dying at once).  Started by a non-root process, the helper keeps the
 * caller's account and is not chrooted (spfhelper_isolated says so).
 * The supervisor exits, killing the worker, when the caller exits or
 * calls spfhelper_stop.  Call spfhelper_start before creating threads
 * and before dropping root.
 *
 * Requests.  One SOCK_SEQPACKET socket pair carries requests and answers
 * (lib/spfwire.h); the worker threads read requests from it directly, so
 * up to SPFHELPER_THREADS checks run at once and one slow DNS answer
 * holds up only its own.  In the caller, a reader thread hands answers to
 * the waiting threads (it blocks every signal, so a program's own
 * signal design is undisturbed); at most SPFHELPER_SLOTS requests are outstanding
 * (more wait for a free slot within their deadline).  A check's DNS
 * lookups stop after 2 x dns_timeout in all (then temperror); the caller
 * gives up 1 s after that.
 *
 *   spfhelper_start(conf, err, errlen)
 *       the helper; NULL with err set.  Reads conf dns_nameserver and
 *       dns_timeout; keeps no pointer to conf.
 *   spfhelper_check(h, ip, helo, mailfrom, out, err, errlen)
 *       SPF verdict for a client ip (IPv4 or IPv6 text), its HELO name,
 *       and the envelope sender (an address, or "" / "<>" for a bounce:
 *       then the HELO identity is checked).  0 with *out filled, for
 *       every SPF result including temperror and permerror.  -1 with err
 *       set when no verdict was had: bad input, helper busy, helper died
 *       with the request in flight, no answer by the deadline -- the
 *       caller answers that with a temporary failure.
 *   spfhelper_submit(h, ip, helo, mailfrom, t, err, errlen)
 *   spfhelper_collect(h, t, out, err, errlen)
 *   spfhelper_cancel(h, t)
 *       spfhelper_check in two halves, for a caller with other work to
 *       do meanwhile (the milter sends at MAIL FROM, reads at the end of
 *       the message).  submit checks the input and sends the request:
 *       0 with *t holding its slot, or -1 with err set and t->slot = -1
 *       (bad input, helper gone, or no free slot: submit never waits for
 *       one; the caller can still use spfhelper_check later).  collect
 *       waits for the answer until the deadline set at submit (2 x
 *       dns_timeout + 1 s after it) and frees the slot: the results of
 *       spfhelper_check.  A ticket that is not collected must be
 *       cancelled (frees its slot; a late answer is dropped); cancel is a
 *       no-op for h NULL or t->slot < 0, and sets t->slot = -1.
 *   spfhelper_probe(h, path, out, outlen, err, errlen)
 *       for tests: the worker reports "pid=N uid=N gid=N root=N open=X"
 *       (root = entries in its "/", open = "ok" or why open(path) for
 *       reading failed).  0 / -1.
 *   spfhelper_isolated(h)          1 when chrooted and switched to nobody
 *   spfhelper_stop(h)              NULL-safe, returns NULL; ends both
 *                                  processes, waits for the supervisor
 *   spf_result_name(r)             the RFC 7208 name: "none", "neutral",
 *                                  "pass", "fail", "softfail",
 *                                  "temperror", "permerror"
 *   spf_result_parse(name)         the inverse; -1 for anything else
 */
#ifndef OUTPOST_SPFHELPER_H
#define OUTPOST_SPFHELPER_H

#include <stddef.h>
#include <time.h>

#define SPFHELPER_THREADS	8
#define SPFHELPER_SLOTS		64

struct conf;
struct spfhelper;

enum spf_result {
	SPFR_NONE,
	SPFR_NEUTRAL,
	SPFR_PASS,
	SPFR_FAIL,
	SPFR_SOFTFAIL,
	SPFR_TEMPERROR,
	SPFR_PERMERROR
};

struct spf_verdict {
	enum spf_result	 result;
	char		 identity[16];		/* "mailfrom" or "helo" */
	char		 domain[256];		/* the domain checked */
	char		 explanation[512];	/* libspf2's comment or error */
};

struct spf_ticket {			/* a request in flight */
	int		 slot;			/* -1: none */
	struct timespec	 deadline;		/* CLOCK_MONOTONIC */
};

struct spfhelper *spfhelper_start(const struct conf *, char *, size_t);
int		 spfhelper_check(struct spfhelper *, const char *,
		    const char *, const char *, struct spf_verdict *, char *,
		    size_t);
int		 spfhelper_submit(struct spfhelper *, const char *,
		    const char *, const char *, struct spf_ticket *, char *,
		    size_t);
int		 spfhelper_collect(struct spfhelper *, struct spf_ticket *,
		    struct spf_verdict *, char *, size_t);
void		 spfhelper_cancel(struct spfhelper *, struct spf_ticket *);
int		 spfhelper_probe(struct spfhelper *, const char *, char *,
		    size_t, char *, size_t);
int		 spfhelper_isolated(const struct spfhelper *);
struct spfhelper *spfhelper_stop(struct spfhelper *);
const char	*spf_result_name(int);
int		 spf_result_parse(const char *);

#endif
