/*
 * tls_watch.c: what a TLS client may make OpenSSL do, watched from
 * OpenSSL's message callback (tls_watch.h).  OpenSSL reads every record
 * of a handshake message in one call, sizes a message's buffer from its
 * header alone (a ClientHello up to 128 KiB, zeroed), and handles
 * handshake messages after the handshake as long as they come.  So:
 *
 *   - during the handshake, at most TLS_WATCH_RECORDS client records (a
 *     16 KiB ClientHello in 1-byte records cost 33 ms of a worker);
 *   - after a HelloRetryRequest, the second ClientHello's header is
 *     peeked at and judged as conn.c judged the first (tls_hello.h);
 *   - after the client's Finished: in TLS 1.2 no handshake record at all
 *     (only a renegotiation could be one, and its header alone made
 *     OpenSSL hold 153 KiB for good); in TLS 1.3 no ClientHello and at
 *     most TLS_POST_HANDSHAKE_MAX messages (KeyUpdates).
 *
 * A client over a line is cut off there and then: the SSL's read BIO is
 * swapped for one at end of file, so OpenSSL reads nothing more in this
 * call, and the connection's alarm (the SSL's app data) goes off so
 * conn.c closes it.  The count keys on the client's Finished, not on
 * SSL_is_init_finished(): OpenSSL is "in init" again while it handles a
 * KeyUpdate.
 */
#include <sys/socket.h>
#include <stdint.h>
#include <string.h>

#include <openssl/ssl.h>

#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "echod/tls_hello.h"
#include "echod/tls_watch.h"

/* Each SSL's state and count, as integers in ex_data pointers. */
static int state_idx = -1, count_idx = -1;

enum {
	W_HANDSHAKE,		/* count: client records */
	W_HELLO_AGAIN,		/* a HelloRetryRequest went out */
	W_OPEN,			/* count: handshake messages after it */
	W_CUT			/* and higher: an enum tls_watch_abuse */
};

/* A ServerHello with this random is a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static uintptr_t
get(SSL *ssl, int idx)
{
	return (uintptr_t)SSL_get_ex_data(ssl, idx);
}

static void
set(SSL *ssl, int idx, uintptr_t v)
{
	SSL_set_ex_data(ssl, idx, (void *)v);
}

/* Cut SSL off for WHY: no more reading, and the alarm. */
static void
cut(SSL *ssl, enum tls_watch_abuse why)
{
	struct event *alarm;
	BIO *eof;

	set(ssl, state_idx, W_CUT + (uintptr_t)why);
	if ((eof = BIO_new(BIO_s_mem())) != NULL) {
		BIO_set_mem_eof_return(eof, 0);
		SSL_set0_rbio(ssl, eof);	/* the socket stays the wbio */
	}
	if ((alarm = SSL_get_app_data(ssl)) != NULL)
		event_active(alarm, EV_TIMEOUT, 0);
}

/* A ServerHello of MSG/LEN that is a HelloRetryRequest. */
static int
is_hrr(const uint8_t *msg, size_t len)
{
	/* type, length (3), legacy_version (2), random */
	return len >= 6 + sizeof(hrr_random) &&
	    msg[0] == SSL3_MT_SERVER_HELLO &&
	    memcmp(msg + 6, hrr_random, sizeof(hrr_random)) == 0;
}

/*
 * The record header HDR after a HelloRetryRequest: if it is the second
 * ClientHello's (a ChangeCipherSpec may come first), peek at the 4 bytes
 * after it, still in the socket (OpenSSL reads exactly 5 first), and
 * judge the 9.  A real client writes them together; one that splits them
 * there is refused too.
 */
static void
second_hello(SSL *ssl, const uint8_t *hdr)
{
	uint8_t b[TLS_HELLO_PEEK];
	ssize_t n;

	if (hdr[0] != SSL3_RT_HANDSHAKE)
		return;
	memcpy(b, hdr, 5);
	n = recv(SSL_get_fd(ssl), b + 5, sizeof(b) - 5, MSG_PEEK |
	    MSG_DONTWAIT);
	if (n == (ssize_t)(sizeof(b) - 5) &&
	    tls_hello_check(b, sizeof(b)) == TLS_HELLO_OK)
		set(ssl, state_idx, W_HANDSHAKE);
	else
		cut(ssl, TLS_ABUSE_BIG_HELLO);
}

/* A record header HDR from the client. */
static void
record(SSL *ssl, uintptr_t st, const uint8_t *hdr)
{
	uintptr_t n;

	if (st == W_OPEN) {
		if (hdr[0] == SSL3_RT_HANDSHAKE &&
		    SSL_version(ssl) != TLS1_3_VERSION)
			cut(ssl, TLS_ABUSE_RENEGOTIATE);
		return;
	}
	if ((n = get(ssl, count_idx) + 1) > TLS_WATCH_RECORDS) {
		cut(ssl, TLS_ABUSE_RECORDS);
		return;
	}
	set(ssl, count_idx, n);
	if (st == W_HELLO_AGAIN)
		second_hello(ssl, hdr);
}

/* A whole handshake message MSG from the client. */
static void
message(SSL *ssl, uintptr_t st, const uint8_t *msg)
{
	uintptr_t n;

	if (st != W_OPEN) {
		if (msg[0] == SSL3_MT_FINISHED) {
			set(ssl, state_idx, W_OPEN);
			set(ssl, count_idx, 0);
		}
		return;
	}
	if (msg[0] == SSL3_MT_CLIENT_HELLO)
		cut(ssl, TLS_ABUSE_RENEGOTIATE);
	else if ((n = get(ssl, count_idx) + 1) > TLS_POST_HANDSHAKE_MAX)
		cut(ssl, TLS_ABUSE_FLOOD);
	else
		set(ssl, count_idx, n);
}

static void
watch_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	uintptr_t st = get(ssl, state_idx);

	(void)version;
	(void)arg;
	if (st >= W_CUT)
		return;
	if (write_p) {
		if (st == W_HANDSHAKE && content_type == SSL3_RT_HANDSHAKE &&
		    is_hrr(buf, len))
			set(ssl, state_idx, W_HELLO_AGAIN);
		return;
	}
	if (content_type == SSL3_RT_HEADER && len >= 5)
		record(ssl, st, buf);
	else if (content_type == SSL3_RT_HANDSHAKE && len > 0)
		message(ssl, st, buf);
}

int
tls_watch_init(SSL_CTX *ctx)
{
	if (state_idx == -1 &&		/* the main thread, at start */
	    ((state_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL,
	    NULL)) == -1 || (count_idx = SSL_get_ex_new_index(0, NULL, NULL,
	    NULL, NULL)) == -1)) {
		state_idx = -1;
		return -1;
	}
	SSL_CTX_set_msg_callback(ctx, watch_cb);
	return 0;
}

void
tls_watch(SSL *ssl, struct event *alarm)
{
	SSL_set_app_data(ssl, alarm);
}

const char *
tls_abuse(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	uintptr_t st;

	if (ssl == NULL || (st = get(ssl, state_idx)) < W_CUT)
		return NULL;
	switch ((enum tls_watch_abuse)(st - W_CUT)) {
	case TLS_ABUSE_RECORDS:
		return "sent its handshake in too many records";
	case TLS_ABUSE_BIG_HELLO:
		return "sent a second ClientHello over 16 KiB, or split its "
		    "header";
	case TLS_ABUSE_RENEGOTIATE:
		return "tried to renegotiate";
	case TLS_ABUSE_FLOOD:
		return "sent more than 256 handshake messages (KeyUpdates) "
		    "after its handshake";
	}
	return "misbehaved";
}
