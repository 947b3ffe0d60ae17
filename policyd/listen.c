/*
 * listen -- the listening sockets of outpost-policyd.  Every address of
 * policyd_listen is bound (a unix socket through usock.h: mode 0660 from
 * the start, owned by conf user and its group when started as root, and
 * never taken from a daemon that answers on it), new
 * connections are accepted non-blocking and handed to a callback.
 *
 * An accept error other than EAGAIN (EMFILE, ENFILE, ENOBUFS ...): the
 * listen events are level triggered, so retrying at once would spin at
 * full CPU.  Accepting pauses for LSN_PAUSE_MS instead (new connections
 * wait in the backlog); the error is logged at most once per LSN_LOG_S.
 *
 *   lsn_open(base, conf, cb, arg, err, errlen)   NULL on error (err says)
 *   lsn_free(l)                                  closes the sockets;
 *                                                NULL-safe, returns NULL
 *   cb(fd, arg)                                  one accepted connection
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "errf.h"
#include "log.h"
#include "netaddr.h"
#include "policyd.h"
#include "privdrop.h"
#include "usock.h"
#include "xmalloc.h"

#define LSN_MAX		32
#define LSN_PAUSE_MS	100
#define LSN_LOG_S	10

struct listener {
	const struct conf	*conf;
	lsn_cb			*cb;
	void			*arg;
	int			 fd[LSN_MAX];
	struct event		*ev[LSN_MAX];
	int			 n;
	struct event		*resume;
	unsigned long		 errors;
	time_t			 logged;
};

static void
pause_accepting(struct listener *l)
{
	struct timeval	 tv = { 0, LSN_PAUSE_MS * 1000 };
	time_t		 now = time(NULL);
	int		 i;

	l->errors++;
	if (now - l->logged >= LSN_LOG_S) {
		log_err("accept: %s (accept errors=%lu); new connections wait "
		    "in the listen queue", strerror(errno), l->errors);
		l->logged = now;
	}
	for (i = 0; i < l->n; i++)
		event_del(l->ev[i]);
	evtimer_add(l->resume, &tv);
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;
	int		 i;

	(void)fd;
	(void)what;
	for (i = 0; i < l->n; i++)
		event_add(l->ev[i], NULL);
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct listener	*l = arg;
	int		 fd;

	(void)what;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			break;
		l->cb(fd, l->arg);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		pause_accepting(l);
}

static int
bind_unix(struct usock *u, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	mode_t			 mask;
	int			 fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", usock_name(u));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mask = umask(usock_umask());
	rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc < 0 || listen(fd, 1024) < 0) {
		errf(err, errlen, "listen unix:%s: %s", u->path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (usock_own(u, uid, gid, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The socket goes into its directory through usock.h (usock.h says why). */
static int
listen_unix(struct listener *l, const struct netaddr *a, char *err,
    size_t errlen)
{
	struct usock	 u;
	uid_t		 uid = geteuid();
	gid_t		 gid = getegid();
	int		 fd;

	if (uid == 0 && privdrop_lookup(l->conf->user, &uid, &gid, err,
	    errlen) < 0)
		return -1;
	if (usock_open(&u, a->path, gid, err, errlen) < 0)
		return -1;
	fd = bind_unix(&u, uid, gid, err, errlen);
	usock_close(&u);
	if (fd < 0)
		return -1;
	l->fd[l->n++] = fd;
	return 0;
}

static int
listen_inet(struct listener *l, const struct netaddr *a, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd, on = 1, rc, n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(a->host, a->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s:%s: %s", a->host, a->port,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && l->n < LSN_MAX; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(fd, 1024) < 0) {
			snprintf(err, errlen, "listen %s:%s: %s", a->host,
			    a->port, strerror(errno));
			close(fd);
			continue;
		}
		l->fd[l->n++] = fd;
		n++;
	}
	freeaddrinfo(res);
	return n > 0 ? 0 : -1;
}

struct listener *
lsn_open(struct event_base *base, const struct conf *conf, lsn_cb *cb,
    void *arg, char *err, size_t errlen)
{
	const struct strlist	*list = &conf->policyd_listen;
	struct listener		*l = xcalloc(1, sizeof(*l));
	struct netaddr		 a;
	size_t			 i;
	int			 j, first;

	l->conf = conf;
	l->cb = cb;
	l->arg = arg;
	l->resume = evtimer_new(base, on_resume, l);
	for (i = 0; i < list->n; i++) {
		first = l->n;
		if (netaddr_parse(list->v[i], &a, err, errlen) < 0 ||
		    (a.kind == NETADDR_UNIX ? listen_unix(l, &a, err, errlen) :
		    listen_inet(l, &a, err, errlen)) < 0)
			return lsn_free(l);
		for (j = first; j < l->n; j++) {
			l->ev[j] = event_new(base, l->fd[j], EV_READ |
			    EV_PERSIST, on_accept, l);
			event_add(l->ev[j], NULL);
		}
	}
	return l;
}

struct listener *
lsn_free(struct listener *l)
{
	int	 i;

	if (l == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if (l->ev[i] != NULL)
			event_free(l->ev[i]);
		close(l->fd[i]);
	}
	event_free(l->resume);
	free(l);
	return NULL;
}
