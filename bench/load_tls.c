/*
 * load_tls.c: echod-load's TLS client side (see load_tls.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "load_tls.h"

/* OpenSSL's words for its last error, never NULL. */
static const char *
ssl_reason(unsigned long e)
{
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	return why != NULL ? why : "unknown reason";
}

SSL_CTX *
load_tls_context(const char *ca, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx,
	    TLS1_2_VERSION) != 1) {
		snprintf(err, errlen, "cannot set up TLS: %s",
		    ssl_reason(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Like send(2): a partial write is fine, and each retry may start
	 * at another address (the same bytes of the stream). */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			snprintf(err, errlen, "--tls-ca '%s': %s", ca,
			    ssl_reason(ERR_get_error()));
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
}

/* NAME is an IP address: no SNI (RFC 6066), and the certificate must
 * name the address. */
static int
is_ip(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

static int
expect_name(SSL *ssl, const char *name)
{
	if (is_ip(name))
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	return SSL_set_tlsext_host_name(ssl, name) == 1 &&
	    SSL_set1_host(ssl, name) == 1;
}

SSL *
load_tls_new(SSL_CTX *ctx, int fd, const char *name)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1 || !expect_name(ssl, name)) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

void
load_tls_free(SSL *ssl)
{
	SSL_free(ssl);
}

static char why[128] = "unknown";

const char *
load_tls_why(void)
{
	return why;
}

int
load_tls_handshake(SSL *ssl)
{
	int r = SSL_do_handshake(ssl);
	unsigned long e;
	long v;

	if (r == 1)
		return 1;
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		return 2;
	default:
		e = ERR_peek_last_error();
		if ((v = SSL_get_verify_result(ssl)) != X509_V_OK)
			snprintf(why, sizeof(why), "certificate: %s",
			    X509_verify_cert_error_string(v));
		else
			snprintf(why, sizeof(why), "%s", e != 0 ?
			    ssl_reason(e) : "closed by the server");
		ERR_clear_error();
		return -1;
	}
}

/* The result of an SSL_read or SSL_write that did not move bytes. */
static ssize_t
not_done(SSL *ssl, int r, int *want_out)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*want_out = 0;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want_out = 1;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		errno = EIO;
		return -1;
	}
}

ssize_t
load_tls_send(SSL *ssl, const void *buf, size_t n, int *want_out)
{
	size_t done;
	int r = SSL_write_ex(ssl, buf, n, &done);

	return r == 1 ? (ssize_t)done : not_done(ssl, r, want_out);
}

ssize_t
load_tls_recv(SSL *ssl, void *buf, size_t n, int *want_out)
{
	size_t done;
	int r = SSL_read_ex(ssl, buf, n, &done);

	return r == 1 ? (ssize_t)done : not_done(ssl, r, want_out);
}
