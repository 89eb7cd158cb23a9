/*
 * log: one line per event on stderr, OpenBSD-daemon style.
 *
 * log_warn() appends strerror(errno), log_warnx() does not.  Under journald
 * (JOURNAL_STREAM names our stderr) each line starts with its syslog
 * priority "<N>" and carries no timestamp; otherwise lines are timestamped.
 */
#ifndef ECHOD_LOG_H
#define ECHOD_LOG_H

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
int	log_journald(void);
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

/* Start-up only: log at error level, then exit with sysexits code EX. */
void	fatalx(int ex, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
