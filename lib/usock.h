/*
 * usock -- a unix listening socket put safely into its directory by a
 * daemon that starts as root.
 *
 * The directory is opened once with O_NOFOLLOW | O_DIRECTORY and every
 * later step works relative to that descriptor, never by a path that a
 * racer could swap: a socket inode cannot be open()ed, so the socket is
 * bound with the directory as working directory, created under a umask
 * that gives it mode 0660 from its first instant, and handed to its owner
 * with fchownat(..., AT_SYMLINK_NOFOLLOW).  A directory anyone but its
 * owner may write to is refused, and so is one owned by another account
 * than ours (root, when started as root): the names in it are then
 * nobody else's to change.
 *
 *   usock_open(&u, path, gid, err, errlen)
 *       opens path's directory, creating its last component (mode 0750,
 *       group gid when we are root) when it is missing; refuses a
 *       symlink, a non-directory, a directory writable by group or others
 *       or owned by someone else; refuses when a process answers on path
 *       ("another daemon") and when path exists and is not a socket;
 *       removes a stale socket; then makes the directory the working
 *       directory.  0, or -1 with err set (nothing left open).
 *   usock_name(&u)
 *       the socket's name inside the directory: bind it now (bind(2) or
 *       libmilter's smfi_opensocket), under usock_umask().
 *   usock_umask()
 *       the umask that creates the socket 0660.
 *   usock_own(&u, uid, gid, err, errlen)
 *       after the bind: the socket given to uid:gid without following a
 *       symlink, and checked to be a socket.  0 or -1.
 *   usock_close(&u)
 *       back to the previous working directory, descriptors closed.
 *       Safe after any usock_open, failed or not, and twice.
 */
#ifndef OUTPOST_USOCK_H
#define OUTPOST_USOCK_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

struct usock {
	int	 dirfd;			/* the socket's directory */
	int	 cwdfd;			/* working directory before usock_open */
	char	 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char	 name[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int		 usock_open(struct usock *, const char *, gid_t, char *, size_t);
const char	*usock_name(const struct usock *);
mode_t		 usock_umask(void);
int		 usock_own(struct usock *, uid_t, gid_t, char *, size_t);
void		 usock_close(struct usock *);

#endif
