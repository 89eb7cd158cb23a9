/*
 * conn: one client connection and its echo.
 */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

struct worker;
struct perip_entry;

/*
 * Serve FD, accepted by the main thread and counted in ed->nconns (and
 * under IP, which may be NULL), on worker W; TLS: it came through a tls:
 * listener, and its handshake comes first.  On failure FD is closed and
 * its counts given back.
 */
void	conn_new(struct worker *w, int fd, struct perip_entry *ip, int tls);

/* Close every connection of W now, dropping what was not yet sent. */
void	conn_close_all(struct worker *w, const char *why);

#endif
