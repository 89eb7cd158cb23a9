/*
 * conn: one client connection and its echo.
 */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

#include <sys/socket.h>

struct echod;
struct conn;

/* Take over FD (accepted from PEER).  Returns 0, or -1 with FD closed. */
int	conn_new(struct echod *ed, int fd, const struct sockaddr *peer,
	    socklen_t peerlen);

/* Close every connection now, dropping what was not yet sent. */
void	conn_close_all(struct echod *ed, const char *why);

#endif
