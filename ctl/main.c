/*
 * outpostctl -- the admin's tool: parse global options, load the config,
 * dispatch to the verb group named by the first argument.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "version.h"

static const struct {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*usage;
} groups[] = {
	{ "domain", cmd_domain,
	    "domain add DOMAIN [--selector SEL]\n"
	    "  domain rotate DOMAIN [--selector SEL]\n"
	    "  domain activate DOMAIN SEL\n"
	    "  domain retire DOMAIN SEL\n"
	    "  domain list\n"
	    "  domain show DOMAIN" },
	{ "config", cmd_config,
	    "config [--all]" },
	{ "user", cmd_user,
	    "user add NAME [--plan PLAN] [--domain DOMAIN]...\n"
	    "  user set NAME [--plan PLAN] [LIMIT...]\n"
	    "  user show NAME  |  user list  |  user del NAME\n"
	    "  user suspend NAME [--reason TEXT]  |  user resume NAME\n"
	    "  user allow NAME DOMAIN  |  user deny NAME DOMAIN [--any]" },
	{ "plan", cmd_plan,
	    "plan set PLAN LIMIT...  |  plan show PLAN  |  plan list  |  "
	    "plan del PLAN\n"
	    "    LIMIT: messages|recipients|bytes=COUNT[K|M|G]/WINDOW, "
	    "WINDOW 30s, 1m, 1h, 1d ... or month;\n"
	    "    DIMENSION=none[/WINDOW] removes" },
	{ "suppress", cmd_suppress,
	    "suppress add ADDRESS [--user NAME] [--reason REASON] "
	    "[--ttl DURATION]\n"
	    "  suppress check|del ADDRESS [--user NAME]\n"
	    "  suppress list [--user NAME]  |  suppress export [--user NAME]\n"
	    "  suppress import FILE|- [--user NAME]" },
};
#define NGROUPS	(sizeof(groups) / sizeof(groups[0]))

int
ctl_usage(const char *why)
{
	size_t	 i;

	if (why != NULL)
		fprintf(stderr, "outpostctl: %s\n", why);
	fprintf(stderr, "usage: outpostctl [-c FILE] [--json] COMMAND ...\n");
	for (i = 0; i < NGROUPS; i++)
		fprintf(stderr, "  %s\n", groups[i].usage);
	return EXIT_USAGE;
}

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
	size_t		 i;
	int		 ch;

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
	if (conf_load_path(&ctl.conf, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "outpostctl: %s\n", err);
		return EXIT_REFUSED;
	}

	/* Remaining options (e.g. --json after the verb) are the verbs'. */
	optind = 1;
	for (i = 0; i < NGROUPS; i++)
		if (strcmp(argv[0], groups[i].name) == 0) {
			ch = groups[i].fn(&ctl, argc, argv);
			conf_free(&ctl.conf);
			return ch;
		}
	conf_free(&ctl.conf);
	snprintf(err, sizeof(err), "unknown command \"%s\"", argv[0]);
	return ctl_usage(err);
}
