/*
 * reload: SIGHUP applies a new configuration (re-read from the command
 * line and its --config files) to the running daemon without dropping a
 * client; a bad one is logged and the running one kept.
 */
#ifndef ECHOD_RELOAD_H
#define ECHOD_RELOAD_H

struct echod;

/* The event that reloads; 0, or -1 (out of memory). */
int	reload_init(struct echod *ed);

/* The SIGHUP handler: re-read, validate, apply; never exits.  SIGHUPs
 * that arrive together make one reload. */
void	reload_on_sighup(int sig, short what, void *arg);

#endif
