/*
 * load_opts.c: parse echod-load's options with the same strict number
 * rules as echod (numparse.c): every bad value is named and explained.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echod/numparse.h"
#include "load_opts.h"

static const char *mode_names[] = {
	[MODE_PINGPONG] = "pingpong",
	[MODE_STREAM] = "stream",
	[MODE_CHURN] = "churn",
	[MODE_IDLE] = "idle",
	[MODE_UDP] = "udp",
};

static const char usage[] =
"usage: echod-load [--host H] [--port P | --unix PATH] [--mode MODE]\n"
"                  [--conns C] [--size S] [--depth D] [--seconds T]\n"
"                  [--source-addrs N] [--connect-burst B] [--reconnect]\n"
"                  [--min-echoed PERCENT] [--rate N] [--quiet]\n"
"                  [--tls [--tls-ca FILE] [--tls-name NAME]]\n"
"\n"
"Drives an echo server and checks every byte it sends back.\n"
"  --mode     pingpong (default), stream, churn, idle or udp\n"
"  --conns    connections (default 100)\n"
"  --size     bytes per message, K/M suffixes (default 64)\n"
"  --depth    messages in flight per connection, pingpong and udp\n"
"             (default 1); udp datagrams carry a sequence number, so\n"
"             --size is at least 8 there\n"
"  --seconds  how long to run once connected (idle: how long to hold);\n"
"             connecting may take as long again at most, then what is\n"
"             not connected counts as not made (0.1 to 86400, default 5)\n"
"  --source-addrs N  spread connections over 127.0.0.1..127.0.0.N\n"
"             (more than ~28k connections to one port need N > 1)\n"
"  --connect-burst B connects in progress at once (default 256)\n"
"  --reconnect  a connection the server (or a proxy) drops is opened\n"
"             again, from the start of its stream, and counted in\n"
"             \"reconnects\"; what it had in flight is \"cut_bytes\", not an\n"
"             error (TCP modes; for tests that kill a server mid-run)\n"
"  --tls      speak TLS (1.2 or 1.3) on every connection; a connection\n"
"             counts as made once its handshake is over, and churn\n"
"             makes a handshake per cycle.  Nothing is verified unless\n"
"  --tls-ca FILE  the server's certificate must be signed by a CA in\n"
"             FILE and name --tls-name (default: --host); implies --tls\n"
"  --rate N   pingpong, open loop: N messages a second across all\n"
"             connections, evenly spaced, each sent once due and its\n"
"             connection has fewer than --depth in flight; latency\n"
"             counts from when it was due (corrected) and from when it\n"
"             was sent (uncorrected), so a stall shows as it is\n"
"  --min-echoed PERCENT  udp: the run fails if fewer of the datagrams\n"
"             sent came back (default 50; TCP must echo every byte)\n"
"Prints one JSON line on stdout (always valid JSON; \"ok\" and \"failure\"\n"
"say how it ended); a summary (and, on a terminal, a progress line) on\n"
"stderr.  SIGINT or SIGTERM ends the run early, connecting included,\n"
"with the report.  Exit 0 only if something was echoed, no byte\n"
"mismatched or went missing, and no connection failed; else 1, with the\n"
"reason in the summary.\n";

const char *
load_opts_usage(void)
{
	return usage;
}

const char *
load_mode_name(enum load_mode m)
{
	return mode_names[m];
}

static int
number(const char *name, const char *arg, uint64_t min, uint64_t max,
    uint64_t *out, char *err, size_t errlen)
{
	return num_parse_option(name, arg, min, max, 1, out, err, errlen);
}

static int
parse_seconds(const char *arg, double *out, char *err, size_t errlen)
{
	char *end;
	double v = strtod(arg, &end);

	if (*arg == '\0' || *end != '\0' || !(v >= 0.1 && v <= 86400)) {
		snprintf(err, errlen, "--seconds '%s' is not a duration; give "
		    "seconds from 0.1 to 86400, e.g. 5 or 0.5", arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_one(struct load_opts *o, int c, const char *arg, char *err,
    size_t errlen)
{
	uint64_t v;
	size_t i;

	switch (c) {
	case 'm':
		for (i = 0; i < sizeof(mode_names) / sizeof(*mode_names); i++)
			if (strcmp(arg, mode_names[i]) == 0) {
				o->mode = (enum load_mode)i;
				return 0;
			}
		snprintf(err, errlen, "--mode '%s' is not a mode; use "
		    "pingpong, stream, churn, idle or udp", arg);
		return -1;
	case 'H':
		if (*arg == '\0' || strlen(arg) >= sizeof(o->host)) {
			snprintf(err, errlen, "--host '%s' is not a host", arg);
			return -1;
		}
		strcpy(o->host, arg);
		return 0;
	case 'u':
		if (*arg == '\0' || strlen(arg) >= sizeof(o->unix_path)) {
			snprintf(err, errlen, "--unix '%s': give a socket path "
			    "of 1 to 107 bytes", arg);
			return -1;
		}
		strcpy(o->unix_path, arg);
		return 0;
	case 'p':
		if (number("port", arg, 1, 65535, &v, err, errlen) == -1)
			return -1;
		o->port = (unsigned)v;
		return 0;
	case 'c':
		if (number("conns", arg, 1, 10000000, &v, err, errlen) == -1)
			return -1;
		o->conns = (unsigned)v;
		return 0;
	case 's':
		if (number("size", arg, 1, 64 << 20, &v, err, errlen) == -1)
			return -1;
		o->size = (size_t)v;
		return 0;
	case 'd':
		if (number("depth", arg, 1, 4096, &v, err, errlen) == -1)
			return -1;
		o->depth = (unsigned)v;
		return 0;
	case 'a':
		if (number("source-addrs", arg, 1, 254, &v, err, errlen) == -1)
			return -1;
		o->source_addrs = (unsigned)v;
		return 0;
	case 'b':
		if (number("connect-burst", arg, 1, 65536, &v, err,
		    errlen) == -1)
			return -1;
		o->connect_burst = (unsigned)v;
		return 0;
	case 't':
		return parse_seconds(arg, &o->seconds, err, errlen);
	case 'e':
		if (number("min-echoed", arg, 0, 100, &v, err, errlen) == -1)
			return -1;
		o->min_echoed = (unsigned)v;
		return 0;
	case 'R':
		/* No K/M: 1K meaning 1024 a second would surprise. */
		if (num_parse_option("rate", arg, 1, 10000000, 0, &v, err,
		    errlen) == -1)
			return -1;
		o->rate = v;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case 'r':
		o->reconnect = 1;
		return 0;
	case 'T':
		o->tls = 1;
		return 0;
	case 'C':
	case 'N':
		if (*arg == '\0' || strlen(arg) >= (c == 'C' ?
		    sizeof(o->tls_ca) : sizeof(o->tls_name))) {
			snprintf(err, errlen, "--%s '%.40s': give a %s",
			    c == 'C' ? "tls-ca" : "tls-name", arg, c == 'C' ?
			    "PEM file of CA certificates" : "host name");
			return -1;
		}
		o->tls = 1;
		strcpy(c == 'C' ? o->tls_ca : o->tls_name, arg);
		return 0;
	case 'h':
		o->help = 1;
		return 0;
	}
	snprintf(err, errlen, "unknown option; see echod-load --help");
	return -1;
}

int
load_opts_parse(struct load_opts *o, int argc, char **argv, char *err,
    size_t errlen)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "unix", required_argument, NULL, 'u' },
		{ "conns", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 't' },
		{ "source-addrs", required_argument, NULL, 'a' },
		{ "connect-burst", required_argument, NULL, 'b' },
		{ "min-echoed", required_argument, NULL, 'e' },
		{ "rate", required_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "reconnect", no_argument, NULL, 'r' },
		{ "tls", no_argument, NULL, 'T' },
		{ "tls-ca", required_argument, NULL, 'C' },
		{ "tls-name", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	strcpy(o->host, "127.0.0.1");
	o->port = 7777;
	o->conns = 100;
	o->size = 64;
	o->depth = 1;
	o->seconds = 5;
	o->source_addrs = 1;
	o->connect_burst = 256;
	o->min_echoed = 50;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			snprintf(err, errlen, "%s option '%s'; see echod-load "
			    "--help", c == ':' ? "a value is missing for" :
			    "unknown", argv[optind - 1]);
			return -1;
		}
		if (parse_one(o, c, optarg, err, errlen) == -1)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->tls_name[0] == '\0')
		snprintf(o->tls_name, sizeof(o->tls_name), "%s", o->host);
	if (o->rate != 0 && o->mode != MODE_PINGPONG) {
		snprintf(err, errlen, "--rate is for --mode pingpong (messages "
		    "with a latency each)");
		return -1;
	}
	if (o->mode == MODE_UDP && o->tls) {
		snprintf(err, errlen, "--tls is for the TCP modes (no DTLS)");
		return -1;
	}
	if (o->mode == MODE_UDP && o->reconnect) {
		snprintf(err, errlen, "--reconnect is for the TCP modes; UDP "
		    "has no connection to lose");
		return -1;
	}
	if (o->mode == MODE_UDP && (o->size < 8 || o->size > 65507 ||
	    o->unix_path[0] != '\0')) {
		snprintf(err, errlen, "--mode udp needs --size 8 to 65507 (a "
		    "datagram carries its sequence number) and an IP --host");
		return -1;
	}
	return 0;
}
