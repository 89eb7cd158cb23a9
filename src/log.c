/*
 * log.c: the daemon's only voice, one line per event on stderr.
 *
 * systemd sets JOURNAL_STREAM=DEV:INODE when stderr is a journald stream;
 * we trust it only if it matches our stderr (a child's inherited variable
 * must not change our format), then prefix "<N>" priorities and leave the
 * timestamp to journald.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "echod/log.h"

/* The only module state: the level (a reload may change it) and the
 * format, chosen once at start-up. */
static struct {
	_Atomic int	level;
	int		journald;
} logger = { LOG_LEVEL_INFO, 0 };

static const struct {
	const char	*name;
	int		 syslog_pri;	/* <3> err, <4> warning, <6> info, <7> debug */
} levels[] = {
	[LOG_LEVEL_ERROR] = { "error", 3 },
	[LOG_LEVEL_WARN]  = { "warn",  4 },
	[LOG_LEVEL_INFO]  = { "info",  6 },
	[LOG_LEVEL_DEBUG] = { "debug", 7 },
};

int
log_level_parse(const char *name, enum log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(name, levels[i].name) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static int
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(enum log_level level)
{
	logger.level = (int)level;
	logger.journald = stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	logger.level = (int)level;
}

int
log_enabled(enum log_level level)
{
	return (int)level <= logger.level;
}

static void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[1024], stamp[64];
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum != 0) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	}
	/* No newline from the message may split our one line. */
	for (n = 0; msg[n] != '\0'; n++)
		if (msg[n] == '\n' || msg[n] == '\r')
			msg[n] = ' ';

	if (logger.journald) {
		fprintf(stderr, "<%d>%s\n", levels[level].syslog_pri, msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ echod[%ld] %s: %s\n", stamp,
	    ts.tv_nsec / 1000000, (long)getpid(), levels[level].name, msg);
}

static void
log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, 0, fmt, ap);
	va_end(ap);
}

#define LOG_FN(fn, lvl, errnum)				\
void							\
fn(const char *fmt, ...)				\
{							\
	int saved = errno;				\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	log_vwrite(lvl, errnum, fmt, ap);		\
	va_end(ap);					\
	errno = saved;					\
}

LOG_FN(log_error, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn,  LOG_LEVEL_WARN,  saved)
LOG_FN(log_warnx, LOG_LEVEL_WARN,  0)
LOG_FN(log_info,  LOG_LEVEL_INFO,  0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

uint64_t
log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
log_limit_pass(struct log_limit *ll, uint64_t now_ns, uint64_t interval_ns,
    uint64_t *held)
{
	uint64_t next = atomic_load(&ll->next_ns);

	/* One thread wins the slot; the others are held back and counted. */
	if ((next != 0 && now_ns < next) ||
	    !atomic_compare_exchange_strong(&ll->next_ns, &next,
	    now_ns + interval_ns)) {
		atomic_fetch_add(&ll->held, 1);
		return 0;
	}
	*held = atomic_exchange(&ll->held, 0);
	return 1;
}

static int
log_vlimited(struct log_limit *ll, enum log_level level, const char *fmt,
    va_list ap)
{
	char msg[900];
	uint64_t held;

	if (!log_enabled(level) || !log_limit_pass(ll, log_now_ns(),
	    LOG_LIMIT_SECONDS * 1000000000ULL, &held))
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (held > 0)
		log_write(level, "%s (and %llu more like it in the last %d s "
		    "or more, not logged)", msg, (unsigned long long)held,
		    LOG_LIMIT_SECONDS);
	else
		log_write(level, "%s (at most one such line per %d s)",
		    msg, LOG_LIMIT_SECONDS);
	return 1;
}

int
log_limited(struct log_limit *ll, enum log_level level, const char *fmt, ...)
{
	int saved = errno, logged;
	va_list ap;

	va_start(ap, fmt);
	logged = log_vlimited(ll, level, fmt, ap);
	va_end(ap);
	errno = saved;
	return logged;
}

void
fatalx(int ex, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(ex);
}
