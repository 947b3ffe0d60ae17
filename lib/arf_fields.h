/*
 * arf_fields -- the private half of lib/arf: the parse context shared by
 * lib/arf.c (the MIME walk) and lib/arf_fields.c (the fields).  Not for
 * callers outside lib/arf*.c; they use arf.h.
 *
 *   arf_top_field(c, h)            a field of the report's own header
 *   arf_report_fields(c, p, n)     the fields of a feedback-report part
 *   arf_original_fields(c, p, n)   the header of the original
 *   arf_looks_like_headers(p, n)   1 when text starts with header fields
 *                                  among which Received, Message-ID or
 *                                  From
 *   arf_jmrp_fill(c)               the fields a JMRP report implies
 *   arf_redaction(c)               sets ARF_F_RCPT_REDACTED when it holds
 * All of them record out of memory in c->oom and otherwise cannot fail;
 * the first value of a single field wins.
 */
#ifndef OUTPOST_ARF_FIELDS_H
#define OUTPOST_ARF_FIELDS_H

#include <stddef.h>

#include "arf.h"
#include "mimepart.h"

#define ARF_TYPE_LEN	80
#define ARF_FIELDS_MAX	1000	/* header fields read per header block */

struct arf_ctx {
	struct arf_report	*r;
	size_t			 len;
	int			 oom;
	int			 nparts;
	int			 have_report;
	int			 have_orig;
	int			 ms_marks;
	char			 top_type[ARF_TYPE_LEN];
	char			 top_rtype[64];
	int			 have_cand;
	struct mime_span	 cand;
	enum mime_cte		 cand_cte;
};

void	 arf_top_field(struct arf_ctx *, const struct mime_hdr *);
void	 arf_report_fields(struct arf_ctx *, const char *, size_t);
void	 arf_original_fields(struct arf_ctx *, const char *, size_t);
int	 arf_looks_like_headers(const char *, size_t);
void	 arf_jmrp_fill(struct arf_ctx *);
void	 arf_redaction(struct arf_ctx *);

#endif
