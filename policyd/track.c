/*
 * track -- the most common deployment mistake of policy daemons: the
 * service is in smtpd_recipient_restrictions but missing from
 * smtpd_end_of_data_restrictions, so nothing is ever counted.  Per SASL
 * user (in this process) count the transactions that got DUNNO at RCPT
 * but ended without an END-OF-MESSAGE request; after TRACK_MISSES of them
 * with no END-OF-MESSAGE ever seen for that user, warn once.
 *
 *   track_new() / track_free(t)          NULL-safe destructor
 *   track_transaction(t, user, rcpt_ok, eom)
 *       a transaction of user ended: rcpt_ok if some RCPT got DUNNO,
 *       eom if an END-OF-MESSAGE request was seen.
 *
 *   track_noplan(t, user, plan)
 *       user's effective plan does not exist (the script admitted it
 *       without plan limits): warn once per user in this process.
 *
 *   track_fallback(t, plan, user)
 *       a request needed plan's limits fetched (no copy of them in the
 *       user: lib/schema.h): warn once per plan in this process.
 *
 * Bounded: at most TRACK_MAX users are remembered (open addressing);
 * past that, track_noplan warns at most once per TRACK_NOPLAN_EVERY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "policyd.h"
#include "xmalloc.h"

#define TRACK_MAX	65536		/* power of two */
#define TRACK_MISSES	3
#define TRACK_NOPLAN_EVERY 60		/* seconds, when the table is full */

struct tentry {
	char		*user;
	unsigned	 misses;
	unsigned char	 eom_seen, warned, noplan_warned;
};

struct track {
	struct tentry	*tab;
	size_t		 n;
};

struct track *
track_new(void)
{
	struct track	*t = xcalloc(1, sizeof(*t));

	t->tab = xcalloc(TRACK_MAX, sizeof(*t->tab));
	return t;
}

struct track *
track_free(struct track *t)
{
	size_t	 i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < TRACK_MAX; i++)
		free(t->tab[i].user);
	free(t->tab);
	free(t);
	return NULL;
}

static struct tentry *
lookup(struct track *t, const char *user)
{
	unsigned	 h = 2166136261u;
	const char	*p;
	size_t		 i, probe;

	for (p = user; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (probe = 0; probe < TRACK_MAX; probe++) {
		i = (h + probe) & (TRACK_MAX - 1);
		if (t->tab[i].user == NULL) {
			if (t->n >= TRACK_MAX / 2)
				return NULL;	/* full enough: stop tracking */
			t->tab[i].user = xstrdup(user);
			t->n++;
			return &t->tab[i];
		}
		if (strcmp(t->tab[i].user, user) == 0)
			return &t->tab[i];
	}
	return NULL;
}

void
track_transaction(struct track *t, const char *user, int rcpt_ok, int eom)
{
	struct tentry	*e;

	if (*user == '\0' || (!rcpt_ok && !eom))
		return;
	if ((e = lookup(t, user)) == NULL)
		return;
	if (eom) {
		e->eom_seen = 1;
		return;
	}
	if (++e->misses >= TRACK_MISSES && !e->eom_seen && !e->warned) {
		e->warned = 1;
		log_warn("user=%s: %u transactions seen at RCPT but none at "
		    "END-OF-MESSAGE: is check_policy_service missing from "
		    "smtpd_end_of_data_restrictions? Messages are not being "
		    "counted", user, e->misses);
	}
}

static int	warn_once(struct track *, const char *, time_t *);

void
track_noplan(struct track *t, const char *user, const char *plan)
{
	static time_t	 last;

	if (!warn_once(t, user, &last))
		return;
	log_warn("user=%s: plan %s does not exist: the user sends without "
	    "plan limits (create it with outpostctl plan set %s LIMIT..., or "
	    "give the user another plan)", user, plan, plan);
}

/*
 * A request needed the limits of plan PLAN fetched (lib/schema.h, plim):
 * warn once per plan name in this process.  Its entry is keyed "\1PLAN":
 * no user name holds a control character.
 */
void
track_fallback(struct track *t, const char *plan, const char *user)
{
	static time_t	 last;
	char		 key[DEC_ARGLEN + 2];

	snprintf(key, sizeof(key), "\1%s", plan);
	if (!warn_once(t, key, &last))
		return;
	log_warn("user=%s: the limits of plan %s are not copied into the "
	    "user (another default_plan on the MTA that copied them, an "
	    "unknown user under policyd_unknown_user = default, or a Redis "
	    "not migrated): fetching the plan in a second round trip for "
	    "such requests (logged once per plan)", user, plan);
}

/*
 * 1 if a warning about KEY is due: once per key tracked here, and for a
 * key not tracked (the table full) at most once per TRACK_NOPLAN_EVERY
 * seconds (*last, the caller's).
 */
static int
warn_once(struct track *t, const char *key, time_t *last)
{
	struct tentry	*e;
	time_t		 now;

	if ((e = lookup(t, key)) != NULL) {
		if (e->noplan_warned)
			return 0;
		e->noplan_warned = 1;
		return 1;
	}
	if ((now = time(NULL)) - *last < TRACK_NOPLAN_EVERY)
		return 0;
	*last = now;
	return 1;
}
