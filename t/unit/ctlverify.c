/*
 * Unit tests of outpostctl domain verify's DKIM key record reader
 * (vdkim_tag, ctl/verify_check.c): a table of records, tags and the value
 * each must give.
 */
#include <string.h>

#include "../../ctl/ctl.h"
#include "../tap.h"

static const struct {
	const char	*rec, *tag, *want;	/* want NULL: not found */
} cases[] = {
	{ "v=DKIM1; k=rsa; p=MIIB", "p", "MIIB" },
	{ "v=DKIM1; k=rsa; p=MIIB", "k", "rsa" },
	{ "v=DKIM1; k=rsa; p=MIIB", "v", "DKIM1" },
	{ "v=DKIM1;k=ed25519;p=abc=", "p", "abc=" },
	{ "v=DKIM1; p = ab cd\tef ;k=rsa", "p", "abcdef" },	/* FWS */
	{ "v=DKIM1; k=rsa; p=", "p", "" },			/* revoked */
	{ "v=DKIM1; k=rsa", "p", NULL },
	{ "v=DKIM1; kp=x; p=y", "k", NULL },	/* "kp" is not "k" */
	{ "v=DKIM1; kp=x; p=y", "p", "y" },
	{ "v=DKIM1; n=p=1; p=z", "p", "z" },	/* p= inside a value */
	{ "", "p", NULL },
	{ ";;;", "p", NULL },
	{ "p", "p", NULL },			/* no '=' */
	{ "v=DKIM1; p=a;p=b", "p", "a" },	/* the first one */
};

int
main(void)
{
	char	 out[64], big[100];
	size_t	 i;
	int	 got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = vdkim_tag(cases[i].rec, cases[i].tag, out, sizeof(out));
		if (cases[i].want == NULL)
			ok(got == 0, "\"%s\" %s: not found", cases[i].rec,
			    cases[i].tag);
		else
			ok(got == 1 && strcmp(out, cases[i].want) == 0,
			    "\"%s\" %s = \"%s\"", cases[i].rec, cases[i].tag,
			    cases[i].want);
	}
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "p=", 2);
	ok(vdkim_tag(big, "p", out, sizeof(out)) == 0,
	    "a value longer than the buffer: not found, no overflow");
	ok(vdkim_tag(big, "p", out, 0) == 0, "a zero-size buffer");
	return done_testing();
}
