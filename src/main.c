/*
 * main.c: read the configuration, open the listeners, serve until a
 * signal.  The only place echod decides its exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/admit.h"
#include "echod/config.h"
#include "echod/config_load.h"
#include "echod/echod.h"
#include "echod/fdbudget.h"
#include "echod/fdstore.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/memlimit.h"
#include "echod/metrics.h"
#include "echod/notify.h"
#include "echod/restore.h"
#include "echod/server.h"
#include "echod/tls.h"
#include "echod/worker.h"
#include "build_config.h"

/*
 * Descriptors 0, 1 and 2 closed at exec would be handed to the first
 * sockets and pipes we make (libevent's signal pipe among them), and then
 * a log line written to "stderr" would land in one of those.  Put
 * /dev/null there first, as daemons have long done.
 */
static void
sanitize_stdio(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
		;
	if (fd > STDERR_FILENO)
		close(fd);
}

static unsigned
choose_workers(const struct config *cfg)
{
	long cpus;

	if (cfg->workers > 0)
		return cfg->workers;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus > (long)CONFIG_WORKERS_MAX ? CONFIG_WORKERS_MAX :
	    (unsigned)cpus;
}

/* Open everything; 0, or a sysexits code with ERR. */
static int
start(struct echod *ed, const struct sd_listen *inherited, char *err,
    size_t errlen)
{
	const struct config *cfg = ed->cfg;
	struct tls *tls;
	uint64_t held;
	int rc;

	if ((rc = tls_load(cfg, &tls, err, errlen)) != 0)
		return rc;
	atomic_store(&ed->tls, tls);	/* server_free() frees it */
	/* Without it a restart drains; say so only if it was asked for. */
	if ((ed->fdstore = fdstore_open()) == NULL &&
	    (cfg->fd_store > 0 || inherited->nstored > 0)) {
		if (errno == ENOENT)
			log_warnx("--fd-store %llu does nothing here: "
			    "NOTIFY_SOCKET is not set (not under systemd)",
			    (unsigned long long)cfg->fd_store);
		else
			log_warn("cannot reach systemd's file-descriptor "
			    "store; a restart will drain connections");
	}
	if ((rc = notify_open(ed, err, errlen)) != 0 ||
	    (rc = listener_open_all(ed, inherited, err, errlen)) != 0 ||
	    (rc = listener_tls_check(ed, cfg, err, errlen)) != 0 ||
	    (rc = metrics_open(ed, err, errlen)) != 0)
		return rc;
	if (tls != NULL)
		log_info("TLS: %s", tls_describe(tls));
	if (worker_start_all(ed, choose_workers(cfg), err, errlen) == -1)
		return EX_OSERR;
	/*
	 * Everything echod holds for itself is open now: the clients get
	 * the rest of the budget, less a reserve (fdbudget.h).
	 */
	held = fdbudget_open_now() - inherited->nstored;
	ed->fds_held = held - ed->nlisteners;
	admit_reconfigure(ed, cfg, fdbudget_max_conns(cfg, held));
	membudget_set_limit(&ed->mem, memlimit_of(cfg));
	restore_connections(ed, inherited);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct sd_listen inherited;
	struct config *cfgp;
	struct echod ed;
	sigset_t early, old;
	char err[512];
	int rc;

	/*
	 * Until server_init() has its handlers in place, a SIGTERM, SIGHUP
	 * or SIGUSR1 (a reload sent as echod starts) would kill it: hold
	 * them pending until then.
	 */
	server_signals(&early);
	sigprocmask(SIG_BLOCK, &early, &old);
	sanitize_stdio();
	if ((cfgp = calloc(1, sizeof(*cfgp))) == NULL) {
		fprintf(stderr, "echod: out of memory\n");
		return EX_OSERR;
	}
	if ((rc = config_load(argc, argv, cfgp, err, sizeof(err))) != 0 ||
	    cfgp->action != CONFIG_RUN) {
		if (rc != 0)
			fprintf(stderr, "echod: %s\n", err);
		else if (cfgp->action == CONFIG_HELP)
			fputs(config_usage(), stdout);
		else
			printf("echod %s\n", ECHOD_VERSION);
		free(cfgp);
		return rc;
	}
	log_init(cfgp->log_level);
	if ((rc = notify_listen_fds(&inherited, err, sizeof(err))) != 0) {
		log_error("%s", err);
		free(cfgp);
		return rc;
	}
	/* A client that vanishes must cost an EPIPE, not the daemon. */
	signal(SIGPIPE, SIG_IGN);
	(void)fdbudget_nofile();	/* the hard limit, before we open */

	if (server_init(&ed, cfgp) == -1)
		fatalx(EX_OSERR, "cannot set up the event loop: %s (raise "
		    "'ulimit -n' if descriptors ran out)", strerror(errno));
	/* Handled from now on, in the loop; workers start with them off. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	ed.argc = argc;
	ed.argv = argv;
	rc = start(&ed, &inherited, err, sizeof(err));
	sdproto_listen_free(&inherited);
	if (rc != 0) {
		log_error("%s", err);
		server_free(&ed);
		return rc;
	}
	log_info("echod %s started (libevent %s, %s; %u workers, max-conns "
	    "%llu, buffer-limit %zu, memory-limit %llu (%s), idle-timeout %u s, "
	    "keepalive %u s, drain-timeout %u s, udp-rate %llu/s)",
	    ECHOD_VERSION, event_get_version(),
	    event_base_get_method(ed.base), ed.nworkers,
	    (unsigned long long)conncount_max(&ed.conns), cfgp->buffer_limit,
	    (unsigned long long)atomic_load(&ed.mem.limit),
	    cfgp->memory_limit == CONFIG_MEMORY_AUTO ? memlimit_source() :
	    "--memory-limit", cfgp->idle_timeout, cfgp->keepalive,
	    cfgp->drain_timeout, (unsigned long long)cfgp->udp_rate);
	listener_log_all(&ed);
	if (notify_ready(&ed) == -1)
		fatalx(EX_OSERR, "cannot start the systemd timers: out of "
		    "memory");
	rc = server_run(&ed);
	log_info("echod stopped after serving %llu connections",
	    (unsigned long long)atomic_load(&ed.accepted));
	server_free(&ed);
	return rc;
}
