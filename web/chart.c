/*
 * chart -- bar charts drawn by the server as inline SVG (no script, no
 * external asset).  Each bar carries a <title> with its label and value
 * (a browser shows it on hover); the highest value sets the scale,
 * rounded up to a number that reads well.
 */
#include <limits.h>
#include <stdio.h>

#include "web.h"

#define CW	440	/* drawing width */
#define CH	100	/* bars' height */
#define LEFT	48
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

void
chart_bars(struct req *q, const char *title, const unsigned long long *v,
    const char *const *labels, int n, int step)
{
	unsigned long long	 max = 0, top;
	int			 i, x, h, bw;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	top = nice_max(max);
	bw = n > 0 ? (CW - LEFT) / n : 1;
	hf(q, "<figure><figcaption>%s</figcaption><svg xmlns=\"http://www.w3."
	    "org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
	    "aria-label=\"%s\">", title, CW, CH + BOTTOM + 8, title);
	hf(q, "<line class=\"grid\" x1=\"%d\" y1=\"4\" x2=\"%d\" y2=\"4\"/>"
	    "<text x=\"0\" y=\"12\">%u</text><line class=\"grid\" x1=\"%d\" "
	    "y1=\"%d\" x2=\"%d\" y2=\"%d\"/><text x=\"0\" y=\"%d\">0</text>",
	    LEFT, CW, top, LEFT, CH + 4, CW, CH + 4, CH + 4);
	for (i = 0; i < n; i++) {
		h = (int)((double)v[i] * CH / (double)top);
		x = LEFT + i * bw;
		hf(q, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" "
		    "height=\"%d\"><title>%s: %u</title></rect>", x + 1,
		    CH + 4 - h, bw > 2 ? bw - 2 : 1, h, labels[i], v[i]);
		if (step > 0 && i % step == 0)
			hf(q, "<text x=\"%d\" y=\"%d\">%s</text>", x,
			    CH + BOTTOM + 4, labels[i]);
	}
	hf(q, "</svg></figure>");
}
