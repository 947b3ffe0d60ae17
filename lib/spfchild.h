/*
 * spfchild -- the processes of the SPF helper: the supervisor and its
 * worker (see spfhelper.h for the design).  Private to spfhelper.c.
 *
 *   spfchild_supervise(args)
 *       run in the child spfhelper_start forked: sandbox the process,
 *       write "ok" (or the reason it failed) to args->status_fd and close
 *       it, then keep one worker alive until args->lifeline reads EOF.
 *       Never returns.
 */
#ifndef OUTPOST_SPFCHILD_H
#define OUTPOST_SPFCHILD_H

#include <sys/types.h>

struct spfchild_args {
	int		 sock;		/* the helper's end of the socket pair */
	int		 lifeline;	/* EOF when the caller is gone */
	int		 status_fd;	/* start-up report to the caller */
	int		 isolate;	/* chroot + switch to uid/gid */
	uid_t		 uid;
	gid_t		 gid;
	char		 emptydir[64];	/* made by the caller, removed here */
	char		 servers[1024];	/* forwarders for lib/dns */
	long		 timeout_ms;	/* dns_timeout */
	long		 budget_ms;	/* DNS time of one check */
};

void	 spfchild_supervise(const struct spfchild_args *)
	    __attribute__((noreturn));

#endif
