/*
 * config.c: the command line → a validated struct config.  Every error is
 * one line naming the bad value and the fix; nothing is half-applied.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "echod/config.h"
#include "echod/numparse.h"
#include "echod/ratelimit.h"

enum {
	OPT_LISTEN = 256,
	OPT_MAX_CONNS,
	OPT_IDLE_TIMEOUT,
	OPT_BUFFER_LIMIT,
	OPT_BACKLOG,
	OPT_DRAIN_TIMEOUT,
	OPT_FD_STORE,
	OPT_LOG_LEVEL,
	OPT_WORKERS,
	OPT_ALLOW,
	OPT_DENY,
	OPT_UDP_RATE,
	OPT_STATS_INTERVAL,
	OPT_METRICS,
	OPT_MAX_CONNS_PER_IP,
	OPT_CONFIG,
	OPT_UDP_BATCH,
	OPT_PROXY_PROTOCOL,
	OPT_PROXY_FROM,
	OPT_KEEPALIVE,
	OPT_MEMORY_LIMIT,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_CLIENT_CA,
};

static const struct option long_options[] = {
	{ "listen",		required_argument, NULL, OPT_LISTEN },
	{ "max-conns",		required_argument, NULL, OPT_MAX_CONNS },
	{ "idle-timeout",	required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "buffer-limit",	required_argument, NULL, OPT_BUFFER_LIMIT },
	{ "backlog",		required_argument, NULL, OPT_BACKLOG },
	{ "drain-timeout",	required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "fd-store",		required_argument, NULL, OPT_FD_STORE },
	{ "log-level",		required_argument, NULL, OPT_LOG_LEVEL },
	{ "workers",		required_argument, NULL, OPT_WORKERS },
	{ "allow",		required_argument, NULL, OPT_ALLOW },
	{ "deny",		required_argument, NULL, OPT_DENY },
	{ "udp-rate",		required_argument, NULL, OPT_UDP_RATE },
	{ "stats-interval",	required_argument, NULL, OPT_STATS_INTERVAL },
	{ "metrics",		required_argument, NULL, OPT_METRICS },
	{ "max-conns-per-ip",	required_argument, NULL, OPT_MAX_CONNS_PER_IP },
	{ "config",		required_argument, NULL, OPT_CONFIG },
	{ "udp-batch",		required_argument, NULL, OPT_UDP_BATCH },
	{ "proxy-protocol",	no_argument,	   NULL, OPT_PROXY_PROTOCOL },
	{ "proxy-from",		required_argument, NULL, OPT_PROXY_FROM },
	{ "keepalive",		required_argument, NULL, OPT_KEEPALIVE },
	{ "memory-limit",	required_argument, NULL, OPT_MEMORY_LIMIT },
	{ "tls-cert",		required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key",		required_argument, NULL, OPT_TLS_KEY },
	{ "tls-client-ca",	required_argument, NULL, OPT_TLS_CLIENT_CA },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"usage: echod [--config FILE] [--listen SPEC]... [--max-conns N]\n"
"             [--max-conns-per-ip N]\n"
"             [--idle-timeout SECONDS] [--keepalive SECONDS]\n"
"             [--buffer-limit BYTES] [--memory-limit BYTES]\n"
"             [--backlog N] [--drain-timeout SECONDS] [--fd-store N]\n"
"             [--workers N] [--allow CIDR]... [--deny CIDR]...\n"
"             [--udp-rate N/s] [--udp-batch N] [--stats-interval SECONDS]\n"
"             [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]\n"
"             [--metrics [HOST:]PORT]\n"
"             [--proxy-protocol --proxy-from CIDR|unix...]\n"
"             [--log-level error|warn|info|debug]\n"
"             [--help] [--version]\n"
"\n"
"An RFC 862 echo server: every byte a client sends comes back to it.\n"
"\n"
"  --config FILE          more options from FILE, one 'option value' per line\n"
"                         (no dashes, # comments); re-read on SIGHUP\n"
"  --listen SPEC          where to listen; may repeat (default: localhost:7777)\n"
"                         SPEC is PORT (on localhost), HOST:PORT, [IPV6]:PORT,\n"
"                         unix:PATH or unix:@ABSTRACT; udp:PORT,\n"
"                         udp:HOST:PORT, udp:[IPV6]:PORT for UDP echo;\n"
"                         tls: before a stream SPEC for TLS clients;\n"
"                         port 0 = kernel picks\n"
"  --max-conns N          most open connections; more wait in the backlog\n"
"                         (default: the open-file limit less a reserve)\n"
"  --max-conns-per-ip N   most open connections from one address; the next\n"
"                         is closed at once (default: no limit)\n"
"  --idle-timeout SECONDS close a connection idle that long (default 0: never)\n"
"  --keepalive SECONDS    probe a connection silent that long with TCP\n"
"                         keepalives; a peer that answers none is closed\n"
"                         about SECONDS later (0 to 32767; default 60;\n"
"                         0: off)\n"
"  --buffer-limit BYTES   most bytes held for one client that does not read;\n"
"                         K, M, G suffixes allowed (default 256K)\n"
"  --memory-limit BYTES   most bytes held for all clients together; past it\n"
"                         those holding the most stop being read until they\n"
"                         drain (default: half the cgroup's memory.max, else\n"
"                         a quarter of RAM; 0: no limit)\n"
"  --backlog N            listen(2) backlog (default 1024)\n"
"  --drain-timeout SECONDS on SIGTERM/SIGINT, how long open connections may\n"
"                         finish before they are closed (default 10)\n"
"  --fd-store N           under systemd, a restart (SIGUSR2, then SIGTERM)\n"
"                         hands up to N connections to systemd's file\n"
"                         descriptor store for the next echod, instead of\n"
"                         draining them (default 0: off)\n"
"  --workers N            threads serving connections (default: one per\n"
"                         online CPU)\n"
"  --allow CIDR, --deny CIDR  who may connect or send (repeat; first match\n"
"                         wins; default: everyone), e.g. --deny 10.0.0.0/8\n"
"  --udp-rate N/s         answer at most N datagrams per second per source\n"
"                         address (default 1000/s, which bounds an echo\n"
"                         loop anyone could start; 0: no limit)\n"
"  --udp-batch N          datagrams read and answered per system call\n"
"                         (1 to 32; default 32; 1 turns batching off)\n"
"  --stats-interval SECONDS  log the counters this often (default 0: only\n"
"                         on SIGUSR1)\n"
"  --metrics [HOST:]PORT  serve GET /metrics (Prometheus) and /healthz over\n"
"                         HTTP there; HOST defaults to localhost (off)\n"
"  --proxy-protocol       every TCP and Unix stream client starts with a\n"
"                         PROXY protocol v2 header (HAProxy send-proxy-v2);\n"
"                         --allow/--deny and --max-conns-per-ip see the\n"
"                         client it names (off)\n"
"  --proxy-from CIDR      a balancer allowed to send PROXY headers (repeat;\n"
"                         'unix' trusts Unix-socket peers); required with\n"
"                         --proxy-protocol, anyone else is refused\n"
"  --tls-cert FILE        the certificate (PEM, chain after it) that tls:\n"
"                         listeners present; re-read on SIGHUP\n"
"  --tls-key FILE         its private key (PEM, unencrypted)\n"
"  --tls-client-ca FILE   require clients of tls: listeners to present a\n"
"                         certificate signed by a CA in FILE (mTLS)\n"
"  --log-level LEVEL      error, warn, info or debug (default info)\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the version and exit\n"
"\n"
"Under systemd, echod serves the sockets it is passed (LISTEN_FDS) as well\n"
"as any --listen, and reports to NOTIFY_SOCKET (Type=notify, WatchdogSec=).\n"
"\n"
"Exit codes: 0 ok, 64 usage, 65 bad certificate or key, 66 unreadable\n"
"--config or TLS file, 68 unknown host,\n"
"69 address in use,\n"
"71 other OS error, 73 cannot create socket file, 75 name lookup failed\n"
"for now, 77 permission denied, 78 bad socket-activation setup.\n"
"See echod(8).\n";

const char *
config_usage(void)
{
	return usage_text;
}

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = CONFIG_RUN;
	cfg->buffer_limit = CONFIG_BUFFER_DEFAULT;
	cfg->backlog = CONFIG_BACKLOG_DEFAULT;
	cfg->drain_timeout = CONFIG_DRAIN_DEFAULT;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->udp_batch = CONFIG_UDP_BATCH_MAX;
	cfg->udp_rate = CONFIG_UDP_RATE_DEFAULT;
	cfg->keepalive = CONFIG_KEEPALIVE_DEFAULT;
	cfg->memory_limit = CONFIG_MEMORY_AUTO;
}

/* Parse a whole number for option NAME, or explain the valid range. */
static int
parse_number(const char *name, const char *arg, uint64_t min, uint64_t max,
    uint64_t *out, char *err, size_t errlen)
{
	return num_parse_option(name, arg, min, max, 0, out, err, errlen);
}

/* A file name for --NAME, kept in OUT (CONFIG_PATH_MAX bytes). */
static int
parse_path(const char *name, const char *arg, char *out, char *err,
    size_t errlen)
{
	size_t len = strlen(arg);

	if (len == 0) {
		snprintf(err, errlen, "--%s '': the file name is empty; give "
		    "the path of a PEM file", name);
		return -1;
	}
	if (len >= CONFIG_PATH_MAX) {
		snprintf(err, errlen, "--%s '%.40s...': the path is %zu bytes, "
		    "at most %d are allowed; use a shorter path", name, arg,
		    len, CONFIG_PATH_MAX - 1);
		return -1;
	}
	memcpy(out, arg, len + 1);
	return 0;
}

static int
parse_option(struct config *cfg, int opt, const char *arg, char *err,
    size_t errlen)
{
	uint64_t v;
	const char *why;

	switch (opt) {
	case OPT_LISTEN:
		if (cfg->nlisten == CONFIG_MAX_LISTEN) {
			snprintf(err, errlen, "--listen '%s': at most %d "
			    "listeners are allowed", arg, CONFIG_MAX_LISTEN);
			return -1;
		}
		return listen_spec_parse(arg, &cfg->listen[cfg->nlisten++],
		    err, errlen);
	case OPT_MAX_CONNS:
		return parse_number("max-conns", arg, 1, CONFIG_MAX_CONNS_MAX,
		    &cfg->max_conns, err, errlen);
	case OPT_IDLE_TIMEOUT:
		if (parse_number("idle-timeout", arg, 0, CONFIG_IDLE_MAX, &v,
		    err, errlen) == -1)
			return -1;
		cfg->idle_timeout = (unsigned)v;
		return 0;
	case OPT_BUFFER_LIMIT:
		if (num_parse_size(arg, CONFIG_BUFFER_MIN, CONFIG_BUFFER_MAX,
		    &v, &why) == -1) {
			snprintf(err, errlen, "--buffer-limit '%s' %s; give "
			    "bytes from 1K to 1G, e.g. 256K", arg, why);
			return -1;
		}
		cfg->buffer_limit = (size_t)v;
		return 0;
	case OPT_PROXY_PROTOCOL:
		cfg->proxy_protocol = 1;
		return 0;
	case OPT_MEMORY_LIMIT:
		if (strcmp(arg, "0") == 0) {
			cfg->memory_limit = 0;
			return 0;
		}
		if (num_parse_size(arg, CONFIG_MEMORY_MIN, CONFIG_MEMORY_MAX,
		    &cfg->memory_limit, &why) == -1) {
			snprintf(err, errlen, "--memory-limit '%s' %s; give bytes "
			    "from 1M to 1024G, e.g. 512M, or 0 for no limit",
			    arg, why);
			return -1;
		}
		return 0;
	case OPT_PROXY_FROM:
		if (strcmp(arg, "unix") == 0) {
			cfg->proxy_from_unix = 1;
			return 0;
		}
		return acl_add_for(&cfg->proxy_from, "--proxy-from", 1, arg,
		    err, errlen);
	case OPT_KEEPALIVE:
		if (parse_number("keepalive", arg, 0, CONFIG_KEEPALIVE_MAX, &v,
		    err, errlen) == -1)
			return -1;
		cfg->keepalive = (unsigned)v;
		return 0;
	case OPT_BACKLOG:
		if (parse_number("backlog", arg, 1, CONFIG_BACKLOG_MAX, &v,
		    err, errlen) == -1)
			return -1;
		cfg->backlog = (int)v;
		return 0;
	case OPT_DRAIN_TIMEOUT:
		if (parse_number("drain-timeout", arg, 0, CONFIG_DRAIN_MAX, &v,
		    err, errlen) == -1)
			return -1;
		cfg->drain_timeout = (unsigned)v;
		return 0;
	case OPT_FD_STORE:
		return parse_number("fd-store", arg, 0, CONFIG_FD_STORE_MAX,
		    &cfg->fd_store, err, errlen);
	case OPT_WORKERS:
		if (parse_number("workers", arg, 1, CONFIG_WORKERS_MAX, &v,
		    err, errlen) == -1)
			return -1;
		cfg->workers = (unsigned)v;
		return 0;
	case OPT_ALLOW:
	case OPT_DENY:
		return acl_add(&cfg->acl, opt == OPT_ALLOW, arg, err, errlen);
	case OPT_UDP_RATE:
		return ratelimit_parse(arg, &cfg->udp_rate, err, errlen);
	case OPT_TLS_CERT:
		return parse_path("tls-cert", arg, cfg->tls_cert, err, errlen);
	case OPT_TLS_KEY:
		return parse_path("tls-key", arg, cfg->tls_key, err, errlen);
	case OPT_TLS_CLIENT_CA:
		return parse_path("tls-client-ca", arg, cfg->tls_client_ca,
		    err, errlen);
	case OPT_CONFIG:
		/* The caller has put the file's words right after these. */
		snprintf(cfg->config_path, sizeof(cfg->config_path), "%s",
		    arg);
		return 0;
	case OPT_MAX_CONNS_PER_IP:
		return parse_number("max-conns-per-ip", arg, 1,
		    CONFIG_MAX_CONNS_MAX, &cfg->max_conns_per_ip, err, errlen);
	case OPT_UDP_BATCH:
		if (parse_number("udp-batch", arg, 1, CONFIG_UDP_BATCH_MAX, &v,
		    err,
		    errlen) == -1)
			return -1;
		cfg->udp_batch = (unsigned)v;
		return 0;
	case OPT_STATS_INTERVAL:
		if (parse_number("stats-interval", arg, 0, 86400, &v, err,
		    errlen) == -1)
			return -1;
		cfg->stats_interval = (unsigned)v;
		return 0;
	case OPT_METRICS:
		if (listen_spec_parse(arg, &cfg->metrics, err, errlen) == -1) {
			char said[512];

			/* Name the option the operator typed. */
			snprintf(said, sizeof(said), "--metrics%s",
			    strncmp(err, "--listen", 8) == 0 ? err + 8 : err);
			snprintf(err, errlen, "%s", said);
			return -1;
		}
		if (cfg->metrics.kind != LISTEN_INET || cfg->metrics.tls) {
			snprintf(err, errlen, "--metrics '%s': give [HOST:]PORT "
			    "for HTTP, e.g. --metrics 9277", arg);
			return -1;
		}
		cfg->metrics_on = 1;
		return 0;
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &cfg->log_level) == -1) {
			snprintf(err, errlen, "--log-level '%s' is not a level; "
			    "use error, warn, info or debug", arg);
			return -1;
		}
		return 0;
	}
	return 0;
}

/* getopt_long() found something it did not like; say what, in one line. */
static void
explain_getopt_error(int opt, int argc, char **argv, char *err, size_t errlen)
{
	const char *word = (optind > 0 && optind <= argc) ?
	    argv[optind - 1] : "?";

	if (opt == ':')
		snprintf(err, errlen, "option '%s' needs a value; see "
		    "echod --help", word);
	else if (optopt != 0 && strncmp(word, "--", 2) != 0)
		snprintf(err, errlen, "unknown option '-%c'; see echod --help",
		    optopt);
	else
		snprintf(err, errlen, "unknown or ambiguous option '%s'; see "
		    "echod --help", word);
}

int
config_option_takes_value(const char *name)
{
	const struct option *o;

	for (o = long_options; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o->has_arg == required_argument;
	return -1;
}

/* --tls-*: a TLS listener needs a certificate and its key, and the
 * other way round each needs the other. */
static int
config_check_tls(const struct config *cfg, char *err, size_t errlen)
{
	char spec[LISTEN_HOST_MAX + 16];
	size_t i;

	if ((cfg->tls_cert[0] != '\0') != (cfg->tls_key[0] != '\0')) {
		snprintf(err, errlen, "%s is set without %s; give both the "
		    "certificate (--tls-cert) and its private key (--tls-key)",
		    cfg->tls_cert[0] ? "--tls-cert" : "--tls-key",
		    cfg->tls_cert[0] ? "--tls-key" : "--tls-cert");
		return EX_USAGE;
	}
	if (cfg->tls_client_ca[0] != '\0' && cfg->tls_cert[0] == '\0') {
		snprintf(err, errlen, "--tls-client-ca needs a TLS listener "
		    "and its --tls-cert and --tls-key");
		return EX_USAGE;
	}
	for (i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].tls && cfg->tls_cert[0] == '\0') {
			listen_spec_format(&cfg->listen[i], spec,
			    sizeof(spec));
			snprintf(err, errlen, "--listen %s: a TLS listener needs "
			    "--tls-cert FILE and --tls-key FILE (PEM)", spec);
			return EX_USAGE;
		}
	return 0;
}

/* Rules between options, once all are read. */
static int
config_check(const struct config *cfg, char *err, size_t errlen)
{
	int rc;

	if ((rc = config_check_tls(cfg, err, errlen)) != 0)
		return rc;
	if (cfg->proxy_protocol && cfg->proxy_from.n == 0 &&
	    !cfg->proxy_from_unix) {
		snprintf(err, errlen, "--proxy-protocol needs --proxy-from "
		    "naming the balancers that may send PROXY headers (anyone "
		    "else could claim any address and walk past --deny and "
		    "--max-conns-per-ip), e.g. --proxy-from 10.0.0.5 or "
		    "--proxy-from unix");
		return EX_USAGE;
	}
	return 0;
}

/* Prefix ERR with "FILE:LINE: " when word AT came from a file. */
static void
with_origin(char **origin, int at, char *err, size_t errlen)
{
	char said[512];

	if (origin == NULL || at < 0 || origin[at] == NULL)
		return;
	snprintf(said, sizeof(said), "%s: %s", origin[at], err);
	snprintf(err, errlen, "%s", said);
}

int
config_parse_words(struct config *cfg, int argc, char **argv, char **origin,
    char *err, size_t errlen)
{
	int opt;

	config_defaults(cfg);
	optind = 0;		/* glibc: full re-initialisation */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hV", long_options,
	    NULL)) != -1) {
		switch (opt) {
		case 'h':
			cfg->action = CONFIG_HELP;
			break;
		case 'V':
			cfg->action = CONFIG_VERSION;
			break;
		case '?':
		case ':':
			explain_getopt_error(opt, argc, argv, err, errlen);
			with_origin(origin, optind - 1, err, errlen);
			return EX_USAGE;
		default:
			if (opt == OPT_CONFIG && origin != NULL &&
			    origin[optind - 1] != NULL) {
				snprintf(err, errlen, "a config file cannot "
				    "name another one; give every --config on "
				    "the command line");
				with_origin(origin, optind - 1, err, errlen);
				return EX_USAGE;
			}
			if (parse_option(cfg, opt, optarg, err, errlen) == -1) {
				with_origin(origin, optind - 1, err, errlen);
				return EX_USAGE;
			}
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'; addresses go "
		    "after --listen, e.g. echod --listen %s", argv[optind],
		    argv[optind]);
		with_origin(origin, optind, err, errlen);
		return EX_USAGE;
	}
	if (cfg->nlisten == 0) {
		cfg->listen[0].kind = LISTEN_INET;
		strcpy(cfg->listen[0].host, LISTEN_DEFAULT_HOST);
		cfg->listen[0].port = LISTEN_DEFAULT_PORT;
		cfg->nlisten = 1;
		cfg->listen_is_default = 1;
	}
	return config_check(cfg, err, errlen);
}
