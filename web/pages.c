/*
 * pages -- the overview, the users and one user.
 *
 * overview  the fleet's figures (lib/schema.h P{log}:st:*:H and
 *           P{log}:st:*:d:D, written with each user's P{log}:st:WHO:H):
 *           the last 24 hours by hour and the last 30 UTC days by day,
 *           as SVG charts; 24 + 30 pipelined HMGETs, no walk of the
 *           users, and 24 more for each day without its daily hash
 *           (older than the upgrade that brought them)
 * users     a search by name prefix in Puserix (ZRANGEBYLEX, at most
 *           USERS_PAGE names; without the index an SSCAN of Pusers,
 *           bounded, and the page says so), the users read as
 *           "outpostctl user show" reads them, in one batch
 *           (ctl_users_read: three pipelined round trips for the page)
 * user      the same in full, its last deliveries (ctl_log_search) and
 *           its own suppressions, and the suspend / resume buttons
 *           (outpostctl user suspend / resume, run.c)
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"
#include "web.h"

#define USERS_PAGE	50
#define SCAN_PAGES	50	/* fallback: SSCAN calls at most */

enum { F_SENT, F_DELIVERED, F_DEFERRED, F_HARD, F_SOFT, F_BLOCK,
	F_EXPIRED, F_COMPLAINT, F_REFUSED, NFIG };

static const char *const fig[NFIG] = {
	"sent", "delivered", "deferred", "hard", "soft", "block", "expired",
	"complaint", "refused"
};

/* a + b, or ULLONG_MAX when it does not fit */
static unsigned long long
sat_add(unsigned long long a, unsigned long long b)
{
	return a > ULLONG_MAX - b ? ULLONG_MAX : a + b;
}

/* A counter of Redis: a negative or unreadable one is 0. */
static unsigned long long
counter(const char *s)
{
	long long	 v = strtoll(s, NULL, 10);

	return v > 0 ? (unsigned long long)v : 0;
}

void
redis_trouble(struct req *q, const char *what)
{
	hf(q, "<p class=\"flash err\">%s: Redis: %s</p>", what,
	    redis_errstr(q->w->ctl.r));
}

/* The fleet's figures of hashes which[0 .. n-1] (hours, or days when
 * daily) into v[n][NFIG]; seen[i]: 1 if any field of hash i exists.
 * One pipeline.  0 / -1. */
static int
fleet_read(struct req *q, int daily, const long long *which, int n,
    unsigned long long (*v)[NFIG], char *seen)
{
	struct redis	*r = q->w->ctl.r;
	const char	*av[2 + NFIG];
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*h;
	int		 i, j;

	av[0] = "HMGET", av[1] = key;
	for (j = 0; j < NFIG; j++)
		av[2 + j] = fig[j];
	for (i = 0; i < n; i++) {
		if (daily)
			schema_key_fleet_day(&q->w->ctl.conf, which[i], key,
			    sizeof(key));
		else
			schema_key_fleet(&q->w->ctl.conf, which[i], key,
			    sizeof(key));
		if (redis_appendv(r, 2 + NFIG, av, NULL) < 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		if ((h = redis_get_reply(r)) == NULL)
			return -1;
		seen[i] = 0;
		for (j = 0; j < NFIG; j++) {
			v[i][j] = (size_t)j < h->elements &&
			    h->element[j]->type == REDIS_REPLY_STRING ?
			    counter(h->element[j]->str) : 0;
			seen[i] |= (size_t)j < h->elements &&
			    h->element[j]->type == REDIS_REPLY_STRING;
		}
		freeReplyObject(h);
	}
	return 0;
}

/* The 30 days from day0: the daily hashes, and for a day without one
 * (written before they existed) the sum of its 24 hours.  The days seen
 * in *seen.  0 / -1. */
static int
fleet_days(struct req *q, long long day0, unsigned long long (*dv)[NFIG],
    int *seen)
{
	unsigned long long		 hv[30 * 24][NFIG];
	long long			 which[30 * 24];
	char				 ds[30], hs[30 * 24];
	int				 i, j, d, nh = 0, nd = 0, miss[30];

	for (i = 0; i < 30; i++)
		which[i] = day0 + i;
	if (fleet_read(q, 1, which, 30, dv, ds) < 0)
		return -1;
	for (i = 0; i < 30; i++)
		if (!ds[i]) {
			miss[nd++] = i;
			for (j = 0; j < 24; j++)
				which[nh++] = (day0 + i) * 24 + j;
		}
	if (nh > 0 && fleet_read(q, 0, which, nh, hv, hs) < 0)
		return -1;
	for (i = 0; i < nh; i++) {
		d = miss[i / 24];
		ds[d] |= hs[i];
		for (j = 0; j < NFIG; j++)
			dv[d][j] = sat_add(dv[d][j], hv[i][j]);
	}
	for (*seen = 0, i = 0; i < 30; i++)
		*seen += ds[i];
	return 0;
}

/* The series of one figure (or bounced: hard + soft + block). */
static void
series(unsigned long long (*v)[NFIG], int n, int f, unsigned long long *out)
{
	int	 i;

	for (i = 0; i < n; i++)
		out[i] = f >= 0 ? v[i][f] : sat_add(sat_add(v[i][F_HARD],
		    v[i][F_SOFT]), v[i][F_BLOCK]);
}

#define NSHOWN	6

/* The totals of a period and its chart of the NSHOWN series. */
static void
charts(struct req *q, const char *period, unsigned long long (*v)[NFIG],
    int n, char (*lab)[16], int step)
{
	static const char *const names[NSHOWN] = { "sent", "delivered",
	    "deferred", "bounced", "refused", "complaints" };
	static const int f[NSHOWN] = { F_SENT, F_DELIVERED, F_DEFERRED, -1,
	    F_REFUSED, F_COMPLAINT };
	unsigned long long	 s[NSHOWN * 30], tot;
	const char		*lp[30];
	struct chart		 c;
	int			 i, k;

	for (i = 0; i < n; i++)
		lp[i] = lab[i];
	hf(q, "<h2>%s</h2><table data-test=\"totals\"><tr>", period);
	for (k = 0; k < NSHOWN; k++)
		hf(q, "<th>%s</th>", names[k]);
	hf(q, "</tr><tr>");
	for (k = 0; k < NSHOWN; k++) {
		series(v, n, f[k], s + k * n);
		for (tot = 0, i = 0; i < n; i++)
			tot = sat_add(tot, s[k * n + i]);
		hf(q, "<td data-test=\"total-%s\">%u</td>", names[k], tot);
	}
	hf(q, "</tr></table>");
	c.title = period, c.names = names, c.ns = NSHOWN, c.v = s;
	c.labels = lp, c.n = n, c.step = step;
	chart_lines(q, &c);
}

void
page_overview(struct req *q)
{
	unsigned long long		 hv[24][NFIG], dv[30][NFIG];
	char				 hl[24][16], dl[30][16], hs[24];
	long long			 now_h = (long long)time(NULL) / 3600;
	long long			 which[24], day0 = now_h / 24 - 29;
	struct tm			 tm;
	time_t				 t;
	int				 i, seen30;

	page_begin(q, "Overview", "/");
	for (i = 0; i < 24; i++)
		which[i] = now_h - 23 + i;
	if (fleet_read(q, 0, which, 24, hv, hs) < 0 ||
	    fleet_days(q, day0, dv, &seen30) < 0) {
		redis_trouble(q, "overview");
		page_end(q);
		return;
	}
	for (i = 0; i < 24; i++) {
		t = (time_t)(now_h - 23 + i) * 3600;
		gmtime_r(&t, &tm);
		strftime(hl[i], sizeof(hl[i]), "%H:00", &tm);
	}
	for (i = 0; i < 30; i++) {
		t = (time_t)(day0 + i) * 86400;
		gmtime_r(&t, &tm);
		strftime(dl[i], sizeof(dl[i]), "%m-%d", &tm);
	}
	if (seen30 == 0)
		hf(q, "<p class=\"flash\" data-test=\"no-fleet\">No fleet "
		    "figures in Redis for the last 30 days: they are written by "
		    "outpost-feedback and outpost-policyd of this version on "
		    "(P{log}:st:*:HOUR); per-user figures are on each user's "
		    "page and in <code>outpostctl stats</code>.</p>");
	hf(q, "<p>Times in UTC; the last point is the current hour (day: "
	    "today so far).</p>");
	charts(q, "last 24 hours, by hour", hv, 24, hl, 3);
	charts(q, "last 30 days, by day", dv, 30, dl, 5);
	page_end(q);
}

/* ---- users ----------------------------------------------------------- */

static const char *
rate(unsigned long long num, unsigned long long den, char *buf, size_t len)
{
	return ctl_rate(num, den, buf, len);
}

/* The user's row: name, state, plan, each limit's use, the rates. */
static void
user_row(struct req *q, const char *name, const struct ctl_user *u)
{
	char		 lim[LIMIT_TEXT_MAX], r1[32], r2[32];
	int		 i;

	hf(q, "<tr><td><a data-test=\"user-link\" href=\"/user?name=%q\">%s"
	    "</a></td><td class=\"%s\">%s</td><td>%s</td><td>", name, name,
	    ctl_user_field(u, SCHEMA_F_STATE), ctl_user_field(u,
	    SCHEMA_F_STATE), u->plan);
	for (i = 0; i < u->nlim; i++)
		hf(q, "%r%u of %s", i ? "<br>" : "", u->used[i],
		    limit_format(&u->lim[i].lim, lim, sizeof(lim)));
	hf(q, "%r</td><td>%s</td><td>%s</td></tr>", u->nlim ? "" : "none",
	    rate(u->rt[RT_HARD], u->rt[RT_ATTEMPTS], r1, sizeof(r1)),
	    rate(u->rt[RT_COMPLAINT], u->rt[RT_DELIVERED], r2, sizeof(r2)));
}

/* The rows of n names, read in one batch (ctl_users_read: a few
 * pipelined round trips, not a few per user); a name deleted since the
 * index was read has no row. */
static void
user_rows(struct req *q, const char *const *names, int n)
{
	struct ctl_user	*u;
	int		 i;

	if (n == 0)
		return;
	if ((u = calloc((size_t)n, sizeof(*u))) == NULL) {
		hf(q, "<tr><td colspan=\"6\">out of memory</td></tr>");
		return;
	}
	if (ctl_users_read(&q->w->ctl, q->w->ctl.r, names, n, u) < 0) {
		hf(q, "<tr><td colspan=\"6\">Redis: %s</td></tr>",
		    redis_errstr(q->w->ctl.r));
		free(u);
		return;
	}
	for (i = 0; i < n; i++) {
		if (u[i].rep != NULL)
			user_row(q, names[i], &u[i]);
		ctl_user_clear(&u[i]);
	}
	free(u);
}

/* Names by prefix from Puserix; NULL and *missing when it does not
 * exist. */
static redisReply *
names_indexed(struct req *q, const char *prefix, int *missing)
{
	struct redis	*r = q->w->ctl.r;
	char		 key[SCHEMA_KEY_MAX], lo[SCHEMA_USER_MAX + 2];
	char		 hi[SCHEMA_USER_MAX + 3];
	const char	*av[7];
	redisReply	*rep;

	*missing = 0;
	schema_key_global(&q->w->ctl.conf, SCHEMA_USERIX, key, sizeof(key));
	if ((rep = redis_command(r, "EXISTS %s", key)) == NULL)
		return NULL;
	*missing = rep->integer == 0;
	freeReplyObject(rep);
	if (*missing)
		return NULL;
	snprintf(lo, sizeof(lo), "[%s", prefix);
	snprintf(hi, sizeof(hi), "(%s\xff", prefix);
	av[0] = "ZRANGEBYLEX", av[1] = key, av[2] = *prefix ? lo : "-";
	av[3] = *prefix ? hi : "+", av[4] = "LIMIT", av[5] = "0";
	av[6] = "51";
	return redis_commandv(r, 7, av, NULL);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Without the index: SSCAN Pusers MATCH prefix*, SCAN_PAGES calls. */
static void
names_scanned(struct req *q, const char *prefix)
{
	struct redis	*r = q->w->ctl.r;
	char		 key[SCHEMA_KEY_MAX], glob[SCHEMA_USER_MAX * 2 + 2];
	char		 cur[32] = "0", *names[USERS_PAGE];
	const char	*p;
	redisReply	*rep, *m;
	size_t		 i, g = 0, n = 0;
	int		 calls = 0;

	for (p = prefix; *p != '\0' && g + 3 < sizeof(glob); p++) {
		if (strchr("*?[]\\", *p) != NULL)
			glob[g++] = '\\';
		glob[g++] = *p;
	}
	glob[g++] = '*';
	glob[g] = '\0';
	schema_key_global(&q->w->ctl.conf, SCHEMA_USERS, key, sizeof(key));
	do {
		if ((rep = redis_command(r, "SSCAN %s %s MATCH %s COUNT 1000",
		    key, cur, glob)) == NULL) {
			redis_trouble(q, "users");
			break;
		}
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			freeReplyObject(rep);
			break;
		}
		snprintf(cur, sizeof(cur), "%s", rep->element[0]->str);
		m = rep->element[1];
		for (i = 0; i < m->elements && n < USERS_PAGE; i++)
			if ((names[n] = strdup(m->element[i]->str)) != NULL)
				n++;	/* out of memory: one name fewer */
		freeReplyObject(rep);
	} while (strcmp(cur, "0") != 0 && n < USERS_PAGE &&
	    ++calls < SCAN_PAGES);
	qsort(names, n, sizeof(names[0]), name_cmp);
	user_rows(q, (const char *const *)names, (int)n);
	for (i = 0; i < n; i++)
		free(names[i]);
}

void
page_users(struct req *q)
{
	const char	*prefix = param(q, "q");
	const char	*shown[USERS_PAGE];
	redisReply	*rep;
	size_t		 i;
	int		 missing;

	page_begin(q, "Users", "/users");
	hf(q, "<form method=\"get\" action=\"/users\"><label>Name starts with "
	    "<input name=\"q\" value=\"%s\" data-test=\"user-search\" "
	    "autofocus></label> <button>Search</button></form>", prefix);
	rep = names_indexed(q, prefix, &missing);
	if (rep == NULL && !missing) {
		redis_trouble(q, "users");
		page_end(q);
		return;
	}
	if (missing)
		hf(q, "<p class=\"flash\" data-test=\"no-index\">The user name "
		    "index (Puserix) is missing: this search walks the user set "
		    "instead, slowly and only in part.  Run <code>outpostctl "
		    "migrate</code> to build the index.</p>");
	hf(q, "<table data-test=\"users\"><tr><th>user</th><th>state</th>"
	    "<th>plan</th><th>usage</th><th>hard-bounce rate</th>"
	    "<th>complaint rate</th></tr>");
	if (missing)
		names_scanned(q, prefix);
	for (i = 0; rep != NULL && i < rep->elements && i < USERS_PAGE; i++)
		shown[i] = rep->element[i]->str;
	user_rows(q, shown, (int)i);
	hf(q, "</table>");
	if (rep != NULL && rep->elements > USERS_PAGE)
		hf(q, "<p>The first %d names only: type more of the name.</p>",
		    USERS_PAGE);
	if (rep != NULL && rep->elements == 0)
		hf(q, "<p>No user name starts with that.</p>");
	if (rep != NULL)
		freeReplyObject(rep);
	page_end(q);
}

/* ---- one user -------------------------------------------------------- */

static void
event_row(void *arg, const char *eid, const redisReply *h)
{
	struct req	*q = arg;
	char		 when[SUPCSV_TIME_MAX];
	const char	*v[8] = { NULL };
	static const char *const names[8] = { "t", "status", "category",
	    "rcpt", "from", "dsn", "reply", "qid" };
	size_t		 i;
	int		 k;

	for (i = 0; i + 1 < h->elements; i += 2)
		for (k = 0; k < 8; k++)
			if (strcmp(h->element[i]->str, names[k]) == 0)
				v[k] = h->element[i + 1]->str;
	supcsv_format_time(v[0] ? strtoll(v[0], NULL, 10) / 1000 : 0, when,
	    sizeof(when));
	hf(q, "<tr data-test=\"event\"><td>%s</td><td>%s</td><td>%s</td>"
	    "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s <small>#%s"
	    "</small></td></tr>", when, v[1], v[2], v[3], v[4], v[5], v[6],
	    v[7], eid);
}

void
log_table(struct req *q, struct ctl_opts *o)
{
	long	 found = 0;
	int	 rc;

	hf(q, "<table data-test=\"log\"><tr><th>time (UTC)</th><th>status"
	    "</th><th>category</th><th>recipient</th><th>sender</th><th>dsn"
	    "</th><th>reply</th><th>queue id</th></tr>");
	rc = ctl_log_search(&q->w->ctl, o, event_row, q, &found);
	hf(q, "</table>");
	if (rc != EXIT_OK)
		hf(q, "<p class=\"flash err\">The search was refused (see "
		    "<code>outpostctl log</code> for the filters' syntax).</p>");
	else if (found == 0)
		hf(q, "<p>No events.</p>");
}

/* The user's own suppressions: its SCHEMA_SUP_USER_BUCKETS buckets. */
static void
user_sups(struct req *q, const char *name)
{
	struct redis		*r = q->w->ctl.r;
	struct schema_sup	 e;
	char			 key[SCHEMA_KEY_MAX], addr[SCHEMA_SUP_FIELD_MAX];
	char			 c[SUPCSV_TIME_MAX], x[SUPCSV_TIME_MAX];
	redisReply		*h;
	unsigned		 b;
	size_t			 i;
	int			 shown = 0;

	for (b = 0; b < SCHEMA_SUP_USER_BUCKETS; b++) {
		schema_key_sup(&q->w->ctl.conf, name, b, key, sizeof(key));
		redis_append(r, "HGETALL %s", key);
	}
	hf(q, "<table data-test=\"user-sups\"><tr><th>address</th><th>reason"
	    "</th><th>since</th><th>expires</th><th></th></tr>");
	for (b = 0; b < SCHEMA_SUP_USER_BUCKETS; b++) {
		if ((h = redis_get_reply(r)) == NULL) {
			hf(q, "</table>");
			redis_trouble(q, "suppressions");
			return;
		}
		for (i = 0; i + 1 < h->elements && shown < 200; i += 2) {
			if (schema_sup_field_decode(h->element[i]->str,
			    h->element[i]->len, addr, sizeof(addr)) < 0 ||
			    schema_sup_decode(h->element[i + 1]->str, &e) < 0)
				continue;
			shown++;
			hf(q, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			    "<td>", addr, supcsv_reason_name(e.reason),
			    supcsv_format_time(e.created, c, sizeof(c)),
			    e.expires ? supcsv_format_time(e.expires, x,
			    sizeof(x)) : "never");
			sup_remove_button(q, addr, name);
			hf(q, "</td></tr>");
		}
		freeReplyObject(h);
	}
	hf(q, "</table>");
	if (shown == 0)
		hf(q, "<p>No suppressions of this user's own.</p>");
}

static void
user_detail(struct req *q, const struct ctl_user *u)
{
	const char	*st = ctl_user_field(u, SCHEMA_F_STATE);
	const char	*reason = ctl_user_field(u, SCHEMA_F_REASON);
	const char	*by = ctl_user_field(u, SCHEMA_F_PAUSED_BY);
	char		 t[SUPCSV_TIME_MAX], lim[LIMIT_TEXT_MAX], r1[32], r2[32];
	int		 i, msg = 0;
	size_t		 k;

	hf(q, "<table><tr><th>state</th><td><span class=\"%s\" data-test="
	    "\"user-state\">%s</span> since %s %s %s</td></tr>", st, st,
	    supcsv_format_time(atoll(ctl_user_field(u, SCHEMA_F_SINCE)), t,
	    sizeof(t)), reason, *by ? "(paused by outpost-" : "");
	if (*by)
		hf(q, "%s)", by);
	hf(q, "<tr><th>plan</th><td>%s%r%r</td></tr><tr><th>domains</th><td>",
	    u->plan, ctl_user_field(u, SCHEMA_F_PLAN)[0] ? "" :
	    " (default_plan)", u->plan_exists ? "" :
	    " (does not exist: only overrides apply)");
	for (k = 0; k < u->dom->elements; k++)
		hf(q, "%s ", u->dom->element[k]->str);
	hf(q, "%r</td></tr>", u->dom->elements ? "" : "any (no restriction)");
	hf(q, "<tr><th>hard-bounce rate</th><td>%s (%u of %u attempts)</td>"
	    "</tr><tr><th>complaint rate</th><td>%s (%u of %u delivered)</td>"
	    "</tr></table>", rate(u->rt[RT_HARD], u->rt[RT_ATTEMPTS], r1,
	    sizeof(r1)), u->rt[RT_HARD], u->rt[RT_ATTEMPTS],
	    rate(u->rt[RT_COMPLAINT], u->rt[RT_DELIVERED], r2, sizeof(r2)),
	    u->rt[RT_COMPLAINT], u->rt[RT_DELIVERED]);
	hf(q, "<h2>Limits</h2><table data-test=\"limits\"><tr><th>limit</th>"
	    "<th>used now</th><th>from</th></tr>");
	for (i = 0; i < u->nlim; i++) {
		hf(q, "<tr><td>%s</td><td", limit_format(&u->lim[i].lim, lim,
		    sizeof(lim)));
		if (u->lim[i].lim.dim == LIMIT_MESSAGES && !msg++)
			hf(q, " data-test=\"usage-messages\"");
		hf(q, ">%u</td><td>%r</td></tr>", u->used[i],
		    u->lim[i].override ? "user override" : "plan");
	}
	hf(q, "</table>");
}

static void
state_buttons(struct req *q, const char *name, const char *st)
{
	int	 susp = strcmp(st, SCHEMA_SUSPENDED) == 0;

	if (q->role != ROLE_ADMIN)
		return;
	hf(q, "<form method=\"post\" action=\"/user/state\">");
	csrf_field(q);
	hf(q, "<input type=\"hidden\" name=\"name\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"action\" value=\"%r\">", name,
	    susp ? "resume" : "suspend");
	if (!susp)
		hf(q, "<label>Reason <input name=\"reason\"></label> ");
	hf(q, "<button data-test=\"%r\">%r</button></form>", susp ?
	    "user-resume" : "user-suspend", susp ? "Resume" : "Suspend");
}

static void
user_page(struct req *q, const char *name)
{
	struct ctl_user	 u;
	struct ctl_opts	 o;
	char		 title[300];

	snprintf(title, sizeof(title), "User %s", name);
	page_begin(q, title, "/users");
	if (!schema_user_valid(name)) {
		hf(q, "<p>Not a user name.</p>");
		page_end(q);
		return;
	}
	switch (ctl_user_read(&q->w->ctl, q->w->ctl.r, name, &u)) {
	case -1:
		redis_trouble(q, "user");
		page_end(q);
		return;
	case 1:
		q->status = 404;
		hf(q, "<p>No such user.</p>");
		page_end(q);
		return;
	}
	user_detail(q, &u);
	state_buttons(q, name, ctl_user_field(&u, SCHEMA_F_STATE));
	ctl_user_clear(&u);
	hf(q, "<h2>Recent deliveries</h2>");
	memset(&o, 0, sizeof(o));
	o.user = name;
	o.limit = "20";
	log_table(q, &o);
	hf(q, "<p><a href=\"/log?user=%q\">more in the delivery log</a></p>"
	    "<h2>Suppressions of this user</h2>", name);
	user_sups(q, name);
	page_end(q);
}

void
page_user(struct req *q)
{
	user_page(q, param(q, "name"));
}

void
post_user_state(struct req *q)
{
	const char	*name = param(q, "name"), *act = param(q, "action");
	const char	*reason = param(q, "reason");
	const char	*av[7] = { "user", NULL, NULL, NULL, NULL, NULL, NULL };
	int		 rc, n = 2;

	if (strcmp(act, "suspend") != 0 && strcmp(act, "resume") != 0) {
		q->status = 400;
		snprintf(q->flash, sizeof(q->flash), "unknown action");
		user_page(q, name);
		return;
	}
	av[1] = act;
	if (*act == 's' && *reason != '\0')
		av[n++] = "--reason", av[n++] = reason;
	av[n++] = "--";		/* a name is never an option */
	av[n] = name;
	rc = run_ctl(q->w, av, q->flash, sizeof(q->flash));
	log_warn("change: admin=%s user %s %s%s%s: %s", q->admin, act, name,
	    *reason && *act == 's' ? " reason=" : "", *act == 's' ? reason :
	    "", rc == EXIT_OK ? "done" : q->flash);
	if (rc != EXIT_OK)
		q->status = 409;
	user_page(q, name);
}
