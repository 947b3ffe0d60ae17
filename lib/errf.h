/*
 * errf -- the error buffer convention of lib/: a function that fails
 * writes one line of text into the caller's (err, errlen) buffer and
 * returns -1, so the failing path is a single statement:
 *
 *     if (len > 63)
 *         return errf(err, errlen, "label longer than 63 characters");
 *
 *   errf(err, errlen, fmt, ...)
 *       printf-style text into err, truncated to errlen - 1 bytes and
 *       always NUL-terminated; err may be NULL or errlen 0 (the text is
 *       dropped).  Returns -1.  Never allocates, never logs.
 */
#ifndef OUTPOST_ERRF_H
#define OUTPOST_ERRF_H

#include <stddef.h>

int	 errf(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
