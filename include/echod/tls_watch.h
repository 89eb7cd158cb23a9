/*
 * tls_watch: a TLS client's records and handshake messages, watched from
 * OpenSSL's message callback, and cut off when they would hold a worker
 * or OpenSSL's memory (tls_watch.c says how).  Set up by tls.c; conn.c
 * asks why a connection was cut off.
 */
#ifndef ECHOD_TLS_WATCH_H
#define ECHOD_TLS_WATCH_H

#include <openssl/ssl.h>

struct bufferevent;
struct event;

/* Client records a handshake may take (a real one takes under 10; 512-
 * byte fragments of a 16 KiB chain, 34). */
#define TLS_WATCH_RECORDS	64

/* A client's handshake messages after its handshake (KeyUpdates), over
 * the life of the connection; the next one ends it. */
#define TLS_POST_HANDSHAKE_MAX	256

enum tls_watch_abuse {
	TLS_ABUSE_RECORDS,	/* too many records in the handshake */
	TLS_ABUSE_BIG_HELLO,	/* a second ClientHello too large */
	TLS_ABUSE_RENEGOTIATE,	/* a handshake record after it (1.2) */
	TLS_ABUSE_FLOOD,	/* over TLS_POST_HANDSHAKE_MAX (1.3) */
};

/* Watch every SSL of CTX.  0, or -1 if OpenSSL had no room. */
int	tls_watch_init(SSL_CTX *ctx);

/* ALARM is made active once when SSL is cut off. */
void	tls_watch(SSL *ssl, struct event *alarm);

/* Why BEV (tls_accept()'s) was cut off ("tried to renegotiate"), or
 * NULL. */
const char *tls_abuse(struct bufferevent *bev);

#endif
