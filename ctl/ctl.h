/*
 * outpostctl -- private header shared by the files of ctl/.
 *
 * Each verb group lives in its own file and exports one entry point that
 * main.c's table names:  int cmd_NAME(struct ctl *, int argc, char **argv)
 * argv[0] is the group ("domain"), argv[1] the verb.  Entry points return
 * the exit status: 0 success, 1 refused operation (reason printed on
 * stderr), 2 usage error.
 */
#ifndef OUTPOST_CTL_H
#define OUTPOST_CTL_H

#include "conf.h"

#define EXIT_OK		0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2

struct ctl {
	struct conf	 conf;
	const char	*conf_path;
	int		 json;		/* --json: machine-readable output */
};

/* main.c */
int	 ctl_usage(const char *);	/* prints the usage, returns 2 */

/* domain.c */
int	 cmd_domain(struct ctl *, int, char **);

/* config.c */
int	 cmd_config(struct ctl *, int, char **);

/* user.c, plan.c, suppress.c (+ supio.c) */
int	 cmd_user(struct ctl *, int, char **);
int	 cmd_plan(struct ctl *, int, char **);
int	 cmd_suppress(struct ctl *, int, char **);

#include "ctlpol.h"

#endif
