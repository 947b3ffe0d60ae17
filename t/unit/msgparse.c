/*
 * Unit test of ctl/msgparse.c: stored messages (LF or CRLF, mbox "From "
 * line, folded fields, a header without a body, a non-field line ending
 * the header) into fields and a CRLF body.  Each case is fed whole, byte
 * by byte and in 7-byte chunks: the result must not depend on the split.
 * What the callbacks saw is written as "[name][value]" per field, then
 * "|" and the body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/ctl.h"
#include "../tap.h"

struct seen {
	char	 buf[4096];
	size_t	 len;
};

static void
add(struct seen *s, const char *p, size_t n)
{
	if (s->len + n >= sizeof(s->buf))
		n = sizeof(s->buf) - s->len - 1;
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static int
hdr(void *arg, const char *name, const char *value)
{
	struct seen	*s = arg;

	add(s, "[", 1);
	add(s, name, strlen(name));
	add(s, "][", 2);
	add(s, value, strlen(value));
	add(s, "]", 1);
	return 0;
}

static int
body(void *arg, const char *p, size_t n)
{
	struct seen	*s = arg;

	if (strchr(s->buf, '|') == NULL)
		add(s, "|", 1);
	add(s, p, n);
	return 0;
}

static const struct { const char *label, *in, *want; } cases[] = {
	{ "LF message", "From: a@b.example\nTo: c@d.example\n\nHi\nthere\n",
	    "[From][ a@b.example][To][ c@d.example]|Hi\r\nthere\r\n" },
	{ "CRLF message", "From: a@b.example\r\n\r\nHi\r\n",
	    "[From][ a@b.example]|Hi\r\n" },
	{ "mbox From line skipped",
	    "From alice@b.example Sat Nov 28 10:00:00 2026\nFrom: a@b\n\nx\n",
	    "[From][ a@b]|x\r\n" },
	{ "a later \"From \" line is not skipped: it starts the body",
	    "Subject: s\nFrom x\n\nb\n",
	    "[Subject][ s]|From x\r\n\r\nb\r\n" },
	{ "folded field joined with CRLF",
	    "Subject: one\n two\n\tthree\nTo: x\n\n",
	    "[Subject][ one\r\n two\r\n\tthree][To][ x]" },
	{ "folded CRLF field",
	    "DKIM-Signature: v=1;\r\n d=x;\r\n\r\nb\r\n",
	    "[DKIM-Signature][ v=1;\r\n d=x;]|b\r\n" },
	{ "no body, no final newline", "From: a@b\nTo: c",
	    "[From][ a@b][To][ c]" },
	{ "header only, ending in newline", "From: a@b\n",
	    "[From][ a@b]" },
	{ "empty input", "", "" },
	{ "value without space, colon in value",
	    "X-A:b:c\nX-B:\n\n", "[X-A][b:c][X-B][]" },
	{ "non-field line starts the body",
	    "From: a@b\nnot a field\nTo: c\n\nz\n",
	    "[From][ a@b]|not a field\r\nTo: c\r\n\r\nz\r\n" },
	{ "field name with space is not a field",
	    "From: a@b\nBad Name: x\n", "[From][ a@b]|Bad Name: x\r\n" },
	{ "leading continuation line is body",
	    " x\nFrom: a\n", "| x\r\nFrom: a\r\n" },
	{ "body: bare CR kept, CRLF not doubled, LF made CRLF",
	    "A: b\n\nx\ry\r\nz\n\n", "[A][ b]|x\ry\r\nz\r\n\r\n" },
	{ "body without final newline", "A: b\n\nlast",
	    "[A][ b]|last" },
	{ "a CR line starts the body; the LF after it becomes CRLF",
	    "\r\r\n\nz", "|\r\r\n\r\nz" },
	{ "header end on CRLF, body LF", "A: b\r\n\r\nx\ny\n",
	    "[A][ b]|x\r\ny\r\n" },
};

static void
run(const char *label, const char *in, size_t chunk, const char *want)
{
	struct seen	 s;
	struct msgp	*m;
	size_t		 len = strlen(in), off, n;
	int		 rc = 0;

	memset(&s, 0, sizeof(s));
	m = msgp_new(hdr, body, &s);
	for (off = 0; off < len; off += n) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		rc |= msgp_feed(m, in + off, n);
	}
	rc |= msgp_finish(m);
	msgp_free(m);
	ok(rc == 0, "%s (chunk %zu): no error", label, chunk);
	if (!is_str(s.buf, want, label))
		diag("chunk %zu", chunk);
}

static int
fail_hdr(void *arg, const char *name, const char *value)
{
	(void)arg, (void)name, (void)value;
	return -1;
}

/* A field longer than MSGP_FIELD_MAX arrives cut to that length. */
static size_t	 longest;

static int
len_hdr(void *arg, const char *name, const char *value)
{
	(void)arg;
	if (strlen(name) + 1 + strlen(value) > longest)
		longest = strlen(name) + 1 + strlen(value);
	return 0;
}

static void
bounds(void)
{
	struct msgp	*m;
	char		*big;
	size_t		 n = MSGP_FIELD_MAX + 1000, i;

	big = malloc(n);
	memcpy(big, "X-Big: ", 7);
	for (i = 7; i < n; i++)
		big[i] = i % 80 == 0 ? '\n' : i % 80 == 1 ? ' ' : 'a';
	m = msgp_new(len_hdr, body, NULL);
	ok(msgp_feed(m, big, n) == 0 && msgp_feed(m, "\n\n", 2) == 0 &&
	    msgp_finish(m) == 0, "a field over the limit: no error");
	ok(longest == MSGP_FIELD_MAX, "... delivered cut to MSGP_FIELD_MAX "
	    "(%zu)", longest);
	msgp_free(m);
	free(big);

	m = msgp_new(fail_hdr, body, NULL);
	ok(msgp_feed(m, "A: b\nC: d\n\n", 11) < 0, "a failing callback "
	    "fails the feed");
	ok(msgp_feed(m, "x", 1) < 0 && msgp_finish(m) < 0,
	    "... and every later call");
	msgp_free(m);
	ok(msgp_free(NULL) == NULL, "msgp_free(NULL)");
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(cases[i].label, cases[i].in, 0, cases[i].want);
		run(cases[i].label, cases[i].in, 1, cases[i].want);
		run(cases[i].label, cases[i].in, 7, cases[i].want);
	}
	bounds();
	return done_testing();
}
