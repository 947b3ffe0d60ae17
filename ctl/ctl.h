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

/* domain_show.c: what outpostctl domain prints (and 'list', 'show') */
#include <stdio.h>
#include <sys/types.h>

struct dom {
	struct ctl	*ctl;
	const char	*dir;		/* keys_directory */
	uid_t		 uid;		/* new files: chown to uid:gid, */
	gid_t		 gid;		/*   unless uid is (uid_t)-1 */
	uid_t		 owner;		/* the daemon account, for the */
	gid_t		 group;		/*   safety verdicts */
};

int	 dom_refuse(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 dom_json_str(FILE *, const char *);
int	 dom_print_new(struct dom *, const char *, const char *,
	    const char *);
int	 dom_list(struct dom *);
int	 dom_show(struct dom *, const char *);

/* config.c */
int	 cmd_config(struct ctl *, int, char **);

/* user.c, plan.c, suppress.c (+ supio.c) */
int	 cmd_user(struct ctl *, int, char **);
int	 cmd_plan(struct ctl *, int, char **);
int	 cmd_suppress(struct ctl *, int, char **);

#include "ctlpol.h"

#endif
