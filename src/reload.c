/*
 * reload.c: read the configuration, and apply a new one on SIGHUP.
 *
 * A reload builds a whole new, validated struct config first; if that
 * fails, or a new listener cannot be opened, nothing changes and the error
 * is logged (never an exit).  Otherwise listeners are reconciled (see
 * listener_reconcile), the config pointer is swapped atomically for the
 * workers (the old one is kept until exit: a worker may still be reading
 * it), and the limits apply to new connections from then on.  --workers
 * and --metrics need a restart.
 */
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/config.h"
#include "echod/config_file.h"
#include "echod/echod.h"
#include "echod/limits.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/notify.h"
#include "echod/reload.h"
#include "echod/worker.h"

#define CONFIG_FILE_MAX	(1 << 20)

/* The whole of PATH as a string, or NULL with errno set. */
static char *
slurp(const char *path)
{
	char *buf;
	ssize_t n;
	size_t used = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + used, CONFIG_FILE_MAX - used)) > 0)
		used += (size_t)n;
	close(fd);
	if (n == -1 || used == CONFIG_FILE_MAX) {
		if (used == CONFIG_FILE_MAX)
			errno = EFBIG;
		free(buf);
		return NULL;
	}
	buf[used] = '\0';
	return buf;
}

/* Copy ARGV into A, putting each --config file's words after it. */
static int
expand_argv(int argc, char **argv, struct config_args *a, char *err,
    size_t errlen)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *path = NULL;
		char *text;

		if (config_args_push(a, argv[i], NULL) == -1)
			goto oom;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			if (config_args_push(a, argv[++i], NULL) == -1)
				goto oom;
			path = argv[i];
		} else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		if (path == NULL)
			continue;
		if ((text = slurp(path)) == NULL) {
			snprintf(err, errlen, "--config '%s': cannot read it: "
			    "%s", path, strerror(errno));
			return EX_NOINPUT;
		}
		if (config_file_expand(a, path, text, err, errlen) == -1) {
			free(text);
			return EX_USAGE;
		}
		free(text);
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory reading the command line");
	return EX_OSERR;
}

int
reload_read_config(int argc, char **argv, struct config *cfg, char *err,
    size_t errlen)
{
	struct config_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = expand_argv(argc, argv, &a, err, errlen)) == 0)
		rc = config_parse_words(cfg, a.argc, a.argv, a.origin, err,
		    errlen);
	config_args_free(&a);
	return rc;
}

/* Raise the soft open-file limit to the hard one; return what we have. */
static uint64_t
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise the open-file limit to %llu",
			    (unsigned long long)want);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
}

uint64_t
reload_max_conns(const struct config *cfg)
{
	uint64_t nofile = raise_nofile();
	uint64_t fit = limits_max_conns_for_nofile(nofile, cfg->nlisten);

	if (cfg->max_conns == 0)
		return fit;
	if (cfg->max_conns > fit)
		log_warnx("--max-conns %llu is more than the open-file limit "
		    "(%llu) allows; when descriptors run out echod pauses "
		    "accepting (raise 'ulimit -n' or LimitNOFILE=)",
		    (unsigned long long)cfg->max_conns,
		    (unsigned long long)nofile);
	return cfg->max_conns;
}

/* What a running daemon cannot change: keep the old, say so. */
static void
keep_fixed(const struct config *old, struct config *ncfg)
{
	if (ncfg->workers != old->workers) {
		log_warnx("reload: --workers changes only with a restart; "
		    "keeping %u", old->workers);
		ncfg->workers = old->workers;
	}
	if (ncfg->metrics_on != old->metrics_on ||
	    memcmp(&ncfg->metrics, &old->metrics, sizeof(old->metrics))) {
		log_warnx("reload: --metrics changes only with a restart; "
		    "keeping the current one");
		ncfg->metrics = old->metrics;
		ncfg->metrics_on = old->metrics_on;
	}
}

/* The limits of NCFG from now on, for new connections. */
static void
apply_limits(struct echod *ed, const struct config *old,
    const struct config *ncfg)
{
	uint64_t max = reload_max_conns(ncfg);

	ed->max_conns = max;
	/* Lowered below what is open: stop accepting until enough close. */
	if (atomic_load(&ed->nconns) < max)
		listener_resume(ed, ECHOD_PAUSE_FULL);
	else
		listener_pause(ed, ECHOD_PAUSE_FULL);
	if (ncfg->max_conns_per_ip > 0 && ed->perip.buckets == NULL)
		(void)perip_init(&ed->perip, ncfg->max_conns_per_ip,
		    max > (1 << 20) ? (1 << 20) : (size_t)max);
	/* Records stay while connections hold them: lift, never free. */
	if (ed->perip.buckets != NULL)
		ed->perip.limit = ncfg->max_conns_per_ip > 0 ?
		    ncfg->max_conns_per_ip : UINT64_MAX;
	if (ncfg->udp_rate != old->udp_rate) {
		ratelimit_free(&ed->udp_rate);
		if (ncfg->udp_rate > 0)
			(void)ratelimit_init(&ed->udp_rate, ncfg->udp_rate,
			    65536);
	}
	log_set_level(ncfg->log_level);
	if (ed->stats_ev != NULL)
		event_del(ed->stats_ev);
	if (ncfg->stats_interval > 0 && ed->stats_ev != NULL) {
		struct timeval tv = { (time_t)ncfg->stats_interval, 0 };
		event_add(ed->stats_ev, &tv);
	}
}

/* Free retired configs that every worker has moved past. */
static void
reclaim(struct echod *ed)
{
	uint64_t seen = UINT64_MAX;
	size_t i, kept = 0;

	for (i = 0; i < ed->nworkers; i++) {
		uint64_t s = atomic_load(&ed->workers[i].reloads_seen);
		if (s < seen)
			seen = s;
	}
	for (i = 0; i < ed->nold_cfgs; i++) {
		if (ed->old_cfgs[i].gen <= seen)
			free(ed->old_cfgs[i].cfg);
		else
			ed->old_cfgs[kept++] = ed->old_cfgs[i];
	}
	ed->nold_cfgs = kept;
}

static void
reload(struct echod *ed)
{
	const struct config *old = ed->cfg;
	struct retired_cfg *olds;
	struct config *ncfg;
	char err[512];
	int rc;

	notify_reloading(ed);
	reclaim(ed);
	if ((ncfg = calloc(1, sizeof(*ncfg))) == NULL ||
	    (olds = realloc(ed->old_cfgs, (ed->nold_cfgs + 1) *
	    sizeof(*olds))) == NULL) {
		free(ncfg);
		log_error("reload failed: out of memory; still running the "
		    "previous configuration");
		notify_reloaded(ed);
		return;
	}
	ed->old_cfgs = olds;
	rc = reload_read_config(ed->argc, ed->argv, ncfg, err, sizeof(err));
	if (rc == 0) {
		keep_fixed(old, ncfg);
		rc = listener_reconcile(ed, ncfg, err, sizeof(err));
	}
	if (rc != 0) {
		free(ncfg);
		log_error("reload failed: %s; still running the previous "
		    "configuration", err);
		notify_reloaded(ed);
		return;
	}
	ed->cfg = ncfg;			/* atomic store: workers see it whole */
	ed->old_cfgs[ed->nold_cfgs].cfg = (struct config *)old;
	ed->old_cfgs[ed->nold_cfgs++].gen = ++ed->reloads;
	apply_limits(ed, old, ncfg);
	worker_reload_all(ed);		/* each acknowledges: see reclaim() */
	log_info("configuration reloaded%s%s: %zu listeners, max-conns %llu",
	    ncfg->config_path[0] ? " from " : "", ncfg->config_path,
	    listener_count(ed), (unsigned long long)ed->max_conns);
	log_debug("%zu retired configurations wait for the workers",
	    ed->nold_cfgs);
	notify_reloaded(ed);
}

void
reload_on_sighup(int sig, short what, void *arg)
{
	struct echod *ed = arg;

	(void)sig;
	(void)what;
	if (ed->state != ECHOD_RUNNING) {
		log_info("ignoring SIGHUP while shutting down");
		return;
	}
	log_info("received SIGHUP: reloading the configuration");
	reload(ed);
}
