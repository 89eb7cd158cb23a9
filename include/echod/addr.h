/*
 * addr: socket addresses as operators read them.
 */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for "[xxxx:...:xxxx%scope]:65535" or "unix:" + a 107-byte path. */
#define ADDR_STRLEN	128

/* "127.0.0.1:7777", "[::1]:7777", "unix:/run/echod.sock", "unix:@name" */
void	addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
	    size_t buflen);

/* The port of an inet address, 0 for other families. */
unsigned addr_port(const struct sockaddr *sa);

#endif
