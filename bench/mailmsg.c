/*
 * mailmsg -- the message a load generator sends, built in or read from a
 * file, and written back out with the signatures a milter added.  The
 * interface and ownership are described in mailmsg.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "benchutil.h"
#include "mailmsg.h"

#define MSG_SIZE	4096

/* A header being read: its name, and its value so far. */
struct loader {
	char	*name, *val;
	size_t	 vlen, vcap;
};

static void
add_header(struct mailmsg *m, const char *name, const char *value)
{
	m->hdrs = bench_realloc(m->hdrs, (m->nhdrs + 1) * sizeof *m->hdrs);
	m->hdrs[m->nhdrs].name = strdup(name);
	m->hdrs[m->nhdrs].value = strdup(value);
	m->nhdrs++;
}

void
mailmsg_default(struct mailmsg *m)
{
	static const char *h[][2] = {
		{ "From", " Bench Sender <bench@example.com>" },
		{ "To", " Receiver <rcpt@example.org>" },
		{ "Subject", " outpost benchmark message" },
		{ "Date", " Mon, 01 Jan 2024 00:00:00 +0000" },
		{ "Message-ID", " <bench.1@example.com>" },
		{ "MIME-Version", " 1.0" },
		{ "Content-Type", " text/plain; charset=us-ascii" },
	};
	size_t hl = 2, i, n;

	for (i = 0; i < sizeof h / sizeof h[0]; i++) {
		add_header(m, h[i][0], h[i][1]);
		hl += strlen(h[i][0]) + 1 + strlen(h[i][1]) + 2;
	}
	m->bodylen = MSG_SIZE - hl;
	if ((m->body = malloc(m->bodylen + 1)) == NULL)
		bench_die("malloc");
	for (n = 0, i = 0; n < m->bodylen; i++) {
		char line[80];
		int l = snprintf(line, sizeof line, "Line %04zu of the "
		    "benchmark body, the quick brown fox jumps over.\r\n", i);
		size_t take = (size_t)l < m->bodylen - n ? (size_t)l :
		    m->bodylen - n;
		memcpy(m->body + n, line, take);
		n += take;
	}
	if (m->bodylen >= 2)
		memcpy(m->body + m->bodylen - 2, "\r\n", 2);
}

void
mailmsg_clear(struct mailmsg *m)
{
	int i;

	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	free(m->body);
	memset(m, 0, sizeof *m);
}

/* Appends text to *buf, turning bare LF into CRLF; room is left for a
 * NUL. */
static void
append_crlf(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (*len + 2 >= *cap) {
			*cap = *cap ? *cap * 2 : 8192;
			*buf = bench_realloc(*buf, *cap);
		}
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			(*buf)[(*len)++] = '\r';
		(*buf)[(*len)++] = s[i];
	}
}

/* Length of line without its line end. */
static size_t
chomp(const char *line, size_t n)
{
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	return n;
}

/* Adds the header being read, if any, to m. */
static void
flush_header(struct mailmsg *m, struct loader *l)
{
	if (l->name == NULL)
		return;
	if (l->val)
		l->val[l->vlen] = '\0';
	add_header(m, l->name, l->val ? l->val : "");
	free(l->name);
	l->name = NULL;
	l->vlen = 0;
}

/* One line of the header section: 1 when the header goes on, 0 at the
 * empty line that ends it, -1 for a line that is not a header.  Folded
 * lines stay in the value with CRLF, as MTAs pass them. */
static int
header_line(struct mailmsg *m, struct loader *l, const char *line, size_t n)
{
	const char *colon;

	if ((line[0] == ' ' || line[0] == '\t') && l->name) {
		append_crlf(&l->val, &l->vlen, &l->vcap, "\n", 1);
		append_crlf(&l->val, &l->vlen, &l->vcap, line, chomp(line, n));
		return 1;
	}
	flush_header(m, l);
	if (line[0] == '\n' || line[0] == '\r')
		return 0;
	if ((colon = strchr(line, ':')) == NULL)
		return -1;
	l->name = strndup(line, (size_t)(colon - line));
	append_crlf(&l->val, &l->vlen, &l->vcap, colon + 1,
	    (size_t)(line + chomp(line, n) - colon - 1));
	return 1;
}

int
mailmsg_load(struct mailmsg *m, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct loader l = { 0 };
	char *line = NULL;
	size_t lcap = 0, bcap = 0;
	ssize_t n;
	int inhdr = 1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (inhdr >= 0 && (n = getline(&line, &lcap, f)) > 0) {
		if (inhdr)
			inhdr = header_line(m, &l, line, (size_t)n);
		else
			append_crlf(&m->body, &m->bodylen, &bcap, line,
			    (size_t)n);
	}
	flush_header(m, &l);
	if (m->body == NULL)
		m->body = strdup("");
	free(line);
	free(l.val);
	fclose(f);
	if (inhdr < 0) {
		snprintf(err, errlen, "%s: bad header line", path);
		return -1;
	}
	return 0;
}

/* Writes s without its CRs. */
static void
put_lf(FILE *f, const char *s, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (s[j] != '\r')
			fputc(s[j], f);
}

int
mailmsg_write_signed(const struct mailmsg *m, const char *path,
    char *const *sig, int nsig)
{
	FILE *f = fopen(path, "w");
	int i;

	if (f == NULL)
		return -1;
	for (i = nsig - 1; i >= 0; i--) {
		if (sig[i])
			put_lf(f, sig[i], strlen(sig[i]));
		fputc('\n', f);
	}
	for (i = 0; i < m->nhdrs; i++) {
		fprintf(f, "%s:", m->hdrs[i].name);
		put_lf(f, m->hdrs[i].value, strlen(m->hdrs[i].value));
		fputc('\n', f);
	}
	fputc('\n', f);
	put_lf(f, m->body, m->bodylen);
	fclose(f);
	return 0;
}
