/*
 * load_opts: echod-load's command line, parsed and validated.  Pure.
 */
#ifndef ECHOD_BENCH_LOAD_OPTS_H
#define ECHOD_BENCH_LOAD_OPTS_H

#include <stddef.h>
#include <stdint.h>

enum load_mode {
	MODE_PINGPONG,	/* D messages of S bytes in flight per connection */
	MODE_STREAM,	/* send as fast as the server drains */
	MODE_CHURN,	/* connect, echo S bytes, close, again */
	MODE_IDLE,	/* hold C connections, then check each still echoes */
	MODE_UDP,	/* C UDP sockets, D datagrams of S bytes in flight */
};

struct load_opts {
	enum load_mode	mode;
	char		host[256];
	unsigned	port;
	char		unix_path[108];	/* set: connect here instead */
	unsigned	conns;
	size_t		size;
	unsigned	depth;
	double		seconds;
	unsigned	source_addrs;	/* 127.0.0.1 .. 127.0.0.N */
	unsigned	connect_burst;	/* connects in progress at once */
	int		quiet;		/* no progress line, no summary */
	int		reconnect;	/* reopen connections the server drops */
	unsigned	min_echoed;	/* udp: percent that must come back */
	uint64_t	rate;		/* --rate: messages/s (0: closed loop) */
	int		tls;		/* --tls: speak TLS */
	char		tls_ca[1024];	/* --tls-ca: verify against it */
	char		tls_name[256];	/* --tls-name (default: --host) */
	int		help;
};

/* Returns 0, or -1 with a one-line message in ERR. */
int		 load_opts_parse(struct load_opts *o, int argc, char **argv,
		    char *err, size_t errlen);
const char	*load_opts_usage(void);
const char	*load_mode_name(enum load_mode m);

#endif
