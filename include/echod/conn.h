/*
 * conn: one client connection and its echo.
 */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

struct worker;

/*
 * Serve FD, accepted by the main thread and counted in ed->nconns, on
 * worker W.  On failure FD is closed and its count given back.
 */
void	conn_new(struct worker *w, int fd);

/* Close every connection of W now, dropping what was not yet sent. */
void	conn_close_all(struct worker *w, const char *why);

#endif
