/*
 * sockets: making the sockets echod listens on, with every failure
 * explained (listen_error.h): resolving a --listen value, socket, bind
 * and listen, the Unix socket file (a stale one replaced, a live one or a
 * non-socket never touched), and checking a socket systemd passed.  No
 * event loop here: listener.c and metrics.c serve what this opens.
 */
#ifndef ECHOD_SOCKETS_H
#define ECHOD_SOCKETS_H

#include <sys/types.h>
#include <stddef.h>

#include "echod/addr.h"
#include "echod/listen_spec.h"

/* Addresses one --listen value may resolve to (and sockets it opens). */
#define SOCKETS_PER_SPEC	16

struct sock {
	int		fd;
	int		udp;			/* a datagram socket */
	int		tls;			/* its clients speak TLS */
	char		name[ADDR_STRLEN + 4];	/* "udp:" + address */
	char		path[LISTEN_PATH_MAX];	/* a socket file we made */
	dev_t		dev;
	ino_t		ino;
};

/*
 * Open every socket SPEC names (a host name may give several addresses;
 * port 0 gets one kernel-chosen port for all of them), listening with
 * BACKLOG.  Returns 0 with *N sockets in OUT, or a sysexits code with a
 * one-line message in ERR and nothing left open or on disk.
 */
int	sockets_open(const struct listen_spec *spec, int backlog,
	    struct sock *out, size_t *n, char *err, size_t errlen);

/*
 * Check FD, passed by systemd as NAME: a listening stream socket or an IP
 * datagram socket, made non-blocking.  A stream socket named "tls" or
 * "tls-..." (FileDescriptorName=) is a TLS one.  Returns 0 with *OUT
 * filled (its socket file is systemd's, never ours to unlink), or
 * EX_CONFIG with the mistake in the .socket unit named in ERR.
 */
int	sockets_adopt(int fd, const char *name, struct sock *out, char *err,
	    size_t errlen);

/* Close S; remove its socket file if it is still the one we made. */
void	sockets_close(struct sock *s);

#endif
