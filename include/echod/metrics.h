/*
 * metrics: GET /metrics (Prometheus text format) and GET /healthz over
 * libevent's evhttp, on the main thread, off unless --metrics is given.
 */
#ifndef ECHOD_METRICS_H
#define ECHOD_METRICS_H

#include <stddef.h>

struct echod;

/* Returns 0, or a sysexits code with a message in ERR. */
int	metrics_open(struct echod *ed, char *err, size_t errlen);
void	metrics_close(struct echod *ed);

#endif
