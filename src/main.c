/*
 * main.c: parse the command line, open the listeners, serve until a signal.
 * The only place echod decides its exit code.
 */
#include <sys/resource.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "echod/config.h"
#include "echod/echod.h"
#include "echod/limits.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/metrics.h"
#include "echod/notify.h"
#include "echod/reload.h"
#include "echod/worker.h"
#include "build_config.h"

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

int
main(int argc, char **argv)
{
	static struct sd_listen inherited;
	struct config *cfgp;
	struct echod ed;
	char err[512];
	int rc;

	if ((cfgp = calloc(1, sizeof(*cfgp))) == NULL) {
		fprintf(stderr, "echod: out of memory\n");
		return EX_OSERR;
	}
	if ((rc = reload_read_config(argc, argv, cfgp, err,
	    sizeof(err))) != 0 || cfgp->action != CONFIG_RUN) {
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

	if (server_init(&ed, cfgp, reload_max_conns(cfgp)) == -1)
		fatalx(EX_OSERR, "cannot set up the event loop: %s (raise "
		    "'ulimit -n' if descriptors ran out)", strerror(errno));
	ed.argc = argc;
	ed.argv = argv;
	if ((rc = listener_open_all(&ed, &inherited, err, sizeof(err))) != 0) {
		log_error("%s", err);
		server_free(&ed);
		return rc;
	}
	if ((rc = metrics_open(&ed, err, sizeof(err))) != 0) {
		log_error("%s", err);
		server_free(&ed);
		return rc;
	}
	if (worker_start_all(&ed, choose_workers(cfgp), err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		server_free(&ed);
		return EX_OSERR;
	}
	log_info("echod %s started (libevent %s, %s, systemd %s; %u workers, "
	    "max-conns %llu, buffer-limit %zu, idle-timeout %u s, "
	    "drain-timeout %u s)", ECHOD_VERSION, event_get_version(),
	    event_base_get_method(ed.base), notify_impl(), ed.nworkers,
	    (unsigned long long)ed.max_conns, cfgp->buffer_limit,
	    cfgp->idle_timeout, cfgp->drain_timeout);
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
