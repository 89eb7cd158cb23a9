/*
 * memlimit: the memory echod may use, as the system sets it: the
 * tightest memory.max of echod's cgroup and its parents (systemd's
 * MemoryMax=, a container's limit), else the host's RAM.  Feeds the
 * default --memory-limit (membudget.h).
 */
#ifndef ECHOD_MEMLIMIT_H
#define ECHOD_MEMLIMIT_H

#include <stdint.h>

struct config;

/* The default --memory-limit for this process. */
uint64_t	memlimit_default(void);

/* CFG's --memory-limit, or the default when it gave none. */
uint64_t	memlimit_of(const struct config *cfg);

/* What the last default was derived from, for the start-up line ("half
 * of the cgroup's memory.max", "a quarter of RAM"). */
const char	*memlimit_source(void);

#endif
