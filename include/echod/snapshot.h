/*
 * snapshot: every counter of the running daemon, summed over the worker
 * threads and the front door, in one struct stats for the log line,
 * STATUS= and /metrics.  Reads only (relaxed atomic loads), from the
 * accepting thread.
 */
#ifndef ECHOD_SNAPSHOT_H
#define ECHOD_SNAPSHOT_H

struct echod;
struct stats;

void	snapshot_take(const struct echod *ed, struct stats *st);

#endif
