/*
 * limit -- the LIMIT syntax of plans and per-user overrides, parsed and
 * formatted back to canonical text.  Pure functions, no allocation.
 *
 *   LIMIT     = DIMENSION "=" COUNT "/" WINDOW
 *             | DIMENSION "=none" [ "/" WINDOW ]   (remove override(s))
 *   DIMENSION = messages | recipients | bytes
 *   COUNT     = 1*DIGIT [ K | M | G ]   powers of 1000 for every dimension
 *               (bytes included); 1 .. LIMIT_COUNT_MAX (10^15, exact in
 *               a Lua number); 0 is refused: to stop a user sending use
 *               "user suspend", which says why.
 *   WINDOW    = 1*DIGIT ( s | m | h | d ) | month
 *               1s .. 365d; "month" is the calendar month in UTC.
 *
 * "messages=none" removes every override of that dimension,
 * "messages=none/1h" only the one with that window.
 *
 * How a window is enforced is the daemon's business: a sliding window
 * N/W may round conservatively to slots of W/60 (never admitting more
 * than N in any interval of length W).  The parser only guarantees a whole
 * number of seconds within the bounds above.
 *
 *   limit_parse(text, lim, err, errlen)    0, or -1 with err set to
 *        "TEXT: reason" (e.g. messages=100/1x: bad window "1x" ...)
 *   limit_format(lim, buf, len)            canonical text ("messages=100/1m",
 *        "bytes=10G/1d", "messages=none"); returns buf ("" if too small)
 *   limit_parse_count(text, &n)            0; -1 syntax, -2 too large, -3 zero
 *   limit_parse_window(text, &w)           0; -1 syntax, -2 out of range
 *   limit_format_count / limit_format_window
 *                                          canonical pieces ("50K", "1h");
 *                                          return buf
 *   limit_dim_name(dim) / limit_dim_lookup(name)
 *                                          "messages" <-> LIMIT_MESSAGES;
 *                                          NULL / -1 when unknown
 *
 * enum limit_dim, its names and LIMIT_MONTH are THE dimensions and the
 * month window of outpost: lib/schema.h's "DIM/WIN" fields and counter
 * keys use them.
 */
#ifndef OUTPOST_LIMIT_H
#define OUTPOST_LIMIT_H

#include <stddef.h>

enum limit_dim {
	LIMIT_MESSAGES,
	LIMIT_RECIPIENTS,
	LIMIT_BYTES,
};
#define LIMIT_NDIM		3

#define LIMIT_MONTH		(-1L)		/* window: calendar month, UTC */
#define LIMIT_ANY_WINDOW	0L		/* "DIM=none": every window */
#define LIMIT_COUNT_MAX		1000000000000000ULL	/* 10^15 */
#define LIMIT_WINDOW_MAX	(365L * 86400)
#define LIMIT_TEXT_MAX		64		/* longest canonical text + NUL */

struct limit {
	int			 dim;		/* enum limit_dim */
	int			 none;		/* DIM=none[/W]: remove */
	unsigned long long	 count;		/* 0 when none */
	long			 window;	/* seconds, LIMIT_MONTH, or
						   LIMIT_ANY_WINDOW (none) */
};

int		 limit_parse(const char *, struct limit *, char *, size_t);
char		*limit_format(const struct limit *, char *, size_t);
int		 limit_parse_count(const char *, unsigned long long *);
int		 limit_parse_window(const char *, long *);
char		*limit_format_count(unsigned long long, char *, size_t);
char		*limit_format_window(long, char *, size_t);
const char	*limit_dim_name(int);
int		 limit_dim_lookup(const char *);

#endif
