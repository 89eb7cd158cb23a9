/*
 * memlimit: the memory echod may use, as the system sets it: the
 * tightest memory.max of echod's cgroup and its parents (systemd's
 * MemoryMax=, a container's limit), else the host's RAM.  Feeds the
 * default --memory-limit (membudget.h).
 */
#ifndef ECHOD_MEMLIMIT_H
#define ECHOD_MEMLIMIT_H

#include <stdint.h>

/* The default --memory-limit for this process. */
uint64_t	memlimit_default(void);

/* What it was derived from, for the start-up line ("cgroup", "RAM"). */
const char	*memlimit_source(void);

#endif
