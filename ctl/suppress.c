#include "ctl.h"
int
cmd_suppress(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl; (void)argc; (void)argv;
	return ctl_usage("suppress: not yet");
}
