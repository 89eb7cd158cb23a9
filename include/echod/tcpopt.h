/*
 * tcpopt: the TCP options every echo connection carries (no Nagle, the
 * --keepalive probes), set once on the listening socket.  Linux copies a
 * listener's options into each socket accept() returns, so a connection
 * costs no system call for them.  Unix sockets have none: left alone.
 */
#ifndef ECHOD_TCPOPT_H
#define ECHOD_TCPOPT_H

/*
 * Give listening socket FD the options for KEEPALIVE seconds (0: no
 * probes).  0, or -1 with errno (never for a socket that is not TCP).
 */
int	tcpopt_apply(int fd, unsigned keepalive);

#endif
