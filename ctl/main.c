/*
 * outpostctl -- the admin's tool: parse the global options, load the
 * config, run the command (verbs.c holds the table of every command).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "version.h"
#include "secret.h"

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl	 ctl;
	char		 err[1024];
	const char	*path = NULL;
	int		 ch, rc;

	memset(&ctl, 0, sizeof(ctl));
	log_open("outpostctl", LOGDEST_STDERR, LOG_WARNING);
	/* '+': stop at the command so verbs may have options of their own. */
	while ((ch = getopt_long(argc, argv, "+c:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'h':
			ctl_usage(NULL);
			return EXIT_OK;
		case 'V':
			printf("outpostctl %s\n", OUTPOST_VERSION);
			return EXIT_OK;
		default:
			return ctl_usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return ctl_usage("no command given");

	ctl.conf_path = conf_path(path);
	if (conf_load_path(&ctl.conf, path, err, sizeof(err)) < 0)
		return ctl_refuse(&ctl, "%s", err);
	if (secret_conf_check(ctl.conf_path, &ctl.conf, err, sizeof(err)) > 0)
		fprintf(stderr, "outpostctl: warning: %s\n", err);
	rc = ctl_run(&ctl, argc, argv);
	conf_free(&ctl.conf);
	return rc;
}
