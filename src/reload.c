/*
 * reload.c: SIGHUP.  A reload builds a whole new, validated struct config
 * first (config_load.h); if that fails, or a new listener cannot be
 * opened, nothing changes and the error is logged (never an exit).
 * Otherwise listeners are reconciled (see listener_reconcile), the config
 * pointer is swapped atomically for the workers, and the limits apply to
 * new connections from then on.  The old config is freed once every
 * worker has acknowledged the reload (a worker may still be reading it
 * until then).  --workers and --metrics need a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "echod/admit.h"
#include "echod/config.h"
#include "echod/config_load.h"
#include "echod/echod.h"
#include "echod/fdbudget.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/memlimit.h"
#include "echod/notify.h"
#include "echod/reload.h"
#include "echod/tls.h"
#include "echod/udp.h"
#include "echod/worker.h"

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

/*
 * A file being rewritten in place (an editor, '>') is empty for a moment,
 * and applying that would close every listener the file named and drop
 * every rule.  Refuse a reload that reads an empty (or blank) file, or
 * that would close every listener the configuration named to fall back to
 * the default address (under systemd its sockets stay, so that is fine).
 * A file of comments only is fine: a packaged file left at its defaults.
 */
static int
reload_sane(const struct echod *ed, const struct config *old,
    const struct config *ncfg, char *err, size_t errlen)
{
	if (ncfg->empty_config[0] != '\0') {
		snprintf(err, errlen, "%s: the file is empty (caught while "
		    "being rewritten?); write the new file beside it and "
		    "rename it over the old one", ncfg->empty_config);
		return -1;
	}
	/* Sockets from systemd stay whatever the file says: no harm. */
	if (ncfg->listen_is_default && !old->listen_is_default &&
	    ed->ninherited == 0) {
		snprintf(err, errlen, "%s: no --listen is left, which would "
		    "close every listener and open the default %s:%d "
		    "instead; name at least one", ncfg->config_path[0] ?
		    ncfg->config_path : "the command line",
		    LISTEN_DEFAULT_HOST, LISTEN_DEFAULT_PORT);
		return -1;
	}
	return 0;
}

/* Descriptors echod holds now, but for its clients. */
static uint64_t
fds_held(const struct echod *ed)
{
	return ed->fds_held + ed->nlisteners;
}

/* The limits of NCFG from now on, for new connections. */
static void
apply_limits(struct echod *ed, const struct config *ncfg)
{
	uint64_t max = fdbudget_max_conns(ncfg, fds_held(ed));

	admit_reconfigure(ed, ncfg, max);
	membudget_set_limit(&ed->mem, memlimit_of(ncfg));
	udp_reconfigure(ed, ncfg);
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

		/* A worker that has ended reads no config any more. */
		if (!atomic_load(&ed->workers[i].done) && s < seen)
			seen = s;
	}
	for (i = 0; i < ed->nold_cfgs; i++) {
		if (ed->old_cfgs[i].gen <= seen) {
			free(ed->old_cfgs[i].cfg);
			tls_free(ed->old_cfgs[i].tls);
		} else
			ed->old_cfgs[kept++] = ed->old_cfgs[i];
	}
	ed->nold_cfgs = kept;
}

static void
reload(struct echod *ed)
{
	const struct config *old = ed->cfg;
	struct retired_cfg *olds;
	struct tls *ntls = NULL;
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
	rc = config_load(ed->argc, ed->argv, ncfg, err, sizeof(err));
	if (rc == 0 && reload_sane(ed, old, ncfg, err, sizeof(err)) == -1)
		rc = -1;
	/* Certificates are read again even if their names did not change:
	 * a renewed file is what a reload is usually for. */
	if (rc == 0 &&
	    (rc = listener_tls_check(ed, ncfg, err, sizeof(err))) == 0)
		rc = tls_load(ncfg, &ntls, err, sizeof(err));
	if (rc == 0) {
		keep_fixed(old, ncfg);
		rc = listener_reconcile(ed, ncfg, err, sizeof(err));
	}
	if (rc != 0) {
		tls_free(ntls);
		free(ncfg);
		log_error("reload failed: %s; still running the previous "
		    "configuration", err);
		notify_reloaded(ed);
		return;
	}
	ed->cfg = ncfg;			/* atomic store: workers see it whole */
	ed->old_cfgs[ed->nold_cfgs].cfg = (struct config *)old;
	ed->old_cfgs[ed->nold_cfgs].tls = atomic_exchange(&ed->tls, ntls);
	ed->old_cfgs[ed->nold_cfgs++].gen = ++ed->reloads;
	if (ntls != NULL)
		log_info("TLS: %s, for new connections", tls_describe(ntls));
	apply_limits(ed, ncfg);
	worker_reload_all(ed, ed->reloads);	/* acknowledged: reclaim() */
	log_info("configuration reloaded%s%s: %zu listeners, max-conns %llu",
	    ncfg->config_path[0] ? " from " : "", ncfg->config_path,
	    ed->nlisteners, (unsigned long long)conncount_max(&ed->conns));
	log_debug("%zu retired configurations wait for the workers",
	    ed->nold_cfgs);
	notify_reloaded(ed);
}

/* The reload itself, once per loop turn however many SIGHUPs came. */
static void
reload_cb(evutil_socket_t fd, short what, void *arg)
{
	struct echod *ed = arg;

	(void)fd;
	(void)what;
	if (ed->state != ECHOD_RUNNING)
		return;
	log_info("received SIGHUP: reloading the configuration");
	reload(ed);
}

int
reload_init(struct echod *ed)
{
	ed->reload_ev = event_new(ed->base, -1, 0, reload_cb, ed);
	return ed->reload_ev == NULL ? -1 : 0;
}

void
reload_on_sighup(int sig, short what, void *arg)
{
	static struct log_limit ll;
	struct echod *ed = arg;

	(void)sig;
	(void)what;
	if (ed->state != ECHOD_RUNNING) {
		log_limited(&ll, LOG_LEVEL_INFO,
		    "ignoring SIGHUP while shutting down");
		return;
	}
	/*
	 * A storm of SIGHUPs is one reload per loop turn, reading the file
	 * as it is after the last of them: active already, this adds none.
	 */
	event_active(ed->reload_ev, EV_TIMEOUT, 0);
}
