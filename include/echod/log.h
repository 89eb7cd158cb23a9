/*
 * log: one line per event on stderr, OpenBSD-daemon style.
 *
 * log_warn() appends strerror(errno), log_warnx() does not.  Under journald
 * (JOURNAL_STREAM names our stderr) each line starts with its syslog
 * priority "<N>" and carries no timestamp; otherwise lines are timestamped.
 */
#ifndef ECHOD_LOG_H
#define ECHOD_LOG_H

#include <stdatomic.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Returns 0 and sets *LEVEL, or -1 if NAME is not a level. */
int	log_level_parse(const char *name, enum log_level *level);

void	log_init(enum log_level level);
void	log_set_level(enum log_level level);
int	log_enabled(enum log_level level);

void	log_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * Lines an outside party can trigger (a peer, a flood, a full table) go
 * through a limit: at most one line per LOG_LIMIT_SECONDS per limit, and
 * the next line that goes out says how many were held back.  A limit is a
 * static struct log_limit per kind of line, shared by every thread.
 */
#define LOG_LIMIT_SECONDS	10

struct log_limit {
	_Atomic uint64_t	next_ns;	/* monotonic; 0: never used */
	_Atomic uint64_t	held;		/* held back since the last */
};

/*
 * Pure decision: 1 if a line may go out at NOW_NS (a monotonic clock),
 * with *HELD set to how many were held back before it; 0 if it is held
 * back (and counted).
 */
int	log_limit_pass(struct log_limit *ll, uint64_t now_ns,
	    uint64_t interval_ns, uint64_t *held);

/* Log at LEVEL (no strerror) through LL; 1 if the line went out. */
int	log_limited(struct log_limit *ll, enum log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* CLOCK_MONOTONIC in nanoseconds: for every deadline and rate. */
uint64_t log_now_ns(void);

/* Start-up only: log at error level, then exit with sysexits code EX. */
void	fatalx(int ex, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
