/*
 * arf_fields -- the fields of a complaint report: the feedback-report
 * part, the original's header (Received hops, DKIM d=, addresses), the
 * JMRP implications, the redaction check.  See arf.h and arf_fields.h.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arf.h"
#include "arf_fields.h"
#include "mimepart.h"

#define IS_SP(c)	((c) == ' ')

static char *
value(struct arf_ctx *c, const struct mime_hdr *h)
{
	char	*v;

	if ((v = mime_value(h->val, h->vlen, ARF_VALUE_MAX)) == NULL)
		c->oom = 1;
	return v;
}

/* *dst = v unless already set (then v is dropped). */
static void
keep(struct arf_ctx *c, char **dst, char *v)
{
	if (v == NULL)
		c->oom = 1;
	else if (*dst != NULL)
		free(v);
	else
		*dst = v;
}

static void
push(struct arf_ctx *c, char **list, size_t *n, size_t max, char *v)
{
	if (v == NULL) {
		c->oom = 1;
		return;
	}
	if (*n >= max) {
		c->r->flags |= ARF_F_LIMIT;
		free(v);
		return;
	}
	list[(*n)++] = v;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 32;
}

static char *
dup_span(struct arf_ctx *c, const char *p, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL) {
		c->oom = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* "<a@b>" -> "a@b" in place; "<>" -> "". */
static char *
strip_angle(char *v)
{
	char	*gt;
	size_t	 n;

	if (v == NULL || v[0] != '<' || (gt = strchr(v, '>')) == NULL)
		return v;
	n = (size_t)(gt - v - 1);
	memmove(v, v + 1, n);
	v[n] = '\0';
	return v;
}

/* The first <...> of a Message-ID value, brackets kept. */
static char *
msgid_of(struct arf_ctx *c, char *v)
{
	char	*lt, *gt, *s;

	if (v == NULL || (lt = strchr(v, '<')) == NULL ||
	    (gt = strchr(lt, '>')) == NULL)
		return v;
	s = dup_span(c, lt, (size_t)(gt - lt + 1));
	free(v);
	return s;
}

/* The address of a From/To value: <...>, else the word with '@'. */
static char *
addr_of(struct arf_ctx *c, const char *v)
{
	const char	*lt, *gt, *at, *s, *e;

	if ((lt = strrchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL &&
	    gt > lt + 1)
		return dup_span(c, lt + 1, (size_t)(gt - lt - 1));
	if ((at = strchr(v, '@')) != NULL) {
		for (s = at; s > v && !IS_SP(s[-1]) && s[-1] != ','; s--)
			;
		for (e = at; *e != '\0' && !IS_SP(*e) && *e != ','; e++)
			;
		return dup_span(c, s, (size_t)(e - s));
	}
	if (*v == '\0')
		return NULL;
	return dup_span(c, v, strlen(v));
}

void
arf_top_field(struct arf_ctx *c, const struct mime_hdr *h)
{
	char	*v;

	if (mime_name_is(h, "From")) {
		if ((v = value(c, h)) != NULL && (strcasestr(v, "@hotmail.com") ||
		    strcasestr(v, "@outlook.com") ||
		    strcasestr(v, "microsoft.com")))
			c->ms_marks = 1;
		keep(c, &c->r->report_from, v);
	} else if (mime_name_is(h, "Subject")) {
		if ((v = value(c, h)) != NULL && strncasecmp(v,
		    "complaint about message from", 28) == 0)
			c->ms_marks = 1;
		keep(c, &c->r->report_subject, v);
	} else if (h->nlen > 5 && strncasecmp(h->name, "X-MS-", 5) == 0)
		c->ms_marks = 1;
}

static enum arf_type
type_of(const char *s)
{
	static const char *const names[] = {
		"abuse", "fraud", "virus", "other", "not-spam", "auth-failure"
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum arf_type)(ARF_TYPE_ABUSE + i);
	return ARF_TYPE_UNKNOWN;
}

/* The feedback-report fields kept as they are, by name. */
static const struct {
	const char	*name;
	size_t		 off;
} single[] = {
	{ "User-Agent",			offsetof(struct arf_report, user_agent) },
	{ "Version",			offsetof(struct arf_report, version) },
	{ "Arrival-Date",		offsetof(struct arf_report, arrival_date) },
	{ "Received-Date",		offsetof(struct arf_report, arrival_date) },
	{ "Source-IP",			offsetof(struct arf_report, source_ip) },
	{ "Reported-Domain",	offsetof(struct arf_report, reported_domain) },
	{ "Authentication-Results", offsetof(struct arf_report, auth_results) },
	{ "Auth-Failure",		offsetof(struct arf_report, auth_failure) },
	{ "Incidents",			offsetof(struct arf_report, incidents) },
	{ "Original-Envelope-Id",	offsetof(struct arf_report, envelope_id) },
	{ "Reporting-MTA",		offsetof(struct arf_report, reporting_mta) },
};

static void
report_field(struct arf_ctx *c, const struct mime_hdr *h)
{
	struct arf_report	*r = c->r;
	char			*v;
	size_t			 i;

	if (mime_name_is(h, "Feedback-Type")) {
		if (r->feedback_type != NULL || (v = value(c, h)) == NULL)
			return;
		lower(v);
		r->feedback_type = v;
		r->type = type_of(v);
	} else if (mime_name_is(h, "Original-Mail-From"))
		keep(c, &r->mail_from, strip_angle(value(c, h)));
	else if (mime_name_is(h, "Original-Rcpt-To"))
		push(c, r->rcpt_to, &r->nrcpt_to, ARF_MAX_RCPT,
		    strip_angle(value(c, h)));
	else if (mime_name_is(h, "Reported-URI"))
		push(c, r->reported_uri, &r->nreported_uri, ARF_MAX_URI,
		    value(c, h));
	else {
		for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
			if (mime_name_is(h, single[i].name)) {
				keep(c, (char **)((char *)r + single[i].off),
				    value(c, h));
				return;
			}
	}
}

void
arf_report_fields(struct arf_ctx *c, const char *p, size_t n)
{
	struct mime_hdr	 h;
	size_t		 pos = 0, nf = 0;

	while (pos < n && p[pos] == '\n')	/* a stray empty line first */
		pos++;
	while (!c->oom && mime_header_next(p, n, &pos, &h)) {
		if (++nf > ARF_FIELDS_MAX) {
			c->r->flags |= ARF_F_LIMIT;
			return;
		}
		report_field(c, &h);
	}
}

/* The word after "by" and after "id" in a Received value; no comments. */
static void
received_parse(struct arf_ctx *c, const char *v, struct arf_received *rc)
{
	char	**want = NULL;
	size_t	 i = 0, s;
	int	 depth;

	while (v[i] != '\0' && v[i] != ';' && !c->oom) {
		if (v[i] == ' ') {
			i++;
			continue;
		}
		if (v[i] == '(') {
			for (depth = 0; v[i] != '\0'; i++) {
				if (v[i] == '\\' && v[i + 1] != '\0')
					i++;
				else if (v[i] == '(')
					depth++;
				else if (v[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		for (s = i; v[i] != '\0' && v[i] != ' ' && v[i] != ';' &&
		    v[i] != '('; i++)
			;
		if (want != NULL) {
			*want = dup_span(c, v + s, i - s);
			want = NULL;
		} else if (i - s == 2 && strncasecmp(v + s, "by", 2) == 0 &&
		    rc->by == NULL)
			want = &rc->by;
		else if (i - s == 2 && strncasecmp(v + s, "id", 2) == 0 &&
		    rc->id == NULL)
			want = &rc->id;
	}
	if (rc->by != NULL)
		lower(rc->by);
}

static void
received(struct arf_ctx *c, const struct mime_hdr *h)
{
	struct arf_original	*o = &c->r->orig;
	char			*v;

	if (o->nreceived >= ARF_MAX_RECEIVED) {
		c->r->flags |= ARF_F_LIMIT;
		return;
	}
	if ((v = value(c, h)) == NULL)
		return;
	received_parse(c, v, &o->received[o->nreceived++]);
	free(v);
}

/* The d= tag of a DKIM-Signature value. */
static void
dkim_d(struct arf_ctx *c, const struct mime_hdr *h)
{
	struct arf_original	*o = &c->r->orig;
	char			*v, *t, *d;
	size_t			 k;

	if ((v = value(c, h)) == NULL)
		return;
	for (t = v; t != NULL; t = (t = strchr(t, ';')) ? t + 1 : NULL) {
		while (*t == ' ')
			t++;
		if (*t != 'd')
			continue;
		for (t++; *t == ' '; t++)
			;
		if (*t != '=')
			continue;
		if ((d = malloc(strlen(t) + 1)) == NULL) {
			c->oom = 1;
			break;
		}
		for (k = 0, t++; *t != '\0' && *t != ';'; t++)
			if (*t != ' ')
				d[k++] = *t;
		d[k] = '\0';
		lower(d);
		if (k > 0)
			push(c, o->dkim_d, &o->ndkim, ARF_MAX_DKIM, d);
		else
			free(d);
		break;
	}
	free(v);
}

static void
original_field(struct arf_ctx *c, const struct mime_hdr *h)
{
	struct arf_original	*o = &c->r->orig;

	if (mime_name_is(h, "Received"))
		received(c, h);
	else if (mime_name_is(h, "DKIM-Signature"))
		dkim_d(c, h);
	else if (mime_name_is(h, "Message-ID"))
		keep(c, &o->message_id, msgid_of(c, value(c, h)));
	else if (mime_name_is(h, "From") && o->from == NULL) {
		keep(c, &o->from, value(c, h));
		if (o->from != NULL)
			o->from_addr = addr_of(c, o->from);
	} else if (mime_name_is(h, "To") && o->to == NULL) {
		keep(c, &o->to, value(c, h));
		if (o->to != NULL)
			o->to_addr = addr_of(c, o->to);
	} else if (mime_name_is(h, "Subject"))
		keep(c, &o->subject, value(c, h));
	else if (mime_name_is(h, "Date"))
		keep(c, &o->date, value(c, h));
	else if (mime_name_is(h, "Return-Path"))
		keep(c, &o->return_path, strip_angle(value(c, h)));
	else if (mime_name_is(h, "X-HmXmrOriginalRecipient")) {
		keep(c, &o->ms_rcpt, strip_angle(value(c, h)));
		c->ms_marks = 1;
	}
}

void
arf_original_fields(struct arf_ctx *c, const char *p, size_t n)
{
	struct mime_hdr	 h;
	size_t		 pos = 0, nf = 0;

	while (pos < n && (p[pos] == '\n' || p[pos] == ' ' || p[pos] == '\t'))
		pos++;
	while (!c->oom && mime_header_next(p, n, &pos, &h)) {
		if (++nf > ARF_FIELDS_MAX) {
			c->r->flags |= ARF_F_LIMIT;
			return;
		}
		original_field(c, &h);
	}
	while (pos < n && (p[pos] == '\n' || p[pos] == ' ' || p[pos] == '\t'))
		pos++;
	if (pos >= n)
		c->r->flags |= ARF_F_ORIG_HEADERS;
}

int
arf_looks_like_headers(const char *p, size_t n)
{
	struct mime_hdr	 h;
	size_t		 pos = 0, eol, nf = 0;
	const char	*colon, *nl;

	while (pos < n && p[pos] == '\n')
		pos++;
	/* the first line itself must be a field */
	nl = memchr(p + pos, '\n', n - pos);
	eol = nl ? (size_t)(nl - p) : n;
	colon = memchr(p + pos, ':', eol - pos);
	if (colon == NULL || memchr(p + pos, ' ', (size_t)(colon - p) - pos))
		return 0;
	while (mime_header_next(p, n, &pos, &h) && ++nf <= ARF_FIELDS_MAX)
		if (mime_name_is(&h, "Received") ||
		    mime_name_is(&h, "Message-ID") || mime_name_is(&h, "From"))
			return 1;
	return 0;
}

void
arf_jmrp_fill(struct arf_ctx *c)
{
	struct arf_report	*r = c->r;
	const char		*s, *e;
	static const char	 pre[] = "complaint about message from ";

	if (r->feedback_type == NULL) {
		keep(c, &r->feedback_type, dup_span(c, "abuse", 5));
		r->type = ARF_TYPE_ABUSE;
	}
	if (r->user_agent == NULL)
		keep(c, &r->user_agent, dup_span(c, "Microsoft JMRP", 14));
	if (r->source_ip == NULL && r->report_subject != NULL &&
	    strncasecmp(r->report_subject, pre, sizeof(pre) - 1) == 0) {
		s = r->report_subject + sizeof(pre) - 1;
		for (e = s; *e != '\0' && strchr("0123456789abcdefABCDEF.:",
		    *e) != NULL; e++)
			;
		if (e > s)
			keep(c, &r->source_ip, dup_span(c, s, (size_t)(e - s)));
	}
	if (r->nrcpt_to == 0 && r->orig.ms_rcpt != NULL)
		push(c, r->rcpt_to, &r->nrcpt_to, ARF_MAX_RCPT,
		    dup_span(c, r->orig.ms_rcpt, strlen(r->orig.ms_rcpt)));
}

static int
redacted(const char *a)
{
	const char	*at, *p;

	if (a == NULL || (at = strrchr(a, '@')) == NULL || at == a ||
	    at[1] == '\0' || strcasestr(a, "redacted") != NULL)
		return 1;
	for (p = a; p < at; p++)
		if (*p != 'x' && *p != 'X' && *p != '*')
			return 0;
	return 1;
}

void
arf_redaction(struct arf_ctx *c)
{
	struct arf_report	*r = c->r;
	size_t			 i;

	for (i = 0; i < r->nrcpt_to; i++)
		if (!redacted(r->rcpt_to[i]))
			return;
	if (!redacted(r->orig.ms_rcpt) || !redacted(r->orig.to_addr))
		return;
	r->flags |= ARF_F_RCPT_REDACTED;
}

void
arf_report_free(struct arf_report *r)
{
	struct arf_original	*o;
	size_t			 i;

	if (r == NULL)
		return;
	o = &r->orig;
	free(r->report_from);
	free(r->report_subject);
	free(r->feedback_type);
	free(r->mail_from);
	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (strcmp(single[i].name, "Received-Date") != 0)
			free(*(char **)((char *)r + single[i].off));
	for (i = 0; i < r->nrcpt_to; i++)
		free(r->rcpt_to[i]);
	for (i = 0; i < r->nreported_uri; i++)
		free(r->reported_uri[i]);
	free(o->message_id);
	free(o->from);
	free(o->from_addr);
	free(o->to);
	free(o->to_addr);
	free(o->subject);
	free(o->date);
	free(o->return_path);
	free(o->ms_rcpt);
	for (i = 0; i < o->nreceived; i++) {
		free(o->received[i].by);
		free(o->received[i].id);
	}
	for (i = 0; i < o->ndkim; i++)
		free(o->dkim_d[i]);
	memset(r, 0, sizeof(*r));
}
