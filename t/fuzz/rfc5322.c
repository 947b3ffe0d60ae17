/*
 * libFuzzer target for lib/rfc5322: any bytes as a From value.
 * Invariants checked (abort() on violation, which libFuzzer reports):
 *   - the result is 0 or -1; after -1 nothing is returned and the error
 *     is a non-empty line whose offset, if any, lies inside the value;
 *   - after 0 every address has a non-empty lower-case domain, strings
 *     are NUL-terminated and no longer than the value, offsets in range;
 *   - the addresses written back as "local"@domain, ", " between them,
 *     parse again to the same addresses;
 *   - the unfolded value parses to the same addresses;
 *   - rfc5322_domain_of and rfc5322_unfold stay inside their buffers.
 */
// fuzz-sources: lib/rfc5322.c
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc5322.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); \
	abort(); } } while (0)

static int
is_dot_atom(const char *s)
{
	int	 prev_dot = 1;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (prev_dot)
				return 0;
			prev_dot = 1;
			continue;
		}
		prev_dot = 0;
		if ((unsigned char)*s < 0x80 && !((*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *s) != NULL))
			return 0;
	}
	return !prev_dot;
}

/* The addresses as a value of their own. */
static char *
serialize(const struct rfc5322_addrs *a, size_t *len)
{
	FILE		*mem;
	char		*s;
	const char	*p;
	size_t		 i;

	mem = open_memstream(&s, len);
	for (i = 0; i < a->n; i++) {
		fputs(i ? ", " : "", mem);
		if (is_dot_atom(a->v[i].local))
			fputs(a->v[i].local, mem);
		else {
			fputc('"', mem);
			for (p = a->v[i].local; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					fputc('\\', mem);
				fputc(*p, mem);
			}
			fputc('"', mem);
		}
		fprintf(mem, "@%s", a->v[i].domain);
	}
	fclose(mem);
	return s;
}

static void
same(const struct rfc5322_addrs *a, const struct rfc5322_addrs *b,
    int display)
{
	size_t	 i;

	CHECK(a->n == b->n);
	for (i = 0; i < a->n; i++) {
		CHECK(strcmp(a->v[i].local, b->v[i].local) == 0);
		CHECK(strcmp(a->v[i].domain, b->v[i].domain) == 0);
		if (display)
			CHECK(strcmp(a->v[i].display, b->v[i].display) == 0);
	}
}

static void
check_ok(const struct rfc5322_addrs *a, size_t size)
{
	size_t		 i;
	const char	*p;

	CHECK(a->n == 0 || a->v != NULL);
	for (i = 0; i < a->n; i++) {
		CHECK(a->v[i].local && a->v[i].domain && a->v[i].display);
		CHECK(strlen(a->v[i].local) <= size);
		CHECK(strlen(a->v[i].display) <= size);
		CHECK(a->v[i].group == NULL || strlen(a->v[i].group) <= size);
		CHECK(a->v[i].domain[0] != '\0');
		CHECK(strlen(a->v[i].domain) < size);
		CHECK(a->v[i].offset < size);
		for (p = a->v[i].domain; *p != '\0'; p++)
			CHECK(!(*p >= 'A' && *p <= 'Z') && *p != ' ');
	}
}

static void
check_err(const struct rfc5322_addrs *a, const char *err, size_t size)
{
	const char	*o;

	CHECK(a->n == 0 && a->v == NULL && a->buf == NULL);
	CHECK(err[0] != '\0');
	if ((o = strstr(err, "at offset ")) != NULL)
		CHECK(strtoul(o + 10, NULL, 10) <= size);
}

static void
check_round_trip(const struct rfc5322_addrs *a)
{
	struct rfc5322_addrs	 b;
	char			 err[256], *s;
	size_t			 len;

	if (a->n == 0)
		return;
	s = serialize(a, &len);
	if (rfc5322_parse_addresses(s, len, &b, err, sizeof(err)) != 0) {
		fprintf(stderr, "round trip of \"%s\": %s\n", s, err);
		abort();
	}
	same(a, &b, 0);
	rfc5322_addrs_free(&b);
	free(s);
}

static void
check_unfolded(const uint8_t *data, size_t size,
    const struct rfc5322_addrs *a)
{
	struct rfc5322_addrs	 b;
	char			 err[256], *u;
	ssize_t			 n;

	u = malloc(size + 1);
	n = rfc5322_unfold((const char *)data, size, u, size + 1);
	CHECK(n >= 0 && (size_t)n <= size && u[n] == '\0');
	CHECK(rfc5322_unfold((const char *)data, size, u, size) == -1);
	CHECK(rfc5322_parse_addresses(u, (size_t)n, &b, err, sizeof(err)) ==
	    0);
	same(a, &b, 1);
	rfc5322_addrs_free(&b);
	free(u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfc5322_addrs	 a;
	char			 err[256], dom[64], *z;
	int			 rc;

	memset(err, 0, sizeof(err));
	rc = rfc5322_parse_addresses((const char *)data, size, &a, err,
	    sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		check_ok(&a, size);
		check_round_trip(&a);
		check_unfolded(data, size, &a);
	} else
		check_err(&a, err, size);
	rfc5322_addrs_free(&a);
	rfc5322_addrs_free(&a);
	rfc5322_addrs_free(NULL);

	z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	if (rfc5322_domain_of(z, dom, sizeof(dom)) == 0)
		CHECK(strlen(dom) < sizeof(dom) && strchr(dom, '@') == NULL);
	rfc5322_valid_field_name(z, size);
	free(z);
	return 0;
}
