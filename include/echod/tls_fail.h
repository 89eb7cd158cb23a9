/*
 * tls_fail: why a TLS handshake failed, in the few kinds an operator acts
 * on, from OpenSSL's reason code.  Pure: the metrics label and the log
 * text of each kind, and the mapping, are unit-tested without a socket.
 */
#ifndef ECHOD_TLS_FAIL_H
#define ECHOD_TLS_FAIL_H

enum tls_fail {
	TLS_FAIL_TIMEOUT,	/* no handshake within its deadline */
	TLS_FAIL_NOT_TLS,	/* plain text, HTTP or garbage on a TLS port */
	TLS_FAIL_VERSION,	/* an old protocol, or nothing in common */
	TLS_FAIL_CLIENT_CERT,	/* --tls-client-ca: none, or not trusted */
	TLS_FAIL_SERVER_CERT,	/* the client refused echod's certificate */
	TLS_FAIL_CLOSED,	/* the client left mid-handshake */
	TLS_FAIL_PROTOCOL,	/* anything else OpenSSL refused */
	TLS_FAIL_N
};

/* "timeout", "not_tls", ...: the reason="" label of the metrics. */
const char	*tls_fail_label(enum tls_fail why);

/* One phrase for the log, with the fix when there is one. */
const char	*tls_fail_text(enum tls_fail why);

/*
 * The kind of failure from the reason of an OpenSSL error libevent kept
 * for the connection (ERR_GET_REASON of an ERR_LIB_SSL error), or REASON
 * 0 when none was (the peer closed or reset the connection).  CLIENT_CA:
 * the server asks for client certificates (--tls-client-ca).
 */
enum tls_fail	 tls_fail_classify(int reason, int client_ca);

#endif
