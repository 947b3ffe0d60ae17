/*
 * json -- a small streaming JSON writer for --json output.  The writer
 * inserts the commas and colons; the caller only opens, closes and emits
 * values in order.
 *
 *   json_new(fp)              writer on fp (NULL if out of memory)
 *   json_free(j)              frees the writer, returns NULL; accepts NULL
 *   json_obj_begin/end(j), json_arr_begin/end(j)
 *   json_key(j, k)            next member's name (inside an object)
 *   json_str(j, s)            a string; NULL is written as null
 *   json_strn(j, s, n)        n bytes; invalid UTF-8 becomes U+FFFD,
 *                             control characters \u00XX (or \n, \t ...)
 *   json_int(j, v), json_uint(j, v), json_double(j, v) (non-finite: null),
 *   json_bool(j, b), json_null(j)
 *   json_kv_str / json_kv_int / json_kv_uint / json_kv_bool
 *                             json_key + value in one call
 *   json_end(j)               writes "\n" after the top value; returns 0,
 *                             or -1 if the nesting was not balanced or
 *                             too deep (JSON_DEPTH_MAX) or a write failed
 *
 * Nesting errors are not fatal while writing: the writer records them and
 * json_end reports them, so callers keep straight-line code.
 */
#ifndef OUTPOST_JSON_H
#define OUTPOST_JSON_H

#include <stddef.h>
#include <stdio.h>

#define JSON_DEPTH_MAX	32

struct json;

struct json	*json_new(FILE *);
struct json	*json_free(struct json *);
void		 json_obj_begin(struct json *);
void		 json_obj_end(struct json *);
void		 json_arr_begin(struct json *);
void		 json_arr_end(struct json *);
void		 json_key(struct json *, const char *);
void		 json_str(struct json *, const char *);
void		 json_strn(struct json *, const char *, size_t);
void		 json_int(struct json *, long long);
void		 json_uint(struct json *, unsigned long long);
void		 json_double(struct json *, double);
void		 json_bool(struct json *, int);
void		 json_null(struct json *);
void		 json_kv_str(struct json *, const char *, const char *);
void		 json_kv_int(struct json *, const char *, long long);
void		 json_kv_uint(struct json *, const char *, unsigned long long);
void		 json_kv_bool(struct json *, const char *, int);
int		 json_end(struct json *);

#endif
