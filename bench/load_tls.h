/*
 * load_tls: echod-load's TLS client side (--tls): one OpenSSL context
 * for the run, and send/recv-shaped calls over a connection's SSL, so
 * the generator's loop stays the same for TLS and plain TCP.
 */
#ifndef ECHOD_BENCH_LOAD_TLS_H
#define ECHOD_BENCH_LOAD_TLS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/*
 * A client context: TLS 1.2 or 1.3; with CA (a PEM file), the server's
 * certificate must be signed by it and name NAME; without, nothing is
 * verified (a load test of one's own server).  NULL with ERR set.
 */
SSL_CTX	*load_tls_context(const char *ca, char *err, size_t errlen);

/* A client SSL on the connected socket FD, for server NAME (SNI, and
 * what a verified certificate must name; an IP address is matched as
 * one).  NULL if memory ran out. */
SSL	*load_tls_new(SSL_CTX *ctx, int fd, const char *name);

void	 load_tls_free(SSL *ssl);

/* Drive the handshake: 1 done, 0 to call again when FD is readable,
 * 2 when it is writable, -1 failed (load_tls_why() says why). */
int	 load_tls_handshake(SSL *ssl);
const char *load_tls_why(void);

/*
 * As send(2) and recv(2): bytes, 0 at the server's end of stream (recv),
 * or -1 with errno EAGAIN (call again when the socket is ready; *WANT_OUT
 * says whether that is writable) or EIO (a TLS error or a reset).
 */
ssize_t	 load_tls_send(SSL *ssl, const void *buf, size_t n, int *want_out);
ssize_t	 load_tls_recv(SSL *ssl, void *buf, size_t n, int *want_out);

#endif
