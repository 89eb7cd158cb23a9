/*
 * tls_misbehave.c: a TLS client that misbehaves after its handshake, for
 * test_tls.py (built by tests/meson.build against the system's OpenSSL).
 *
 *   tls_misbehave keyupdate PORT SECONDS   TLS 1.3 KeyUpdates, back to
 *                                          back, never reading
 *   tls_misbehave renegotiate PORT         a TLS 1.2 renegotiation
 *
 * Prints how many it sent and how the connection ended ("closed" when
 * the server shut it), then exits 0.
 */
#include <sys/time.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int reneg, fd, version;
	unsigned long sent = 0;
	double until;
	SSL_CTX *ctx;
	SSL *ssl;

	if (argc < 3)
		return 64;
	signal(SIGPIPE, SIG_IGN);
	reneg = strcmp(argv[1], "renegotiate") == 0;
	version = reneg ? TLS1_2_VERSION : TLS1_3_VERSION;
	until = now() + (argc > 3 ? atof(argv[3]) : 1);
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("connect");
		return 1;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		printf("handshake failed\n");
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		return 1;
	}
	if (reneg) {
		/* The ClientHello goes out; the server never completes it. */
		if (SSL_renegotiate(ssl) == 1) {
			sent = 1;
			(void)SSL_do_handshake(ssl);
		}
	} else {
		while (now() < until && SSL_key_update(ssl,
		    SSL_KEY_UPDATE_NOT_REQUESTED) == 1 &&
		    SSL_do_handshake(ssl) == 1)
			sent++;
	}
	/* What the server did: a shut connection reads as its end; one
	 * still open has nothing to say for 5 s. */
	{
		struct timeval tv = { 5, 0 };
		char buf[256];
		ssize_t n;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			;
		printf("sent %lu, %s\n", sent, n == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK) ? "open" : "closed");
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}
