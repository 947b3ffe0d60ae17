/*
 * batch -- the follower's Redis writes, pipelined and applied as one
 * transaction.  Every write of a run of lines (delivery events through
 * dlog's script, suppressions, the pause check, the join state, Plog:m,
 * Pfb:b) is appended to the connection's output buffer between MULTI and
 * EXEC, nothing is read back until the batch is committed, and the
 * commit appends the follower's position (Pfb:pos) as the last command
 * before EXEC.  Redis runs EXEC's commands as one unit, so after a crash
 * Redis holds either the whole batch with the position after its last
 * line, or none of it with the position before its first: no line is
 * counted twice and none is skipped.  The scripts a batch uses are loaded
 * (SCRIPT LOAD) inside the same MULTI before their first EVALSHA, so a
 * Redis restarted (its script cache empty) can never fail half a batch
 * with NOSCRIPT.
 *
 * A batch's replies are read at its commit (batch_commit), or, when the
 * follower has more lines at hand (batch_send), only when the next batch
 * is sent: Redis runs one batch while the next one is parsed.  They are
 * MULTI's +OK, one QUEUED per command, then EXEC's array, whose entries
 * go to the handler of their kind (log lines of suppressions and pauses,
 * a script error of one event).  Reads never wait behind a batch: they use fb->rr, a second
 * connection; a read of a join-state key the open batch writes (an
 * evicted or dropped entry, batch_pend) commits the batch first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "dlog.h"
#include "feedback.h"
#include "log.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

struct bscript {
	const char	*lua;
	char		 sha[41];
	int		 loaded;	/* in this batch */
};

static struct bscript	 scripts[8];

static struct bscript *
script(const char *lua)
{
	size_t	 i;

	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		if (scripts[i].lua == lua)
			return &scripts[i];
		if (scripts[i].lua == NULL) {
			scripts[i].lua = lua;
			redis_script_sha(lua, scripts[i].sha);
			return &scripts[i];
		}
	}
	fatal("batch: too many scripts");
	return NULL;
}

static void
queue(struct fbbatch *b, int kind, const char *note)
{
	size_t	 n = note ? strlen(note) + 1 : 0;

	if (b->nq == b->qcap) {
		b->qcap = b->qcap ? b->qcap * 2 : 1024;
		b->q = xrealloc(b->q, b->qcap * sizeof(*b->q));
	}
	b->q[b->nq].kind = kind;
	b->q[b->nq].note = (size_t)-1;
	if (n > 0) {
		if (b->nlen + n > b->ncap) {
			b->ncap = (b->nlen + n) * 2 + 4096;
			b->notes = xrealloc(b->notes, b->ncap);
		}
		memcpy(b->notes + b->nlen, note, n);
		b->q[b->nq].note = b->nlen;
		b->nlen += n;
	}
	b->nq++;
}

static int
open_batch(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;
	size_t		 i;

	if (b->open)
		return 0;
	if (redis_append(fb->r, "MULTI") < 0)
		return -1;
	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		scripts[i].loaded = 0;
	b->open = 1;
	b->nq = b->nlen = b->events = b->npend = 0;
	b->overflow = 0;
	b->mday = -1;
	return 0;
}

int
batch_cmdv(struct fb *fb, int kind, const char *note, int argc,
    const char **argv, const size_t *argvlen)
{
	if (open_batch(fb) < 0 ||
	    redis_appendv(fb->r, argc, argv, argvlen) < 0)
		return -1;
	queue(&fb->b, kind, note);
	return 0;
}

int
batch_eval(struct fb *fb, const char *lua, int kind, const char *note,
    int nkeys, int argc, const char **argv, const size_t *argvlen)
{
	struct bscript	*s = script(lua);
	const char	**av;
	size_t		*al;
	char		 nk[16];
	int		 i, rc;

	if (open_batch(fb) < 0)
		return -1;
	if (!s->loaded) {
		if (redis_append(fb->r, "SCRIPT LOAD %s", lua) < 0)
			return -1;
		queue(&fb->b, FBQ_NONE, NULL);
		s->loaded = 1;
	}
	av = xcalloc((size_t)argc + 3, sizeof(*av));
	al = xcalloc((size_t)argc + 3, sizeof(*al));
	snprintf(nk, sizeof(nk), "%d", nkeys);
	av[0] = "EVALSHA", al[0] = 7;
	av[1] = s->sha, al[1] = 40;
	av[2] = nk, al[2] = strlen(nk);
	for (i = 0; i < argc; i++) {
		av[3 + i] = argv[i];
		al[3 + i] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	}
	rc = batch_cmdv(fb, kind, note, argc + 3, av, al);
	free(av);
	free(al);
	return rc;
}

static void	 ev_note(struct fbbatch *, const struct dlog_event *);
static int	 marked(struct fb *);
static void	 unmarked(struct fb *);

/* One delivery event, queued in the batch's dlog batch. */
int
batch_event(struct fb *fb, const struct dlog_event *ev, char *err,
    size_t errlen)
{
	if (open_batch(fb) < 0)
		return -1;
	if (fb->b.dl == NULL && (fb->b.dl = dlog_batch_new()) == NULL)
		fatal("out of memory");
	if (dlog_batch_add(fb->b.dl, fb->conf, ev, err, errlen) < 0)
		return 1;
	fb->b.events++;
	ev_note(&fb->b, ev);
	return 0;
}

/* What ev adds to its user's rt:H hour (for the checks' corrections). */
static void
ev_note(struct fbbatch *b, const struct dlog_event *ev)
{
	const char	*st[DLOG_FIG_MAX], *rt[DLOG_FIG_MAX];
	static const char *names[4] = { "attempts", "hard", "delivered",
	    DLOG_COMPLAINT };
	struct fbev	*e;
	int		 nst, nrt, i, j;

	if (b->nev == b->capev) {
		b->capev = b->capev ? b->capev * 2 : 512;
		b->ev = xrealloc(b->ev, b->capev * sizeof(*b->ev));
	}
	e = &b->ev[b->nev++];
	memset(e, 0, sizeof(*e));
	snprintf(e->who, sizeof(e->who), "%s", ev->who);
	e->hour = ev->t / 3600000;
	dlog_figures(ev->status, ev->category, st, &nst, rt, &nrt);
	for (i = 0; i < nrt; i++)
		for (j = 0; j < 4; j++)
			if (strcmp(rt[i], names[j]) == 0)
				e->rt[j]++;
}

void
batch_check(struct fb *fb, const char *who, long long t)
{
	struct fbbatch	*b = &fb->b;
	struct fbchk	*c;

	if (b->nchk == b->capchk) {
		b->capchk = b->capchk ? b->capchk * 2 : 64;
		b->chk = xrealloc(b->chk, b->capchk * sizeof(*b->chk));
	}
	c = &b->chk[b->nchk++];
	snprintf(c->who, sizeof(c->who), "%s", who);
	c->t = t;
	c->after = b->nev;
}

/* The later events of who in the window of check c: into less[4]. */
static void
later(const struct fb *fb, const struct fbchk *c, long long *less)
{
	const struct fbbatch *b = &fb->b;
	long long	 h = c->t / 3600000, back = fb->conf->bounce_window /
	    3600000;
	size_t		 j;
	int		 k;

	memset(less, 0, 4 * sizeof(*less));
	for (j = c->after; j < b->nev; j++) {
		if (b->ev[j].hour > h || b->ev[j].hour < h - back ||
		    strcmp(b->ev[j].who, c->who) != 0)
			continue;
		for (k = 0; k < 4; k++)
			less[k] += b->ev[j].rt[k];
	}
}

/*
 * The queued checks, one script per user (its points in order), each
 * point told what the later events add; 0 / -1.
 */
static int
checks_flush(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;
	long long	*hours, *less;
	size_t		 i, j, n;
	int		 rc = 0;

	hours = xcalloc(b->nchk + 1, sizeof(*hours));
	less = xcalloc(4 * (b->nchk + 1), sizeof(*less));
	for (i = 0; i < b->nchk; i++)
		b->chk[i].done = 0;
	for (i = 0; i < b->nchk && rc == 0; i++) {
		if (b->chk[i].done)
			continue;
		for (n = 0, j = i; j < b->nchk; j++) {
			if (b->chk[j].done ||
			    strcmp(b->chk[j].who, b->chk[i].who) != 0)
				continue;
			b->chk[j].done = 1;
			hours[n] = b->chk[j].t / 3600000;
			later(fb, &b->chk[j], less + 4 * n++);
		}
		rc = fx_check_rates(fb, b->chk[i].who, n, hours, less);
	}
	free(hours);
	free(less);
	b->nchk = b->nev = 0;
	return rc;
}

/* The queued events as one dlog_batch_script run; 0 / -1. */
int
batch_events_flush(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;
	const char	**av;
	const size_t	*al;
	char		 note[32];
	int		 nk, ac;

	if (b->dl == NULL || dlog_batch_events(b->dl) == 0)
		return 0;
	if (!dlog_mark_in_script(fb->conf) && !marked(fb)) {
		dlog_batch_clear(b->dl);
		unmarked(fb);
		return 0;
	}
	if (dlog_batch_cmd(b->dl, fb->conf, &nk, &ac, &av, &al) < 0)
		fatal("delivery log batch: out of memory or a key too long");
	snprintf(note, sizeof(note), "%zu delivery events",
	    dlog_batch_events(b->dl));
	dlog_batch_clear(b->dl);
	return batch_eval(fb, dlog_batch_script, FBQ_EVENT, note, nk, ac, av,
	    al);
}

/*
 * An event refused by dlog's script: the Redis lost its schema marker
 * (emptied, restarted without persistence).  Such events are not
 * recorded; said once a minute, not per event.
 */
static void
unmarked(struct fb *fb)
{
	static time_t	 last;
	time_t		 now = time(NULL);

	(void)fb;
	if (now - last < 60)
		return;
	last = now;
	log_err("redis: the schema marker is missing (Redis emptied?): "
	    "delivery events are not recorded until outpostctl init");
}

/*
 * On a Cluster the marker (another slot) is not a key of the events
 * script: a GET of its own on fb->rr, at most once a second, says
 * whether the batch's events are written (lib/schema.h THE MARKER).
 */
static int
marked(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;
	char		 k[SCHEMA_KEY_MAX];
	redisReply	*rep;
	long long	 now = (long long)time(NULL);

	if (b->mark_t == now)
		return b->mark_ok;
	if (schema_key_global(fb->conf, SCHEMA_MARK, k, sizeof(k)) < 0)
		return 0;
	if ((rep = redis_command(fb->rr, "GET %s", k)) == NULL)
		return b->mark_ok;	/* the batch itself will fail */
	b->mark_ok = rep->type == REDIS_REPLY_STRING;
	b->mark_t = now;
	freeReplyObject(rep);
	return b->mark_ok;
}

void
batch_pre(struct fb *fb, const char *lua, int kind, const char *note,
    int nkeys, int argc, const char **argv, const size_t *argvlen)
{
	struct fbbatch	*b = &fb->b;
	struct fbpre	*p;
	char		 nk[16];
	int		 i;

	if (b->npre == b->cappre) {
		b->cappre = b->cappre ? b->cappre * 2 : 16;
		b->pre = xrealloc(b->pre, b->cappre * sizeof(*b->pre));
	}
	p = &b->pre[b->npre++];
	p->kind = kind;
	p->note = xstrdup(note != NULL ? note : "");
	p->argc = argc + 3;
	p->argv = xcalloc((size_t)p->argc, sizeof(*p->argv));
	p->argvlen = xcalloc((size_t)p->argc, sizeof(*p->argvlen));
	snprintf(nk, sizeof(nk), "%d", nkeys);
	p->argv[0] = xstrdup("EVAL");
	p->argv[1] = xstrdup(lua);
	p->argv[2] = xstrdup(nk);
	for (i = 0; i < 3; i++)
		p->argvlen[i] = strlen(p->argv[i]);
	for (i = 0; i < argc; i++) {
		p->argvlen[3 + i] = argvlen != NULL ? argvlen[i] :
		    strlen(argv[i]);
		p->argv[3 + i] = xmalloc(p->argvlen[3 + i] + 1);
		memcpy(p->argv[3 + i], argv[i], p->argvlen[3 + i]);
		p->argv[3 + i][p->argvlen[3 + i]] = '\0';
	}
}

static void
pre_clear(struct fbbatch *b)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < b->npre; i++) {
		for (j = 0; j < b->pre[i].argc; j++)
			free(b->pre[i].argv[j]);
		free(b->pre[i].argv);
		free(b->pre[i].argvlen);
		free(b->pre[i].note);
	}
	b->npre = 0;
}

/* The commands of other slots, pipelined on fb->rr; 0 / -1 (I/O). */
static int
pre_run(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;
	redisReply	*rep;
	size_t		 i, sent = 0;
	int		 rc = 0;

	for (i = 0; i < b->npre && rc == 0; i++, sent++)
		rc = redis_appendv(fb->rr, b->pre[i].argc,
		    (const char **)b->pre[i].argv, b->pre[i].argvlen);
	for (i = 0; i < sent; i++) {
		if ((rep = redis_get_reply(fb->rr)) == NULL) {
			log_warn("redis: %s: %s", b->pre[i].note,
			    redis_errstr(fb->rr));
			if (redis_is_io_error(fb->rr)) {
				rc = -1;
				break;
			}
			continue;
		}
		fx_sup_done(fb, b->pre[i].kind, b->pre[i].note, rep);
		freeReplyObject(rep);
	}
	pre_clear(b);
	return rc;
}

/* Join-state key hash h written by the open batch (not in memory). */
void
batch_pend(struct fb *fb, unsigned h)
{
	struct fbbatch	*b = &fb->b;

	if (b->npend < FB_PEND_MAX)
		b->pend[b->npend++] = h;
	else
		b->overflow = 1;
}

static int
pend_has(const unsigned *pend, size_t npend, int overflow, unsigned h)
{
	size_t	 i;

	if (overflow)
		return 1;
	for (i = 0; i < npend; i++)
		if (pend[i] == h)
			return 1;
	return 0;
}

int
batch_pending(const struct fb *fb, unsigned h)
{
	const struct fbbatch	*b = &fb->b;

	return (b->open && pend_has(b->pend, b->npend, b->overflow, h)) ||
	    (b->fly.on && pend_has(b->fly.pend, b->fly.npend,
	    b->fly.overflow, h));
}

static void
handle(struct fb *fb, const struct fbq *q, const char *notes,
    const redisReply *rep)
{
	const char	*note = q->note != (size_t)-1 ? notes + q->note : "";

	if (rep->type == REDIS_REPLY_ERROR) {
		log_warn("redis: %s%s%s", note, *note ? ": " : "", rep->str);
		return;
	}
	switch (q->kind) {
	case FBQ_EVENT:
		if (rep->type == REDIS_REPLY_INTEGER && rep->integer == -1)
			unmarked(fb);
		break;
	case FBQ_SUP_HARD:
	case FBQ_SUP_COMPLAINT:
		fx_sup_done(fb, q->kind, note, rep);
		break;
	case FBQ_RATES:
		fx_rates_done(fb, note, rep);
		break;
	}
}

/* Read MULTI's +OK, the QUEUEDs, EXEC's array of batch f; 0 / -1. */
static int
replies(struct fb *fb, const struct fbfly *f)
{
	redisReply	*rep;
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < f->nq + 1; i++) {
		if ((rep = redis_get_reply(fb->r)) == NULL) {
			if (redis_is_io_error(fb->r))
				return -1;
			bad = 1;	/* refused at queueing: EXECABORT */
			continue;
		}
		freeReplyObject(rep);
	}
	if ((rep = redis_get_reply(fb->r)) == NULL || bad)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != f->nq) {
		freeReplyObject(rep);
		return -1;
	}
	for (i = 0; i < f->nq; i++)
		handle(fb, &f->q[i], f->notes, rep->element[i]);
	freeReplyObject(rep);
	return 0;
}

static int
append_pos(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;
	char		 ino[24], off[24], t[24];
	const char	*av[8] = { "HSET", b->poskey, "ino", ino, "off", off,
	    "t", t };

	snprintf(ino, sizeof(ino), "%llu", b->ino);
	snprintf(off, sizeof(off), "%lld", b->off);
	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	b->posdirty = 0;
	return batch_cmdv(fb, FBQ_NONE, NULL, 8, av, NULL);
}

/* The open batch becomes the one in flight (its EXEC appended). */
static void
fly(struct fbbatch *b)
{
	struct fbfly	*f = &b->fly;
	struct fbq	*q = f->q;
	char		*notes = f->notes;
	size_t		 qcap = f->qcap, ncap = f->ncap;

	f->q = b->q, f->qcap = b->qcap, f->nq = b->nq;
	f->notes = b->notes, f->ncap = b->ncap, f->nlen = b->nlen;
	memcpy(f->pend, b->pend, b->npend * sizeof(*b->pend));
	f->npend = b->npend, f->overflow = b->overflow;
	f->on = 1;
	b->q = q, b->qcap = qcap, b->notes = notes, b->ncap = ncap;
	b->open = 0;
	b->nq = b->nlen = b->events = b->npend = 0;
	b->overflow = 0;
}

/*
 * The batch's own commands are appended first, then the batch in flight
 * (if any) is finished -- reading its replies also writes what is
 * appended so far, queued by Redis behind MULTI --, the suppressions run
 * (pre_run, on fb->rr: this batch's EXEC is not written yet), and EXEC
 * goes out.  The pauses a batch's checks wrote to the outbox are applied
 * when its replies are read (a failure there is logged: the outbox keeps
 * them for the next batch that pauses, or the restart).
 */
int
batch_send(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;

	if (batch_events_flush(fb) < 0 || checks_flush(fb) < 0 ||
	    jcache_flush(fb) < 0 ||
	    (b->posdirty && b->poskey[0] != '\0' && append_pos(fb) < 0) ||
	    batch_sync(fb) < 0 || pre_run(fb) < 0)
		return -1;
	if (!b->open)
		return 0;
	if (redis_append(fb->r, "EXEC") < 0)
		return -1;
	fly(b);
	return redis_flush(fb->r);
}

int
batch_sync(struct fb *fb)
{
	struct fbbatch	*b = &fb->b;
	int		 rc;

	if (!b->fly.on)
		return 0;
	b->fly.on = 0;
	rc = replies(fb, &b->fly);
	if (rc == 0 && b->pauses_due && fx_pauses_apply(fb) < 0)
		log_warn("redis: pauses not applied yet: %s",
		    redis_errstr(fb->rr));
	return rc;
}

int
batch_commit(struct fb *fb)
{
	if (batch_send(fb) < 0)
		return -1;
	return batch_sync(fb);
}

/* After a failure: forget the batch and the connection it was on. */
void
batch_reset(struct fb *fb)
{
	char	 err[512];

	fb->r = redis_free(fb->r);
	if ((fb->r = redis_new(fb->conf, err, sizeof(err))) == NULL)
		fatal("%s", err);
	fb->b.open = 0;
	fb->b.nq = fb->b.nlen = fb->b.events = fb->b.npend = 0;
	fb->b.posdirty = 0;
	if (fb->b.dl != NULL)
		dlog_batch_clear(fb->b.dl);
	fb->b.nev = fb->b.nchk = 0;
	fb->b.pauses_due = 0;
	fb->b.fly.on = 0;
	pre_clear(&fb->b);
}

void
batch_free(struct fbbatch *b)
{
	free(b->q);
	free(b->notes);
	free(b->fly.q);
	free(b->fly.notes);
	dlog_batch_free(b->dl);
	free(b->ev);
	free(b->chk);
	pre_clear(b);
	free(b->pre);
	memset(b, 0, sizeof(*b));
}
