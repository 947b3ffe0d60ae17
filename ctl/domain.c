/*
 * outpostctl domain -- placeholder until the key management lands.
 */
#include "ctl.h"

int
cmd_domain(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	return ctl_usage("domain: not yet implemented");
}
