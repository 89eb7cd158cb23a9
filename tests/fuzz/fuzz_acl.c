/*
 * Fuzz target: --allow/--deny CIDR parsing, then matching.  Property: an
 * accepted rule matches its own network address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/acl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acl acl;
	struct sockaddr_storage ss;
	char text[256], err[512];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&acl, 0, sizeof(acl));
	if (acl_add(&acl, 0, text, err, sizeof(err)) != 0)
		return 0;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)acl.rules[0].family;
	if (ss.ss_family == AF_INET)
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr,
		    acl.rules[0].addr, 4);
	else
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr,
		    acl.rules[0].addr, 16);
	if (acl_allows(&acl, (struct sockaddr *)&ss))
		abort();		/* a deny rule must match its network */
	return 0;
}
