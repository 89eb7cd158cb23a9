/*
 * udpguard.c: the rules for datagrams never answered (see udpguard.h).
 */
#include <netinet/in.h>
#include <string.h>

#include "echod/addr.h"
#include "echod/udpguard.h"

/* Addresses no datagram can honestly come from. */
static int
bad_source(const struct addr_ip *ip)
{
	static const uint8_t zero[16];

	if (ip->family == 4)
		return ip->bytes[0] == 0 ||		/* 0.0.0.0/8 */
		    ip->bytes[0] >= 224;		/* multicast, 240/4,
							 * broadcast */
	return ip->bytes[0] == 0xff ||			/* multicast */
	    memcmp(ip->bytes, zero, 16) == 0;		/* :: */
}

enum udpguard_verdict
udpguard_check(const struct sockaddr *from, const uint16_t *own, size_t nown)
{
	unsigned port = addr_port(from);
	struct addr_ip ip;
	size_t i;

	if (addr_ip_of(from, &ip) == -1 || bad_source(&ip))
		return UDPGUARD_BAD_SOURCE;
	if (port < UDPGUARD_FIRST_FREE_PORT)
		return UDPGUARD_PRIVILEGED_PORT;
	for (i = 0; i < nown; i++)
		if (own[i] == port)
			return UDPGUARD_OWN_PORT;
	return UDPGUARD_ANSWER;
}
