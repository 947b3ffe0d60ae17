/*
 * pflog_fields -- the message of a Postfix log line (see pflog.h): the
 * generic "key=value, key=value (text)" list of smtpd, cleanup, qmgr and
 * the delivery agents, the reject lines, bounce notices and the rest.
 */
#include <stddef.h>
#include <string.h>

#include "pflog.h"
#include "pflog_int.h"

enum ftype { F_STR, F_ADDR, F_HOSTADDR, F_LONG, F_LLONG, F_DOUBLE,
	F_STATUS, F_RESENT };

struct field {
	const char	*key;
	size_t		 klen;
	enum ftype	 type;
	size_t		 off, off2, off3;
};

#define O(m)	offsetof(struct pflog_rec, m)
#define K(s)	s, sizeof(s) - 1
static const struct field fields[] = {
	{ K("client"), F_HOSTADDR, O(client_name), O(client_addr),
	    O(client_port) },
	{ K("conn_use"), F_LONG, O(conn_use), 0, 0 },
	{ K("delay"), F_DOUBLE, O(delay), 0, 0 },
	{ K("delays"), F_STR, O(delays), 0, 0 },
	{ K("dsn"), F_STR, O(dsn), 0, 0 },
	{ K("from"), F_ADDR, O(from), 0, 0 },
	{ K("helo"), F_ADDR, O(helo), 0, 0 },
	{ K("message-id"), F_STR, O(message_id), 0, 0 },
	{ K("nrcpt"), F_LONG, O(nrcpt), 0, 0 },
	{ K("orig_client"), F_STR, O(orig_client), 0, 0 },
	{ K("orig_id"), F_STR, O(orig_id), 0, 0 },
	{ K("orig_to"), F_ADDR, O(orig_to), 0, 0 },
	{ K("proto"), F_STR, O(proto), 0, 0 },
	{ K("relay"), F_HOSTADDR, O(relay), O(relay_addr), O(relay_port) },
	{ K("resent-message-id"), F_RESENT, O(message_id), 0, 0 },
	{ K("sasl_method"), F_STR, O(sasl_method), 0, 0 },
	{ K("sasl_sender"), F_ADDR, O(sasl_sender), 0, 0 },
	{ K("sasl_username"), F_STR, O(sasl_username), 0, 0 },
	{ K("size"), F_LLONG, O(size), 0, 0 },
	{ K("status"), F_STATUS, O(status), 0, 0 },
	{ K("to"), F_ADDR, O(to), 0, 0 },
	{ K("uid"), F_LONG, O(uid), 0, 0 },
};

#define PTR(r, o)	((const char **)(void *)((char *)(r) + (o)))
#define LNG(r, o)	((long *)(void *)((char *)(r) + (o)))

/* First / last occurrence of s in [p, end), or NULL. */
static const char *
find(const char *p, const char *end, const char *s)
{
	return end > p ? memmem(p, (size_t)(end - p), s, strlen(s)) : NULL;
}

static const char *
rfind(const char *p, const char *end, const char *s)
{
	const char	*q, *last = NULL;

	while ((q = find(p, end, s)) != NULL) {
		last = q;
		p = q + 1;
	}
	return last;
}

/* Decimal digits [.digits] at v[0..n); -1 when it is not that. */
static long long
number(const char *v, size_t n, double *frac)
{
	long long	 x = 0;
	double		 f = 0, scale = 0.1;
	size_t		 i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
		x = x * 10 + (v[i] - '0');
	if (i == 0)
		return -1;
	if (i < n && v[i] == '.' && frac != NULL)
		for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
			f += (v[i] - '0') * scale;
			scale /= 10;
		}
	if (i != n)
		return -1;
	if (frac != NULL)
		*frac = (double)x + f;
	return x;
}

/* "name[addr]:port", "name[addr]", "none", "local" ... */
static void
hostaddr(struct pflog_rec *r, const struct field *f, const char *v,
    size_t n)
{
	const char	*b, *e, *end = v + n;

	if ((b = memchr(v, '[', n)) == NULL ||
	    (e = memrchr(b, ']', (size_t)(end - b))) == NULL) {
		*PTR(r, f->off) = pflog_save(r, v, n);
		return;
	}
	*PTR(r, f->off) = pflog_save(r, v, (size_t)(b - v));
	*PTR(r, f->off2) = pflog_save(r, b + 1, (size_t)(e - b - 1));
	if (e + 1 < end && e[1] == ':')
		*LNG(r, f->off3) = (long)number(e + 2, (size_t)(end - e - 2),
		    NULL);
}

static enum pflog_status
status_of(const char *v, size_t n)
{
	static const char *const names[] = { "sent", "deferred", "bounced",
	    "expired", "SOFTBOUNCE" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(v, names[i], n) == 0)
			return PFLOG_ST_SENT + (int)i;
	return PFLOG_ST_OTHER;
}

static void
set_field(struct pflog_rec *r, const char *k, size_t kn, const char *v,
    size_t n)
{
	const struct field	*f;
	double			 d;
	size_t			 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].klen == kn && fields[i].key[0] == k[0] &&
		    memcmp(fields[i].key, k, kn) == 0)
			break;
	if (i == sizeof(fields) / sizeof(fields[0]))
		return;			/* tls=, ...: not ours */
	f = &fields[i];
	switch (f->type) {
	case F_ADDR:
		if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
			v++;
			n -= 2;
		}
		*PTR(r, f->off) = pflog_save(r, v, n);
		break;
	case F_RESENT:
		r->resent = 1;
		/* FALLTHROUGH */
	case F_STR:
		*PTR(r, f->off) = pflog_save(r, v, n);
		break;
	case F_STATUS:
		*PTR(r, f->off) = pflog_save(r, v, n);
		r->st = status_of(v, n);
		break;
	case F_HOSTADDR:
		hostaddr(r, f, v, n);
		break;
	case F_LONG:
		*LNG(r, f->off) = (long)number(v, n, NULL);
		break;
	case F_LLONG:
		r->size = number(v, n, NULL);
		break;
	case F_DOUBLE:
		r->delay = number(v, n, &d) < 0 ? -1 : d;
		break;
	}
}

static int
is_keych(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	    c == '-';
}

/* 1 when p starts with "key=". */
static int
is_key(const char *p, const char *end)
{
	const char	*k = p;

	while (p < end && is_keych(*p))
		p++;
	return p > k && p < end && *p == '=';
}

/*
 * The end of a value: "<...>" runs to a '>' that ends a field; anything
 * else to ", " or " (" or the end.
 */
static const char *
value_end(const char *v, const char *end, int spaced)
{
	const char	*q;

	if (v < end && *v == '<')
		for (q = v + 1; q < end; q++)
			if (*q == '>' && (q + 1 == end || q[1] == ',' ||
			    q[1] == ' ' || q[1] == ':'))
				return q + 1;
	for (q = v; q < end; q++) {
		if (spaced && *q == ' ')
			return q;
		if (q + 1 < end && ((q[0] == ',' && q[1] == ' ') ||
		    (q[0] == ' ' && q[1] == '(')))
			return q;
	}
	return end;
}

/* After '(' at p: the end of the balanced parentheses. */
static const char *
skip_paren(const char *p, const char *end)
{
	int	 depth = 0;

	for (; p < end; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return end;
}

/* The reply code ("550 ", "550-") and enhanced code ("5.1.1") at p. */
static void
reply_code(struct pflog_rec *r, const char *p, const char *end)
{
	const char	*s;
	long		 c = pflog_digits(p, end, 3);
	int		 i, n;

	if (c >= 200 && c <= 599 && (p + 3 == end || p[3] == ' ' ||
	    p[3] == '-')) {
		r->code = (int)c;
		p += p + 3 < end ? 4 : 3;
	}
	if (p >= end || (*p != '2' && *p != '4' && *p != '5'))
		return;
	s = p++;
	for (i = 0; i < 2; i++) {
		if (p >= end || *p++ != '.')
			return;
		for (n = 0; p < end && *p >= '0' && *p <= '9' && n < 4; n++)
			p++;
		if (n == 0 || n > 3)
			return;
	}
	if (p == end || *p == ' ' || *p == ',' || *p == ';')
		r->enh = pflog_save(r, s, (size_t)(p - s));
}

static const struct stageword {
	const char		*w;
	enum pflog_stage	 stage;
} stagewords[] = {
	{ "RCPT", PFLOG_STAGE_RCPT }, { "MAIL", PFLOG_STAGE_MAIL },
	{ "end of DATA", PFLOG_STAGE_DATA }, { "DATA", PFLOG_STAGE_DATA },
	{ "BDAT", PFLOG_STAGE_DATA }, { "message body", PFLOG_STAGE_DATA },
	{ "end of data", PFLOG_STAGE_DATA },
	{ "END-OF-MESSAGE", PFLOG_STAGE_DATA }, { "header", PFLOG_STAGE_DATA },
	{ "body", PFLOG_STAGE_DATA }, { "EHLO", PFLOG_STAGE_HELO },
	{ "HELO", PFLOG_STAGE_HELO }, { "LHLO", PFLOG_STAGE_HELO },
	{ "the EHLO", PFLOG_STAGE_HELO }, { "XFORWARD", PFLOG_STAGE_HELO },
	{ "XCLIENT", PFLOG_STAGE_HELO }, { "AUTH", PFLOG_STAGE_HELO },
	{ "STARTTLS", PFLOG_STAGE_TLS }, { "CONNECT", PFLOG_STAGE_CONNECT },
	{ "the initial server greeting", PFLOG_STAGE_CONNECT },
	{ "initial server greeting", PFLOG_STAGE_CONNECT },
};

static enum pflog_stage
stage_word(const char *p, const char *end)
{
	size_t	 i;

	for (i = 0; i < sizeof(stagewords) / sizeof(stagewords[0]); i++)
		if (pflog_starts(p, end, stagewords[i].w))
			return stagewords[i].stage;
	return PFLOG_STAGE_NONE;
}

/* The SMTP stage a delivery's status text names. */
static enum pflog_stage
text_stage(const char *t, const char *e)
{
	static const char *const verbs[] = { "sending ", "receiving ",
	    "performing " };
	static const char *const conn[] = { "connect to ",
	    "refused to talk to me", "Host or domain name not found",
	    "Name service error", "No route to host", "Connection refused",
	    "Connection timed out", "Network is unreachable" };
	const char	*p;
	size_t		 i;

	if ((p = rfind(t, e, "in reply to ")) != NULL)
		return stage_word(p + 12, e);
	if ((p = rfind(t, e, " while ")) != NULL) {
		p += 7;
		for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (pflog_starts(p, e, verbs[i]))
				p += strlen(verbs[i]);
		return stage_word(p, e);
	}
	for (i = 0; i < sizeof(conn) / sizeof(conn[0]); i++)
		if (find(t, e, conn[i]) != NULL)
			return PFLOG_STAGE_CONNECT;
	return PFLOG_STAGE_NONE;
}

/*
 * The status text starts at t: it runs to the line's last ')', or, when
 * the line does not end in one, to a ')' followed by ", key=".  Sets
 * text, reply, code, enh, stage; returns the position after the text.
 */
static const char *
status_text(struct pflog_rec *r, const char *t, const char *end)
{
	const char	*e = end, *s, *x;

	if (end > t && end[-1] == ')')
		e = end - 1;
	else
		for (x = end - 3; x >= t; x--)
			if (x[0] == ')' && x[1] == ',' && x[2] == ' ' &&
			    is_key(x + 3, end)) {
				e = x;
				break;
			}
	r->text = pflog_save(r, t, (size_t)(e - t));
	if ((s = find(t, e, "said: ")) != NULL)
		s += 6;
	else if ((s = find(t, e, "refused to talk to me: ")) != NULL)
		s += 23;
	if (s != NULL) {
		x = rfind(s, e, " (in reply to ");
		x = x != NULL ? x : e;
		r->reply = pflog_save(r, s, (size_t)(x - s));
		reply_code(r, s, x);
	}
	r->stage = text_stage(t, e);
	return e < end ? e + 1 : end;
}

/*
 * "key=value, key=value (text), ...".  sep ' ' for the space-separated
 * tail of reject lines.  Returns the number of fields read; *rest is
 * where reading stopped.
 */
static int
kv_fields(struct pflog_rec *r, const char *p, const char *end, int spaced,
    const char **rest)
{
	const char	*k, *v;
	int		 n = 0;

	while (p < end && is_key(p, end)) {
		k = p;
		v = (const char *)memchr(p, '=', (size_t)(end - p)) + 1;
		p = value_end(v, end, spaced);
		set_field(r, k, (size_t)(v - 1 - k), v, (size_t)(p - v));
		n++;
		if (!spaced && pflog_starts(p, end, " (")) {
			if (v - 1 - k == 6 && memcmp(k, "status", 6) == 0)
				p = status_text(r, p + 2, end);
			else
				p = skip_paren(p + 1, end);
		}
		if (pflog_starts(p, end, spaced ? " " : ", "))
			p += spaced ? 1 : 2;
		else
			break;
	}
	*rest = p;
	return n;
}

/* The "QID: key=value, ..." lines: which kind the fields make. */
static enum pflog_kind
field_line(struct pflog_rec *r, const char *p, const char *end)
{
	const char	*rest;

	if (kv_fields(r, p, end, 0, &rest) == 0) {
		r->text = pflog_save(r, p, (size_t)(end - p));
		return PFLOG_UNKNOWN;
	}
	if (rest < end && r->text == NULL)
		r->text = pflog_save(r, rest, (size_t)(end - rest));
	if (r->to != NULL && r->status != NULL)
		return PFLOG_DELIVERY;
	if (r->client_name != NULL || r->client_addr != NULL)
		return PFLOG_CLIENT;
	if (r->message_id != NULL)
		return PFLOG_MESSAGE_ID;
	if (r->from != NULL && r->st == PFLOG_ST_EXPIRED)
		return PFLOG_EXPIRED;
	if (r->from != NULL && (r->size >= 0 || r->nrcpt >= 0))
		return PFLOG_QUEUED;
	return PFLOG_OTHER;
}

/* Where "; from=<a> to=<b> proto=P helo=<h>" (or the part present) starts. */
static const char *
reject_tail(const char *p, const char *end)
{
	static const char *const keys[] = { "; from=", "; to=", "; proto=",
	    "; helo=" };
	const char	*t;
	size_t		 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((t = rfind(p, end, keys[i])) != NULL)
			return t;
	return NULL;
}

/*
 * "ACTION: STAGE from name[addr]: REPLY; from=<a> to=<b> proto=P
 * helo=<h>", and cleanup's "ACTION: header ...; from=<a> ... helo=<h>:
 * REPLY".
 */
static enum pflog_kind
reject(struct pflog_rec *r, const char *p, const char *end)
{
	const char	*w, *tail, *lim, *c, *rest;
	struct field	 cl = { K("client"), F_HOSTADDR, O(client_name),
	    O(client_addr), O(client_port) };

	for (w = p; w < end && *w != ' '; w++)
		;
	r->stage = stage_word(p, w);
	tail = reject_tail(p, end);
	lim = tail != NULL ? tail : end;
	if (pflog_starts(w, lim, " from ")) {
		c = w + 6;
		if ((w = find(c, lim, ": ")) == NULL)
			w = lim;
		hostaddr(r, &cl, c, (size_t)(w - c));
		p = w < lim ? w + 2 : lim;
	}
	if (p < lim) {
		r->text = r->reply = pflog_save(r, p, (size_t)(lim - p));
		reply_code(r, p, lim);
	}
	if (tail == NULL)
		return PFLOG_REJECT;
	kv_fields(r, tail + 2, end, 1, &rest);
	if (pflog_starts(rest, end, ": ")) {
		rest += 2;
		r->reply = pflog_save(r, rest, (size_t)(end - rest));
		reply_code(r, rest, end);
	}
	return PFLOG_REJECT;
}

static const char *const actions[] = { "reject", "reject_warning",
	"discard", "filter", "redirect", "hold", "milter-reject",
	"milter-discard", "milter-hold" };

/* "ACTION: " at p: the reject-shaped lines. */
static enum pflog_kind
action_line(struct pflog_rec *r, const char *p, const char *end)
{
	const char	*c;
	size_t		 i, n;

	if ((c = memchr(p, ':', (size_t)(end - p))) == NULL ||
	    !pflog_starts(c, end, ": "))
		return PFLOG_UNKNOWN;
	n = (size_t)(c - p);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strlen(actions[i]) == n && memcmp(actions[i], p, n) == 0)
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return PFLOG_UNKNOWN;
	r->action = pflog_save(r, p, n);
	reject(r, c + 2, end);
	return strcmp(actions[i], "hold") == 0 ? PFLOG_HOLD : PFLOG_REJECT;
}

/* "sender non-delivery notification: NEWQID" and its siblings. */
static enum pflog_kind
notify_line(struct pflog_rec *r, const char *p, const char *end)
{
	const char	*w, *n;

	if ((n = find(p, end, " notification: ")) == NULL ||
	    (w = memchr(p, ' ', (size_t)(end - p))) == NULL || w >= n)
		return PFLOG_UNKNOWN;
	r->notify_to = pflog_save(r, p, (size_t)(w - p));
	r->notify = pflog_save(r, w + 1, (size_t)(n - w - 1));
	n += 15;
	r->new_qid = pflog_save(r, n, (size_t)(end - n));
	return PFLOG_NOTIFY;
}

static const struct fixed {
	const char	*text;
	enum pflog_kind	 kind;
} queued_fixed[] = {
	{ "removed", PFLOG_REMOVED }, { "placed on hold", PFLOG_HOLD },
	{ "released from hold", PFLOG_RELEASED },
	{ "requeued", PFLOG_OTHER },
	{ "skipped, still being delivered", PFLOG_OTHER },
};

static enum pflog_kind
queue_line(struct pflog_rec *r, const char *p, const char *end)
{
	enum pflog_kind	 k;
	size_t		 i, n = (size_t)(end - p);

	for (i = 0; i < sizeof(queued_fixed) / sizeof(queued_fixed[0]); i++)
		if (strlen(queued_fixed[i].text) == n &&
		    memcmp(queued_fixed[i].text, p, n) == 0)
			return queued_fixed[i].kind;
	if (pflog_starts(p, end, "uid=")) {
		kv_fields(r, p, end, 1, &p);	/* pickup: space-separated */
		return r->uid >= 0 ? PFLOG_PICKUP : PFLOG_OTHER;
	}
	if (is_key(p, end))
		return field_line(r, p, end);
	if ((k = action_line(r, p, end)) != PFLOG_UNKNOWN)
		return k;
	if ((pflog_starts(p, end, "sender ") ||
	    pflog_starts(p, end, "postmaster ")) &&
	    (k = notify_line(r, p, end)) != PFLOG_UNKNOWN)
		return k;
	r->text = pflog_save(r, p, n);
	return PFLOG_UNKNOWN;
}

static const char *const other_prefixes[] = { "connect from ",
	"disconnect from ", "statistics: ", "lost connection after ",
	"timeout after ", "too many errors after ",
	"improper command pipelining", "daemon started",
	"starting the Postfix", "stopping the Postfix",
	"refreshing the Postfix", "reload ", "terminating on signal",
	"Anonymous TLS connection", "Trusted TLS connection",
	"Untrusted TLS connection", "Verified TLS connection", "Deleted: ",
	"Requeued: ", "Placed on hold: ", "Released from hold: ",
	"SSL_accept error", "setting up TLS connection" };

enum pflog_kind
pflog_message(struct pflog_rec *r, const char *p, const char *end)
{
	static const char *const levels[] = { "warning", "error", "fatal",
	    "panic" };
	size_t	 i, n;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		n = strlen(levels[i]);
		if (pflog_starts(p, end, levels[i]) &&
		    pflog_starts(p + n, end, ": ")) {
			r->level = levels[i];
			r->text = pflog_save(r, p + n + 2,
			    (size_t)(end - p - n - 2));
			return PFLOG_WARNING;
		}
	}
	if (r->noqueue)
		return action_line(r, p, end);
	if (r->qid != NULL)
		return queue_line(r, p, end);
	r->text = pflog_save(r, p, (size_t)(end - p));
	for (i = 0; i < sizeof(other_prefixes) / sizeof(other_prefixes[0]);
	    i++)
		if (pflog_starts(p, end, other_prefixes[i]))
			return PFLOG_OTHER;
	return PFLOG_UNKNOWN;
}
