/*
 * addr: socket addresses as operators read them.
 */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for "[xxxx:...:xxxx%scope]:65535" or "unix:" + a 107-byte path. */
#define ADDR_STRLEN	128

/* "127.0.0.1:7777", "[::1]:7777", "unix:/run/echod.sock", "unix:@name" */
void	addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
	    size_t buflen);

/* The port of an inet address, 0 for other families. */
unsigned addr_port(const struct sockaddr *sa);

/*
 * An IP address as a key for rules, counts and rate limits: IPv4-mapped
 * IPv6 (::ffff:a.b.c.d, from dual-stack sockets) folds to IPv4, so one
 * client is one key whichever socket it came in on.  No port.
 */
struct addr_ip {
	uint8_t		family;		/* 4 or 6 */
	uint8_t		bytes[16];	/* IPv4: the first 4, then zeros */
};

/* Fill *IP from SA; returns 0, or -1 if SA is not IPv4 or IPv6. */
int	addr_ip_of(const struct sockaddr *sa, struct addr_ip *ip);

#endif
