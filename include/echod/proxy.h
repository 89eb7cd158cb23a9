/*
 * proxy: --proxy-protocol in the accepting thread.  A new connection
 * from a trusted balancer waits here until its PROXY v2 header has
 * arrived, then is admitted (admit_proxied) as the client the header
 * names.
 */
#ifndef ECHOD_PROXY_H
#define ECHOD_PROXY_H

struct echod;

/* How long a connection may take to send its header, at most. */
#define PROXY_HEADER_TIMEOUT	5	/* seconds; --idle-timeout if shorter */

/* Wait for FD's header (FD is closed if it never comes); TLS: a tls:
 * listener's, whose handshake follows the header. */
void	proxy_wait_start(struct echod *ed, int fd, int tls);

/* Close every connection still waiting (draining, stopping). */
void	proxy_close_all(struct echod *ed);

#endif
