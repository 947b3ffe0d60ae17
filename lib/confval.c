/*
 * confval -- the value parsers of lib/conf (durations, booleans, lists),
 * shared with outpostctl; see conf.h.  Pure: no state, no I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

#define DAY	(86400L * 1000)

int
conf_parse_duration(const char *s, long *ms)
{
	char		*end;
	double		 v;
	long		 mult;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(end, "d") == 0)
		mult = DAY;
	else if (strcmp(end, "w") == 0)
		mult = 7 * DAY;
	else
		return -1;
	v *= (double)mult;
	if (v > 1e15)
		return -1;
	*ms = (long)v;
	return 0;
}

/*
 * "10%", "0.5%", "0.05%" -> parts per million (100000, 5000, 500); at
 * most four decimals, 0% .. 100%.
 */
int
conf_parse_rate(const char *s, long *ppm)
{
	long	 whole = 0, frac = 0, scale = 10000;
	int	 digits = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		whole = whole * 10 + (*s - '0');
		if (whole > 100)
			return -1;
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++) {
			if (digits == 4)
				return -1;
			scale /= 10;
			frac += (*s - '0') * scale;
		}
		if (digits == 0)
			return -1;
	}
	if (strcmp(s, "%") != 0)
		return -1;
	*ppm = whole * 10000 + frac;
	return *ppm > 1000000 ? -1 : 0;
}

int
conf_parse_bool(const char *s, int *b)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcasecmp(s, "on") || !strcmp(s, "1"))
		*b = 1;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "false") ||
	    !strcasecmp(s, "off") || !strcmp(s, "0"))
		*b = 0;
	else
		return -1;
	return 0;
}

void
strlist_free(struct strlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
strlist_has(const struct strlist *l, const char *s)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int
conf_parse_list(const char *s, struct strlist *out)
{
	struct strlist	 l = { 0, NULL };
	const char	*p = s, *start;
	char		**nv;

	for (;;) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ',' && !isspace((unsigned char)*p))
			p++;
		if ((nv = realloc(l.v, (l.n + 1) * sizeof(*nv))) == NULL)
			goto fail;
		l.v = nv;
		if ((l.v[l.n] = strndup(start, (size_t)(p - start))) == NULL)
			goto fail;
		l.n++;
	}
	*out = l;
	return 0;
fail:
	strlist_free(&l);
	return -1;
}
