/*
 * pflog_int -- what the files of lib/pflog share; not for callers.
 *
 *   pflog_save(r, p, n)      copy p[0..n) into r's arena, NUL-terminated;
 *                            NULL when the arena is full
 *   pflog_digits(p, end, n)  the value of n decimal digits at p, or -1
 *   pflog_starts(p, end, s)  1 when p begins with s
 *   pflog_message(r, p, end) the message after "service[pid]: [QID: ]":
 *                            fills r, returns its kind (pflog_fields.c)
 */
#ifndef OUTPOST_PFLOG_INT_H
#define OUTPOST_PFLOG_INT_H

#include <string.h>

#include "pflog.h"

const char	*pflog_save(struct pflog_rec *, const char *, size_t);
long		 pflog_digits(const char *, const char *, int);

/* Inline: with a literal s, strlen is folded at compile time. */
static inline int
pflog_starts(const char *p, const char *end, const char *s)
{
	size_t	 n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}
enum pflog_kind	 pflog_message(struct pflog_rec *, const char *,
		    const char *);

#endif
