/*
 * arf -- complaint reports (ARF, Microsoft JMRP) parsed into struct
 * arf_report.  See arf.h for the contract; lib/arf_fields.c reads the
 * fields of the feedback-report part and of the original, this file walks
 * the MIME tree and decides what the message is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arf.h"
#include "arf_fields.h"
#include "errf.h"
#include "mimepart.h"

static void walk(struct arf_ctx *, const char *, size_t, int, int);

/* Decodes and reads a feedback-report part. */
static void
leaf_report(struct arf_ctx *c, const char *p, size_t n, enum mime_cte cte)
{
	char	*d;
	size_t	 dn;
	int	 bad = 0;

	if (c->have_report)
		return;
	c->have_report = 1;
	if ((d = mime_decode(p, n, cte, &dn, &bad)) == NULL) {
		c->oom = 1;
		return;
	}
	if (bad)
		c->r->flags |= ARF_F_BAD_ENCODING;
	arf_report_fields(c, d, dn);
	free(d);
}

/* Decodes and reads the original message (or its headers). */
static void
leaf_original(struct arf_ctx *c, const char *p, size_t n, enum mime_cte cte,
    unsigned int flags)
{
	char	*d;
	size_t	 dn;
	int	 bad = 0;

	c->have_orig = 1;
	if ((d = mime_decode(p, n, cte, &dn, &bad)) == NULL) {
		c->oom = 1;
		return;
	}
	if (bad)
		c->r->flags |= ARF_F_BAD_ENCODING;
	if (cte != MIME_IDENTITY)
		flags |= ARF_F_ORIG_DECODED;
	c->r->flags |= flags;
	arf_original_fields(c, d, dn);
	free(d);
}

/* A text/plain part that may hold the original's headers: remember it. */
static void
leaf_text(struct arf_ctx *c, const char *p, size_t n, enum mime_cte cte)
{
	char	*d;
	size_t	 dn;
	int	 bad = 0;

	if (c->have_cand)
		return;
	if ((d = mime_decode(p, n, cte, &dn, &bad)) == NULL) {
		c->oom = 1;
		return;
	}
	if (arf_looks_like_headers(d, dn)) {
		c->have_cand = 1;
		c->cand.p = p;
		c->cand.n = n;
		c->cand_cte = cte;
	}
	free(d);
}

static void
walk_multipart(struct arf_ctx *c, const char *body, size_t n,
    const char *bnd, int depth)
{
	struct mime_iter	 it;
	struct mime_span	 part;
	int			 idx = 0;

	if (depth + 1 >= ARF_MAX_DEPTH) {
		c->r->flags |= ARF_F_LIMIT;
		return;
	}
	mime_iter_init(&it, body, n, bnd);
	while (mime_iter_next(&it, &part)) {
		if (++c->nparts > ARF_MAX_PARTS) {
			c->r->flags |= ARF_F_LIMIT;
			return;
		}
		walk(c, part.p, part.n, depth + 1, idx++);
		if (c->oom)
			return;
	}
	if (!it.closed)
		c->r->flags |= ARF_F_TRUNCATED;
}

/* Headers of an entity: its type, boundary, encoding; the report's own. */
static size_t
entity_headers(struct arf_ctx *c, const char *p, size_t n, int depth,
    char *type, char *bnd, enum mime_cte *cte)
{
	struct mime_hdr	 h;
	size_t		 pos = 0, nf = 0;
	int		 seen_ct = 0;

	while (mime_header_next(p, n, &pos, &h)) {
		if (++nf > ARF_FIELDS_MAX) {
			c->r->flags |= ARF_F_LIMIT;
			continue;
		}
		if (mime_name_is(&h, "Content-Type") && !seen_ct) {
			seen_ct = 1;
			mime_type(h.val, h.vlen, type, ARF_TYPE_LEN);
			if (!mime_param(h.val, h.vlen, "boundary", bnd,
			    MIME_BOUNDARY_MAX + 1))
				bnd[0] = '\0';
			if (depth == 0 && !mime_param(h.val, h.vlen,
			    "report-type", c->top_rtype, sizeof(c->top_rtype)))
				c->top_rtype[0] = '\0';
		} else if (mime_name_is(&h, "Content-Transfer-Encoding"))
			*cte = mime_cte(h.val, h.vlen);
		else if (depth == 0)
			arf_top_field(c, &h);
	}
	if (type[0] == '\0')
		strcpy(type, "text/plain");
	return pos;
}

static void
walk(struct arf_ctx *c, const char *p, size_t n, int depth, int idx)
{
	char		 type[ARF_TYPE_LEN], bnd[MIME_BOUNDARY_MAX + 1];
	enum mime_cte	 cte = MIME_IDENTITY;
	size_t		 pos;

	type[0] = bnd[0] = '\0';
	pos = entity_headers(c, p, n, depth, type, bnd, &cte);
	if (depth == 0)
		snprintf(c->top_type, sizeof(c->top_type), "%s", type);
	p += pos;
	n -= pos;
	if (strncmp(type, "multipart/", 10) == 0) {
		if (bnd[0] != '\0')
			walk_multipart(c, p, n, bnd, depth);
		else
			c->r->flags |= ARF_F_TRUNCATED;
	} else if (strcmp(type, "message/feedback-report") == 0)
		leaf_report(c, p, n, cte);
	else if (c->have_orig)
		return;
	else if (strcmp(type, "message/rfc822") == 0)
		leaf_original(c, p, n, cte, 0);
	else if (strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "message/rfc822-headers") == 0)
		leaf_original(c, p, n, cte, ARF_F_ORIG_HEADERS);
	else if (strcmp(type, "text/plain") == 0 && depth > 0 && idx > 0)
		leaf_text(c, p, n, cte);
}

static void
kind_none(struct arf_ctx *c)
{
	struct arf_report	*r = c->r;

	if (strcmp(c->top_type, "multipart/report") == 0)
		snprintf(r->why, sizeof(r->why), "multipart/report with "
		    "report-type=%s, not feedback-report",
		    c->top_rtype[0] ? c->top_rtype : "(none)");
	else if (c->len == 0)
		snprintf(r->why, sizeof(r->why), "empty message");
	else
		snprintf(r->why, sizeof(r->why), "Content-Type %s, not "
		    "multipart/report", c->top_type);
}

/* What the message is, from what the walk found. */
static void
classify(struct arf_ctx *c)
{
	struct arf_report	*r = c->r;
	int			 strict;

	strict = strcmp(c->top_type, "multipart/report") == 0 &&
	    strcasecmp(c->top_rtype, "feedback-report") == 0;
	if (!c->have_report)
		r->flags |= ARF_F_NO_REPORT;
	if (!c->have_orig)
		r->flags |= ARF_F_NO_ORIGINAL;
	if (c->have_report && r->feedback_type == NULL)
		r->flags |= ARF_F_NO_TYPE;
	if (c->have_report || strict) {
		r->kind = ARF_KIND_ARF;
		r->is_arf = 1;
		if (!strict) {
			r->flags |= ARF_F_LOOSE;
			snprintf(r->why, sizeof(r->why), "feedback-report part "
			    "inside %s (report-type=%s)", c->top_type,
			    c->top_rtype[0] ? c->top_rtype : "(none)");
		} else if (!c->have_report)
			snprintf(r->why, sizeof(r->why), "feedback-report "
			    "without a message/feedback-report part");
	} else if (c->have_orig && c->ms_marks) {
		r->kind = ARF_KIND_JMRP;
		snprintf(r->why, sizeof(r->why), "Microsoft JMRP report "
		    "(not ARF)");
		arf_jmrp_fill(c);
	} else
		kind_none(c);
}

int
arf_parse(const char *msg, size_t len, size_t max, struct arf_report *r,
    char *err, size_t errlen)
{
	struct arf_ctx	 c;
	char		*buf;
	size_t		 n;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	c.r = r;
	if (msg == NULL)
		len = 0;
	if (max > 0 && len > max) {
		len = max;
		r->flags |= ARF_F_CUT;
	}
	c.len = len;
	if ((buf = mime_normalize(msg ? msg : "", len, &n)) == NULL)
		return errf(err, errlen, "out of memory");
	walk(&c, buf, n, 0, 0);
	if (!c.oom && !c.have_orig && c.have_cand)
		leaf_original(&c, c.cand.p, c.cand.n, c.cand_cte,
		    ARF_F_ORIG_TEXT);
	free(buf);
	if (!c.oom) {
		classify(&c);
		arf_redaction(&c);
	}
	if (c.oom) {
		arf_report_free(r);
		return errf(err, errlen, "out of memory");
	}
	return 0;
}

const char *
arf_queue_id(const struct arf_report *r, const char *const *hosts,
    size_t nhosts)
{
	size_t	 i, k;

	for (i = 0; i < r->orig.nreceived; i++) {
		if (r->orig.received[i].by == NULL ||
		    r->orig.received[i].id == NULL)
			continue;
		for (k = 0; k < nhosts; k++)
			if (hosts[k] != NULL &&
			    strcasecmp(hosts[k], r->orig.received[i].by) == 0)
				return r->orig.received[i].id;
	}
	return NULL;
}

const char *
arf_type_name(enum arf_type t)
{
	static const char *const names[] = {
		"", "abuse", "fraud", "virus", "other", "not-spam",
		"auth-failure", "unknown"
	};

	if ((unsigned)t >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[t];
}
