/*
 * fdbudget: the descriptor budget.  echod raises its soft open-file limit
 * to the hard one, counts the descriptors it holds once started, and
 * derives the default --max-conns from what is left (limits.h), so that
 * reaching --max-conns never runs out of descriptors: the watchdog, a
 * reload and the metrics port keep working at capacity.
 */
#ifndef ECHOD_FDBUDGET_H
#define ECHOD_FDBUDGET_H

#include <stdint.h>

struct config;

/* Raise the soft RLIMIT_NOFILE to the hard one; the soft limit now. */
uint64_t	fdbudget_nofile(void);

/* Descriptors this process has open now (from /proc/self/fd). */
uint64_t	fdbudget_open_now(void);

/*
 * --max-conns for CFG when echod holds HELD descriptors: CFG's own value
 * (with a warning if the descriptors cannot hold it), or what fits.
 */
uint64_t	fdbudget_max_conns(const struct config *cfg, uint64_t held);

#endif
