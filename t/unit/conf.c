/*
 * Unit test of lib/conf: golden files.  Each t/unit/conf/NAME.in is loaded;
 * the output (the settings that differ from the defaults, or the one error
 * line) must equal t/unit/conf/NAME.ok byte for byte.  Then a table of
 * value parsers.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "../tap.h"

#define GOLDEN "t/unit/conf"

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	fclose(fp);
	return buf;
}

static void
golden(const char *name)
{
	char		 in[512], okf[512], err[1024], *got, *want;
	struct conf	 c;
	FILE		*mem;
	size_t		 len;

	snprintf(in, sizeof(in), "%s/%s.in", GOLDEN, name);
	snprintf(okf, sizeof(okf), "%s/%s.ok", GOLDEN, name);
	mem = open_memstream(&got, &len);
	if (conf_load(&c, in, err, sizeof(err)) < 0)
		fprintf(mem, "error: %s\n", err);
	else
		conf_print(&c, mem, 0);
	fclose(mem);
	conf_free(&c);
	want = slurp(okf);
	is_str(got, want ? want : "(missing .ok file)", name);
	free(got);
	free(want);
}

static void
durations(void)
{
	static const struct { const char *in; long ms; int rc; } cases[] = {
		{ "5s", 5000, 0 }, { "2m", 120000, 0 }, { "1h", 3600000, 0 },
		{ "1d", 86400000, 0 }, { "250ms", 250, 0 }, { "10", 10000, 0 },
		{ "1.5s", 1500, 0 }, { "", 0, -1 }, { "s", 0, -1 },
		{ "-1s", 0, -1 }, { "5x", 0, -1 }, { "5 s", 0, -1 },
	};
	size_t	 i;
	long	 ms;
	int	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = 0;
		rc = conf_parse_duration(cases[i].in, &ms);
		ok(rc == cases[i].rc && (rc < 0 || ms == cases[i].ms),
		    "duration \"%s\" -> %d %ld", cases[i].in, rc, ms);
	}
}

static void
lists(void)
{
	struct strlist	 l;

	ok(conf_parse_list(" a, b,,c\td ", &l) == 0 && l.n == 4 &&
	    strcmp(l.v[0], "a") == 0 && strcmp(l.v[3], "d") == 0,
	    "list split on commas and white space");
	ok(strlist_has(&l, "C") && !strlist_has(&l, "e"),
	    "strlist_has is case-insensitive and exact");
	strlist_free(&l);
}

static void
defaults(void)
{
	struct conf	 c;
	char		 buf[256], err[256];

	conf_init(&c);
	is_int(c.redis_timeout, 2000, "redis_timeout default 2s");
	is_int(c.policyd_idle_timeout, 600000, "policyd_idle_timeout 600s");
	ok(c.sign_algorithms.n == 2, "two algorithms by default");
	ok(conf_set(&c, "milter_mode", "sign", err, sizeof(err)) == 0 &&
	    c.milter_mode == MODE_SIGN, "conf_set milter_mode");
	conf_get_text(&c, "internal_hosts", buf, sizeof(buf));
	is_str(buf, "127.0.0.0/8, ::1", "internal_hosts rendered");
	ok(conf_set(&c, "nope", "1", err, sizeof(err)) < 0 &&
	    strstr(err, "unknown parameter") != NULL, "conf_set unknown key");
	conf_free(&c);
}

int
main(void)
{
	DIR		*d;
	struct dirent	*e;
	char		*names[256];
	size_t		 n = 0, i, len;

	if ((d = opendir(GOLDEN)) == NULL) {
		printf("Bail out! cannot open %s (run from the top)\n", GOLDEN);
		return 1;
	}
	while ((e = readdir(d)) != NULL && n < 256) {
		len = strlen(e->d_name);
		if (len > 3 && strcmp(e->d_name + len - 3, ".in") == 0)
			names[n++] = strndup(e->d_name, len - 3);
	}
	closedir(d);
	for (i = 0; i < n; i++)
		for (len = i + 1; len < n; len++)
			if (strcmp(names[len], names[i]) < 0) {
				char *t = names[i];
				names[i] = names[len];
				names[len] = t;
			}
	for (i = 0; i < n; i++) {
		golden(names[i]);
		free(names[i]);
	}
	ok(n >= 10, "found %zu golden files", n);
	durations();
	lists();
	defaults();
	return done_testing();
}
