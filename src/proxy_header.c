/*
 * proxy_header.c: parse the PROXY protocol v2 header (see
 * haproxy.org/download/2.6/doc/proxy-protocol.txt, section 2.2).
 */
#include <netinet/in.h>
#include <string.h>

#include "echod/proxy_header.h"

static const uint8_t signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define CMD_LOCAL	0x0
#define CMD_PROXY	0x1
#define FAM_UNSPEC	0x0
#define FAM_INET	0x1
#define FAM_INET6	0x2
#define FAM_UNIX	0x3
#define PROTO_UNSPEC	0x0
#define PROTO_STREAM	0x1

static int
bad(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/* The bytes so far do not even start a v2 signature: say what they are. */
static int
not_v2(const uint8_t *buf, size_t n, const char **why)
{
	if (n >= 6 && memcmp(buf, "PROXY ", 6) == 0)
		return bad(why, "a PROXY protocol v1 (text) header; echod "
		    "takes v2 only (HAProxy: send-proxy-v2)");
	return bad(why, "no PROXY protocol v2 header (is the load balancer "
	    "sending one? HAProxy: send-proxy-v2)");
}

static int
client_address(const uint8_t *a, size_t alen, unsigned fam,
    struct proxy_header *h, const char **why)
{
	memset(&h->src, 0, sizeof(h->src));
	if (fam == FAM_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&h->src;

		if (alen < 12)
			return bad(why, "PROXY v2 header too short for IPv4 "
			    "addresses");
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a, 4);
		memcpy(&sin->sin_port, a + 8, 2);
		h->srclen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->src;

		if (alen < 36)
			return bad(why, "PROXY v2 header too short for IPv6 "
			    "addresses");
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a, 16);
		memcpy(&sin6->sin6_port, a + 32, 2);
		h->srclen = sizeof(*sin6);
	}
	return 1;
}

int
proxy_header_parse(const uint8_t *buf, size_t n, struct proxy_header *h,
    const char **why)
{
	size_t cmp = n < sizeof(signature) ? n : sizeof(signature);
	unsigned ver, cmd, fam, proto;
	size_t len;

	h->local = 0;
	h->srclen = 0;
	h->need = PROXY_HEADER_FIXED;
	if (memcmp(buf, signature, cmp) != 0)
		return not_v2(buf, n, why);
	if (n < PROXY_HEADER_FIXED)
		return 0;
	ver = buf[12] >> 4;
	cmd = buf[12] & 0xf;
	fam = buf[13] >> 4;
	proto = buf[13] & 0xf;
	len = ((size_t)buf[14] << 8) | buf[15];
	if (ver != 2)
		return bad(why, "PROXY header of an unknown version (not 2)");
	if (cmd != CMD_LOCAL && cmd != CMD_PROXY)
		return bad(why, "PROXY v2 header with an unknown command");
	if (PROXY_HEADER_FIXED + len > PROXY_HEADER_MAX)
		return bad(why, "PROXY v2 header longer than echod takes (1024 "
		    "bytes; drop some proxy-v2-options)");
	h->need = PROXY_HEADER_FIXED + len;
	if (n < h->need)
		return 0;
	/*
	 * LOCAL (the balancer's own health check) and UNSPEC name no
	 * client: the connection's own peer stands.  So does a Unix socket
	 * client, which has no address to check.
	 */
	if (cmd == CMD_LOCAL || fam == FAM_UNSPEC || fam == FAM_UNIX) {
		h->local = 1;
		return 1;
	}
	if (fam != FAM_INET && fam != FAM_INET6)
		return bad(why, "PROXY v2 header with an unknown address "
		    "family");
	if (proto != PROTO_STREAM && proto != PROTO_UNSPEC)
		return bad(why, "PROXY v2 header for a datagram client on a "
		    "stream connection");
	return client_address(buf + PROXY_HEADER_FIXED, len, fam, h, why);
}
