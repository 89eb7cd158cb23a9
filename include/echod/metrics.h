/*
 * metrics: GET and HEAD of /metrics (Prometheus text format) and /healthz
 * over a small HTTP server of echod's own, behind the front door
 * (admit.h), in the accepting thread; off unless --metrics is given.
 */
#ifndef ECHOD_METRICS_H
#define ECHOD_METRICS_H

#include <stddef.h>

struct echod;

/* Returns 0, or a sysexits code with a message in ERR. */
int	metrics_open(struct echod *ed, char *err, size_t errlen);
void	metrics_close(struct echod *ed);

#endif
