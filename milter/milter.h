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
#include "spfhelper.h"

struct keystore;
struct dsig;
struct dkimv;
struct dns;
struct spfhelper;

struct milter_globals {
	struct conf	 conf;			/* as at start-up */
	const char	*conf_arg;		/* -c, NULL: conf_path() */
	struct keystore	*keys;
	struct spfhelper *spf;			/* NULL: SPF checks tempfail */
	struct dns	*dns;			/* DMARC prediction, inbound
						   checks; NULL: none needed */
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
#define FROM_KEEP	8			/* From values kept (inbound) */

/*
 * What the inbound path gathers of a message it verifies (inbound.c):
 * the DKIM verifier fed every field and the body, the From values, and
 * the Authentication-Results fields that claim our authserv-id.
 */
struct inbound {
	struct dkimv	*dkv;
	struct spf_ticket spf;			/* sent at MAIL FROM */
	char		*mailfrom;		/* MAIL FROM, "" for <> */
	char		*from[FROM_KEEP];	/* the first From values */
	unsigned	 nfrom;			/* all From fields seen */
	unsigned	 nar;			/* A-R fields seen */
	unsigned	*forged;		/* 1-based A-R indices (among
						   A-R fields) claiming our id */
	size_t		 nforged, capforged;
	char		 authserv_id[256];
};

struct mmsg {
	struct msettings *set;			/* taken at MAIL FROM */
	char		 qid[QID_MAX];		/* "i" macro, or "-" */
	char		*auth;			/* {auth_authen}, may be NULL */
	char		*env_domain;		/* MAIL FROM domain, "" for <> */
	struct dsig	*sig;			/* outbound: signer */
	struct inbound	*in;			/* inbound: verification */
	unsigned	 nfrom;			/* From header fields seen */
	char		*from;			/* value of the first one */
	char		 msgid[MSGID_MAX];
	int		 failed;		/* out of memory in a callback */
};

struct mconn {
	unsigned long	 pflags;		/* negotiated SMFIP_* */
	unsigned long	 aflags;		/* negotiated SMFIF_* */
	char		*helo;			/* HELO/EHLO argument, or NULL */
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

/* inbound.c */
int		 inbound_init(char *, size_t);
struct inbound	*inbound_new(SMFICTX *, const struct mconn *,
		    const struct msettings *, const char *);
int		 inbound_header(const struct mconn *, struct mmsg *,
		    const char *, const char *);
int		 inbound_body(struct mmsg *, const unsigned char *, size_t);
sfsistat	 inbound_eom(SMFICTX *, struct mconn *, struct mmsg *);
struct inbound	*inbound_free(struct inbound *);

/* verdict.c: the checks of one inbound message and our A-R text */
struct verdict {
	int		 spf;			/* enum spf_result */
	char		 spf_why[256];		/* temperror/permerror: why */
	int		 spf_helo;		/* identity checked: HELO */
	int		 dkim_ok;		/* the verifier ran */
	int		 dmarc;			/* enum dmarc_result */
	char		 dmarc_why[512];	/* permerror/temperror: why */
	char		 from_domain[256];	/* "" when none could be had */
	int		 policy_known;		/* the lookup answered */
	int		 found;			/* a record governs it */
	int		 p, sp_which, sp_value;	/* p=, applied sp=/np= */
	int		 testing;		/* t=y */
	int		 effective;		/* policy after t=y */
	int		 enforce;		/* dmarc_evaluate's */
	char		 reason[512];		/* dmarc_evaluate's */
};
int		 verdict_init(char *, size_t);
void		 verdict_spf_start(const struct mconn *, struct inbound *);
int		 verdict_run(const struct mconn *, struct mmsg *,
		    struct verdict *, char *, size_t);
char		*verdict_authres(const struct mconn *, const struct mmsg *,
		    const struct verdict *, const char *, char *, size_t);
void		 verdict_dkim_summary(const struct mmsg *, char *, size_t);

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

/* metrics.c -- Prometheus figures (lib/ometrics.h); mm_start serves
 * milter_metrics_listen from a thread, mm_message counts one message. */
void		 mm_start(const struct conf *);
void		 mm_stop(void);
void		 mm_message(int, sfsistat);

#endif
