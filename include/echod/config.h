/*
 * config: the command line, parsed and validated completely before the
 * daemon touches a socket.  Pure: no I/O, no exit().
 */
#ifndef ECHOD_CONFIG_H
#define ECHOD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "echod/acl.h"
#include "echod/listen_spec.h"
#include "echod/log.h"

#define CONFIG_MAX_LISTEN	32
#define CONFIG_PATH_MAX		1024	/* --tls-* file names */

#define CONFIG_MAX_CONNS_MAX	10000000ULL
#define CONFIG_IDLE_MAX		604800ULL	/* a week */
#define CONFIG_BUFFER_MIN	1024ULL
#define CONFIG_BUFFER_MAX	(1ULL << 30)
#define CONFIG_BUFFER_DEFAULT	(256U << 10)
#define CONFIG_BACKLOG_MAX	65535ULL
#define CONFIG_BACKLOG_DEFAULT	1024
#define CONFIG_DRAIN_MAX	3600ULL
#define CONFIG_WORKERS_MAX	256ULL
#define CONFIG_DRAIN_DEFAULT	10
#define CONFIG_FD_STORE_MAX	1000000ULL
#define CONFIG_UDP_BATCH_MAX	32
#define CONFIG_UDP_RATE_DEFAULT	1000	/* per source: bounds an echo loop */
#define CONFIG_KEEPALIVE_DEFAULT 60
#define CONFIG_KEEPALIVE_MAX	32767ULL	/* Linux's TCP_KEEPIDLE cap */
#define CONFIG_MEMORY_MIN	(1ULL << 20)
#define CONFIG_MEMORY_MAX	(1ULL << 40)
#define CONFIG_MEMORY_AUTO	UINT64_MAX	/* from the cgroup or RAM */

enum config_action {
	CONFIG_RUN,
	CONFIG_HELP,
	CONFIG_VERSION,
};

struct config {
	enum config_action	action;
	struct listen_spec	listen[CONFIG_MAX_LISTEN];
	size_t			nlisten;
	int			listen_is_default; /* no --listen given */
	uint64_t		max_conns;	/* 0: derive from fd limit */
	unsigned		idle_timeout;	/* seconds, 0: off */
	unsigned		keepalive;	/* seconds, 0: off */
	size_t			buffer_limit;	/* bytes held per client */
	uint64_t		memory_limit;	/* for all, 0: none; or AUTO */
	int			backlog;
	unsigned		drain_timeout;	/* seconds */
	uint64_t		fd_store;	/* a restart hands these */
	unsigned		workers;	/* 0: one per online CPU */
	struct acl		acl;		/* --allow, --deny */
	uint64_t		udp_rate;	/* per source per s, 0: off */
	unsigned		udp_batch;	/* datagrams per recvmmsg() */
	unsigned		stats_interval;	/* seconds, 0: off */
	uint64_t		max_conns_per_ip; /* 0: no limit */
	struct listen_spec	metrics;	/* --metrics */
	int			metrics_on;
	int			proxy_protocol;	/* PROXY v2 header first */
	struct acl		proxy_from;	/* who may send one */
	int			proxy_from_unix; /* Unix-socket peers may */
	char			tls_cert[CONFIG_PATH_MAX];	/* "": none */
	char			tls_key[CONFIG_PATH_MAX];
	char			tls_client_ca[CONFIG_PATH_MAX];
	char			config_path[256]; /* --config, for the log */
	char			empty_config[256]; /* a blank --config file */
	enum log_level		log_level;
};

/*
 * Fill *CFG from ARGV, where ORIGIN[i] (ORIGIN may be NULL) says where
 * argv[i] came from ("FILE:LINE").  Returns 0, or a sysexits.h code
 * (EX_USAGE) with a one-line message in ERR naming the bad value and the
 * fix; an error about a word from a file starts with its FILE:LINE.
 */
int		 config_parse_words(struct config *cfg, int argc,
		    char **argv, char **origin, char *err, size_t errlen);

/* 1 if the long option NAME (no dashes) takes a value, 0 if it is a
 * flag, -1 if there is no such option. */
int		 config_option_takes_value(const char *name);

/* The --help text. */
const char	*config_usage(void);

#endif
