/*
 * join -- the lines of one message joined by (MTA host, queue ID):
 * smtpd client= (who: the SASL user, else "[IP]"), pickup uid= (who
 * "[uid:N]": sendmail(1) on the MTA host), cleanup message-id=, qmgr
 * from=/size=/nrcpt=, then one delivery event per recipient attempt
 * (lib/dlog), status=expired for the recipients still pending, "removed"
 * forgets the message.  A bounce notice to the sender ("QID: sender
 * non-delivery notification: NEWQID") takes its original's who; its
 * deliveries are events filed under the original's queue ID with
 * category "notice" (counted nowhere, never suppressing).  Lines of
 * messages we never saw enter (before our start) are counted as
 * unattributed and skipped.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "conf.h"
#include "dlog.h"
#include "feedback.h"
#include "log.h"
#include "ometrics.h"
#include "mailaddr.h"
#include "pflog.h"
#include "redis.h"
#include "schema.h"

/* The suppression form of addr into buf; "" when it is no address. */
static void
sup_form(struct fb *fb, const char *addr, char *buf, size_t len)
{
	char	 err[128];

	if (addr == NULL || *addr == '\0' ||
	    mailaddr_norm(addr, buf, len, err, sizeof(err)) < 0) {
		buf[0] = '\0';
		return;
	}
	schema_sup_addr(fb->conf, buf);
}

static long long
rec_ms(const struct pflog_rec *rec)
{
	if (rec->time < 0)
		return 0;
	return rec->time * 1000 + (rec->usec > 0 ? rec->usec / 1000 : 0);
}

static int
on_client(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*m;

	if (jcache_get(fb, rec->host, rec->qid, 2, &m) < 0)
		return -1;
	snprintf(m->client, sizeof(m->client), "%s",
	    rec->client_addr ? rec->client_addr : "");
	if (rec->sasl_username != NULL && *rec->sasl_username != '\0')
		snprintf(m->who, sizeof(m->who), "%s", rec->sasl_username);
	else
		snprintf(m->who, sizeof(m->who), "[%s]", m->client);
	if (!schema_who_valid(m->who))
		m->who[0] = '\0';
	m->t = rec_ms(rec);
	return jmsg_save(fb, m);
}

/*
 * pickup "QID: uid=N from=<...>": submitted on the MTA host, "[uid:N]";
 * one requeued by postsuper -r (orig_id=) keeps its original's sender.
 */
static int
on_pickup(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*m, *o = NULL;

	if (rec->orig_id != NULL && jcache_get(fb, rec->host, rec->orig_id, 0,
	    &o) < 0)
		return -1;
	if (jcache_get(fb, rec->host, rec->qid, 2, &m) < 0)
		return -1;
	if (o != NULL && o->who[0] != '\0' && o->notice[0] == '\0') {
		snprintf(m->who, sizeof(m->who), "%s", o->who);
		snprintf(m->client, sizeof(m->client), "%s", o->client);
	} else
		snprintf(m->who, sizeof(m->who), "[uid:%ld]", rec->uid);
	if (!schema_who_valid(m->who))
		m->who[0] = '\0';
	m->t = rec_ms(rec);
	return jmsg_save(fb, m);
}

/*
 * The message a Message-ID names, for complaint attribution: a field of
 * the hash of its day, P{log}:m:D (lib/schema.h) -- one key a day, not
 * one per message (a key and its expiry per message cost Redis as much
 * as the delivery event itself).
 */
static int
write_msgid(struct fb *fb, const struct jmsg *m)
{
	char		 key[SCHEMA_KEY_MAX], day[24], ttl[24], val[1024];
	const char	*av[4] = { "HSET", key, m->msgid, val };
	const char	*ex[3] = { "PEXPIRE", key, ttl };
	const char	*p;
	long long	 d = m->t / 86400000;
	int		 n;

	if (m->msgid[0] == '\0' || m->who[0] == '\0' || m->notice[0] != '\0')
		return 0;
	for (p = m->msgid; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	snprintf(day, sizeof(day), "%lld", d);
	n = snprintf(val, sizeof(val), "%lld\n%s\n%s\n%s\n%s", m->t,
	    m->host, m->qid, m->who, m->from);
	if (n < 0 || (size_t)n >= sizeof(val) ||
	    schema_key_log(fb->conf, SCHEMA_LOG_MSGID, day, key,
	    sizeof(key)) < 0)
		return 0;
	if (batch_cmdv(fb, FBQ_NONE, NULL, 4, av, NULL) < 0)
		return -1;
	if (fb->b.mday == d)
		return 0;
	fb->b.mday = d;
	snprintf(ttl, sizeof(ttl), "%lld",
	    (long long)fb->conf->log_retention + 86400000LL);
	return batch_cmdv(fb, FBQ_NONE, NULL, 3, ex, NULL);
}

static int
on_msgid(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*m;

	if (rec->resent || jcache_get(fb, rec->host, rec->qid, 1, &m) < 0)
		return rec->resent ? 0 : -1;
	snprintf(m->msgid, sizeof(m->msgid), "%s", rec->message_id);
	if (jmsg_save(fb, m) < 0)
		return -1;
	return write_msgid(fb, m);
}

static int
on_queued(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*m;

	if (jcache_get(fb, rec->host, rec->qid, 1, &m) < 0)
		return -1;
	sup_form(fb, rec->from, m->from, sizeof(m->from));
	m->size = rec->size;
	m->nrcpt = rec->nrcpt;
	if (m->t == 0)
		m->t = rec_ms(rec);
	if (jmsg_save(fb, m) < 0)
		return -1;
	return write_msgid(fb, m);
}

/* One event of recipient rcpt (as logged) of m; status our word. */
static int
event(struct fb *fb, const struct pflog_rec *rec, struct jmsg *m,
    const char *rcpt, const char *status, const char *pfstatus)
{
	struct dlog_event	 ev;
	struct bounce_verdict	 v;
	char			 to[FB_ADDR_MAX], orig[FB_ADDR_MAX], rule[300];
	char			 delay[32], err[512];
	const char		*text = rec->reply ? rec->reply : rec->text;

	memset(&ev, 0, sizeof(ev));
	sup_form(fb, rcpt, to, sizeof(to));
	sup_form(fb, rec->orig_to, orig, sizeof(orig));
	bounce_classify(fb->rules, pfstatus, rec->dsn, rec->code,
	    rec->stage ? pflog_stage_name(rec->stage) : NULL, text, &v);
	ev.t = rec_ms(rec);
	ev.host = m->host, ev.qid = m->qid, ev.who = m->who;
	if (m->notice[0] != '\0')	/* a notice: under the original */
		ev.qid = m->notice, ev.notice = m->qid;
	ev.client = m->client, ev.from = m->from, ev.msgid = m->msgid;
	ev.rcpt = to[0] ? to : NULL;
	ev.orig_to = orig[0] ? orig : NULL;
	ev.status = status, ev.dsn = rec->dsn, ev.code = rec->code;
	ev.reply = text;
	ev.relay = rec->relay, ev.relay_ip = rec->relay_addr;
	if (rec->delay >= 0) {
		snprintf(delay, sizeof(delay), "%.2f", rec->delay);
		ev.delay = delay;
	}
	ev.category = bounce_category_name(v.category);
	ev.class = v.class;
	if (ev.notice != NULL)
		ev.category = "notice", ev.class = m->nkind;
	if (v.file != NULL) {
		snprintf(rule, sizeof(rule), "%s:%d", v.file, v.line);
		ev.rule = rule;
	}
	switch (batch_event(fb, &ev, err, sizeof(err))) {
	case 1:
		log_warn("%s: %s", m->qid, err);
		return 0;
	case -1:
		return -1;
	}
	fb->events++;
	prom_inc(om.deliveries, ev.category, NULL);
	log_debug("%s: to=<%s> status=%s category=%s class=%s", m->qid,
	    ev.rcpt ? ev.rcpt : "", status, ev.category, ev.class);
	if (strcmp(status, "bounced") == 0 && v.category == BOUNCE_HARD &&
	    ev.rcpt != NULL && m->who[0] != '[' && ev.notice == NULL) {
		if (fx_suppress(fb, m->who, ev.rcpt, SUP_HARD_BOUNCE, err,
		    sizeof(err)) < 0)
			return -1;
		batch_check(fb, m->who, ev.t);
		return 0;
	}
	return 0;
}

static const char *
our_status(enum pflog_status st)
{
	switch (st) {
	case PFLOG_ST_SENT:	return "delivered";
	case PFLOG_ST_DEFERRED:	return "deferred";
	case PFLOG_ST_BOUNCED:	return "bounced";
	case PFLOG_ST_EXPIRED:	return "expired";
	case PFLOG_ST_SOFTBOUNCE: return "deferred";
	default:		return NULL;
	}
}

/* The entry of a message we can attribute, or NULL (counted). */
static int
known(struct fb *fb, const struct pflog_rec *rec, struct jmsg **m)
{
	if (jcache_get(fb, rec->host, rec->qid, 0, m) < 0)
		return -1;
	if (*m == NULL || (*m)->who[0] == '\0') {
		*m = NULL;
		fb->unattributed++;
	}
	return 0;
}

static int
on_delivery(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*m;
	const char	*st = our_status(rec->st);

	if (st == NULL || rec->to == NULL)
		return 0;
	if (known(fb, rec, &m) < 0)
		return -1;
	if (m == NULL)
		return 0;
	if (rec->st == PFLOG_ST_SOFTBOUNCE && !fb->softbounce_seen) {
		fb->softbounce_seen = 1;
		log_warn("%s: the log shows soft_bounce = yes (status="
		    "SOFTBOUNCE): bounces stay queued as deferrals, nothing "
		    "is suppressed", rec->qid);
	}
	if (event(fb, rec, m, rec->to, st, rec->st == PFLOG_ST_SOFTBOUNCE ?
	    "deferred" : rec->status) < 0)
		return -1;
	if (rec->st == PFLOG_ST_DEFERRED || rec->st == PFLOG_ST_SOFTBOUNCE)
		jmsg_pending_add(m, rec->to);
	else if (!jmsg_pending_del(m, rec->to))
		return 0;
	return jmsg_save(fb, m);
}

static int
on_expired(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*m;
	char		*p, *nl;

	if (known(fb, rec, &m) < 0)
		return -1;
	if (m == NULL || m->pending == NULL)
		return 0;
	for (p = m->pending; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (event(fb, rec, m, p, "expired", "expired") < 0)
			return -1;	/* the line is retried: all again */
	}
	m->pending[0] = '\0';
	return jmsg_save(fb, m);
}

/*
 * "QID: sender non-delivery notification: NEWQID" (delay, delivery
 * status): NEWQID is a notice to QID's sender, on behalf of QID's who.
 * Notices to the postmaster are not the sender's: left unattributed.
 */
static int
on_notify(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*o, *n;
	char		 key[SCHEMA_KEY_MAX], ttl[24], *p;
	const char	*av[5] = { "SET", key, rec->qid, "EX", ttl };

	if (rec->new_qid == NULL || rec->notify_to == NULL ||
	    strcmp(rec->notify_to, "sender") != 0 ||
	    schema_key_fb(fb->conf, SCHEMA_FB_BOUNCE, rec->host, rec->new_qid,
	    key, sizeof(key)) < 0)
		return 0;
	if (known(fb, rec, &o) < 0)
		return -1;
	if (o == NULL || o->notice[0] != '\0')
		return 0;
	if (jcache_get(fb, rec->host, rec->new_qid, 1, &n) < 0)
		return -1;		/* reads first: nothing appended yet */
	snprintf(ttl, sizeof(ttl), "%d", SCHEMA_JOIN_TTL);
	if (batch_cmdv(fb, FBQ_NONE, NULL, 5, av, NULL) < 0)
		return -1;
	snprintf(n->notice, sizeof(n->notice), "%s", o->qid);
	snprintf(n->nkind, sizeof(n->nkind), "%s", rec->notify ?
	    rec->notify : "");
	for (p = n->nkind; *p != '\0'; p++)
		if (*p == ' ')
			*p = '-';	/* "delivery status" */
	snprintf(n->who, sizeof(n->who), "%s", o->who);
	snprintf(n->client, sizeof(n->client), "%s", o->client);
	if (n->t == 0)
		n->t = rec_ms(rec);
	return jmsg_save(fb, n);
}

static int
on_removed(struct fb *fb, const struct pflog_rec *rec)
{
	struct jmsg	*m;

	if (jcache_get(fb, rec->host, rec->qid, 0, &m) < 0)
		return -1;
	return m != NULL ? jcache_drop(fb, m) : 0;
}

int
join_line(struct fb *fb, const struct pflog_rec *rec)
{
	if (rec->qid == NULL || rec->noqueue || rec->host == NULL)
		return 0;
	switch (rec->kind) {
	case PFLOG_CLIENT:	return on_client(fb, rec);
	case PFLOG_PICKUP:	return on_pickup(fb, rec);
	case PFLOG_MESSAGE_ID:	return on_msgid(fb, rec);
	case PFLOG_QUEUED:	return on_queued(fb, rec);
	case PFLOG_DELIVERY:	return on_delivery(fb, rec);
	case PFLOG_EXPIRED:	return on_expired(fb, rec);
	case PFLOG_NOTIFY:	return on_notify(fb, rec);
	case PFLOG_REMOVED:	return on_removed(fb, rec);
	default:		return 0;
	}
}

/*
 * The year and UTC offset that classic syslog stamps ("Dec 31 23:59:59")
 * lack: taken from the clock again when a second has passed, so a
 * follower running across New Year (or a change of daylight saving time)
 * dates the next lines right.
 */
static void
clock_now(struct fb *fb)
{
	static time_t	 last;
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (now == last)
		return;
	last = now;
	localtime_r(&now, &tm);
	fb->year = tm.tm_year + 1900;
	fb->tzoff = tm.tm_gmtoff;
}

/*
 * Parse with the current year; a classic stamp that lands more than a
 * day in the future is last year's (December's lines read in January).
 */
static int
parse(struct fb *fb, struct pflog_rec *rec, const char *line, size_t len)
{
	int	 kind;

	clock_now(fb);
	kind = pflog_parse(rec, line, len, fb->year, fb->tzoff);
	if (rec->time > (long long)time(NULL) + 86400)
		kind = pflog_parse(rec, line, len, fb->year - 1, fb->tzoff);
	return kind;
}

/* One line of text: parse (the record is big: static), join. */
int
join_text(struct fb *fb, const char *line, size_t len)
{
	static struct pflog_rec	 rec;

	fb->lines++;
	if (parse(fb, &rec, line, len) == PFLOG_UNKNOWN) {
		fb->unknown++;
		if (log_enabled(LOG_DEBUG))
			log_debug("line not placed: %.*s", (int)(len > 200 ?
			    200 : len), line);
		return 0;
	}
	return join_line(fb, &rec);
}
