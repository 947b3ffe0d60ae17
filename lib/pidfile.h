/*
 * pidfile -- the pid file of a daemon started without systemd.
 *
 * pid_file (outpost.conf) is a template: "%p" becomes the program name,
 * so the one file every program reads gives each daemon its own pid file
 * ("/run/outpost/%p.pid" -> /run/outpost/outpost-milter.pid).  The file's
 * directory is opened once with O_NOFOLLOW | O_DIRECTORY and the file is
 * created in it with O_CREAT | O_EXCL | O_NOFOLLOW: a symlink planted in
 * its place is refused, never followed.
 *
 *   pidfile_path(tmpl, prog, buf, len, err, errlen)
 *       tmpl with every %p replaced by prog.  0, or -1 (too long).
 *   pidfile_check(path, err, errlen)
 *       0 when no live process owns path (missing, stale or garbage);
 *       -1 with "... already running as pid N" or why path cannot be
 *       used.
 *   pidfile_init(pf, tmpl, prog, err, errlen)
 *       before daemonising: pf->path = pidfile_path(tmpl, prog), then
 *       pidfile_check (so that a second daemon is refused on stderr).
 *       tmpl "" means no pid file: pf is inert.  0 or -1.
 *   pidfile_write(pf, uid, gid, err, errlen)
 *       after daemonising: creates path's directory (its last component,
 *       mode 0755, owned by uid:gid, so that the daemon can still remove
 *       its file once it runs as uid) when missing, refuses when a live
 *       process owns path, replaces a stale file, writes getpid().  The
 *       directory stays open in *pf for pidfile_remove.  0 or -1; 0
 *       without doing anything when pf is inert.
 *   pidfile_remove(pf)
 *       at exit: removes the file if it still holds our pid (needs write
 *       access to the directory as the account the daemon runs as).  0,
 *       or -1 with errno set; closes the directory either way.  Harmless
 *       on a pf that pidfile_write never filled (dirfd -1).
 */
#ifndef OUTPOST_PIDFILE_H
#define OUTPOST_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

struct pidfile {
	char	 path[4096];		/* "": no pid file */
	int	 dirfd;			/* -1: none */
	char	 name[256];		/* the file's name in it */
};

int	 pidfile_path(const char *, const char *, char *, size_t, char *,
	    size_t);
int	 pidfile_check(const char *, char *, size_t);
int	 pidfile_init(struct pidfile *, const char *, const char *, char *,
	    size_t);
int	 pidfile_write(struct pidfile *, uid_t, gid_t, char *, size_t);
int	 pidfile_remove(struct pidfile *);

#endif
