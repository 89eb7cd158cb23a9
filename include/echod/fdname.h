/*
 * fdname: the names echod gives what it leaves in systemd's file
 * descriptor store at a restart (FDNAME=, read back from LISTEN_FDNAMES),
 * so that the next process tells its connections from its listeners and
 * from another process's leftovers.  Pure: no socket is touched.
 *
 *	echod-conn.GEN			a connection; its peer is the client
 *	echod-conn.GEN.4-AAAAAAAAPPPP	one whose PROXY header named an IPv4
 *	echod-conn.GEN.6-A{32}PPPP	... or an IPv6 client (hex, port last)
 *	echod-done.GEN			stored last: handover GEN is whole
 *
 * GEN (16 hex digits) is new for every handover.  systemd forbids ':' in
 * a name (LISTEN_FDNAMES is colon-separated), hence the hex.
 */
#ifndef ECHOD_FDNAME_H
#define ECHOD_FDNAME_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define FDNAME_MAX	80	/* the longest name above, and its NUL */

enum fdname_kind {
	FDNAME_OTHER,		/* not ours: a listener */
	FDNAME_CONN,
	FDNAME_DONE,
	FDNAME_BROKEN,		/* ours by its prefix, but malformed */
};

struct fdname {
	enum fdname_kind	kind;
	uint64_t		gen;
	struct sockaddr_storage	client;	/* family AF_UNSPEC: the peer's */
	socklen_t		clientlen;
};

/*
 * The name of a connection of handover GEN into BUF (FDNAME_MAX bytes);
 * CLIENT is the address its PROXY header gave, or NULL.  0, or -1 if
 * CLIENT is neither IPv4 nor IPv6 (then the peer's address is used).
 */
int	fdname_conn(char *buf, uint64_t gen, const struct sockaddr *client,
	    socklen_t len);

/* The name of handover GEN's completion mark into BUF. */
void	fdname_done(char *buf, uint64_t gen);

/* What NAME is; only the exact forms above are ours. */
enum fdname_kind fdname_parse(const char *name, struct fdname *out);

#endif
