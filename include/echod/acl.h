/*
 * acl: --allow / --deny CIDR rules, first match wins, default allow.
 * Pure: parsing and matching, no sockets.
 */
#ifndef ECHOD_ACL_H
#define ECHOD_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ACL_MAX_RULES	256

struct acl_rule {
	int		allow;
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network, host bits cleared */
	unsigned	prefix;		/* bits */
};

struct acl {
	struct acl_rule	rules[ACL_MAX_RULES];
	size_t		n;
};

/*
 * Append the rule "--allow TEXT" (ALLOW=1) or "--deny TEXT".  TEXT is an
 * address ("10.1.2.3", "::1") or a CIDR ("10.0.0.0/8", "fd00::/8").
 * Returns 0, or -1 with a one-line message in ERR.
 */
int	acl_add(struct acl *acl, int allow, const char *text, char *err,
	    size_t errlen);

/* The same for another option OPT ("--proxy-from"), named in ERR. */
int	acl_add_for(struct acl *acl, const char *opt, int allow,
	    const char *text, char *err, size_t errlen);

/*
 * 1 if SA may talk to us, 0 if a rule denies it.  IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d, from dual-stack sockets) match IPv4 rules.
 */
int	acl_allows(const struct acl *acl, const struct sockaddr *sa);

/*
 * The first matching rule's verdict for SA (1 allow, 0 deny), NONE if no
 * rule matches, -1 if SA has no IP address (a Unix socket's peer).
 */
int	acl_verdict(const struct acl *acl, const struct sockaddr *sa,
	    int none);

#endif
