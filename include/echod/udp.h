/*
 * udp: RFC 862's datagram echo, served by the main thread.  Each datagram
 * goes back to its sender unchanged (so a reply is never larger than its
 * request), unless udpguard.h says its source must not be answered, the
 * ACL denies the sender, udploop.h sees a loop, or the sender is over its
 * --udp-rate.  Those are dropped and counted.  A reply the kernel refuses
 * costs only itself.
 */
#ifndef ECHOD_UDP_H
#define ECHOD_UDP_H

struct config;
struct echod;
struct event;
struct udp_stats;

#define UDP_MAX		65536		/* one buffer per datagram */

/* Serve FD (a bound datagram socket) from ED's main loop: 0, or -1.
 * Its port joins those whose datagrams are never answered. */
int	udp_serve(struct echod *ed, int fd, struct event **evp);

/* FD is no longer served (its event is the caller's to free). */
void	udp_unserve(struct echod *ed, int fd);

/* A reload: --udp-rate may have changed. */
void	udp_reconfigure(struct echod *ed, const struct config *ncfg);

/* The counters so far. */
void	udp_stats(const struct echod *ed, struct udp_stats *st);

void	udp_free(struct echod *ed);

#endif
