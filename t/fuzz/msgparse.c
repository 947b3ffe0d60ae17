/*
 * libFuzzer target for ctl/msgparse (outpostctl verify's reader of stored
 * messages): the input parsed whole and again in chunks of a size taken
 * from its first byte must give the same fields and body; every field
 * name is a non-empty run of printable ASCII without ':'; every LF of the
 * body follows a CR; nothing longer than MSGP_FIELD_MAX is delivered.
 */
// fuzz-sources: ctl/msgparse.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct out {
	char	*buf;
	size_t	 len, cap;
	int	 prev_cr;
};

static void
put(struct out *o, const char *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 64;
		if ((o->buf = realloc(o->buf, o->cap)) == NULL)
			abort();
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static int
hdr(void *arg, const char *name, const char *value)
{
	const char	*p;

	if (*name == '\0' || strlen(name) + strlen(value) + 1 > MSGP_FIELD_MAX)
		abort();
	for (p = name; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == ':')
			abort();
	put(arg, name, strlen(name));
	put(arg, "\0", 1);
	put(arg, value, strlen(value));
	put(arg, "\0", 1);
	return 0;
}

static int
body(void *arg, const char *p, size_t n)
{
	struct out	*o = arg;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && !o->prev_cr)
			abort();
		o->prev_cr = p[i] == '\r';
	}
	put(o, "|", 1);
	put(o, p, n);
	return 0;
}

static void
parse(const uint8_t *data, size_t size, size_t chunk, struct out *o)
{
	struct msgp	*m;
	size_t		 off, n;

	if ((m = msgp_new(hdr, body, o)) == NULL)
		abort();
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (msgp_feed(m, (const char *)data + off, n) < 0)
			abort();
	}
	if (msgp_finish(m) < 0)
		abort();
	msgp_free(m);
}

/* Body pieces joined: chunking may split body callbacks differently. */
static size_t
squash(struct out *o)
{
	size_t	 i, w = 0;

	for (i = 0; i < o->len; i++)
		if (o->buf[i] != '|')
			o->buf[w++] = o->buf[i];
	return w;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out	 a = { 0 }, b = { 0 };
	size_t		 chunk = size ? (size_t)data[0] % 16 + 1 : 1;
	size_t		 la, lb;

	parse(data, size, size ? size : 1, &a);
	parse(data, size, chunk, &b);
	la = squash(&a), lb = squash(&b);
	if (la != lb || (la && memcmp(a.buf, b.buf, la) != 0))
		abort();
	free(a.buf);
	free(b.buf);
	return 0;
}
