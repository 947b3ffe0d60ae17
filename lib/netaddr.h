/*
 * netaddr -- the one address syntax of outpost, and CIDR matching.
 *
 *   netaddr_parse(text, a, err, errlen)
 *       "unix:/path", "inet:HOST:PORT", "inet:[IPV6]:PORT" into *a;
 *       0 or -1 with a reason in err.  HOST may be a name or a literal.
 *   netaddr_milter(a, buf, len)
 *       libmilter's form of the same address ("unix:/p", "inet:P@H",
 *       "inet6:P@H"); 0 or -1 when buf is too small.
 *   cidr_parse(text, c)     "192.0.2.0/24", "::1", "10.1.2.3"; 0 or -1
 *   cidr_match(c, sa)       1 if the socket address lies in c
 *   cidr_match_text(c, ip)  1 if the textual IP lies in c
 *   cidrs_match_text(list, n, ip)
 *                           1 if ip lies in any of list[0..n-1]
 */
#ifndef OUTPOST_NETADDR_H
#define OUTPOST_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>

enum netaddr_kind { NETADDR_UNIX, NETADDR_INET };

struct netaddr {
	int	 kind;			/* enum netaddr_kind */
	char	 path[108];		/* unix */
	char	 host[256];		/* inet, without brackets */
	char	 port[8];
	int	 v6;			/* host was bracketed */
};

int	 netaddr_parse(const char *, struct netaddr *, char *, size_t);
int	 netaddr_milter(const struct netaddr *, char *, size_t);

struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;
};

int	 cidr_parse(const char *, struct cidr *);
int	 cidr_match(const struct cidr *, const struct sockaddr *);
int	 cidr_match_text(const struct cidr *, const char *);
int	 cidrs_match_text(const struct cidr *, size_t, const char *);

#endif
