/*
 * fdname.c: names for what a restart leaves in systemd's store (see
 * fdname.h).  A name is parsed only in the exact form fdname_conn()
 * writes, so the text a process sends to remove one (FDSTOREREMOVE=1)
 * is the text it received.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "echod/fdname.h"

#define CONN_PREFIX	"echod-conn."
#define DONE_PREFIX	"echod-done."
#define GEN_DIGITS	16

static const char hexdigits[] = "0123456789abcdef";

static char *
put_hex(char *p, const uint8_t *bytes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*p++ = hexdigits[bytes[i] >> 4];
		*p++ = hexdigits[bytes[i] & 0xf];
	}
	return p;
}

/* N bytes from 2N lowercase hex digits at P; -1 if they are not. */
static int
get_hex(const char *p, uint8_t *bytes, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		const char *d = p[i] == '\0' ? NULL : strchr(hexdigits, p[i]);

		if (d == NULL)
			return -1;
		if (i % 2 == 0)
			bytes[i / 2] = (uint8_t)((d - hexdigits) << 4);
		else
			bytes[i / 2] |= (uint8_t)(d - hexdigits);
	}
	return 0;
}

static void
put_gen(char *p, uint64_t gen)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(gen >> (56 - 8 * i));
	*put_hex(p, b, sizeof(b)) = '\0';
}

static int
get_gen(const char *p, uint64_t *gen)
{
	uint8_t b[8];
	int i;

	if (get_hex(p, b, sizeof(b)) == -1)
		return -1;
	*gen = 0;
	for (i = 0; i < 8; i++)
		*gen = *gen << 8 | b[i];
	return 0;
}

int
fdname_conn(char *buf, uint64_t gen, const struct sockaddr *client,
    socklen_t len)
{
	const struct sockaddr_in *sin = (const void *)client;
	const struct sockaddr_in6 *sin6 = (const void *)client;
	char *p;

	memcpy(buf, CONN_PREFIX, sizeof(CONN_PREFIX));
	put_gen(buf + strlen(CONN_PREFIX), gen);
	if (client == NULL)
		return 0;
	p = buf + strlen(buf);
	if (client->sa_family == AF_INET && len >= sizeof(*sin)) {
		memcpy(p, ".4-", 3);
		p = put_hex(p + 3, (const uint8_t *)&sin->sin_addr, 4);
		p = put_hex(p, (const uint8_t *)&sin->sin_port, 2);
	} else if (client->sa_family == AF_INET6 && len >= sizeof(*sin6)) {
		memcpy(p, ".6-", 3);
		p = put_hex(p + 3, (const uint8_t *)&sin6->sin6_addr, 16);
		p = put_hex(p, (const uint8_t *)&sin6->sin6_port, 2);
	} else
		return -1;
	*p = '\0';
	return 0;
}

void
fdname_done(char *buf, uint64_t gen)
{
	memcpy(buf, DONE_PREFIX, sizeof(DONE_PREFIX));
	put_gen(buf + strlen(DONE_PREFIX), gen);
}

/* ".4-..." or ".6-..." at P, to the end of the name. */
static int
parse_client(const char *p, struct fdname *out)
{
	struct sockaddr_in *sin = (void *)&out->client;
	struct sockaddr_in6 *sin6 = (void *)&out->client;

	if (strncmp(p, ".4-", 3) == 0 && strlen(p + 3) == 12) {
		sin->sin_family = AF_INET;
		out->clientlen = sizeof(*sin);
		return get_hex(p + 3, (uint8_t *)&sin->sin_addr, 4) == -1 ||
		    get_hex(p + 11, (uint8_t *)&sin->sin_port, 2) == -1 ?
		    -1 : 0;
	}
	if (strncmp(p, ".6-", 3) == 0 && strlen(p + 3) == 36) {
		sin6->sin6_family = AF_INET6;
		out->clientlen = sizeof(*sin6);
		return get_hex(p + 3, (uint8_t *)&sin6->sin6_addr, 16) ==
		    -1 || get_hex(p + 35, (uint8_t *)&sin6->sin6_port, 2) ==
		    -1 ? -1 : 0;
	}
	return -1;
}

enum fdname_kind
fdname_parse(const char *name, struct fdname *out)
{
	const char *p;
	int conn;

	memset(out, 0, sizeof(*out));
	out->client.ss_family = AF_UNSPEC;
	conn = strncmp(name, CONN_PREFIX, strlen(CONN_PREFIX)) == 0;
	if (!conn && strncmp(name, DONE_PREFIX, strlen(DONE_PREFIX)) != 0)
		return out->kind = FDNAME_OTHER;
	out->kind = FDNAME_BROKEN;
	p = name + strlen(CONN_PREFIX);		/* both prefixes: 11 */
	if (get_gen(p, &out->gen) == -1)
		return out->kind;
	p += GEN_DIGITS;
	if (*p == '\0')
		return out->kind = conn ? FDNAME_CONN : FDNAME_DONE;
	if (!conn || parse_client(p, out) == -1) {
		memset(&out->client, 0, sizeof(out->client));
		out->client.ss_family = AF_UNSPEC;
		out->clientlen = 0;
		return out->kind;
	}
	return out->kind = FDNAME_CONN;
}
