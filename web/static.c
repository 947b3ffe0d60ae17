/*
 * static -- the console's two static files, built into the binary: the
 * style sheet (GET /static/outpost.css) and the script (GET
 * /static/outpost.js).  Served to anyone who reaches the console (they
 * hold nothing of the installation), with their content type and
 * Cache-Control: max-age; the pages link them with "?v=" and a hash of
 * their bytes, so a new binary's files are fetched afresh.
 *
 * The script only adds to pages that work without it (the
 * Content-Security-Policy allows no inline script):
 *   - a button or link with data-confirm asks confirm(its value) before
 *     its form is sent (the suppression's Remove); without the script
 *     the form is sent at once;
 *   - each chart of chart.c gets a read-out of the column under the
 *     pointer (its label and every series' value) and a legend whose
 *     entries hide / show their series, the scale following the series
 *     shown; without the script the points' <title> tooltips remain.
 *
 *   static_css(q) / static_js(q)      the route handlers
 *   static_link(q)                    the <link> and <script> of <head>
 */
#include <stdio.h>
#include <string.h>

#include "web.h"

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}"
    "header{background:#234;color:#fff;padding:.5em 1em;display:flex;"
    "gap:1.2em;align-items:center}header a{color:#fff}"
    "header form{margin-left:auto}main{padding:1em}"
    "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;"
    "padding:.25em .6em;text-align:left;vertical-align:top}"
    ".flash{background:#ffd;border:1px solid #cc8;padding:.5em}"
    ".err{background:#fdd;border-color:#c88}"
    ".grid{stroke:#ccc}svg text{font-size:10px}"
    ".hit{fill:transparent}.hit:hover{fill:#eef}"
    ".series polyline{fill:none;stroke-width:1.5}"
    ".series.off{display:none}"
    ".c0{stroke:#368;fill:#368;color:#368}"
    ".c1{stroke:#383;fill:#383;color:#383}"
    ".c2{stroke:#c80;fill:#c80;color:#c80}"
    ".c3{stroke:#b33;fill:#b33;color:#b33}"
    ".c4{stroke:#838;fill:#838;color:#838}"
    ".c5{stroke:#555;fill:#555;color:#555}"
    ".key{margin-right:.8em;font-weight:bold}"
    ".key[role=button]{cursor:pointer}"
    ".key.off{opacity:.45;text-decoration:line-through}"
    ".readout{min-height:1.4em;margin:.2em 0;font-size:12px}"
    "pre{background:#f4f4f4;padding:.5em;overflow:auto}"
    ".suspended{color:#b00;font-weight:bold}.active{color:#070}"
    "form.inline{display:inline}figure{display:inline-block;margin:.4em}";

static const char js[] =
    "/* outpost-web: confirm() before a data-confirm button sends its\n"
    " * form; the charts' read-out and legend.  The pages work without\n"
    " * it. */\n"
    "(function () {\n"
    "  'use strict';\n"
    "  function all(root, sel) {\n"
    "    return Array.prototype.slice.call(root.querySelectorAll(sel));\n"
    "  }\n"
    "  function nice(m) {\n"
    "    var p = 1;\n"
    "    if (m <= 0) return 1;\n"
    "    while (p * 10 <= m) p *= 10;\n"
    "    if (m <= p) return p;\n"
    "    if (m <= 2 * p) return 2 * p;\n"
    "    if (m <= 5 * p) return 5 * p;\n"
    "    return 10 * p;\n"
    "  }\n"
    "  function chart(fig) {\n"
    "    var svg = fig.querySelector('svg');\n"
    "    var base = +svg.getAttribute('data-base');\n"
    "    var h = +svg.getAttribute('data-h');\n"
    "    var groups = all(svg, 'g.series');\n"
    "    var out = document.createElement('p');\n"
    "    out.className = 'readout';\n"
    "    out.setAttribute('data-test', 'chart-readout');\n"
    "    out.setAttribute('aria-live', 'polite');\n"
    "    fig.appendChild(out);\n"
    "    function show(i) {\n"
    "      var col = svg.querySelector('.hit[data-i=\"' + i + '\"]');\n"
    "      out.textContent = col.getAttribute('data-label') + ': ' +\n"
    "        groups.map(function (g) {\n"
    "          var p = g.querySelector('[data-i=\"' + i + '\"]');\n"
    "          return g.getAttribute('data-series') + ' ' +\n"
    "            p.getAttribute('data-v');\n"
    "        }).join(', ');\n"
    "    }\n"
    "    function rescale() {\n"
    "      var max = 0, top;\n"
    "      groups.forEach(function (g) {\n"
    "        if (g.classList.contains('off')) return;\n"
    "        all(g, 'circle').forEach(function (c) {\n"
    "          max = Math.max(max, +c.getAttribute('data-v'));\n"
    "        });\n"
    "      });\n"
    "      top = nice(max);\n"
    "      groups.forEach(function (g) {\n"
    "        var pts = all(g, 'circle').map(function (c) {\n"
    "          var y = base - Math.floor(+c.getAttribute('data-v') * h / top);\n"
    "          c.setAttribute('cy', y);\n"
    "          return c.getAttribute('cx') + ',' + y;\n"
    "        });\n"
    "        g.querySelector('polyline').setAttribute('points',\n"
    "          pts.join(' '));\n"
    "      });\n"
    "      svg.querySelector('.ymax').textContent = top;\n"
    "    }\n"
    "    svg.addEventListener('mouseover', function (e) {\n"
    "      var t = e.target.closest('[data-i]');\n"
    "      if (t) show(t.getAttribute('data-i'));\n"
    "    });\n"
    "    all(fig, '.key').forEach(function (k) {\n"
    "      var g = svg.querySelector('g.series[data-series=\"' +\n"
    "        k.getAttribute('data-series') + '\"]');\n"
    "      function toggle() {\n"
    "        var off = g.classList.toggle('off');\n"
    "        k.classList.toggle('off', off);\n"
    "        k.setAttribute('aria-pressed', off ? 'false' : 'true');\n"
    "        rescale();\n"
    "      }\n"
    "      k.setAttribute('role', 'button');\n"
    "      k.setAttribute('aria-pressed', 'true');\n"
    "      k.tabIndex = 0;\n"
    "      k.title = 'hide / show this series';\n"
    "      k.addEventListener('click', toggle);\n"
    "      k.addEventListener('keydown', function (e) {\n"
    "        if (e.key === 'Enter' || e.key === ' ') {\n"
    "          e.preventDefault();\n"
    "          toggle();\n"
    "        }\n"
    "      });\n"
    "    });\n"
    "  }\n"
    "  function start() {\n"
    "    all(document, '[data-confirm]').forEach(function (b) {\n"
    "      b.addEventListener('click', function (e) {\n"
    "        if (!window.confirm(b.getAttribute('data-confirm')))\n"
    "          e.preventDefault();\n"
    "      });\n"
    "    });\n"
    "    all(document, 'figure.chart').forEach(chart);\n"
    "  }\n"
    "  if (document.readyState === 'loading')\n"
    "    document.addEventListener('DOMContentLoaded', start);\n"
    "  else\n"
    "    start();\n"
    "})();\n";

/* FNV-1a of s, for the links' "?v=": a new file, a new URL. */
static unsigned long
hash(const char *s)
{
	unsigned long	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = ((h ^ (unsigned char)*s) * 16777619u) & 0xffffffffu;
	return h;
}

void
static_link(struct req *q)
{
	static char	 v[2][16];	/* the files never change: once */

	if (v[0][0] == '\0') {
		snprintf(v[0], sizeof(v[0]), "%08lx", hash(css));
		snprintf(v[1], sizeof(v[1]), "%08lx", hash(js));
	}
	hf(q, "<link rel=\"stylesheet\" href=\"/static/outpost.css?v=%r\">"
	    "<script src=\"/static/outpost.js?v=%r\" defer></script>", v[0],
	    v[1]);
}

void
static_css(struct req *q)
{
	send_static(q, "text/css; charset=utf-8", css, sizeof(css) - 1);
}

void
static_js(struct req *q)
{
	send_static(q, "text/javascript; charset=utf-8", js, sizeof(js) - 1);
}
