/*
 * outpostctl domain verify -- SPF evaluation of relay_addresses (see
 * ctl.h).  libspf2 never runs inside outpostctl: Debian's libspf2 carries
 * CVE-2023-42118, reachable from the DNS data being checked, and
 * outpostctl runs as root.  The evaluation belongs to the isolated SPF
 * helper (lib/spfhelper, shared with the milter); until this build has
 * it, vspf_eval answers -1 and the SPF line says "not evaluated".
 */
#include <stdio.h>

#include "ctl.h"

int
vspf_eval(struct vctx *v, const char *ip, const char *domain, char *res,
    size_t reslen, char *err, size_t errlen)
{
	(void)v, (void)ip, (void)domain;
	if (reslen > 0)
		res[0] = '\0';
	snprintf(err, errlen, "this build has no SPF helper (lib/spfhelper)");
	return -1;
}

void
vspf_close(struct vctx *v)
{
	v->spf = NULL;
}
