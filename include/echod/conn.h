/*
 * conn: one client connection and its echo.
 */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

struct worker;
struct perip_entry;
struct sockaddr_storage;

/*
 * Serve FD, accepted by the main thread and counted in ed->nconns (and
 * under IP, which may be NULL), on worker W; TLS: it came through a tls:
 * listener, and its handshake comes first.  CLIENT (malloc'd, conn.c's
 * now; may be NULL) is the address a PROXY header named, kept for a
 * restart's handover.  On failure FD is closed and its counts given back.
 */
void	conn_new(struct worker *w, int fd, struct perip_entry *ip, int tls,
	    struct sockaddr_storage *client);

/* Close every connection of W now, dropping what was not yet sent. */
void	conn_close_all(struct worker *w, const char *why);

/*
 * A restart: stop reading from every plain connection of W, and once
 * what it has read is echoed, give it to systemd's store (fdstore.h) and
 * forget it.  TLS ones, and any past --fd-store, drain as on a stop.
 */
void	conn_handover_all(struct worker *w);

/*
 * The worker's loop has ended: put the connections conn_handover_all()
 * readied in parcels for systemd (fdstore.h), and close our copies.
 */
void	conn_handover_finish(struct worker *w);

/* How often a worker calls conn_park_quiet(), and how many calls a
 * connection must be quiet through to be parked. */
#define CONN_PARK_SECONDS	1
#define CONN_PARK_WALKS		5

/*
 * Give back the bufferevent of every plain connection of W that has been
 * quiet (nothing read, nothing written) through CONN_PARK_WALKS calls and
 * holds nothing: it waits on a bare read event, as before its first
 * bytes, until it speaks again.  Fewer walks made clients that speak
 * every 2 s cost 2.2 times the CPU per message (a park and a wake each).
 */
void	conn_park_quiet(struct worker *w);

#endif
