/*
 * outpostctl domain verify -- SPF evaluation of relay_addresses (see
 * ctl.h).  libspf2 never runs inside outpostctl (Debian's carries
 * CVE-2023-42118, reachable from the DNS data being checked, and
 * outpostctl runs as root): each address is evaluated by the isolated
 * SPF helper of lib/spfhelper, the one the milter uses, started on the
 * first evaluation and stopped by vspf_close.  The check is the one a
 * receiver makes for mail from that address with an envelope sender
 * postmaster@DOMAIN.
 */
#include <stdio.h>

#include "ctl.h"
#include "spfhelper.h"

int
vspf_eval(struct vctx *v, const char *ip, const char *domain, char *res,
    size_t reslen, char *err, size_t errlen)
{
	struct spf_verdict	 sv;
	char			 from[320];

	if (reslen > 0)
		res[0] = '\0';
	if (v->spf == NULL && (v->spf = spfhelper_start(&v->dom.ctl->conf,
	    err, errlen)) == NULL)
		return -1;
	snprintf(from, sizeof(from), "postmaster@%s", domain);
	if (spfhelper_check(v->spf, ip, domain, from, &sv, err, errlen) < 0)
		return -1;
	snprintf(res, reslen, "%s", spf_result_name(sv.result));
	return 0;
}

void
vspf_close(struct vctx *v)
{
	v->spf = spfhelper_stop(v->spf);
}
