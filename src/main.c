/*
 * main.c: parse the command line, open the listeners, serve until a signal.
 * The only place echod decides its exit code.
 */
#include <sys/resource.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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
#include "echod/worker.h"
#include "build_config.h"

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

static uint64_t
choose_max_conns(const struct config *cfg)
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
	static struct config cfg;	/* large: keep it off the stack */
	static struct sd_listen inherited;
	struct echod ed;
	char err[512];
	int rc;

	if ((rc = config_parse(&cfg, argc, argv, err, sizeof(err))) != 0) {
		fprintf(stderr, "echod: %s\n", err);
		return rc;
	}
	if (cfg.action == CONFIG_HELP) {
		fputs(config_usage(), stdout);
		return 0;
	}
	if (cfg.action == CONFIG_VERSION) {
		printf("echod %s\n", ECHOD_VERSION);
		return 0;
	}
	log_init(cfg.log_level);
	if ((rc = notify_listen_fds(&inherited, err, sizeof(err))) != 0) {
		log_error("%s", err);
		return rc;
	}
	/* A client that vanishes must cost an EPIPE, not the daemon. */
	signal(SIGPIPE, SIG_IGN);

	if (server_init(&ed, &cfg, choose_max_conns(&cfg)) == -1)
		fatalx(EX_OSERR, "cannot set up the event loop: %s (raise "
		    "'ulimit -n' if descriptors ran out)", strerror(errno));
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
	if (worker_start_all(&ed, choose_workers(&cfg), err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		server_free(&ed);
		return EX_OSERR;
	}
	log_info("echod %s started (libevent %s, %s, systemd %s; %u workers, "
	    "max-conns %llu, buffer-limit %zu, idle-timeout %u s, "
	    "drain-timeout %u s)", ECHOD_VERSION, event_get_version(),
	    event_base_get_method(ed.base), notify_impl(), ed.nworkers,
	    (unsigned long long)ed.max_conns, cfg.buffer_limit,
	    cfg.idle_timeout, cfg.drain_timeout);
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
