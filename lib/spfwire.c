/*
 * spfwire -- helper messages; see spfwire.h.
 */
#include <stdio.h>
#include <string.h>

#include "errf.h"
#include "spfwire.h"

/* Number of fields of a message type, -1 for an unknown type. */
int
spfwire_fields(char type)
{
	switch (type) {
	case 'C': return 3;
	case 'P': return 1;
	case 'R': return 4;
	case 'I': return 1;
	case 'E': return 1;
	case 'X': return 0;
	default: return -1;
	}
}

int
spfwire_encode(char *buf, size_t len, char type, uint32_t id,
    const char *const *f, int nf)
{
	size_t	 used, n;
	int	 i, w;

	if (spfwire_fields(type) != nf)
		return -1;
	if (len > SPFWIRE_MAX)
		len = SPFWIRE_MAX;
	w = snprintf(buf, len, "%c%lu", type, (unsigned long)id);
	if (w < 0 || (size_t)w + 1 > len)
		return -1;
	used = (size_t)w + 1;		/* keep the NUL */
	for (i = 0; i < nf; i++) {
		n = strlen(f[i]) + 1;
		if (n > SPFWIRE_FIELD_MAX || used + n > len)
			return -1;
		memcpy(buf + used, f[i], n);
		used += n;
	}
	return (int)used;
}

static int
parse_id(const char *s, uint32_t *id)
{
	unsigned long long	 v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

int
spfwire_decode(char *buf, size_t len, struct spfwire_msg *m, char *err,
    size_t errlen)
{
	char	*p = buf, *end = buf + len, *z;
	int	 want, i;

	memset(m, 0, sizeof(*m));
	if (len < 3 || len > SPFWIRE_MAX)
		return errf(err, errlen, "message of %zu bytes", len);
	if ((want = spfwire_fields(buf[0])) < 0)
		return errf(err, errlen, "unknown message type 0x%02x",
		    (unsigned char)buf[0]);
	m->type = buf[0];
	if ((z = memchr(p, '\0', len)) == NULL || parse_id(p + 1, &m->id) < 0)
		return errf(err, errlen, "bad request id");
	p = z + 1;
	for (i = 0; i < want; i++) {
		if (p >= end || (z = memchr(p, '\0', (size_t)(end - p))) ==
		    NULL)
			return errf(err, errlen, "%d fields, %d expected", i,
			    want);
		if ((size_t)(z - p) + 1 > SPFWIRE_FIELD_MAX)
			return errf(err, errlen, "field %d too long", i + 1);
		m->field[i] = p;
		p = z + 1;
	}
	if (p != end)
		return errf(err, errlen, "%zu bytes after the last field",
		    (size_t)(end - p));
	m->nfield = want;
	return 0;
}
