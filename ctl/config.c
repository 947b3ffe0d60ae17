/*
 * outpostctl config -- print the settings in effect that differ from the
 * defaults (like postconf -n); --all prints every setting.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

int
cmd_config(struct ctl *ctl, int argc, char **argv)
{
	int	 all = 0;

	if (argc == 2 && strcmp(argv[1], "--all") == 0)
		all = 1;
	else if (argc != 1)
		return ctl_usage("usage: outpostctl config [--all]");
	conf_print(&ctl->conf, stdout, all);
	return EXIT_OK;
}
