/*
 * libFuzzer target for lib/arf (and lib/mimepart under it): any bytes as
 * a complaint report.  Invariants checked (abort() on violation):
 *   - arf_parse returns 0 (only out of memory may give -1);
 *   - kind and is_arf agree, why is set unless the message is strict ARF;
 *   - every list count is within its bound and every string in the
 *     result is NUL-terminated, at most ARF_VALUE_MAX bytes, without
 *     control bytes;
 *   - a size limit smaller than the input sets ARF_F_CUT and never reads
 *     past it (ASan);
 *   - arf_queue_id returns one of the ids of the result, or NULL;
 *   - arf_report_free empties the report and may be called twice.
 */
// fuzz-sources: lib/arf.c lib/arf_fields.c lib/mimepart.c lib/errf.c
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); \
	abort(); } } while (0)

static void
check_str(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return;
	n = strlen(s);
	CHECK(n <= ARF_VALUE_MAX);
	for (; *s != '\0'; s++)
		CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void
check(const struct arf_report *r)
{
	const struct arf_original *o = &r->orig;
	size_t	 i;

	CHECK(r->is_arf == (r->kind == ARF_KIND_ARF));
	CHECK(r->kind == ARF_KIND_ARF || r->why[0] != '\0');
	CHECK(memchr(r->why, '\0', sizeof(r->why)) != NULL);
	CHECK(r->nrcpt_to <= ARF_MAX_RCPT);
	CHECK(r->nreported_uri <= ARF_MAX_URI);
	CHECK(o->nreceived <= ARF_MAX_RECEIVED);
	CHECK(o->ndkim <= ARF_MAX_DKIM);
	CHECK((r->type == ARF_TYPE_NONE) == (r->feedback_type == NULL));
	check_str(r->feedback_type);
	check_str(r->user_agent);
	check_str(r->mail_from);
	check_str(r->auth_results);
	check_str(r->report_subject);
	for (i = 0; i < r->nrcpt_to; i++)
		check_str(r->rcpt_to[i]);
	for (i = 0; i < r->nreported_uri; i++)
		check_str(r->reported_uri[i]);
	check_str(o->message_id);
	check_str(o->from_addr);
	check_str(o->to_addr);
	for (i = 0; i < o->nreceived; i++) {
		check_str(o->received[i].by);
		check_str(o->received[i].id);
	}
	for (i = 0; i < o->ndkim; i++)
		CHECK(o->dkim_d[i] != NULL && o->dkim_d[i][0] != '\0');
}

static void
check_queue_id(const struct arf_report *r)
{
	const char	*host, *id;
	size_t		 i;
	int		 found = 0;

	if (r->orig.nreceived == 0 || (host = r->orig.received[0].by) == NULL)
		return;
	if ((id = arf_queue_id(r, &host, 1)) == NULL)
		return;
	for (i = 0; i < r->orig.nreceived; i++)
		if (r->orig.received[i].id == id)
			found = 1;
	CHECK(found);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arf_report	 r;
	char			 err[128], *copy;
	size_t			 max;

	CHECK(arf_parse((const char *)data, size, 0, &r, err,
	    sizeof(err)) == 0);
	check(&r);
	check_queue_id(&r);
	arf_report_free(&r);
	CHECK(r.feedback_type == NULL && r.orig.nreceived == 0);
	arf_report_free(&r);

	/* a limit inside the input: an exact-size copy catches overreads */
	if (size > 1) {
		max = size / 2;
		copy = malloc(size);
		memcpy(copy, data, size);
		CHECK(arf_parse(copy, size, max, &r, err, sizeof(err)) == 0);
		CHECK(r.flags & ARF_F_CUT);
		check(&r);
		arf_report_free(&r);
		free(copy);
	}
	return 0;
}
