/*
 * proxy_header: the PROXY protocol version 2 header a load balancer
 * (HAProxy "send-proxy-v2") puts before a client's bytes, naming the
 * client.  Pure: bytes in, an address out.  Version 1 (text) is refused
 * with a message that says so.
 */
#ifndef ECHOD_PROXY_HEADER_H
#define ECHOD_PROXY_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_HEADER_FIXED	16	/* signature, version, family, length */
#define PROXY_HEADER_MAX	1024	/* with TLVs; more is refused */

struct proxy_header {
	size_t			need;	/* bytes the header takes (so far) */
	int			local;	/* LOCAL or UNSPEC: no client named */
	struct sockaddr_storage	src;	/* the client, unless local */
	socklen_t		srclen;
};

/*
 * Look at the first N bytes of a connection.  Returns 1 if they hold a
 * whole header (H->need bytes of it; H->src set unless H->local), 0 if
 * more bytes are needed (read up to H->need in all, never past it, so the
 * client's own bytes stay in the socket), or -1 if they cannot start a
 * valid version 2 header, with a one-line reason in *WHY.
 */
int	proxy_header_parse(const uint8_t *buf, size_t n,
	    struct proxy_header *h, const char **why);

#endif
