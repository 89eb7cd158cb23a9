/*
 * tcpopt.c: the options an echo connection inherits from its listener
 * (see tcpopt.h).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "echod/tcpopt.h"

static int
is_tcp(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

static int
set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/*
 * Echoes are small and answer a request: never wait for Nagle.  A peer
 * silent for KEEPALIVE seconds is probed every quarter of that and given
 * up after 4 unanswered probes: one that vanished (host gone, cable cut,
 * no RST) frees its slot about 2 * KEEPALIVE after it went quiet.
 */
int
tcpopt_apply(int fd, unsigned keepalive)
{
	int tcp = is_tcp(fd);

	if (tcp <= 0)
		return tcp;
	if (set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1) == -1 ||
	    set_int(fd, SOL_SOCKET, SO_KEEPALIVE, keepalive > 0) == -1)
		return -1;
	if (keepalive == 0)
		return 0;
	if (set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, (int)keepalive) == -1 ||
	    set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL,
	    (int)((keepalive + 3) / 4)) == -1 ||
	    set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 4) == -1)
		return -1;
	return 0;
}
