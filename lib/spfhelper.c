/*
 * spfhelper -- the caller's side of the SPF helper; see spfhelper.h.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dns.h"
#include "errf.h"
#include "spfchild.h"
#include "spfhelper.h"
#include "spfwire.h"

#define HELPER_ACCOUNT	"nobody"
#define START_WAIT_MS	5000

enum slot_state { SLOT_FREE, SLOT_WAIT, SLOT_DONE, SLOT_LOST };

struct slot {
	enum slot_state	 state;
	uint32_t	 id;
	size_t		 len;
	char		 msg[SPFWIRE_MAX];	/* the answer datagram */
};

struct spfhelper {
	int		 fd;		/* our end of the socket pair */
	int		 lifeline;	/* closed: the supervisor exits */
	pid_t		 super;
	int		 isolated;
	long		 wait_ms;	/* a request's deadline */
	pthread_t	 reader;
	int		 reading;	/* the reader thread was started */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* any slot changed */
	uint32_t	 next_id;
	int		 dead;
	struct slot	 slot[SPFHELPER_SLOTS];
};

static const char *const result_names[] = {
	"none", "neutral", "pass", "fail", "softfail", "temperror",
	"permerror"
};

const char *
spf_result_name(int r)
{
	if (r < 0 || r >= (int)(sizeof(result_names) / sizeof(*result_names)))
		return "permerror";
	return result_names[r];
}

int
spf_result_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(result_names) / sizeof(*result_names); i++)
		if (strcmp(s, result_names[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- reader thread --------------------------------------------------- */

/* Called with h->mu held. */
static void
lose_all(struct spfhelper *h)
{
	size_t	 i;

	for (i = 0; i < SPFHELPER_SLOTS; i++)
		if (h->slot[i].state == SLOT_WAIT)
			h->slot[i].state = SLOT_LOST;
	pthread_cond_broadcast(&h->cv);
}

static void
deliver(struct spfhelper *h, const char *buf, size_t n)
{
	struct spfwire_msg	 m;
	char			 copy[SPFWIRE_MAX];
	size_t			 i;

	memcpy(copy, buf, n);
	if (spfwire_decode(copy, n, &m, NULL, 0) < 0)
		return;
	pthread_mutex_lock(&h->mu);
	if (m.type == 'X')
		lose_all(h);
	for (i = 0; m.type != 'X' && i < SPFHELPER_SLOTS; i++) {
		if (h->slot[i].state != SLOT_WAIT || h->slot[i].id != m.id)
			continue;
		memcpy(h->slot[i].msg, buf, n);
		h->slot[i].len = n;
		h->slot[i].state = SLOT_DONE;
		pthread_cond_broadcast(&h->cv);
		break;
	}
	pthread_mutex_unlock(&h->mu);
}

static void *
reader(void *arg)
{
	struct spfhelper	*h = arg;
	char			 buf[SPFWIRE_MAX + 1];
	ssize_t			 n;

	for (;;) {
		n = recv(h->fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n <= SPFWIRE_MAX)
			deliver(h, buf, (size_t)n);
	}
	pthread_mutex_lock(&h->mu);
	h->dead = 1;
	lose_all(h);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---- start and stop -------------------------------------------------- */

static int
prepare(const struct conf *c, struct spfchild_args *a, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = c->dns_timeout;
	a->budget_ms = 2 * c->dns_timeout;
	if (*c->dns_nameserver != '\0')
		snprintf(a->servers, sizeof(a->servers), "%s",
		    c->dns_nameserver);
	else if (dns_system_servers(a->servers, sizeof(a->servers), err,
	    errlen) < 0)
		return -1;
	if (a->servers[0] == '\0')
		return errf(err, errlen, "no nameserver in /etc/resolv.conf: "
		    "set dns_nameserver");
	if ((a->isolate = geteuid() == 0) == 0)
		return 0;
	errno = 0;
	if ((pw = getpwnam(HELPER_ACCOUNT)) == NULL)
		return errf(err, errlen, "account %s: %s", HELPER_ACCOUNT,
		    errno ? strerror(errno) : "no such account");
	if (pw->pw_uid == 0)
		return errf(err, errlen, "account %s is root", HELPER_ACCOUNT);
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	snprintf(a->emptydir, sizeof(a->emptydir), "/tmp/outpost-spf.XXXXXX");
	if (mkdtemp(a->emptydir) == NULL || chmod(a->emptydir, 0555) < 0)
		return errf(err, errlen, "empty directory: %s",
		    strerror(errno));
	return 0;
}

/* Wait for the supervisor's "ok" or its reason for failing. */
static int
await_start(int fd, char *err, size_t errlen)
{
	struct pollfd	 p = { fd, POLLIN, 0 };
	char		 msg[256];
	ssize_t		 n = -1;

	if (poll(&p, 1, START_WAIT_MS) > 0)
		n = read(fd, msg, sizeof(msg) - 1);
	if (n == 2 && memcmp(msg, "ok", 2) == 0)
		return 0;
	if (n <= 0)
		return errf(err, errlen, "SPF helper did not start");
	msg[n] = '\0';
	return errf(err, errlen, "SPF helper: %s", msg);
}

static pid_t
fork_supervisor(struct spfchild_args *a, int sv[2], int life[2],
    int status[2])
{
	pid_t	 pid;

	if ((pid = fork()) != 0)
		return pid;
	close(sv[0]);
	close(life[1]);
	close(status[0]);
	a->sock = sv[1];
	a->lifeline = life[0];
	a->status_fd = status[1];
	spfchild_supervise(a);
}

static void
init_sync(struct spfhelper *h)
{
	pthread_condattr_t	 ca;

	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
}

/* The reader takes no signals: they belong to the program's own design. */
static int
start_reader(struct spfhelper *h)
{
	sigset_t	 all, old;
	int		 rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->reader, NULL, reader, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

struct spfhelper *
spfhelper_start(const struct conf *c, char *err, size_t errlen)
{
	struct spfchild_args	 a;
	struct spfhelper	*h;
	int			 sv[2], life[2], status[2], rc;

	if (prepare(c, &a, err, errlen) < 0)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(life, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		errf(err, errlen, "SPF helper: %s", strerror(errno));
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	h->super = h != NULL ? fork_supervisor(&a, sv, life, status) : -1;
	close(sv[1]);
	close(life[0]);
	close(status[1]);
	rc = h != NULL && h->super > 0 ? await_start(status[0], err, errlen) :
	    errf(err, errlen, "SPF helper: %s", strerror(errno));
	close(status[0]);
	if (a.isolate)
		(void)rmdir(a.emptydir);	/* when the child did not */
	if (h == NULL) {
		close(sv[0]);
		close(life[1]);
		return NULL;
	}
	h->fd = sv[0];
	h->lifeline = life[1];
	h->isolated = a.isolate;
	h->wait_ms = a.budget_ms + 1000;
	init_sync(h);
	if (rc == 0 && start_reader(h) == 0)
		h->reading = 1;
	else if (rc == 0)
		errf(err, errlen, "SPF helper: no reader thread");
	return h->reading ? h : spfhelper_stop(h);
}

struct spfhelper *
spfhelper_stop(struct spfhelper *h)
{
	int	 st;

	if (h == NULL)
		return NULL;
	close(h->lifeline);
	shutdown(h->fd, SHUT_RDWR);
	if (h->reading)
		pthread_join(h->reader, NULL);
	while (h->super > 0 && waitpid(h->super, &st, 0) < 0 && errno == EINTR)
		;
	close(h->fd);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
	return NULL;
}

int
spfhelper_isolated(const struct spfhelper *h)
{
	return h->isolated;
}

/* ---- requests -------------------------------------------------------- */

static void
deadline_in(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* A free slot marked waiting for a new id; NULL on timeout or death. */
static struct slot *
take_slot(struct spfhelper *h, const struct timespec *deadline)
{
	size_t	 i;
	int	 rc = 0;

	while (!h->dead && rc != ETIMEDOUT) {
		for (i = 0; i < SPFHELPER_SLOTS; i++) {
			if (h->slot[i].state != SLOT_FREE)
				continue;
			if (++h->next_id == 0)
				h->next_id = 1;
			h->slot[i].id = h->next_id;
			h->slot[i].state = SLOT_WAIT;
			return &h->slot[i];
		}
		rc = pthread_cond_timedwait(&h->cv, &h->mu, deadline);
	}
	return NULL;
}

static void
free_slot(struct spfhelper *h, struct slot *s)
{
	s->state = SLOT_FREE;
	pthread_cond_broadcast(&h->cv);
}

/* Wait for s; 0 with its answer in ans, or -1.  h->mu held. */
static int
await_answer(struct spfhelper *h, struct slot *s,
    const struct timespec *deadline, char *ans, size_t *len, char *err,
    size_t errlen)
{
	while (s->state == SLOT_WAIT &&
	    pthread_cond_timedwait(&h->cv, &h->mu, deadline) != ETIMEDOUT)
		;
	if (s->state == SLOT_DONE) {
		memcpy(ans, s->msg, s->len);
		*len = s->len;
		return 0;
	}
	if (s->state == SLOT_LOST)
		return errf(err, errlen, h->dead ? "SPF helper is gone" :
		    "SPF helper died with the request in flight (restarted)");
	return errf(err, errlen, "SPF helper: no answer within %ld ms",
	    h->wait_ms);
}

/*
 * Send one request in a slot taken for it; 0 with *sp the slot, or -1.
 * wait: wait for a free slot until the deadline, else fail at once.
 * h->mu held.
 */
static int
send_request(struct spfhelper *h, char type, const char *const *f, int nf,
    const struct timespec *deadline, int wait, struct slot **sp, char *err,
    size_t errlen)
{
	struct timespec	 now;
	char		 req[SPFWIRE_MAX];
	int		 n;

	if (!wait)
		clock_gettime(CLOCK_MONOTONIC, &now);
	if ((*sp = take_slot(h, wait ? deadline : &now)) == NULL)
		return errf(err, errlen, h->dead ? "SPF helper is gone" :
		    "SPF helper busy: %d requests waiting", SPFHELPER_SLOTS);
	n = spfwire_encode(req, sizeof(req), type, (*sp)->id, f, nf);
	if (n < 0)
		errf(err, errlen, "SPF request too long");
	else if (send(h->fd, req, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		errf(err, errlen, "SPF helper: %s", strerror(errno));
	else
		return 0;
	free_slot(h, *sp);
	return -1;
}

/* The answer in s, decoded into m (pointing into ans); frees s. */
static int
finish_request(struct spfhelper *h, struct slot *s,
    const struct timespec *deadline, char *ans, struct spfwire_msg *m,
    char *err, size_t errlen)
{
	size_t	 len = 0;
	int	 rc;

	pthread_mutex_lock(&h->mu);
	rc = await_answer(h, s, deadline, ans, &len, err, errlen);
	free_slot(h, s);
	pthread_mutex_unlock(&h->mu);
	if (rc < 0)
		return -1;
	if (spfwire_decode(ans, len, m, err, errlen) < 0)
		return -1;
	if (m->type == 'E')
		return errf(err, errlen, "SPF helper: %s", m->field[0]);
	return 0;
}

/* One round trip; the answer decoded into m (pointing into ans). */
static int
request(struct spfhelper *h, char type, const char *const *f, int nf,
    char *ans, struct spfwire_msg *m, char *err, size_t errlen)
{
	struct timespec	 deadline;
	struct slot	*s;
	int		 rc;

	deadline_in(&deadline, h->wait_ms);
	pthread_mutex_lock(&h->mu);
	rc = send_request(h, type, f, nf, &deadline, 1, &s, err, errlen);
	pthread_mutex_unlock(&h->mu);
	if (rc < 0)
		return -1;
	return finish_request(h, s, &deadline, ans, m, err, errlen);
}

static int
check_input(const char *ip, const char *helo, const char *mailfrom,
    char *err, size_t errlen)
{
	unsigned char	 a[16];

	if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		return errf(err, errlen, "not an IP address: \"%.64s\"", ip);
	if (*helo == '\0' || strlen(helo) > 255)
		return errf(err, errlen, "HELO name empty or too long");
	if (strlen(mailfrom) > 512)
		return errf(err, errlen, "envelope sender too long");
	return 0;
}

/* The verdict of a 'C' answer. */
static int
verdict_of(const struct spfwire_msg *m, struct spf_verdict *out, char *err,
    size_t errlen)
{
	int	 r;

	if (m->type != 'R' || (r = spf_result_parse(m->field[0])) < 0)
		return errf(err, errlen, "SPF helper: unexpected answer");
	out->result = (enum spf_result)r;
	snprintf(out->domain, sizeof(out->domain), "%s", m->field[1]);
	snprintf(out->identity, sizeof(out->identity), "%s", m->field[2]);
	snprintf(out->explanation, sizeof(out->explanation), "%s",
	    m->field[3]);
	return 0;
}

int
spfhelper_check(struct spfhelper *h, const char *ip, const char *helo,
    const char *mailfrom, struct spf_verdict *out, char *err, size_t errlen)
{
	const char		*f[3] = { ip, helo, mailfrom };
	struct spfwire_msg	 m;
	char			 ans[SPFWIRE_MAX];

	memset(out, 0, sizeof(*out));
	if (check_input(ip, helo, mailfrom, err, errlen) < 0 ||
	    request(h, 'C', f, 3, ans, &m, err, errlen) < 0)
		return -1;
	return verdict_of(&m, out, err, errlen);
}

int
spfhelper_submit(struct spfhelper *h, const char *ip, const char *helo,
    const char *mailfrom, struct spf_ticket *t, char *err, size_t errlen)
{
	const char	*f[3] = { ip, helo, mailfrom };
	struct slot	*s;
	int		 rc;

	t->slot = -1;
	if (check_input(ip, helo, mailfrom, err, errlen) < 0)
		return -1;
	deadline_in(&t->deadline, h->wait_ms);
	pthread_mutex_lock(&h->mu);
	rc = send_request(h, 'C', f, 3, &t->deadline, 0, &s, err, errlen);
	pthread_mutex_unlock(&h->mu);
	if (rc < 0)
		return -1;
	t->slot = (int)(s - h->slot);
	return 0;
}

int
spfhelper_collect(struct spfhelper *h, struct spf_ticket *t,
    struct spf_verdict *out, char *err, size_t errlen)
{
	struct spfwire_msg	 m;
	char			 ans[SPFWIRE_MAX];
	struct slot		*s;

	memset(out, 0, sizeof(*out));
	if (t->slot < 0 || t->slot >= SPFHELPER_SLOTS)
		return errf(err, errlen, "no SPF request in flight");
	s = &h->slot[t->slot];
	t->slot = -1;
	if (finish_request(h, s, &t->deadline, ans, &m, err, errlen) < 0)
		return -1;
	return verdict_of(&m, out, err, errlen);
}

void
spfhelper_cancel(struct spfhelper *h, struct spf_ticket *t)
{
	if (h == NULL || t->slot < 0 || t->slot >= SPFHELPER_SLOTS)
		return;
	pthread_mutex_lock(&h->mu);
	free_slot(h, &h->slot[t->slot]);
	pthread_mutex_unlock(&h->mu);
	t->slot = -1;
}

int
spfhelper_probe(struct spfhelper *h, const char *path, char *out,
    size_t outlen, char *err, size_t errlen)
{
	const char		*f[1] = { path };
	struct spfwire_msg	 m;
	char			 ans[SPFWIRE_MAX];

	if (request(h, 'P', f, 1, ans, &m, err, errlen) < 0)
		return -1;
	if (m.type != 'I')
		return errf(err, errlen, "SPF helper: unexpected answer");
	snprintf(out, outlen, "%s", m.field[0]);
	return 0;
}
