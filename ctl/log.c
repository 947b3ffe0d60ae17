/*
 * outpostctl log -- search the delivery log (lib/schema.h "DELIVERY LOG").
 *
 *   log [--user NAME] [--rcpt ADDRESS] [--from ADDRESS] [--queue-id ID]
 *       [--status STATUS] [--since T] [--until T] [--limit N]
 *
 * Newest first.  The search reads ONE sorted set: the index of the
 * queue ID, recipient, sender or user given (with several, the one with
 * the fewest members in the period: a ZCOUNT each), or P{log}:all with
 * none.  It pages through it with ZREVRANGEBYSCORE max min LIMIT, from
 * --until (default now and later) down to --since (default the
 * beginning), reads the events of a page pipelined (HGETALL P{log}:e:EID)
 * and keeps those that pass every filter; the filters are checked on the
 * event itself, so an index that names an event of another sender or an
 * event that expired (empty) is skipped.  It stops at --limit events
 * (default 50) or after LOG_EXAMINE_MAX index entries (a warning says
 * to narrow the search).  No SCAN, no KEYS.
 *
 * Addresses are compared in their suppression form (mailaddr_norm, then
 * schema_sup_addr), the form of the P{log}:r: and P{log}:f: indexes.
 *
 * ctl_log_search (ctl.h) is the search without the output, for
 * outpost-web: each event that passes goes to a callback.
 *
 * Output: one block per event (the receiver's reply is often long), or
 * with --json an array of objects, one per event, every field of the
 * schema (absent: null; t in ms and time ISO 8601; code and delay
 * numbers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "mailaddr.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"

#define LOG_LIMIT_DEFAULT	50
#define LOG_LIMIT_MAX		100000
#define LOG_EXAMINE_MAX		200000	/* index entries read at most */
#define LOG_PAGE_FILTERED	500

static const char *const statuses[] = {
	"delivered", "deferred", "bounced", "expired", "refused", NULL
};

/* Every field of an event, in the order --json writes them. */
static const char *const fields[] = {
	"host", "qid", "who", "client", "from", "rcpt", "orig_to", "status",
	"dsn", "code", "reply", "relay", "relay_ip", "delay", "category",
	"class", "rule", "msgid", "notice", NULL
};

struct lq {
	const char	*who, *qid, *status;
	char		 rcpt[MAILADDR_MAX + 1], from[MAILADDR_MAX + 1];
	long long	 min, max;		/* ms; -1: open */
	long		 limit;
	char		 key[SCHEMA_KEY_MAX];	/* the index read */
	int		 extra;			/* filters beyond the index's */
};

/* The value of field name in an HGETALL reply, or NULL. */
static const char *
hval(const redisReply *h, const char *name, size_t *len)
{
	size_t	 i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0) {
			if (len != NULL)
				*len = h->element[i + 1]->len;
			return h->element[i + 1]->str;
		}
	return NULL;
}

/* An address compared as the indexes hold it; -1 when it is none. */
static int
sup_form(struct ctl *ctl, const char *in, char *out, size_t len)
{
	char	 err[256];

	if (mailaddr_norm(in, out, len, err, sizeof(err)) < 0)
		return -1;
	schema_sup_addr(&ctl->conf, out);
	return 0;
}

static int
addr_match(struct ctl *ctl, const char *want, const char *have)
{
	char	 a[MAILADDR_MAX + 1];

	if (have == NULL)
		return 0;
	if (sup_form(ctl, have, a, sizeof(a)) < 0)
		return strcmp(want, have) == 0;
	return strcmp(want, a) == 0;
}

static int
str_match(const char *want, const char *have)
{
	return have != NULL && strcmp(want, have) == 0;
}

static int
passes(struct ctl *ctl, const struct lq *q, const redisReply *h)
{
	const char	*t = hval(h, "t", NULL);
	long long	 ms;

	if (h->type != REDIS_REPLY_ARRAY || h->elements == 0 || t == NULL)
		return 0;			/* expired before its index */
	ms = strtoll(t, NULL, 10);
	if ((q->min >= 0 && ms < q->min) || (q->max >= 0 && ms > q->max))
		return 0;
	if ((q->who && !str_match(q->who, hval(h, "who", NULL))) ||
	    (q->qid && !str_match(q->qid, hval(h, "qid", NULL))) ||
	    (q->status && !str_match(q->status, hval(h, "status", NULL))) ||
	    (q->rcpt[0] && !addr_match(ctl, q->rcpt, hval(h, "rcpt", NULL))) ||
	    (q->from[0] && !addr_match(ctl, q->from, hval(h, "from", NULL))))
		return 0;
	return 1;
}

/* Bytes for a terminal: control characters become '?'. */
static void
pr(const char *s)
{
	if (s == NULL || *s == '\0') {
		fputc('-', stdout);
		return;
	}
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, stdout);
}

static void
print_text(const char *eid, const redisReply *h)
{
	char		 when[SUPCSV_TIME_MAX];
	const char	*orig = hval(h, "orig_to", NULL), *cls;

	supcsv_format_time(strtoll(hval(h, "t", NULL), NULL, 10) / 1000,
	    when, sizeof(when));
	printf("%s  ", when);
	pr(hval(h, "status", NULL));
	fputs("  ", stdout);
	pr(hval(h, "category", NULL));
	if ((cls = hval(h, "class", NULL)) != NULL && *cls != '\0') {
		fputc('/', stdout);
		pr(cls);
	}
	printf("  #%s\n  user   ", eid);
	pr(hval(h, "who", NULL));
	fputs("  from <", stdout);
	pr(hval(h, "from", NULL));
	fputs(">  to <", stdout);
	pr(hval(h, "rcpt", NULL));
	fputc('>', stdout);
	if (orig != NULL && *orig != '\0') {
		fputs(" (orig_to <", stdout);
		pr(orig);
		fputs(">)", stdout);
	}
	fputs("\n  queue  ", stdout);
	pr(hval(h, "qid", NULL));
	if ((cls = hval(h, "notice", NULL)) != NULL && *cls != '\0') {
		fputs(" (notice ", stdout);
		pr(cls);
		fputc(')', stdout);
	}
	fputs(" on ", stdout);
	pr(hval(h, "host", NULL));
	fputs("  client ", stdout);
	pr(hval(h, "client", NULL));
	fputs("\n  relay  ", stdout);
	pr(hval(h, "relay", NULL));
	fputs(" [", stdout);
	pr(hval(h, "relay_ip", NULL));
	fputs("]  delay ", stdout);
	pr(hval(h, "delay", NULL));
	fputs("s  dsn ", stdout);
	pr(hval(h, "dsn", NULL));
	fputs("\n  reply  ", stdout);
	pr(hval(h, "reply", NULL));
	fputs("\n\n", stdout);
}

static void
print_json(struct json *j, const char *eid, const redisReply *h)
{
	char		 when[SUPCSV_TIME_MAX];
	const char	*v;
	long long	 ms = strtoll(hval(h, "t", NULL), NULL, 10);
	size_t		 i, len;

	json_obj_begin(j);
	json_kv_str(j, "id", eid);
	json_kv_int(j, "t", ms);
	json_kv_str(j, "time", supcsv_format_time(ms / 1000, when,
	    sizeof(when)));
	for (i = 0; fields[i] != NULL; i++) {
		json_key(j, fields[i]);
		if ((v = hval(h, fields[i], &len)) == NULL)
			json_null(j);
		else if (strcmp(fields[i], "code") == 0)
			json_int(j, strtoll(v, NULL, 10));
		else if (strcmp(fields[i], "delay") == 0)
			json_double(j, strtod(v, NULL));
		else
			json_strn(j, v, len);
	}
	json_obj_end(j);
}

/* "(MS" / "MS" / "+inf" as ZREVRANGEBYSCORE wants them. */
static void
score(long long ms, const char *open, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "%s", open);
	else
		snprintf(buf, len, "%lld", ms);
}

/*
 * Read one page of the index at offset, its events pipelined, print the
 * ones that pass.  Returns the index entries read (0: the end), or -1 on
 * a Redis error.
 */
static long
page(struct ctl *ctl, struct lq *q, ctl_log_fn *fn, void *arg, long off,
    long n, long *shown)
{
	struct redis	*r = ctl->r;
	redisReply	*ids, *h;
	char		 max[32], min[32], key[SCHEMA_KEY_MAX];
	size_t		 i;
	long		 got;

	score(q->max, "+inf", max, sizeof(max));
	score(q->min, "-inf", min, sizeof(min));
	if ((ids = redis_command(r, "ZREVRANGEBYSCORE %s %s %s LIMIT %ld %ld",
	    q->key, max, min, off, n)) == NULL)
		return -1;
	for (i = 0; i < ids->elements; i++) {
		ctl_log_key(ctl, "e", ids->element[i]->str, key);
		redis_append(r, "HGETALL %s", key);
	}
	for (i = 0; i < ids->elements; i++) {
		if ((h = redis_get_reply(r)) == NULL) {
			freeReplyObject(ids);
			return -1;
		}
		if (*shown < q->limit && passes(ctl, q, h)) {
			(*shown)++;
			fn(arg, ids->element[i]->str, h);
		}
		freeReplyObject(h);
	}
	got = (long)ids->elements;
	freeReplyObject(ids);
	return got;
}

/* The index with the fewest entries in the period; 0 or -1 (Redis). */
static int
pick_index(struct ctl *ctl, struct lq *q)
{
	struct redis	*r = ctl->r;
	const char	*kind[4] = { "q", "r", "f", "u" };
	const char	*name[4] = { q->qid, q->rcpt, q->from, q->who };
	char		 keys[4][SCHEMA_KEY_MAX], max[32], min[32];
	long long	 best = -1;
	redisReply	*rep;
	int		 i, n = 0, asked[4];

	score(q->max, "+inf", max, sizeof(max));
	score(q->min, "-inf", min, sizeof(min));
	for (i = 0; i < 4; i++) {
		asked[i] = name[i] != NULL && *name[i] != '\0';
		if (asked[i] && ctl_log_key(ctl, kind[i], name[i], keys[i]) < 0)
			return -1;
		if (asked[i] && redis_append(r, "ZCOUNT %s %s %s", keys[i], min,
		    max) == 0)
			n++;
	}
	ctl_log_key(ctl, "all", "", q->key);
	q->extra = n > 1 || q->status != NULL;
	for (i = 0; i < 4; i++) {
		if (!asked[i])
			continue;
		if ((rep = redis_get_reply(r)) == NULL)
			return -1;
		if (best < 0 || rep->integer < best) {
			best = rep->integer;
			memcpy(q->key, keys[i], sizeof(q->key));
		}
		freeReplyObject(rep);
	}
	return 0;
}

/* The options into q; 0, or the usage error (printed). */
static int
parse(struct ctl *ctl, struct ctl_opts *o, long long now, struct lq *q)
{
	int	 i;

	memset(q, 0, sizeof(*q));
	q->who = o->user, q->qid = o->qid, q->status = o->status;
	q->min = q->max = -1;
	q->limit = LOG_LIMIT_DEFAULT;
	if (o->rcpt && sup_form(ctl, o->rcpt, q->rcpt, sizeof(q->rcpt)) < 0)
		return ctl_bad_usage("--rcpt %s: not an address", o->rcpt);
	if (o->from && sup_form(ctl, o->from, q->from, sizeof(q->from)) < 0)
		return ctl_bad_usage("--from %s: not an address", o->from);
	if (o->qid && (*o->qid == '\0' || strlen(o->qid) > 64))
		return ctl_bad_usage("--queue-id: 1 to 64 characters");
	for (i = 0; o->status && statuses[i] != NULL; i++)
		if (strcmp(o->status, statuses[i]) == 0)
			break;
	if (o->status && statuses[i] == NULL)
		return ctl_bad_usage("--status %s: expected delivered, "
		    "deferred, bounced, expired or refused", o->status);
	if (o->since && ctl_when(o->since, now, &q->min) < 0)
		return ctl_bad_usage("--since %s: expected a duration (2h, 7d) "
		    "or an ISO 8601 UTC time (2026-12-01T10:00:00Z)", o->since);
	if (o->until && ctl_when(o->until, now, &q->max) < 0)
		return ctl_bad_usage("--until %s: expected a duration (2h, 7d) "
		    "or an ISO 8601 UTC time (2026-12-01T10:00:00Z)", o->until);
	if (o->limit && ctl_count(o->limit, LOG_LIMIT_MAX, &q->limit) < 0)
		return ctl_bad_usage("--limit %s: expected 1 to %d", o->limit,
		    LOG_LIMIT_MAX);
	if (q->min >= 0 && q->max >= 0 && q->min > q->max)
		return ctl_bad_usage("--since is after --until");
	return 0;
}

/* The callbacks of log_show: text, or JSON into the writer arg. */
static void
show_text(void *arg, const char *eid, const redisReply *h)
{
	(void)arg;
	print_text(eid, h);
}

static void
show_json(void *arg, const char *eid, const redisReply *h)
{
	print_json(arg, eid, h);
}

int
ctl_log_search(struct ctl *ctl, struct ctl_opts *o, ctl_log_fn *fn,
    void *arg, long *found)
{
	struct lq	 q;
	long long	 now;
	long		 off = 0, got, n;
	int		 rc;

	*found = 0;
	if ((rc = ctl_now_ms(ctl, ctl->r, &now)) != EXIT_OK)
		return rc;
	if ((rc = parse(ctl, o, now, &q)) != 0)
		return rc;
	if (pick_index(ctl, &q) < 0)
		return ctl_redis_failed(ctl, ctl->r, "log");
	while (*found < q.limit && off < LOG_EXAMINE_MAX) {
		n = q.extra ? LOG_PAGE_FILTERED : q.limit - *found;
		if ((got = page(ctl, &q, fn, arg, off, n, found)) < 0)
			return ctl_redis_failed(ctl, ctl->r, "log");
		if (got < n)
			break;
		off += got;
	}
	if (off >= LOG_EXAMINE_MAX)
		ctl_warn("stopped after %d log entries of %s: narrow the "
		    "search (--since, --until)", LOG_EXAMINE_MAX, q.key);
	return EXIT_OK;
}

int
log_show(struct ctl *ctl, struct ctl_opts *o)
{
	struct json	*j = NULL;
	long		 shown;
	int		 rc;

	if (ctl->json) {
		j = ctl_json_open(ctl);
		json_arr_begin(j);
	}
	rc = ctl_log_search(ctl, o, j != NULL ? show_json : show_text, j,
	    &shown);
	if (rc != EXIT_OK) {
		json_free(j);
		return rc;
	}
	if (j == NULL) {
		if (shown == 0)
			printf("no events\n");
		return EXIT_OK;
	}
	json_arr_end(j);
	return ctl_json_close(ctl, j);
}
