/*
 * reload: where the configuration comes from (the command line, with any
 * --config file expanded in place) and how SIGHUP applies a new one to the
 * running daemon without dropping a client.
 */
#ifndef ECHOD_RELOAD_H
#define ECHOD_RELOAD_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct echod;

/*
 * Parse ARGV, reading every --config FILE it names.  Returns 0, or a
 * sysexits code (64 usage, 66 unreadable file) with one line in ERR.
 */
int		reload_read_config(int argc, char **argv, struct config *cfg,
		    char *err, size_t errlen);

/* --max-conns, or what the open-file limit (raised to its hard one) fits. */
uint64_t	reload_max_conns(const struct config *cfg);

/* The SIGHUP handler: re-read, validate, apply; never exits. */
void		reload_on_sighup(int sig, short what, void *arg);

#endif
