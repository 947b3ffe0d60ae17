/*
 * proto -- the Postfix policy delegation protocol, request side: lines of
 * "name=value" ended by an empty line (SMTPD_POLICY_README).  A pure
 * function over the caller's buffer; see policyd.h for the contract.
 */
#include <stdio.h>
#include <string.h>

#include "policyd.h"

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* 0 if line [p, p+n) is name=value (a trailing CR allowed). */
static int
valid_line(const char *p, size_t n, char *err, size_t errlen)
{
	const char	*eq;
	size_t		 i;

	if (memchr(p, '\0', n) != NULL) {
		snprintf(err, errlen, "NUL byte in attribute line");
		return -1;
	}
	eq = memchr(p, '=', n);
	if (eq == NULL || eq == p) {
		snprintf(err, errlen, "line is not name=value: \"%.*s\"",
		    (int)(n < 40 ? n : 40), p);
		return -1;
	}
	for (i = 0; p + i < eq; i++)
		if (!name_char((unsigned char)p[i])) {
			snprintf(err, errlen, "bad attribute name: \"%.*s\"",
			    (int)(n < 40 ? n : 40), p);
			return -1;
		}
	return 0;
}

/* Find the end of one request; 1 found (*used set), 0 more, -1 bad. */
static int
scan(const char *buf, size_t len, size_t *used, int *nlines, char *err,
    size_t errlen)
{
	size_t		 pos = 0, n;
	const char	*nl;

	*nlines = 0;
	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		if (n > POL_LINE_MAX) {
			snprintf(err, errlen, "attribute line longer than %d "
			    "bytes", POL_LINE_MAX);
			return -1;
		}
		if (nl == NULL)
			break;
		if (n == 0 || (n == 1 && buf[pos] == '\r')) {
			if (*nlines == 0) {
				snprintf(err, errlen, "empty request");
				return -1;
			}
			*used = pos + n + 1;
			return 1;
		}
		if (valid_line(buf + pos, n, err, errlen) < 0)
			return -1;
		(*nlines)++;
		pos += n + 1;
		if (pos >= POL_REQUEST_MAX)
			break;
	}
	if (len >= POL_REQUEST_MAX) {
		snprintf(err, errlen, "no end of request within %d bytes",
		    POL_REQUEST_MAX);
		return -1;
	}
	if (pos < len && memchr(buf + pos, '\0', len - pos) != NULL) {
		snprintf(err, errlen, "NUL byte in attribute line");
		return -1;
	}
	return 0;
}

static void
assign(struct pol_request *req, const char *name, const char *value)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} attrs[] = {
#define A(f)	{ #f, offsetof(struct pol_request, f) }
		A(request), A(protocol_state), A(sasl_username), A(sender),
		A(recipient), A(recipient_count), A(size), A(queue_id),
		A(instance), A(client_address),
#undef A
	};
	size_t	 i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (name[0] == attrs[i].name[0] &&
		    strcmp(name, attrs[i].name) == 0) {
			*(const char **)((char *)req + attrs[i].off) = value;
			return;
		}
}

/* 0 if a count attribute is "" or 1 to POL_COUNT_DIGITS decimal digits. */
static int
valid_count(const char *name, const char *v, char *err, size_t errlen)
{
	size_t	 n = strspn(v, "0123456789");

	if (v[n] == '\0' && n <= POL_COUNT_DIGITS)
		return 0;
	snprintf(err, errlen, "%s is not a count of at most %d decimal digits: "
	    "\"%.40s\"", name, POL_COUNT_DIGITS, v);
	return -1;
}

int
pol_parse(char *buf, size_t len, struct pol_request *req, size_t *used,
    char *err, size_t errlen)
{
	char	*p, *nl, *eq, *end;
	int	 rc, nlines;

	if ((rc = scan(buf, len, used, &nlines, err, errlen)) <= 0)
		return rc;
	memset(req, 0, sizeof(*req));
	req->request = req->protocol_state = req->sasl_username = "";
	req->sender = req->recipient = req->recipient_count = "";
	req->size = req->queue_id = req->instance = "";
	req->client_address = "";
	end = buf + *used;
	for (p = buf; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p || (nl == p + 1 && *p == '\r'))
			break;
		*nl = '\0';
		if (nl[-1] == '\r')
			nl[-1] = '\0';
		eq = strchr(p, '=');
		*eq = '\0';
		assign(req, p, eq + 1);
		req->nattrs++;
	}
	if (valid_count("size", req->size, err, errlen) < 0 ||
	    valid_count("recipient_count", req->recipient_count, err,
	    errlen) < 0)
		return -1;
	return 1;
}
