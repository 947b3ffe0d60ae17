/*
 * dmarc_dns -- lib/dmarc's DNS callbacks answered by lib/dns, the glue
 * the milter and outpostctl share.  Kept out of dmarc.c, which stays pure
 * (its tests give it an in-memory DNS instead).
 *
 *   dmarc_env_dns(env, dns, org_mode, err, errlen)
 *       fills *env: TXT and existence lookups through dns, org_mode
 *       (enum dmarc_org), and for ORG_PSL the system Public Suffix List.
 *       0, or -1 with err set when the list cannot be loaded.
 */
#include <string.h>

#include "conf.h"
#include "dmarc.h"
#include "dns.h"
#include "errf.h"
#include "psl.h"

static int
env_txt(void *arg, const char *name, struct strlist *out, char *err,
    size_t errlen)
{
	return dns_txt(arg, name, out, err, errlen);
}

static int
env_exists(void *arg, const char *name, char *err, size_t errlen)
{
	return dns_exists(arg, name, err, errlen);
}

int
dmarc_env_dns(struct dmarc_env *env, struct dns *dns, int org_mode,
    char *err, size_t errlen)
{
	char	 why[256];

	memset(env, 0, sizeof(*env));
	env->txt = env_txt;
	env->exists = env_exists;
	env->arg = dns;
	env->org_mode = org_mode;
	if (org_mode == ORG_PSL && (env->psl = psl_system(why,
	    sizeof(why))) == NULL)
		return errf(err, errlen, "dmarc_org_domain = psl: %s", why);
	return 0;
}
