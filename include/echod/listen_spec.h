/*
 * listen_spec: what one --listen argument asks for, parsed and validated
 * before any socket is touched.
 *
 *   PORT          localhost (127.0.0.1 and ::1) at PORT
 *   HOST:PORT     a name or an IPv4 address
 *   [IPV6]:PORT   an IPv6 address
 *   unix:PATH     a Unix domain socket file; unix:@NAME is Linux's
 *                 abstract namespace (no file on disk)
 *   udp:PORT, udp:HOST:PORT, udp:[IPV6]:PORT   datagram echo
 *   tls:PORT, tls:HOST:PORT, tls:[IPV6]:PORT, tls:unix:PATH
 *                 a stream socket whose clients speak TLS (tls.h)
 *
 * PORT is 0-65535; 0 asks the kernel for a free port.
 */
#ifndef ECHOD_LISTEN_SPEC_H
#define ECHOD_LISTEN_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define LISTEN_HOST_MAX	256
#define LISTEN_PATH_MAX	108	/* sizeof(((struct sockaddr_un *)0)->sun_path) */

enum listen_kind {
	LISTEN_INET,
	LISTEN_UNIX,
	LISTEN_UDP,
};

struct listen_spec {
	enum listen_kind kind;
	char		 host[LISTEN_HOST_MAX];	/* brackets stripped */
	uint16_t	 port;
	char		 path[LISTEN_PATH_MAX];	/* NUL-terminated */
	int		 tls;		/* INET or UNIX, clients speak TLS */
};

/* The host a bare PORT means. */
#define LISTEN_DEFAULT_HOST	"localhost"
#define LISTEN_DEFAULT_PORT	7777

/*
 * Parse TEXT into *SPEC.  Returns 0, or -1 with a one-line message in ERR
 * that names the bad value and how to write it correctly.
 */
int	listen_spec_parse(const char *text, struct listen_spec *spec,
	    char *err, size_t errlen);

/* "127.0.0.1:7777", "[::1]:7777", "unix:/run/echod.sock", "tls:..." */
void	listen_spec_format(const struct listen_spec *spec, char *buf,
	    size_t len);

/* True if HOST looks like a dotted IPv4 address (digits and dots only). */
int	listen_host_is_dotted(const char *host);

#endif
