/*
 * tls_fail.c: OpenSSL's reason codes folded into the kinds of tls_fail.h.
 * Only the header's constants are used: nothing here links OpenSSL.
 */
#include <openssl/ssl.h>

#include "echod/tls_fail.h"

static const struct {
	const char	*label;
	const char	*text;
} kinds[TLS_FAIL_N] = {
	[TLS_FAIL_TIMEOUT] = { "timeout",
	    "no handshake in time" },
	[TLS_FAIL_NOT_TLS] = { "not_tls",
	    "the client does not speak TLS (plain TCP or HTTP on a tls: "
	    "port?)" },
	[TLS_FAIL_VERSION] = { "version",
	    "nothing in common (echod speaks TLS 1.2 and 1.3 only)" },
	[TLS_FAIL_CLIENT_CERT] = { "client_cert",
	    "no client certificate, or one not signed by --tls-client-ca, "
	    "out of date or in too long a chain (16 KiB, 8 deep)" },
	[TLS_FAIL_SERVER_CERT] = { "server_cert",
	    "the client refused echod's certificate (does it trust its "
	    "issuer, and does the name match?)" },
	[TLS_FAIL_CLOSED] = { "closed",
	    "the client closed the connection mid-handshake" },
	[TLS_FAIL_PROTOCOL] = { "protocol",
	    "a TLS protocol error" },
};

const char *
tls_fail_label(enum tls_fail why)
{
	return why < TLS_FAIL_N ? kinds[why].label : "protocol";
}

const char *
tls_fail_text(enum tls_fail why)
{
	return kinds[why < TLS_FAIL_N ? why : TLS_FAIL_PROTOCOL].text;
}

enum tls_fail
tls_fail_classify(int reason, int client_ca)
{
	switch (reason) {
	case 0:
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return TLS_FAIL_CLOSED;
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_UNKNOWN_PROTOCOL:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_RECORD_LENGTH_MISMATCH:
		return TLS_FAIL_NOT_TLS;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_INAPPROPRIATE_FALLBACK:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		return TLS_FAIL_VERSION;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return TLS_FAIL_CLIENT_CERT;
	case SSL_R_EXCESSIVE_MESSAGE_SIZE:
		/* Where certificates are asked for, the message over its
		 * limit is the chain (16 KiB); elsewhere, any other. */
		return client_ca ? TLS_FAIL_CLIENT_CERT : TLS_FAIL_PROTOCOL;
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
		return TLS_FAIL_SERVER_CERT;
	default:
		return TLS_FAIL_PROTOCOL;
	}
}
