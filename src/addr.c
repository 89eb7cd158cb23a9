/*
 * addr.c: turn socket addresses into the text used in every log line.
 * Pure formatting, no system calls beyond inet_ntop().
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "echod/addr.h"

static void
format_unix(const struct sockaddr_un *sun, socklen_t len, char *buf,
    size_t buflen)
{
	size_t plen;

	if (len <= offsetof(struct sockaddr_un, sun_path)) {
		snprintf(buf, buflen, "unix:(unnamed)");
		return;
	}
	plen = len - offsetof(struct sockaddr_un, sun_path);
	if (sun->sun_path[0] == '\0')	/* abstract: no NUL terminator */
		snprintf(buf, buflen, "unix:@%.*s", (int)plen - 1,
		    sun->sun_path + 1);
	else
		snprintf(buf, buflen, "unix:%.*s", (int)plen, sun->sun_path);
}

void
addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, buflen, "%s:%u", host, ntohs(sin->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, buflen, "[%s]:%u", host, ntohs(sin6->sin6_port));
		break;
	}
	case AF_UNIX:
		format_unix((const struct sockaddr_un *)(const void *)sa, len,
		    buf, buflen);
		break;
	default:
		snprintf(buf, buflen, "(address family %d)", sa->sa_family);
	}
}

unsigned
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return 0;
}

int
addr_ip_of(const struct sockaddr *sa, struct addr_ip *ip)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a;

	memset(ip, 0, sizeof(*ip));
	if (sa->sa_family == AF_INET) {
		ip->family = 4;
		memcpy(ip->bytes, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
		ip->family = 4;
		memcpy(ip->bytes, a + 12, 4);
	} else {
		ip->family = 6;
		memcpy(ip->bytes, a, 16);
	}
	return 0;
}
