/*
 * chart -- line charts of several series drawn by the server as inline
 * SVG (no external asset; no script needed to read them).
 *
 * What a browser shows without JavaScript: each point a <circle> with a
 * <title> "LABEL: SERIES VALUE", each column (one label) a transparent
 * <rect class="hit"> under the points with a <title> naming every
 * series' value there; a legend of the series below.  What the console's
 * script (static.c) reads: the <svg>'s data-base (the y of 0) and
 * data-h (the height of the scale), each series' <g class="series"
 * data-series="NAME">, each point's data-i (its column) and data-v (its
 * value), each column's data-i and data-label, the legend entries' <span
 * class="key" data-series="NAME">, and the <text class="ymax"> of the
 * scale; with them it shows a read-out of the column under the pointer
 * and hides a series (and rescales) when its legend entry is clicked.
 * The highest value sets the scale, rounded up to a number that reads
 * well.
 */
#include <limits.h>
#include <stdio.h>

#include "web.h"

#define CW	480	/* drawing width */
#define CH	120	/* the scale's height */
#define LEFT	48
#define TOP	6
#define BOTTOM	18

static unsigned long long
nice_max(unsigned long long m)
{
	unsigned long long	 p = 1;

	if (m == 0)
		return 1;
	while (p <= m / 10)	/* p * 10 <= m, without overflow */
		p *= 10;
	if (m <= p)
		return p;
	if (p > ULLONG_MAX / 10)
		return m;	/* 2 * p may not fit: the scale is m itself */
	if (m <= 2 * p)
		return 2 * p;
	if (m <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static int
y_of(unsigned long long v, unsigned long long top)
{
	return TOP + CH - (int)((double)v * CH / (double)top);
}

/* The transparent column of label i, its title every series' value. */
static void
column(struct req *q, const struct chart *c, int i, int x, int bw)
{
	int	 k;

	hf(q, "<rect class=\"hit\" data-i=\"%d\" data-label=\"%s\" x=\"%d\" "
	    "y=\"%d\" width=\"%d\" height=\"%d\"><title>%s:", i, c->labels[i],
	    x, TOP, bw, CH, c->labels[i]);
	for (k = 0; k < c->ns; k++)
		hf(q, "%r %s %u", k ? "," : "", c->names[k],
		    c->v[k * c->n + i]);
	hf(q, "</title></rect>");
}

static void
series(struct req *q, const struct chart *c, int k, unsigned long long top,
    int bw)
{
	const unsigned long long	*v = c->v + k * c->n;
	int				 i;

	hf(q, "<g class=\"series c%d\" data-series=\"%s\"><polyline "
	    "points=\"", k, c->names[k]);
	for (i = 0; i < c->n; i++)
		hf(q, "%r%d,%d", i ? " " : "", LEFT + i * bw + bw / 2,
		    y_of(v[i], top));
	hf(q, "\"/>");
	for (i = 0; i < c->n; i++)
		hf(q, "<circle class=\"pt\" data-test=\"chart-point\" "
		    "data-i=\"%d\" data-v=\"%u\" cx=\"%d\" cy=\"%d\" r=\"3\">"
		    "<title>%s: %s %u</title></circle>", i, v[i],
		    LEFT + i * bw + bw / 2, y_of(v[i], top), c->labels[i],
		    c->names[k], v[i]);
	hf(q, "</g>");
}

void
chart_lines(struct req *q, const struct chart *c)
{
	unsigned long long	 max = 0, top;
	int			 i, k, bw;

	for (i = 0; i < c->ns * c->n; i++)
		if (c->v[i] > max)
			max = c->v[i];
	top = nice_max(max);
	bw = c->n > 0 ? (CW - LEFT) / c->n : 1;
	hf(q, "<figure class=\"chart\" data-test=\"chart\"><figcaption>%s"
	    "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\" "
	    "data-base=\"%d\" data-h=\"%d\">", c->title, CW,
	    TOP + CH + BOTTOM + 4, c->title, TOP + CH, CH);
	hf(q, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
	    "<text class=\"ymax\" x=\"0\" y=\"%d\">%u</text><line "
	    "class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/><text "
	    "x=\"0\" y=\"%d\">0</text>", LEFT, TOP, CW, TOP, TOP + 8, top,
	    LEFT, TOP + CH, CW, TOP + CH, TOP + CH);
	for (i = 0; i < c->n; i++) {
		column(q, c, i, LEFT + i * bw, bw);
		if (c->step > 0 && i % c->step == 0)
			hf(q, "<text x=\"%d\" y=\"%d\">%s</text>",
			    LEFT + i * bw, TOP + CH + BOTTOM, c->labels[i]);
	}
	for (k = 0; k < c->ns; k++)
		series(q, c, k, top, bw);
	hf(q, "</svg><p class=\"legend\">");
	for (k = 0; k < c->ns; k++)
		hf(q, "<span class=\"key c%d\" data-test=\"chart-key\" "
		    "data-series=\"%s\">%s</span> ", k, c->names[k],
		    c->names[k]);
	hf(q, "</p></figure>");
}
