/*
 * udpguard: which datagrams the UDP echo must never answer, because the
 * answer could start an endless exchange with another service (an echo
 * loop: "Loop DoS", CVE-2024-2169 names echo) or reflect traffic at a
 * victim.  Pure: the caller gives the source address and the ports of
 * its own UDP listeners.
 *
 *   - A source port below 1024: where privileged services answer (echo 7,
 *     chargen 19, DNS 53, NTP 123, ...), so a forged source there starts
 *     a loop or an amplification.  Clients send from ephemeral ports; the
 *     inetd family has refused these since 4.4BSD.  Port 0 too.
 *   - A source port that is one of our own UDP listeners' ports, from any
 *     address: ourselves (a datagram forged from our own address), another
 *     of our listeners, or another echod on the same port on another host
 *     (echod@7000 on two machines) would answer it, and so on for ever.
 *   - A source that cannot send: broadcast, multicast, unspecified.
 */
#ifndef ECHOD_UDPGUARD_H
#define ECHOD_UDPGUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum udpguard_verdict {
	UDPGUARD_ANSWER,
	UDPGUARD_PRIVILEGED_PORT,	/* source port below 1024 */
	UDPGUARD_OWN_PORT,		/* a port echod listens on */
	UDPGUARD_BAD_SOURCE,		/* broadcast, multicast, 0.0.0.0 */
};

#define UDPGUARD_FIRST_FREE_PORT	1024

/* The verdict for a datagram from FROM; OWN holds NOWN listener ports. */
enum udpguard_verdict udpguard_check(const struct sockaddr *from,
	    const uint16_t *own, size_t nown);

#endif
