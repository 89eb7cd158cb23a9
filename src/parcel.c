/*
 * parcel.c: the bytes beside the descriptors in a handover's parcel (see
 * parcel.h).
 */
#include <netinet/in.h>
#include <string.h>

#include "echod/parcel.h"

#define MAGIC0		'e'
#define MAGIC1		'p'
#define VERSION		1

size_t
parcel_encode(uint8_t *buf, const struct parcel_client *c, size_t n)
{
	uint8_t *r;
	size_t i;

	buf[0] = MAGIC0;
	buf[1] = MAGIC1;
	buf[2] = VERSION;
	buf[3] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		const struct sockaddr_in *sin = (const void *)&c[i].sa;
		const struct sockaddr_in6 *sin6 = (const void *)&c[i].sa;

		r = buf + 4 + i * PARCEL_REC_SIZE;
		memset(r, 0, PARCEL_REC_SIZE);
		if (c[i].len >= sizeof(*sin) && sin->sin_family == AF_INET) {
			r[0] = 4;
			memcpy(r + 2, &sin->sin_port, 2);
			memcpy(r + 4, &sin->sin_addr, 4);
		} else if (c[i].len >= sizeof(*sin6) &&
		    sin6->sin6_family == AF_INET6) {
			r[0] = 6;
			memcpy(r + 2, &sin6->sin6_port, 2);
			memcpy(r + 4, &sin6->sin6_addr, 16);
		}
	}
	return 4 + n * PARCEL_REC_SIZE;
}

/* One record; -1 if it is none of the forms parcel_encode() writes. */
static int
decode_rec(const uint8_t *r, struct parcel_client *out)
{
	static const uint8_t zero[16];
	struct sockaddr_in *sin = (void *)&out->sa;
	struct sockaddr_in6 *sin6 = (void *)&out->sa;

	memset(out, 0, sizeof(*out));
	if (r[1] != 0)
		return -1;
	switch (r[0]) {
	case 0:
		return memcmp(r + 2, zero, 2) == 0 &&
		    memcmp(r + 4, zero, 16) == 0 ? 0 : -1;
	case 4:
		if (memcmp(r + 8, zero, 12) != 0)
			return -1;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_port, r + 2, 2);
		memcpy(&sin->sin_addr, r + 4, 4);
		out->len = sizeof(*sin);
		return 0;
	case 6:
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_port, r + 2, 2);
		memcpy(&sin6->sin6_addr, r + 4, 16);
		out->len = sizeof(*sin6);
		return 0;
	default:
		return -1;
	}
}

int
parcel_decode(const uint8_t *buf, size_t len, size_t nfds,
    struct parcel_client *out)
{
	size_t i;

	if (nfds < 1 || nfds > PARCEL_FDS_MAX || len < 4 ||
	    buf[0] != MAGIC0 || buf[1] != MAGIC1 || buf[2] != VERSION ||
	    buf[3] != nfds || len != 4 + nfds * PARCEL_REC_SIZE)
		return -1;
	for (i = 0; i < nfds; i++)
		if (decode_rec(buf + 4 + i * PARCEL_REC_SIZE, &out[i]) == -1)
			return -1;
	return 0;
}
