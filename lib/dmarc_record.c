/*
 * dmarc_record -- the DMARC record parser of lib/dmarc.h: a TXT string in,
 * a struct dmarc_record out.  Pure: no allocation, no DNS.
 *
 * The grammar is the DKIM tag list (RFC 6376 3.2) with "v=DMARC1" first:
 * tag-spec *( ";" tag-spec ) [";"], white space allowed around names,
 * '=' and values.  Copies of published text (rua, ruf, the note) are made
 * printable: a byte outside printable ASCII becomes '?', so a record can
 * go into a log line or an SMTP reply as it is.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "errf.h"

/* Known tags; a bit each in the "seen" mask. */
enum tag {
	T_V, T_P, T_SP, T_NP, T_ADKIM, T_ASPF, T_T, T_PSD, T_PCT, T_RUA,
	T_RUF, T_FO, T_RI, T_RF, T_UNKNOWN
};

static const char *const tagnames[] = {
	"v", "p", "sp", "np", "adkim", "aspf", "t", "psd", "pct", "rua",
	"ruf", "fo", "ri", "rf"
};

/* One tag of the list, name and value trimmed, pointing into the text. */
struct span {
	const char	*s;
	size_t		 len;
};

struct parse {
	struct dmarc_record	*out;
	unsigned		 seen;
	int			 bad_policy;	/* a p/sp/np value was bad */
	char			 bad_text[80];	/* "p= value 'x'" */
};

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct span
trim(const char *s, size_t len)
{
	struct span	 r;

	while (len > 0 && is_ws((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_ws((unsigned char)s[len - 1]))
		len--;
	r.s = s;
	r.len = len;
	return r;
}

static int
span_is(struct span v, const char *word)
{
	return v.len == strlen(word) && strncasecmp(v.s, word, v.len) == 0;
}

/* Printable copy of a span into dst (size dstlen); 1 if truncated. */
static int
copy_printable(char *dst, size_t dstlen, struct span v)
{
	size_t	 i, n = v.len < dstlen - 1 ? v.len : dstlen - 1;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v.s[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
	return n < v.len;
}

static void __attribute__((format(printf, 2, 3)))
add_note(struct dmarc_record *r, const char *fmt, ...)
{
	size_t	 used = strlen(r->note);
	va_list	 ap;

	if (used > 0 && used + 2 < sizeof(r->note)) {
		memcpy(r->note + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= sizeof(r->note))
		return;
	va_start(ap, fmt);
	vsnprintf(r->note + used, sizeof(r->note) - used, fmt, ap);
	va_end(ap);
}

static enum tag
tag_of(struct span name)
{
	size_t	 i;

	for (i = 0; i < sizeof(tagnames) / sizeof(tagnames[0]); i++)
		if (span_is(name, tagnames[i]))
			return (enum tag)i;
	return T_UNKNOWN;
}

static int
valid_name(struct span name)
{
	size_t	 i;

	if (name.len == 0 || !isalpha((unsigned char)name.s[0]))
		return 0;
	for (i = 1; i < name.len; i++)
		if (!isalnum((unsigned char)name.s[i]) && name.s[i] != '_')
			return 0;
	return 1;
}

/* none / quarantine / reject, or -1. */
static int
policy_of(struct span v)
{
	if (span_is(v, "none"))
		return DMARC_NONE;
	if (span_is(v, "quarantine"))
		return DMARC_QUARANTINE;
	if (span_is(v, "reject"))
		return DMARC_REJECT;
	return -1;
}

/* Whether a comma-separated URI list holds one URI with a valid scheme. */
static int
has_valid_uri(struct span v)
{
	const char	*p = v.s, *end = v.s + v.len;
	struct span	 u;
	size_t		 i;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		u = trim(p, (size_t)((c != NULL ? c : end) - p));
		p = c != NULL ? c + 1 : end;
		if (u.len == 0 || !isalpha((unsigned char)u.s[0]))
			continue;
		for (i = 1; i < u.len; i++)
			if (!isalnum((unsigned char)u.s[i]) && u.s[i] != '+' &&
			    u.s[i] != '-' && u.s[i] != '.')
				break;
		if (i < u.len && u.s[i] == ':' && i + 1 < u.len)
			return 1;
	}
	return 0;
}

static void
set_policy(struct parse *ps, int *dst, const char *tag, struct span v)
{
	char	 shown[40];

	if ((*dst = policy_of(v)) >= 0)
		return;
	*dst = -1;
	if (!ps->bad_policy) {
		copy_printable(shown, sizeof(shown), v);
		snprintf(ps->bad_text, sizeof(ps->bad_text),
		    "invalid %s= value '%s'", tag, shown);
	}
	ps->bad_policy = 1;
}

/* A one-letter choice among "letters" (e.g. "rs"); -1 when none fits. */
static int
letter_of(struct dmarc_record *r, const char *tag, struct span v,
    const char *letters)
{
	char	 shown[40];

	if (v.len == 1 && strchr(letters, tolower((unsigned char)v.s[0])))
		return tolower((unsigned char)v.s[0]);
	copy_printable(shown, sizeof(shown), v);
	add_note(r, "invalid %s= value '%s' ignored", tag, shown);
	return -1;
}

static void
set_pct(struct dmarc_record *r, struct span v)
{
	char	 shown[40];
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < v.len && i < 4 && isdigit((unsigned char)v.s[i]); i++)
		n = n * 10 + (v.s[i] - '0');
	if (v.len > 0 && i == v.len && n <= 100) {
		r->pct = n;
		return;
	}
	copy_printable(shown, sizeof(shown), v);
	add_note(r, "invalid pct= value '%s' ignored", shown);
}

static void
set_uri(struct dmarc_record *r, char *dst, size_t len, unsigned trunc,
    struct span v)
{
	if (copy_printable(dst, len, v))
		r->flags |= trunc;
}

static void
apply_tag(struct parse *ps, enum tag t, struct span v)
{
	struct dmarc_record	*r = ps->out;
	int			 c;

	switch (t) {
	case T_P:	set_policy(ps, &r->p, "p", v); break;
	case T_SP:	set_policy(ps, &r->sp, "sp", v); break;
	case T_NP:	set_policy(ps, &r->np, "np", v); break;
	case T_ADKIM:
		if ((c = letter_of(r, "adkim", v, "rs")) >= 0)
			r->adkim_strict = c == 's';
		break;
	case T_ASPF:
		if ((c = letter_of(r, "aspf", v, "rs")) >= 0)
			r->aspf_strict = c == 's';
		break;
	case T_T:
		if ((c = letter_of(r, "t", v, "yn")) >= 0)
			r->testing = c == 'y';
		break;
	case T_PSD:
		if ((c = letter_of(r, "psd", v, "ynu")) >= 0)
			r->psd = c == 'y' ? DMARC_PSD_Y :
			    c == 'n' ? DMARC_PSD_N : DMARC_PSD_U;
		break;
	case T_PCT:	set_pct(r, v); break;
	case T_RUA:
		set_uri(r, r->rua, sizeof(r->rua), DMARC_REC_RUA_TRUNC, v);
		break;
	case T_RUF:
		set_uri(r, r->ruf, sizeof(r->ruf), DMARC_REC_RUF_TRUNC, v);
		break;
	default:	break;	/* v (checked), fo, ri, rf, unknown */
	}
}

int
dmarc_record_is_dmarc(const char *txt)
{
	const char	*semi, *eq;
	struct span	 tag, name, value;

	if (txt == NULL)
		return 0;
	semi = strchr(txt, ';');
	tag = trim(txt, semi != NULL ? (size_t)(semi - txt) : strlen(txt));
	if ((eq = memchr(tag.s, '=', tag.len)) == NULL)
		return 0;
	name = trim(tag.s, (size_t)(eq - tag.s));
	value = trim(eq + 1, tag.len - (size_t)(eq + 1 - tag.s));
	return span_is(name, "v") && value.len == 6 &&
	    memcmp(value.s, "DMARC1", 6) == 0;
}

static void
record_init(struct dmarc_record *r)
{
	memset(r, 0, sizeof(*r));
	r->p = -1;
	r->sp = -1;
	r->np = -1;
	r->pct = 100;
}

/* One "name=value" piece; 0 or -1 with err. */
static int
parse_tag(struct parse *ps, struct span piece, char *err, size_t errlen)
{
	const char	*eq;
	struct span	 name, value;
	enum tag	 t;
	char		 shown[40];

	copy_printable(shown, sizeof(shown), piece);
	if ((eq = memchr(piece.s, '=', piece.len)) == NULL)
		return errf(err, errlen, "tag without '=': '%s'", shown);
	name = trim(piece.s, (size_t)(eq - piece.s));
	value = trim(eq + 1, piece.len - (size_t)(eq + 1 - piece.s));
	if (!valid_name(name))
		return errf(err, errlen, "bad tag name in '%s'", shown);
	if ((t = tag_of(name)) == T_UNKNOWN) {
		copy_printable(shown, sizeof(shown), name);
		add_note(ps->out, "unknown tag '%s' ignored", shown);
		return 0;
	}
	if (ps->seen & (1u << t))
		return errf(err, errlen, "tag '%s' appears twice", tagnames[t]);
	ps->seen |= 1u << t;
	apply_tag(ps, t, value);
	return 0;
}

/* The p/sp/np rules of RFC 9989 once every tag is read. */
static int
settle_policy(struct parse *ps, char *err, size_t errlen)
{
	struct dmarc_record	*r = ps->out;

	if (ps->bad_policy) {
		if (!(ps->seen & (1u << T_RUA)) ||
		    !has_valid_uri((struct span){ r->rua, strlen(r->rua) }))
			return errf(err, errlen, "%s (and no valid rua=)",
			    ps->bad_text);
		r->p = DMARC_NONE;
		r->sp = r->np = -1;
		r->flags |= DMARC_REC_DOWNGRADED;
		add_note(r, "%s: taken as p=none", ps->bad_text);
		return 0;
	}
	if (r->p < 0) {
		r->p = DMARC_NONE;
		r->flags |= DMARC_REC_NO_P;
		add_note(r, "no p=: taken as p=none");
	}
	return 0;
}

int
dmarc_record_parse(const char *txt, struct dmarc_record *out, char *err,
    size_t errlen)
{
	struct parse	 ps;
	const char	*p, *semi;
	struct span	 piece;

	record_init(out);
	if (txt == NULL || !dmarc_record_is_dmarc(txt))
		return errf(err, errlen,
		    "not a DMARC record (must start with v=DMARC1)");
	memset(&ps, 0, sizeof(ps));
	ps.out = out;
	for (p = txt;; p = semi + 1) {
		semi = strchr(p, ';');
		piece = trim(p, semi != NULL ? (size_t)(semi - p) : strlen(p));
		if (piece.len > 0 && parse_tag(&ps, piece, err, errlen) < 0) {
			record_init(out);
			return -1;
		}
		if (semi == NULL)
			break;
	}
	if (settle_policy(&ps, err, errlen) < 0) {
		record_init(out);
		return -1;
	}
	return 0;
}

const char *
dmarc_policy_name(int p)
{
	switch (p) {
	case DMARC_NONE:	return "none";
	case DMARC_QUARANTINE:	return "quarantine";
	case DMARC_REJECT:	return "reject";
	default:		return "?";
	}
}
