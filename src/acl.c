/*
 * acl.c: parse CIDR rules and match addresses against them, in order.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "echod/acl.h"
#include "echod/addr.h"
#include "echod/numparse.h"

int
acl_add(struct acl *acl, int allow, const char *text, char *err,
    size_t errlen)
{
	return acl_add_for(acl, allow ? "--allow" : "--deny", allow, text,
	    err, errlen);
}

int
acl_add_for(struct acl *acl, const char *opt, int allow, const char *text,
    char *err, size_t errlen)
{
	struct acl_rule r = { .allow = allow };
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/'), *why;
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	uint64_t prefix;
	unsigned i, max;

	if (acl->n == ACL_MAX_RULES) {
		snprintf(err, errlen, "%s '%s': at most %d rules", opt, text,
		    ACL_MAX_RULES);
		return -1;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "%s '%s' is not an address or CIDR; "
		    "write e.g. 10.0.0.0/8 or fd00::/8", opt, text);
		return -1;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, r.addr) == 1)
		r.family = AF_INET;
	else if (inet_pton(AF_INET6, host, r.addr) == 1)
		r.family = AF_INET6;
	else {
		snprintf(err, errlen, "%s '%s': '%s' is not an IPv4 or IPv6 "
		    "address; write e.g. 192.168.0.0/16 or 2001:db8::/32",
		    opt, text, host);
		return -1;
	}
	max = r.family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash != NULL &&
	    num_parse_u64(slash + 1, 0, max, &prefix, &why) == -1) {
		snprintf(err, errlen, "%s '%s': prefix length '%s' %s; give "
		    "0 to %u", opt, text, slash + 1, why, max);
		return -1;
	}
	r.prefix = (unsigned)prefix;
	/* Clear host bits so matching is a plain prefix compare. */
	for (i = r.prefix; i < max; i++)
		r.addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	acl->rules[acl->n++] = r;
	return 0;
}

static int
prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

int
acl_verdict(const struct acl *acl, const struct sockaddr *sa, int none)
{
	struct addr_ip ip;
	int family;
	size_t i;

	if (addr_ip_of(sa, &ip) == -1)
		return -1;
	family = ip.family == 4 ? AF_INET : AF_INET6;
	for (i = 0; i < acl->n; i++) {
		const struct acl_rule *r = &acl->rules[i];
		if (r->family == family &&
		    prefix_equal(ip.bytes, r->addr, r->prefix))
			return r->allow;
	}
	return none;
}

int
acl_allows(const struct acl *acl, const struct sockaddr *sa)
{
	/* Unix sockets: not ours to filter (file permissions are). */
	return acl_verdict(acl, sa, 1) != 0;
}
