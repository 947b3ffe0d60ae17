/*
 * nullmilter -- the floor of the milter protocol through libmilter: a
 * milter that asks the MTA for exactly the steps and flags outpost-milter
 * negotiates (milter/callbacks.c: add headers; no reply to connect,
 * header, end of header and body; header values with their leading space;
 * no unknown commands), has the same callbacks, answers "continue" to
 * every step and changes nothing.
 *
 *   nullmilter -s SPEC [-T TIMEOUT]
 *	SPEC is libmilter's: unix:/path or inet:PORT@HOST.  Runs in the
 *	foreground until SIGTERM/SIGINT.  A unix socket is made mode 0666
 *	(the MTA's account must reach it); on TCP the listener gets
 *	TCP_NODELAY, as outpost-milter's does.
 *
 * bench/run puts it next to bare Postfix and outpost-milter: the rate
 * Postfix reaches with it is what no libmilter-based milter can beat.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define NOREPLY_STEPS	(SMFIP_NR_CONN | SMFIP_NR_HDR | SMFIP_NR_EOH | \
			 SMFIP_NR_BODY)
#define SKIP_STEPS	SMFIP_NOUNKNOWN

static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	if ((f0 & SMFIF_ADDHDRS) == 0)
		return SMFIS_REJECT;
	*pf0 = SMFIF_ADDHDRS;
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | NOREPLY_STEPS | SKIP_STEPS);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_NOREPLY;
}

static sfsistat
nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_NOREPLY;
}

static sfsistat
nm_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_NOREPLY;
}

static sfsistat
nm_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return SMFIS_NOREPLY;
}

static sfsistat
nm_continue(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc nm_desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = nm_connect,
	.xxfi_envfrom = nm_envfrom,
	.xxfi_header = nm_header,
	.xxfi_eoh = nm_eoh,
	.xxfi_body = nm_body,
	.xxfi_eom = nm_continue,
	.xxfi_abort = nm_continue,
	.xxfi_close = nm_continue,
	.xxfi_negotiate = nm_negotiate,
};

/* TCP_NODELAY on libmilter's listening socket, inherited by accepts. */
static void
listener_nodelay(void)
{
	int		 fd, v, one = 1;
	socklen_t	 len;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0 ||
		    !v)
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 &&
		    (v == AF_INET || v == AF_INET6))
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: nullmilter -s unix:/path|inet:PORT@HOST "
	    "[-T timeout]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char	*spec = NULL;
	int		 ch, timeout = 60;

	while ((ch = getopt(argc, argv, "s:T:")) != -1) {
		switch (ch) {
		case 's': spec = optarg; break;
		case 'T': timeout = atoi(optarg); break;
		default: usage();
		}
	}
	if (spec == NULL || optind != argc)
		usage();
	if (strncmp(spec, "unix:", 5) == 0)
		unlink(spec + 5);
	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_settimeout(timeout) != MI_SUCCESS ||
	    smfi_register(nm_desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", spec);
		return 1;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		chmod(spec + 5, 0666);
	else
		listener_nodelay();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
