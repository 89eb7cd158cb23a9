/*
 * limits: how many clients fit in the descriptors we have.  Pure.
 */
#ifndef ECHOD_LIMITS_H
#define ECHOD_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Descriptors kept free beyond those echod holds once started (listeners,
 * workers' event bases and pipes, the systemd notify socket): up to 4
 * metrics connections, a reload's config file, name lookups and socket
 * probes, and slack for libevent and the C library.
 */
#define LIMITS_FD_RESERVE	24

/*
 * The default --max-conns for an open-file limit of NOFILE when echod
 * itself holds HELD descriptors: every descriptor not held or reserved,
 * at least 1, at most CONFIG_MAX_CONNS_MAX.
 */
uint64_t	limits_max_conns(uint64_t nofile, uint64_t held);

#endif
