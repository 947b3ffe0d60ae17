/*
 * utf8 -- decode and validate UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  Pure functions.
 *
 *   utf8_decode(s, n, &cp)   length (1-4) of the sequence at s and its code
 *                            point in cp, or -1 if s does not start a valid
 *                            sequence within n bytes (n >= 1)
 *   utf8_valid(s, n)         1 if all n bytes are valid UTF-8, else 0
 */
#ifndef OUTPOST_UTF8_H
#define OUTPOST_UTF8_H

#include <stddef.h>

int	 utf8_decode(const unsigned char *, size_t, unsigned int *);
int	 utf8_valid(const unsigned char *, size_t);

#endif
