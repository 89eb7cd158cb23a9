/*
 * limits: how many clients fit in the descriptors we have.  Pure.
 */
#ifndef ECHOD_LIMITS_H
#define ECHOD_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* Descriptors kept back for listeners, logs, libevent's own and probes. */
#define LIMITS_FD_RESERVE	32

/*
 * The default --max-conns for an open-file limit of NOFILE and NLISTEN
 * --listen values: every descriptor not held back, at least 1, at most
 * CONFIG_MAX_CONNS_MAX.
 */
uint64_t	limits_max_conns_for_nofile(uint64_t nofile, size_t nlisten);

#endif
