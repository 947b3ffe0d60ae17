/*
 * outpostctl stats -- per-user delivery figures over a period, from the
 * hourly P{log}:st:WHO:H hashes (lib/schema.h "PER-USER FIGURES").
 *
 *   stats [--user NAME] [--since T] [--top N]
 *
 * The period is whole hours (UTC): from the hour that holds --since
 * (default 24h back) to the current one, at most SCHEMA_STATS_TTL back
 * (older hours have expired).  Without --user: the total over every
 * sender seen in the period and the N (--top, default 10) with the most
 * sent.  The senders are the members of P{log}:who (a ZSET: WHO -> time
 * of its last event, ms; includes the "[IP]" pseudo-users) scored in the
 * period; while that key does not exist, the users of Pusers.  Each
 * sender costs one pipelined HMGET per hour, no SCAN.
 *
 * Rates: hard-bounce rate = hard / sent, complaint rate = complaint /
 * delivered ("-" / null when the denominator is 0).
 *
 * ctl_rt_sum (ctl.h) sums the inputs of the pause rates for user show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"
#include "xmalloc.h"

#define STATS_TOP_DEFAULT	10
#define STATS_TOP_MAX		100000

enum { F_SENT, F_DELIVERED, F_DEFERRED, F_HARD, F_SOFT, F_BLOCK,
	F_EXPIRED, F_COMPLAINT, F_REFUSED, NFIG };

static const char *const fig_names[NFIG] = {
	"sent", "delivered", "deferred", "hard", "soft", "block", "expired",
	"complaint", "refused"
};

struct figs {
	char			*who;
	unsigned long long	 v[NFIG];
};

struct period {
	long long	 from_h, to_h;		/* hours, inclusive */
	long long	 now;			/* ms */
};

/* Sum fields (HMGET of names[0..n)) of KIND hashes of who over p. */
static int
sum_hours(struct ctl *ctl, const char *who, const char *kind,
    const struct period *p, const char *const *names, int n,
    unsigned long long *v)
{
	struct redis	*r = ctl->r;
	const char	*av[2 + NFIG];
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*h;
	long long	 hr;
	int		 i;

	memset(v, 0, (size_t)n * sizeof(*v));
	av[0] = "HMGET", av[1] = key;
	for (i = 0; i < n; i++)
		av[2 + i] = names[i];
	for (hr = p->from_h; hr <= p->to_h; hr++) {
		if (schema_key_figures(&ctl->conf, who, kind, hr, key,
		    sizeof(key)) < 0)
			return -1;
		if (redis_appendv(r, 2 + n, av, NULL) < 0)
			return -1;
	}
	for (hr = p->from_h; hr <= p->to_h; hr++) {
		if ((h = redis_get_reply(r)) == NULL)
			return -1;
		for (i = 0; i < n && (size_t)i < h->elements; i++)
			if (h->element[i]->type == REDIS_REPLY_STRING)
				v[i] += strtoull(h->element[i]->str, NULL, 10);
		freeReplyObject(h);
	}
	return 0;
}

/* P{log}:rt:WHO's HGETALL h: the "NAME:H" fields of the window's hours
 * summed. */
void
ctl_rt_sum(struct ctl *ctl, const redisReply *h, long long now,
    unsigned long long rt[4])
{
	static const char *const names[4] = {
		"attempts", "hard", "delivered", "complaint"
	};
	char		 name[16];
	redisReply	*f;
	long long	 from_h, to_h, hr;
	size_t		 i;
	int		 j;

	memset(rt, 0, 4 * sizeof(*rt));
	to_h = now / CTL_HOUR_MS;
	from_h = (now - ctl->conf.bounce_window) / CTL_HOUR_MS;
	for (i = 0; h != NULL && h->type == REDIS_REPLY_ARRAY &&
	    i + 1 < h->elements; i += 2) {
		f = h->element[i];
		if (f->type != REDIS_REPLY_STRING ||
		    sscanf(f->str, "%15[a-z]:%lld", name, &hr) != 2 ||
		    hr < from_h || hr > to_h)
			continue;
		for (j = 0; j < 4; j++)
			if (strcmp(name, names[j]) == 0)
				rt[j] += strtoull(h->element[i + 1]->str,
				    NULL, 10);
	}
}

/* The senders of the period: Plog:who, or Pusers while it is absent. */
static redisReply *
senders(struct ctl *ctl, const struct period *p)
{
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*rep;
	long long	 n;

	ctl_log_key(ctl, "who", "", key);
	if ((rep = redis_command(ctl->r, "EXISTS %s", key)) == NULL)
		return NULL;
	n = rep->integer;
	freeReplyObject(rep);
	if (n == 1)
		return redis_command(ctl->r, "ZRANGEBYSCORE %s %lld +inf", key,
		    p->from_h * CTL_HOUR_MS);
	schema_key_global(&ctl->conf, SCHEMA_USERS, key, sizeof(key));
	return redis_command(ctl->r, "SMEMBERS %s", key);
}

static int
by_sent(const void *a, const void *b)
{
	const struct figs	*x = a, *y = b;

	if (x->v[F_SENT] != y->v[F_SENT])
		return x->v[F_SENT] > y->v[F_SENT] ? -1 : 1;
	return strcmp(x->who, y->who);
}

static void
row_text(const char *who, const unsigned long long *v)
{
	char	 hr[32], cr[32];
	int	 i;

	printf("%-24s", who);
	for (i = 0; i < NFIG; i++)
		printf(" %9llu", v[i]);
	printf(" %9s %10s\n", ctl_rate(v[F_HARD], v[F_SENT], hr, sizeof(hr)),
	    ctl_rate(v[F_COMPLAINT], v[F_DELIVERED], cr, sizeof(cr)));
}

static void
rate_json(struct json *j, const char *k, unsigned long long num,
    unsigned long long den)
{
	json_key(j, k);
	if (den == 0)
		json_null(j);
	else
		json_double(j, (double)num / (double)den);
}

static void
row_json(struct json *j, const char *who, const unsigned long long *v)
{
	int	 i;

	json_obj_begin(j);
	if (who != NULL)
		json_kv_str(j, "user", who);
	for (i = 0; i < NFIG; i++)
		json_kv_uint(j, fig_names[i], v[i]);
	rate_json(j, "hard_bounce_rate", v[F_HARD], v[F_SENT]);
	rate_json(j, "complaint_rate", v[F_COMPLAINT], v[F_DELIVERED]);
	json_obj_end(j);
}

static int
print(struct ctl *ctl, const struct period *p, const struct figs *f,
    size_t n, size_t top, const unsigned long long *tot)
{
	struct json	*j;
	char		 a[SUPCSV_TIME_MAX], b[SUPCSV_TIME_MAX];
	size_t		 i;

	supcsv_format_time(p->from_h * 3600, a, sizeof(a));
	supcsv_format_time(p->now / 1000, b, sizeof(b));
	if (!ctl->json) {
		printf("period %s .. %s (%lld hours, UTC), %zu sender%s\n", a,
		    b, p->to_h - p->from_h + 1, n, n == 1 ? "" : "s");
		printf("%-24s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %10s\n",
		    "USER", "SENT", "DELIVERED", "DEFERRED", "HARD", "SOFT",
		    "BLOCK", "EXPIRED", "COMPLAINT", "REFUSED", "HARD%",
		    "COMPLAINT%");
		row_text("(total)", tot);
		for (i = 0; i < n && i < top; i++)
			row_text(f[i].who, f[i].v);
		return EXIT_OK;
	}
	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_str(j, "since", a);
	json_kv_str(j, "until", b);
	json_kv_int(j, "hours", p->to_h - p->from_h + 1);
	json_kv_uint(j, "senders", n);
	json_key(j, "total");
	row_json(j, NULL, tot);
	json_key(j, "users");
	json_arr_begin(j);
	for (i = 0; i < n && i < top; i++)
		row_json(j, f[i].who, f[i].v);
	json_arr_end(j);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}

/* The figures of every sender in names; sorted by sent. */
static int
gather(struct ctl *ctl, const struct period *p, const redisReply *names,
    struct figs *f, unsigned long long *tot)
{
	size_t	 i;
	int	 k;

	for (i = 0; i < names->elements; i++) {
		f[i].who = names->element[i]->str;
		if (!schema_who_valid(f[i].who))
			continue;	/* not a name of the schema's */
		if (sum_hours(ctl, f[i].who, SCHEMA_ST, p, fig_names, NFIG,
		    f[i].v) < 0)
			return -1;
		for (k = 0; k < NFIG; k++)
			tot[k] += f[i].v[k];
	}
	if (names->elements > 1)
		qsort(f, names->elements, sizeof(*f), by_sent);
	return 0;
}

/* The period of --since (default 24h), whole hours, within the TTL. */
static int
period(struct ctl *ctl, struct ctl_opts *o, struct period *p)
{
	long long	 since;
	int		 rc;

	if ((rc = ctl_now_ms(ctl, ctl->r, &p->now)) != EXIT_OK)
		return rc;
	since = p->now - 24 * CTL_HOUR_MS;
	if (o->since != NULL && ctl_when(o->since, p->now, &since) < 0)
		return ctl_bad_usage("--since %s: expected a duration (2h, 7d) "
		    "or an ISO 8601 UTC time (2026-12-01T10:00:00Z)", o->since);
	if (since > p->now)
		return ctl_bad_usage("--since %s is in the future", o->since);
	p->to_h = p->now / CTL_HOUR_MS;
	p->from_h = since / CTL_HOUR_MS;
	if (p->from_h < p->to_h - SCHEMA_STATS_TTL / 3600) {
		ctl_warn("figures are kept %d days: the period starts then",
		    SCHEMA_STATS_TTL / 86400);
		p->from_h = p->to_h - SCHEMA_STATS_TTL / 3600;
	}
	return 0;
}

int
stats_show(struct ctl *ctl, struct ctl_opts *o)
{
	struct period		 p;
	struct figs		*f, one;
	unsigned long long	 tot[NFIG];
	redisReply		*names;
	long			 top = STATS_TOP_DEFAULT;
	int			 rc;

	if (o->top != NULL && ctl_count(o->top, STATS_TOP_MAX, &top) < 0)
		return ctl_bad_usage("--top %s: expected 1 to %d", o->top,
		    STATS_TOP_MAX);
	if ((rc = period(ctl, o, &p)) != 0)
		return rc;
	memset(tot, 0, sizeof(tot));
	if (o->user != NULL) {
		one.who = (char *)o->user;
		if (sum_hours(ctl, o->user, SCHEMA_ST, &p, fig_names, NFIG,
		    one.v) < 0)
			return ctl_redis_failed(ctl, ctl->r, "stats");
		memcpy(tot, one.v, sizeof(tot));
		return print(ctl, &p, &one, 1, 1, tot);
	}
	if ((names = senders(ctl, &p)) == NULL)
		return ctl_redis_failed(ctl, ctl->r, "stats");
	f = xcalloc(names->elements + 1, sizeof(*f));
	if (gather(ctl, &p, names, f, tot) < 0) {
		free(f);
		freeReplyObject(names);
		return ctl_redis_failed(ctl, ctl->r, "stats");
	}
	rc = print(ctl, &p, f, names->elements, (size_t)top, tot);
	free(f);
	freeReplyObject(names);
	return rc;
}
