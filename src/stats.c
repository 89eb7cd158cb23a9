/*
 * stats.c: render a stats snapshot for the log and for Prometheus.  Pure.
 */
#include <stdarg.h>
#include <stdio.h>

#include "echod/stats.h"

static uint64_t
tls_failed(const struct tls_stats *t)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < TLS_FAIL_N; i++)
		n += t->failed[i];
	return n;
}

void
stats_format_line(const struct stats *s, char *buf, size_t len)
{
	snprintf(buf, len, "stats: %llu open, %llu accepted, %llu closed "
	    "(%llu timed out; errors: %llu reset, %llu out of memory, %llu "
	    "other), %llu refused by ACL, %llu over "
	    "the per-IP limit, %llu without a PROXY header, %llu not in "
	    "--proxy-from; "
	    "tcp %llu bytes in, %llu out, %llu backpressure pauses, %llu "
	    "bytes held, %llu pauses at --memory-limit; "
	    "udp %llu datagrams in, %llu out, dropped %llu reflector-port, "
	    "%llu own-port, %llu bad-source, %llu loop, %llu acl, %llu rate, "
	    "%llu send; tls %llu handshakes (%llu TLS 1.2, %llu TLS 1.3), "
	    "%llu failed",
	    (unsigned long long)s->open, (unsigned long long)s->accepted,
	    (unsigned long long)s->closed, (unsigned long long)s->timed_out,
	    (unsigned long long)s->err_reset, (unsigned long long)s->err_oom,
	    (unsigned long long)s->err_other,
	    (unsigned long long)s->refused_acl,
	    (unsigned long long)s->refused_per_ip,
	    (unsigned long long)s->refused_proxy,
	    (unsigned long long)s->refused_untrusted,
	    (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
	    (unsigned long long)s->backpressure_pauses,
	    (unsigned long long)s->held_bytes,
	    (unsigned long long)s->memory_pauses,
	    (unsigned long long)s->udp.in, (unsigned long long)s->udp.out,
	    (unsigned long long)s->udp.dropped_port,
	    (unsigned long long)s->udp.dropped_own,
	    (unsigned long long)s->udp.dropped_source,
	    (unsigned long long)s->udp.dropped_loop,
	    (unsigned long long)s->udp.dropped_acl,
	    (unsigned long long)s->udp.dropped_rate,
	    (unsigned long long)s->udp.dropped_send,
	    (unsigned long long)(s->tls.v12 + s->tls.v13),
	    (unsigned long long)s->tls.v12, (unsigned long long)s->tls.v13,
	    (unsigned long long)tls_failed(&s->tls));
}

struct out {
	char	*buf;
	size_t	 len, used;
};

static void
put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->used < o->len ? o->buf + o->used : NULL,
	    o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample(struct out *o, const char *name, const char *labels, uint64_t v)
{
	put(o, "%s%s %llu\n", name, labels, (unsigned long long)v);
}

static void
tls_families(struct out *o, const struct tls_stats *t)
{
	char label[64];
	int i;

	family(o, "echod_tls_handshakes_total", "counter",
	    "TLS handshakes completed, by protocol version.");
	sample(o, "echod_tls_handshakes_total", "{version=\"TLSv1.2\"}",
	    t->v12);
	sample(o, "echod_tls_handshakes_total", "{version=\"TLSv1.3\"}",
	    t->v13);
	family(o, "echod_tls_handshake_failures_total", "counter",
	    "TLS handshakes that failed, by reason.");
	for (i = 0; i < TLS_FAIL_N; i++) {
		snprintf(label, sizeof(label), "{reason=\"%s\"}",
		    tls_fail_label((enum tls_fail)i));
		sample(o, "echod_tls_handshake_failures_total", label,
		    t->failed[i]);
	}
	family(o, "echod_tls_post_handshake_closed_total", "counter",
	    "TLS connections shut down for handshake messages after the "
	    "handshake (renegotiation, a KeyUpdate flood).");
	sample(o, "echod_tls_post_handshake_closed_total", "",
	    t->post_handshake_closed);
}

static void
process_families(struct out *o, const struct stats *s)
{
	const struct process_stats *p = &s->process;

	family(o, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	put(o, "process_start_time_seconds %lld\n",
	    (long long)s->started_unix);
	if (!p->known)
		return;
	family(o, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.");
	put(o, "process_cpu_seconds_total %.2f\n", p->cpu_seconds);
	family(o, "process_open_fds", "gauge",
	    "Number of open file descriptors.");
	sample(o, "process_open_fds", "", p->open_fds);
	family(o, "process_max_fds", "gauge",
	    "Maximum number of open file descriptors.");
	sample(o, "process_max_fds", "", p->max_fds);
	family(o, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	sample(o, "process_resident_memory_bytes", "", p->resident_bytes);
}

size_t
stats_format_prometheus(const struct stats *s, const char *version,
    char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (len > 0)
		buf[0] = '\0';
	family(&o, "echod_build_info", "gauge", "Always 1; the version.");
	put(&o, "echod_build_info{version=\"%s\"} 1\n", version);
	family(&o, "echod_uptime_seconds", "gauge", "Seconds since start.");
	sample(&o, "echod_uptime_seconds", "", s->uptime_s);
	family(&o, "echod_workers", "gauge", "Worker threads.");
	sample(&o, "echod_workers", "", s->workers);
	family(&o, "echod_listeners", "gauge", "Open listening sockets.");
	sample(&o, "echod_listeners", "", s->listeners);
	family(&o, "echod_connections_open", "gauge",
	    "TCP and stream connections open now.");
	sample(&o, "echod_connections_open", "", s->open);
	family(&o, "echod_connections_max", "gauge",
	    "--max-conns: accepting pauses at this many open.");
	sample(&o, "echod_connections_max", "", s->max_conns);
	family(&o, "echod_connections_accepted_total", "counter",
	    "Connections accepted and served.");
	sample(&o, "echod_connections_accepted_total", "", s->accepted);
	family(&o, "echod_connections_closed_total", "counter",
	    "Connections closed, for any reason.");
	sample(&o, "echod_connections_closed_total", "", s->closed);
	family(&o, "echod_connections_refused_total", "counter",
	    "Connections closed at accept, by reason.");
	sample(&o, "echod_connections_refused_total", "{reason=\"acl\"}",
	    s->refused_acl);
	sample(&o, "echod_connections_refused_total", "{reason=\"per_ip\"}",
	    s->refused_per_ip);
	sample(&o, "echod_connections_refused_total",
	    "{reason=\"proxy_header\"}", s->refused_proxy);
	sample(&o, "echod_connections_refused_total",
	    "{reason=\"proxy_untrusted\"}", s->refused_untrusted);
	family(&o, "echod_connections_timed_out_total", "counter",
	    "Connections closed by --idle-timeout.");
	sample(&o, "echod_connections_timed_out_total", "", s->timed_out);
	family(&o, "echod_connection_errors_total", "counter",
	    "Connections ended by an error, by kind.");
	sample(&o, "echod_connection_errors_total", "{kind=\"reset\"}",
	    s->err_reset);
	sample(&o, "echod_connection_errors_total", "{kind=\"oom\"}",
	    s->err_oom);
	sample(&o, "echod_connection_errors_total", "{kind=\"other\"}",
	    s->err_other);
	family(&o, "echod_accept_pauses_total", "counter",
	    "Times accepting was paused, by reason.");
	sample(&o, "echod_accept_pauses_total", "{reason=\"max_conns\"}",
	    s->pauses_max_conns);
	sample(&o, "echod_accept_pauses_total", "{reason=\"fds\"}",
	    s->pauses_fds);
	family(&o, "echod_backpressure_pauses_total", "counter",
	    "Times reading from a client stopped at --buffer-limit.");
	sample(&o, "echod_backpressure_pauses_total", "",
	    s->backpressure_pauses);
	family(&o, "echod_held_bytes", "gauge",
	    "Bytes queued for clients that have not read their echo yet.");
	sample(&o, "echod_held_bytes", "", s->held_bytes);
	family(&o, "echod_memory_limit_bytes", "gauge",
	    "--memory-limit: most bytes held for all clients (0: none).");
	sample(&o, "echod_memory_limit_bytes", "", s->memory_limit);
	family(&o, "echod_memory_limit_pauses_total", "counter",
	    "Times reading from a client stopped at --memory-limit.");
	sample(&o, "echod_memory_limit_pauses_total", "", s->memory_pauses);
	family(&o, "echod_memory_limit_episodes_total", "counter",
	    "Times the bytes held went over --memory-limit.");
	sample(&o, "echod_memory_limit_episodes_total", "",
	    s->memory_episodes);
	family(&o, "echod_received_bytes_total", "counter",
	    "Bytes received, by protocol.");
	sample(&o, "echod_received_bytes_total", "{proto=\"tcp\"}",
	    s->bytes_in);
	sample(&o, "echod_received_bytes_total", "{proto=\"udp\"}",
	    s->udp.bytes_in);
	family(&o, "echod_sent_bytes_total", "counter",
	    "Bytes echoed back, by protocol.");
	sample(&o, "echod_sent_bytes_total", "{proto=\"tcp\"}", s->bytes_out);
	sample(&o, "echod_sent_bytes_total", "{proto=\"udp\"}",
	    s->udp.bytes_out);
	family(&o, "echod_datagrams_received_total", "counter",
	    "UDP datagrams received.");
	sample(&o, "echod_datagrams_received_total", "", s->udp.in);
	family(&o, "echod_datagrams_sent_total", "counter",
	    "UDP datagrams echoed.");
	sample(&o, "echod_datagrams_sent_total", "", s->udp.out);
	family(&o, "echod_datagrams_dropped_total", "counter",
	    "UDP datagrams not answered, by reason.");
	sample(&o, "echod_datagrams_dropped_total",
	    "{reason=\"reflector_port\"}", s->udp.dropped_port);
	sample(&o, "echod_datagrams_dropped_total",
	    "{reason=\"own_port\"}", s->udp.dropped_own);
	sample(&o, "echod_datagrams_dropped_total",
	    "{reason=\"bad_source\"}", s->udp.dropped_source);
	sample(&o, "echod_datagrams_dropped_total",
	    "{reason=\"loop\"}", s->udp.dropped_loop);
	sample(&o, "echod_datagrams_dropped_total", "{reason=\"acl\"}",
	    s->udp.dropped_acl);
	sample(&o, "echod_datagrams_dropped_total", "{reason=\"rate\"}",
	    s->udp.dropped_rate);
	sample(&o, "echod_datagrams_dropped_total", "{reason=\"send\"}",
	    s->udp.dropped_send);
	tls_families(&o, &s->tls);
	process_families(&o, s);
	return o.used;
}
