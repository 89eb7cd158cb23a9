/*
 * server: the accepting thread's event loop and the daemon's lifetime:
 * start-up of the loop and its signal handlers, draining on SIGTERM and
 * SIGINT, and stopping once every worker has finished.
 */
#ifndef ECHOD_SERVER_H
#define ECHOD_SERVER_H

#include <signal.h>

struct echod;
struct config;

/*
 * Set up ED's loop, signals and timers for CFG (heap; server_free()
 * frees it).  Returns 0, or -1 with errno set by what failed.
 */
int	server_init(struct echod *ed, const struct config *cfg);

/* The signals the loop handles (TERM, INT, HUP, USR1), into SET: held
 * pending until server_init() has handlers and once the loop is over. */
void	server_signals(sigset_t *set);

/* Serve until the last worker has ended; 0 or a sysexits code. */
int	server_run(struct echod *ed);

void	server_free(struct echod *ed);

#endif
