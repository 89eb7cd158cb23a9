/*
 * Fuzz target: the PROXY protocol v2 header, the first bytes a client
 * (or whoever claims to be the load balancer) sends.  Beyond "no crash":
 * a complete header never claims more bytes than were given, and every
 * prefix of those bytes asks for more instead of deciding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "echod/proxy_header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h, p;
	const char *why;
	size_t i;
	int rc;

	rc = proxy_header_parse(data, size, &h, &why);
	if (rc == 1) {
		if (h.need > size || h.need > PROXY_HEADER_MAX ||
		    (!h.local && h.src.ss_family != AF_INET &&
		    h.src.ss_family != AF_INET6))
			abort();
		for (i = 0; i < h.need; i++)
			if (proxy_header_parse(data, i, &p, &why) != 0)
				abort();
	} else if (rc == 0 && h.need <= size)
		abort();
	return 0;
}
