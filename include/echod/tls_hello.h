/*
 * tls_hello: the first 9 bytes a TLS client sends (a record header and
 * the ClientHello's handshake header), judged before OpenSSL sees them.
 * OpenSSL sizes its buffer from the length the client declares (up to
 * 128 KiB, zeroed) and keeps it until the handshake ends: 9 bytes would
 * cost 155 KB.  Pure, so the rule is unit-tested.
 */
#ifndef ECHOD_TLS_HELLO_H
#define ECHOD_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define TLS_HELLO_PEEK	9		/* bytes judged */
#define TLS_HELLO_MAX	(16 * 1024)	/* largest ClientHello let through */
#define TLS_HELLO_RECORDS 32		/* records it may be split into */
/* Enough to hold a whole ClientHello in as many records. */
#define TLS_HELLO_WHOLE	(TLS_HELLO_RECORDS * 5 + 4 + TLS_HELLO_MAX)

enum tls_hello {
	TLS_HELLO_MORE,		/* nothing wrong yet: wait for the rest */
	TLS_HELLO_OK,		/* a ClientHello of a sane size follows */
	TLS_HELLO_NOT_TLS,	/* not a TLS handshake record at all */
	TLS_HELLO_BAD,		/* TLS, but not a ClientHello, or too large */
};

/* Judge the first N (at most TLS_HELLO_PEEK) bytes B a client sent. */
enum tls_hello	tls_hello_check(const uint8_t *b, size_t n);

/*
 * After TLS_HELLO_OK: is the whole ClientHello in the N bytes B?  MORE
 * (not yet), OK, or BAD: a record of another type comes first, or it
 * takes more than TLS_HELLO_RECORDS records.  OpenSSL is given the
 * connection only then, so a client that trickles its hello holds no
 * OpenSSL state while it does.
 */
enum tls_hello	tls_hello_whole(const uint8_t *b, size_t n);

#endif
