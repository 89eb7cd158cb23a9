/*
 * parcel: what one message in a handover's parcel says about the
 * connections it carries.  A parcel is a Unix stream socket pair: the old
 * echod sends every connection it hands over into one end (SCM_RIGHTS, up
 * to PARCEL_FDS_MAX per message), and systemd's store keeps the other end,
 * whose queue holds them, for the next echod to read.  Each message's
 * bytes: a 4-byte header (magic, version, count), then one 20-byte record
 * per descriptor, in order: the client its PROXY header named, if any.
 * Pure: bytes in, bytes out.
 */
#ifndef ECHOD_PARCEL_H
#define ECHOD_PARCEL_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define PARCEL_FDS_MAX	253		/* Linux's SCM_MAX_FD */
#define PARCEL_REC_SIZE	20
#define PARCEL_MSG_MAX	(4 + PARCEL_FDS_MAX * PARCEL_REC_SIZE)

struct parcel_client {
	struct sockaddr_storage	sa;	/* AF_INET or AF_INET6, or */
	socklen_t		len;	/* 0: the socket's peer is it */
};

/* N (1 to PARCEL_FDS_MAX) records into BUF (PARCEL_MSG_MAX bytes);
 * returns the bytes to send.  A client neither IPv4 nor IPv6 is sent as
 * none. */
size_t	parcel_encode(uint8_t *buf, const struct parcel_client *c, size_t n);

/*
 * The LEN bytes of one message, which came with NFDS descriptors, into
 * OUT (PARCEL_FDS_MAX).  0, or -1 if they are not exactly such a message
 * for NFDS descriptors.
 */
int	parcel_decode(const uint8_t *buf, size_t len, size_t nfds,
	    struct parcel_client *out);

#endif
