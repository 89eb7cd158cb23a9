/*
 * config_load: where the configuration comes from: the command line, with
 * every --config FILE read and its options put in place of it, then one
 * validation (config.h) for all of it.  Start-up and SIGHUP both use it.
 */
#ifndef ECHOD_CONFIG_LOAD_H
#define ECHOD_CONFIG_LOAD_H

#include <stddef.h>

struct config;

/* Largest --config file echod reads. */
#define CONFIG_FILE_MAX	(1 << 20)

/*
 * Parse ARGV, reading every --config FILE it names (a regular file; a
 * FIFO, device or directory is refused without blocking on it).  Returns
 * 0, or a sysexits code (64 usage, 66 unreadable file) with one line in
 * ERR.
 */
int	config_load(int argc, char **argv, struct config *cfg, char *err,
	    size_t errlen);

#endif
