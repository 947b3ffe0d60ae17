/*
 * outpost-milter -- private header shared by the files of milter/.
 *
 * State has three lifetimes:
 *   process     struct milter_globals, filled by main.c before smfi_main()
 *               and read-only afterwards (the key store has its own lock);
 *               G.conf is the start-up configuration: what is set up once
 *               (socket, account, keys, Redis, DNS) reads it;
 *   snapshot    struct msettings, the reloadable settings (settings.c):
 *               reference counted, replaced whole by SIGHUP, never
 *               changed; every per-message decision reads the message's;
 *   connection  struct mconn, created at connect, freed at close, reached
 *               only through the libmilter private pointer: libmilter runs
 *               one connection's callbacks on several worker threads;
 *   message     struct mmsg, created at MAIL FROM, freed at end of message
 *               or abort.
 */
#ifndef OUTPOST_MILTER_H
#define OUTPOST_MILTER_H

#include <stddef.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "conf.h"
#include "netaddr.h"

struct keystore;
struct dsig;
struct dns;
struct spfhelper;

struct milter_globals {
	struct conf	 conf;			/* as at start-up */
	const char	*conf_arg;		/* -c, NULL: conf_path() */
	struct keystore	*keys;
	struct spfhelper *spf;			/* NULL: SPF checks tempfail */
	struct dns	*dns;			/* align.c: DMARC prediction */
};
extern struct milter_globals G;

struct msettings {
	unsigned	 refs;			/* atomic */
	struct conf	 conf;			/* the whole file as reloaded */
	struct cidr	*internal;		/* conf.internal_hosts parsed */
	size_t		 ninternal;
	int		 relaxed_header;	/* from conf.canonicalization */
	int		 relaxed_body;
	int		 sign_rsa;		/* from conf.sign_algorithms */
	int		 sign_ed25519;
};

#define MSGID_MAX	256
#define QID_MAX		32

struct mmsg {
	struct msettings *set;			/* taken at MAIL FROM */
	char		 qid[QID_MAX];		/* "i" macro, or "-" */
	char		*auth;			/* {auth_authen}, may be NULL */
	char		*env_domain;		/* MAIL FROM domain, "" for <> */
	struct dsig	*sig;			/* header + body hashing */
	unsigned	 nfrom;			/* From header fields seen */
	char		*from;			/* value of the first one */
	char		 msgid[MSGID_MAX];
	int		 failed;		/* out of memory in a callback */
};

struct mconn {
	unsigned long	 pflags;		/* negotiated SMFIP_* */
	char		 addr[64];		/* client IP, "local" if none */
	struct sockaddr_storage sa;		/* client, AF_UNSPEC if none */
	struct mmsg	*msg;
};

/* align.c */
enum { ALIGN_OK, ALIGN_REFUSE, ALIGN_TEMPFAIL };
int		 align_init(char *, size_t);
int		 align_judge(const struct mmsg *, const char *, const char *,
		    char *, size_t);
void		 align_fini(void);

/* authz.c */
enum { AUTHZ_OK, AUTHZ_REFUSE, AUTHZ_ERROR };
struct authz {
	char	 why[512];		/* REFUSE: reply text; ERROR: cause */
	char	 verified[256];		/* OK, authorize_senders: the verified
					   domain that covers the From domain */
};
void		 authz_init(void);
int		 authz_check(const struct conf *, const char *, const char *,
		    struct authz *);
void		 authz_fini(void);

/* callbacks.c */
extern struct smfiDesc milter_desc;
int		 connections_wait(int);

/* outbound.c */
sfsistat	 outbound_eom(SMFICTX *, struct mconn *, struct mmsg *);
void		 milter_set_reply(SMFICTX *, const char *, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

/* refund.c */
void		 refund_init(void);
void		 refund_message(const char *, const char *);
void		 refund_fini(void);

/* settings.c */
void		 settings_init(const struct conf *);
struct msettings *settings_get(void);
struct msettings *settings_put(struct msettings *);
void		 settings_reload(const char *);
void		 settings_fini(void);

/* signals.c */
void		 signals_init(void);

#endif
