/*
 * Unit test of lib/json: exact bytes written for each kind of value and
 * escape, and json_end's verdict on balanced and unbalanced documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "../tap.h"

struct mem {
	char	*buf;
	size_t	 len;
	FILE	*fp;
};

static struct json *
start(struct mem *m)
{
	m->buf = NULL;
	m->fp = open_memstream(&m->buf, &m->len);
	return json_new(m->fp);
}

/* Finish, compare with want and the end status with rc. */
static void
check(struct mem *m, struct json *j, const char *want, int rc,
    const char *name)
{
	int	 got = json_end(j);

	json_free(j);
	fclose(m->fp);
	is_str(m->buf, want, name);
	is_int(got, rc, "  json_end status");
	free(m->buf);
}

static const struct {
	const char	*in;
	size_t		 n;
	const char	*out;
	const char	*name;
} strings[] = {
	{ "plain", 5, "\"plain\"\n", "plain" },
	{ "q\"b\\s/", 6, "\"q\\\"b\\\\s/\"\n", "quote, backslash, slash" },
	{ "a\nb\rc\td", 7, "\"a\\nb\\rc\\td\"\n", "short escapes" },
	{ "\001\037\177", 3, "\"\\u0001\\u001f\\u007f\"\n", "controls" },
	{ "nul\0x", 5, "\"nul\\u0000x\"\n", "embedded NUL" },
	{ "Exämple €", 12, "\"Exämple €\"\n", "UTF-8 kept" },
	{ "a\xff" "b", 3, "\"a\xef\xbf\xbd" "b\"\n", "bad byte -> U+FFFD" },
	{ "\xc3", 1, "\"\xef\xbf\xbd\"\n", "truncated -> U+FFFD" },
	{ "\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"\n",
	    "surrogate -> 3 x U+FFFD" },
	{ "\xe2\x80\xa8", 3, "\"\\u2028\"\n", "U+2028 escaped" },
	{ "", 0, "\"\"\n", "empty" },
};

static void
test_strings(void)
{
	struct mem	 m;
	struct json	*j;
	size_t		 i;

	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		j = start(&m);
		json_strn(j, strings[i].in, strings[i].n);
		check(&m, j, strings[i].out, 0, strings[i].name);
	}
}

static void
test_document(void)
{
	struct mem	 m;
	struct json	*j;

	j = start(&m);
	json_obj_begin(j);
	json_kv_str(j, "name", "alice");
	json_kv_int(j, "neg", -42);
	json_kv_uint(j, "big", 18446744073709551615ULL);
	json_kv_bool(j, "on", 1);
	json_kv_bool(j, "off", 0);
	json_key(j, "nothing");
	json_null(j);
	json_kv_str(j, "nul", NULL);
	json_key(j, "list");
	json_arr_begin(j);
	json_int(j, 1);
	json_double(j, 0.5);
	json_double(j, 1.0 / 0.0);
	json_arr_begin(j);
	json_arr_end(j);
	json_obj_begin(j);
	json_obj_end(j);
	json_arr_end(j);
	json_obj_end(j);
	check(&m, j, "{\"name\":\"alice\",\"neg\":-42,"
	    "\"big\":18446744073709551615,\"on\":true,\"off\":false,"
	    "\"nothing\":null,\"nul\":null,\"list\":[1,0.5,null,[],{}]}\n", 0,
	    "nested document");

	j = start(&m);
	json_arr_begin(j);
	check(&m, j, "[\n", -1, "unclosed array refused");

	j = start(&m);
	json_obj_begin(j);
	json_int(j, 1);
	json_obj_end(j);
	check(&m, j, "{1}\n", -1, "value without key refused");

	j = start(&m);
	json_obj_begin(j);
	json_key(j, "a");
	json_obj_end(j);
	check(&m, j, "{\"a\":}\n", -1, "key without value refused");

	j = start(&m);
	json_arr_begin(j);
	json_obj_end(j);
	check(&m, j, "[}\n", -1, "mismatched close refused");

	j = start(&m);
	json_int(j, 1);
	json_int(j, 2);
	check(&m, j, "1,2\n", -1, "two top-level values refused");

	j = start(&m);
	check(&m, j, "\n", -1, "no value refused");
}

static void
test_depth(void)
{
	struct mem	 m;
	struct json	*j;
	int		 i;

	j = start(&m);
	for (i = 0; i < JSON_DEPTH_MAX; i++)
		json_arr_begin(j);
	for (i = 0; i < JSON_DEPTH_MAX; i++)
		json_arr_end(j);
	ok(json_end(j) == 0, "depth %d accepted", JSON_DEPTH_MAX);
	json_free(j);
	fclose(m.fp);
	free(m.buf);

	j = start(&m);
	for (i = 0; i <= JSON_DEPTH_MAX; i++)
		json_arr_begin(j);
	ok(json_end(j) == -1, "depth %d refused", JSON_DEPTH_MAX + 1);
	json_free(j);
	fclose(m.fp);
	free(m.buf);
	ok(json_free(NULL) == NULL, "json_free(NULL)");
}

int
main(void)
{
	test_strings();
	test_document();
	test_depth();
	return done_testing();
}
