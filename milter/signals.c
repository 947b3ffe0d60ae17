/*
 * signals -- SIGHUP reloads the keys and outpost.conf instead of stopping
 * the milter.
 *
 * libmilter blocks SIGHUP, SIGTERM and SIGINT and waits for them with
 * sigwait(3) in a thread of its own, where SIGHUP stops the milter like
 * SIGTERM does.  Admins expect SIGHUP to mean "reload" (systemctl reload).
 * libmilter is the only caller of sigwait() in this program, so the
 * definition below, which the dynamic linker binds in preference to libc's,
 * sees every signal libmilter waits for: SIGHUP asks the key store to
 * reload, reads the configuration again (settings.c; here, in libmilter's
 * signal thread, not in a signal handler) and is swallowed; every other
 * signal goes to libmilter unchanged.
 */
#include <errno.h>
#include <signal.h>

#include "keystore.h"
#include "log.h"
#include "milter.h"

static volatile sig_atomic_t	 ready;

int	 sigwait(const sigset_t *, int *);

int
sigwait(const sigset_t *set, int *sig)
{
	int	 s;

	for (;;) {
		s = sigwaitinfo(set, NULL);
		if (s < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (s == SIGHUP && ready) {
			keystore_request_reload(G.keys);
			log_info("SIGHUP: keys will be reloaded; reading the "
			    "configuration again");
			settings_reload(G.conf_arg);
			continue;
		}
		*sig = s;
		return 0;
	}
}

void
signals_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	ready = 1;
}
