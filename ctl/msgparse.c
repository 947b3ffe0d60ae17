/*
 * outpostctl verify -- a stored message read back into what the wire
 * carried: header fields one by one (folds joined, "\r\n" + WSP) and the
 * body with every line ending in CRLF.  Pure: bytes in, callbacks out
 * (ctl.h, "msgparse").
 *
 * Rules: LF or CRLF line ends (a bare LF becomes CRLF, as an MTA sends
 * it); a first line starting with "From " (an mbox separator) is
 * skipped; the header ends at the first empty line, or at the first
 * line that is neither a field ("name:") nor a continuation -- that line
 * is then the body's first line, as Postfix's cleanup takes it.  A field
 * longer than MSGP_FIELD_MAX keeps its first MSGP_FIELD_MAX bytes (the
 * verifier then reports the header block as too large).
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct msgp {
	msgp_header_fn	*hdr;
	msgp_body_fn	*body;
	void		*arg;
	int		 state;		/* 0 first line, 1 header, 2 body */
	int		 failed;
	char		*line;		/* the header line being read */
	size_t		 len, cap;
	char		*field;		/* the field being joined */
	size_t		 flen, fcap;
	int		 cr;		/* body: the last byte was CR */
};

struct msgp *
msgp_new(msgp_header_fn *hdr, msgp_body_fn *body, void *arg)
{
	struct msgp	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->hdr = hdr, m->body = body, m->arg = arg;
	return m;
}

struct msgp *
msgp_free(struct msgp *m)
{
	if (m != NULL) {
		free(m->line);
		free(m->field);
		free(m);
	}
	return NULL;
}

/* Appends to a growing buffer, silently cut at MSGP_FIELD_MAX; -1 ENOMEM. */
static int
grow_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	char	*nb;
	size_t	 nc;

	if (*len + n > MSGP_FIELD_MAX)
		n = MSGP_FIELD_MAX - *len;
	if (*len + n + 1 > *cap) {
		nc = *cap ? *cap : 256;
		while (nc < *len + n + 1)
			nc *= 2;
		if ((nb = realloc(*buf, nc)) == NULL)
			return -1;
		*buf = nb, *cap = nc;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* The pending field to the callback; 0 / -1. */
static int
flush_field(struct msgp *m)
{
	char	*colon;

	if (m->flen == 0)
		return 0;
	colon = strchr(m->field, ':');	/* present: checked when started */
	*colon = '\0';
	m->flen = 0;
	return m->hdr(m->arg, m->field, colon + 1);
}

/* A body chunk with bare LF turned into CRLF; 0 / -1. */
static int
body_bytes(struct msgp *m, const char *p, size_t n)
{
	size_t	 i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : m->cr)) {
			if (m->body(m->arg, p + start, i - start) < 0 ||
			    m->body(m->arg, "\r\n", 2) < 0)
				return -1;
			start = i + 1;
		}
	}
	if (n > 0)
		m->cr = p[n - 1] == '\r';
	if (i > start)
		return m->body(m->arg, p + start, i - start);
	return 0;
}

/* A field name: printable ASCII but ':' and SP (RFC 5322 2.2), then ':'. */
static int
is_field(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && s[i] != ':'; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return i > 0 && i < len;
}

/* One complete header line (its line end removed); 0 / -1. */
static int
header_line(struct msgp *m, const char *s, size_t len)
{
	if (m->state == 0) {
		m->state = 1;
		if (len >= 5 && memcmp(s, "From ", 5) == 0)
			return 0;
	}
	if (len == 0) {
		m->state = 2;
		return flush_field(m);
	}
	if ((s[0] == ' ' || s[0] == '\t') && m->flen > 0)
		return grow_add(&m->field, &m->flen, &m->fcap, "\r\n", 2) < 0 ||
		    grow_add(&m->field, &m->flen, &m->fcap, s, len) < 0 ? -1 : 0;
	if (flush_field(m) < 0)
		return -1;
	if (!is_field(s, len)) {
		/* Not a field: the body starts here (a lone continuation
		 * line before any field included). */
		m->state = 2;
		if (body_bytes(m, s, len) < 0 || m->body(m->arg, "\r\n", 2) < 0)
			return -1;
		m->cr = 0;
		return 0;
	}
	return grow_add(&m->field, &m->flen, &m->fcap, s, len);
}

/* Header bytes: lines gathered in m->line; returns bytes used, -1. */
static long
header_bytes(struct msgp *m, const char *p, size_t n)
{
	const char	*nl;
	size_t		 take, len;

	nl = memchr(p, '\n', n);
	take = nl ? (size_t)(nl - p) + 1 : n;
	if (grow_add(&m->line, &m->len, &m->cap, p, nl ? take - 1 : take) < 0)
		return -1;
	if (nl == NULL)
		return (long)take;
	len = m->len;
	if (len > 0 && m->line[len - 1] == '\r')
		len--;
	m->len = 0;
	return header_line(m, m->line, len) < 0 ? -1 : (long)take;
}

int
msgp_feed(struct msgp *m, const char *p, size_t n)
{
	long	 used;

	if (m->failed)
		return -1;
	while (n > 0 && m->state < 2) {
		if ((used = header_bytes(m, p, n)) < 0)
			return m->failed = -1;
		p += used, n -= (size_t)used;
	}
	if (n > 0 && body_bytes(m, p, n) < 0)
		return m->failed = -1;
	return 0;
}

int
msgp_finish(struct msgp *m)
{
	size_t	 len = m->len;

	if (m->failed)
		return -1;
	if (m->state < 2 && len > 0) {	/* a last header line without LF */
		if (m->line[len - 1] == '\r')
			len--;
		m->len = 0;
		if (header_line(m, m->line, len) < 0)
			return m->failed = -1;
	}
	if (m->state < 2 && flush_field(m) < 0)
		return m->failed = -1;
	m->state = 2;
	return 0;
}
