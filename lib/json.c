/*
 * json -- streaming JSON writer (see json.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

enum { CTX_TOP, CTX_OBJ, CTX_ARR };

struct json {
	FILE	*fp;
	int	 depth;
	int	 ctx[JSON_DEPTH_MAX + 1];
	int	 count[JSON_DEPTH_MAX + 1];	/* values written per level */
	int	 want_value;			/* a key was just written */
	int	 bad;				/* misuse or deeper than max */
};

struct json *
json_new(FILE *fp)
{
	struct json	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fp = fp;
	j->ctx[0] = CTX_TOP;
	return j;
}

struct json *
json_free(struct json *j)
{
	free(j);
	return NULL;
}

/* Separator before a value (or a key in an object). */
static void
before_value(struct json *j)
{
	if (j->want_value) {
		j->want_value = 0;
		return;
	}
	if (j->ctx[j->depth] == CTX_OBJ)
		j->bad = 1;		/* value without a key */
	else if (j->ctx[j->depth] == CTX_TOP && j->count[0] > 0)
		j->bad = 1;		/* a second top-level value */
	if (j->count[j->depth]++ > 0)
		fputc(',', j->fp);
}

static void
open_ctx(struct json *j, int ctx, int ch)
{
	before_value(j);
	fputc(ch, j->fp);
	if (j->depth == JSON_DEPTH_MAX) {
		j->bad = 1;
		return;
	}
	j->depth++;
	j->ctx[j->depth] = ctx;
	j->count[j->depth] = 0;
}

static void
close_ctx(struct json *j, int ctx, int ch)
{
	if (j->depth == 0 || j->ctx[j->depth] != ctx || j->want_value)
		j->bad = 1;
	else
		j->depth--;
	fputc(ch, j->fp);
}

void json_obj_begin(struct json *j) { open_ctx(j, CTX_OBJ, '{'); }
void json_obj_end(struct json *j) { close_ctx(j, CTX_OBJ, '}'); }
void json_arr_begin(struct json *j) { open_ctx(j, CTX_ARR, '['); }
void json_arr_end(struct json *j) { close_ctx(j, CTX_ARR, ']'); }

static void
put_escaped(FILE *fp, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned int		 cp;
	size_t			 i;
	int			 len;

	fputc('"', fp);
	for (i = 0; i < n; i += (size_t)len) {
		if ((len = utf8_decode(p + i, n - i, &cp)) < 0) {
			fputs("\xef\xbf\xbd", fp);	/* U+FFFD */
			len = 1;
		} else if (cp == '"' || cp == '\\')
			fprintf(fp, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", fp);
		else if (cp == '\r')
			fputs("\\r", fp);
		else if (cp == '\t')
			fputs("\\t", fp);
		else if (cp < 0x20 || cp == 0x7f || cp == 0x2028 ||
		    cp == 0x2029)
			fprintf(fp, "\\u%04x", cp);
		else
			fwrite(p + i, 1, (size_t)len, fp);
	}
	fputc('"', fp);
}

void
json_key(struct json *j, const char *k)
{
	if (j->ctx[j->depth] != CTX_OBJ || j->want_value)
		j->bad = 1;
	if (j->count[j->depth]++ > 0)
		fputc(',', j->fp);
	put_escaped(j->fp, k, strlen(k));
	fputc(':', j->fp);
	j->want_value = 1;
}

void
json_strn(struct json *j, const char *s, size_t n)
{
	before_value(j);
	put_escaped(j->fp, s, n);
}

void
json_str(struct json *j, const char *s)
{
	if (s == NULL)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

void
json_int(struct json *j, long long v)
{
	before_value(j);
	fprintf(j->fp, "%lld", v);
}

void
json_uint(struct json *j, unsigned long long v)
{
	before_value(j);
	fprintf(j->fp, "%llu", v);
}

void
json_double(struct json *j, double v)
{
	before_value(j);
	if (isfinite(v))
		fprintf(j->fp, "%.17g", v);
	else
		fputs("null", j->fp);
}

void
json_bool(struct json *j, int b)
{
	before_value(j);
	fputs(b ? "true" : "false", j->fp);
}

void
json_null(struct json *j)
{
	before_value(j);
	fputs("null", j->fp);
}

void
json_kv_str(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}

void
json_kv_int(struct json *j, const char *k, long long v)
{
	json_key(j, k);
	json_int(j, v);
}

void
json_kv_uint(struct json *j, const char *k, unsigned long long v)
{
	json_key(j, k);
	json_uint(j, v);
}

void
json_kv_bool(struct json *j, const char *k, int v)
{
	json_key(j, k);
	json_bool(j, v);
}

int
json_end(struct json *j)
{
	if (j->depth != 0 || j->want_value || j->count[0] != 1)
		j->bad = 1;
	fputc('\n', j->fp);
	if (fflush(j->fp) != 0 || ferror(j->fp))
		j->bad = 1;
	return j->bad ? -1 : 0;
}
