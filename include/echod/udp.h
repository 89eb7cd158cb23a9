/*
 * udp: RFC 862's datagram echo, served by the main thread.  Each datagram
 * goes back to its sender unchanged (so a reply is never larger than its
 * request), unless it comes from a well-known port of the echo/chargen
 * family (an echo loop or a reflection attack), the ACL denies the sender,
 * or the sender is over its --udp-rate.  Those are dropped and counted.
 */
#ifndef ECHOD_UDP_H
#define ECHOD_UDP_H

#include <stdint.h>

struct echod;
struct event;

#define UDP_BATCH	32		/* datagrams per recvmmsg() */
#define UDP_MAX		65536		/* one buffer per datagram */

struct udp_stats {
	uint64_t	in, out;		/* datagrams */
	uint64_t	bytes_in, bytes_out;
	uint64_t	dropped_port, dropped_acl, dropped_rate;
	uint64_t	dropped_send;		/* socket would not take it */
};

/* Serve FD (a bound datagram socket) from ED's main loop. */
int	udp_serve(struct echod *ed, int fd, struct event **evp);

/* Well-known ports whose datagrams are never answered. Pure. */
int	udp_port_is_reflector(unsigned port);

void	udp_free(struct echod *ed);

#endif
