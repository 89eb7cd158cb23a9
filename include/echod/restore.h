/*
 * restore: at start, the connections a previous echod handed to systemd's
 * store at a restart (server.c, fdname.h).  Only a handover marked whole
 * is served: a connection from one that was cut short (the old echod
 * crashed or was killed while handing over) may have lost what it had
 * read, so it is closed.  Every name taken back is removed from the
 * store first, so a crash of this process cannot resurrect them either.
 */
#ifndef ECHOD_RESTORE_H
#define ECHOD_RESTORE_H

struct echod;
struct sd_listen;

/*
 * Serve (admit.c, then the workers) or close every stored descriptor in
 * SL, and ask systemd to forget them.  Call with the workers running.
 */
void	restore_connections(struct echod *ed, const struct sd_listen *sl);

#endif
