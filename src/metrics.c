/*
 * metrics.c: the HTTP side door for monitoring (see metrics.h): GET and
 * HEAD of /metrics and /healthz, one request per connection.
 *
 * Not libevent's evhttp: in 2.1 its accept callback cannot be put behind
 * the front door (admit.c), it has no cap on connections, and it keeps
 * reading and storing what a client sends while a reply is pending.  Here
 * every bound is ours and small: admit.c caps connections at
 * ADMIT_METRICS_MAX and pauses this port with the others when descriptors
 * run out; a request head is at most HTTP_HEAD_MAX bytes and must arrive
 * within METRICS_REQUEST_SEC (so slow clients cannot hold the few slots
 * long); reading stops once it is complete; the answer is written with
 * "Connection: close" within METRICS_REPLY_SEC.  Then our side is shut
 * down and whatever the client still sends is read and thrown away (up to
 * METRICS_LINGER_SEC and METRICS_LINGER_BYTES) before the close, so that
 * unread bytes do not turn the close into a reset that destroys the
 * answer in flight.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "build_config.h"
#include "echod/admit.h"
#include "echod/echod.h"
#include "echod/fdbudget.h"
#include "echod/http_request.h"
#include "echod/log.h"
#include "echod/metrics.h"
#include "echod/snapshot.h"
#include "echod/sockets.h"
#include "echod/stats.h"

#define METRICS_REQUEST_SEC	2
#define METRICS_REPLY_SEC	8
#define METRICS_LINGER_SEC	1
#define METRICS_LINGER_BYTES	(64 * 1024)	/* then close, reset or not */
#define METRICS_BACKLOG		16

struct metrics_conn {
	struct echod		*ed;
	struct bufferevent	*bev;
	struct event		*deadline;
	int			 answered;	/* reading only to discard */
	size_t			 discarded;	/* since, at most LINGER_BYTES */
	LIST_ENTRY(metrics_conn) entry;
};

struct metrics {
	struct sock		 socks[SOCKETS_PER_SPEC];
	struct evconnlistener	*evls[SOCKETS_PER_SPEC];
	size_t			 n;
	LIST_HEAD(, metrics_conn) conns;
};

static void	mc_event_cb(struct bufferevent *, short, void *);

static void
mc_close(struct metrics_conn *mc)
{
	struct echod *ed = mc->ed;

	LIST_REMOVE(mc, entry);
	event_free(mc->deadline);
	bufferevent_free(mc->bev);
	free(mc);
	admit_metrics_gone(ed);
}

/* The process_* series: what the kernel says about us. */
static void
read_process(struct process_stats *p)
{
	unsigned long utime, stime;
	long rss, ticks = sysconf(_SC_CLK_TCK);
	struct rlimit rl;
	char buf[1024], *end;
	FILE *f;
	size_t n;

	memset(p, 0, sizeof(*p));
	if ((f = fopen("/proc/self/stat", "re")) == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: ")". */
	if ((end = strrchr(buf, ')')) == NULL || sscanf(end + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d "
	    "%*d %*d %*d %*d %*u %*u %ld", &utime, &stime, &rss) != 3 ||
	    ticks <= 0)
		return;
	p->cpu_seconds = (double)(utime + stime) / (double)ticks;
	p->resident_bytes = (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
	p->open_fds = fdbudget_open_now();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		p->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
		    rl.rlim_cur;
	p->known = 1;
}

static void
mc_deadline(struct metrics_conn *mc, int secs)
{
	struct timeval tv = { secs, 0 };

	if (evtimer_add(mc->deadline, &tv) == -1)
		mc_close(mc);
}

/* The status line, headers and (unless HEAD) BODY, then close. */
static void
respond(struct metrics_conn *mc, int head, int status, const char *reason,
    const char *type, const char *extra, const char *body, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(mc->bev);

	if (evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status,
	    reason, type, len, extra) == -1 ||
	    (!head && evbuffer_add(out, body, len) == -1)) {
		mc_close(mc);
		return;
	}
	/* The write callback goes on once everything is out. */
	mc->answered = 1;
	bufferevent_disable(mc->bev, EV_READ);
	bufferevent_enable(mc->bev, EV_WRITE);
	mc_deadline(mc, METRICS_REPLY_SEC);
}

static void
respond_text(struct metrics_conn *mc, int head, int status,
    const char *reason, const char *extra, const char *text)
{
	respond(mc, head, status, reason, "text/plain; charset=utf-8", extra,
	    text, strlen(text));
}

static void
serve_metrics(struct metrics_conn *mc, int head)
{
	struct echod *ed = mc->ed;
	struct stats st;
	size_t need;
	char *text;

	snapshot_take(ed, &st);
	read_process(&st.process);
	need = stats_format_prometheus(&st, ECHOD_VERSION, NULL, 0) + 1;
	if ((text = malloc(need)) == NULL) {
		respond_text(mc, head, 500, "Internal Server Error", "",
		    "out of memory\n");
		return;
	}
	stats_format_prometheus(&st, ECHOD_VERSION, text, need);
	respond(mc, head, 200, "OK", "text/plain; version=0.0.4; "
	    "charset=utf-8", "", text, strlen(text));
	free(text);
}

static void
serve(struct metrics_conn *mc, const struct http_request *req)
{
	int head = req->method == HTTP_HEAD;

	if (req->method == HTTP_OTHER)
		respond_text(mc, 0, 405, "Method Not Allowed",
		    "Allow: GET, HEAD\r\n", "use GET or HEAD\n");
	else if (strcmp(req->path, "/metrics") == 0)
		serve_metrics(mc, head);
	else if (strcmp(req->path, "/healthz") == 0) {
		/* Draining: tell load balancers to stop sending new clients. */
		if (mc->ed->state == ECHOD_RUNNING)
			respond_text(mc, head, 200, "OK", "", "ok\n");
		else
			respond_text(mc, head, 503, "Service Unavailable", "",
			    "draining\n");
	} else
		respond_text(mc, head, 404, "Not Found", "",
		    "not found: try /metrics or /healthz\n");
}

static const char *
reason_of(int status)
{
	switch (status) {
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Bad Request";
	}
}

static void
mc_read_cb(struct bufferevent *bev, void *arg)
{
	struct metrics_conn *mc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	struct http_request req;
	char *head;
	int rc, status;

	if (mc->answered) {		/* after the answer: thrown away */
		mc->discarded += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		/* A client that keeps sending is not waiting for the answer:
		 * no more of our time for it. */
		if (mc->discarded > METRICS_LINGER_BYTES)
			mc_close(mc);
		return;
	}
	if (len > HTTP_HEAD_MAX)
		len = HTTP_HEAD_MAX;
	if ((head = (char *)evbuffer_pullup(in, (ssize_t)len)) == NULL) {
		mc_close(mc);
		return;
	}
	rc = http_request_parse(head, len, &req, &status);
	if (rc == 0)
		return;
	/* Whatever else the client sends is never read: drop what came. */
	evbuffer_drain(in, evbuffer_get_length(in));
	if (rc == 1)
		serve(mc, &req);
	else
		respond_text(mc, 0, status, reason_of(status), "",
		    "bad request\n");
}

static void
mc_write_cb(struct bufferevent *bev, void *arg)
{
	struct metrics_conn *mc = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	/* Out: say so (FIN), then wait a moment for the client's close. */
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	bufferevent_setcb(bev, mc_read_cb, NULL, mc_event_cb, mc);
	if (bufferevent_enable(bev, EV_READ) == -1) {
		mc_close(mc);
		return;
	}
	mc_deadline(mc, METRICS_LINGER_SEC);
}

static void
mc_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;		/* EOF or error: either way, done */
	mc_close(arg);
}

static void
mc_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mc_close(arg);
}

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	static struct log_limit oom_ll;
	struct echod *ed = arg;
	struct timeval tv = { METRICS_REQUEST_SEC, 0 };
	struct metrics_conn *mc;

	(void)evl;
	if (!admit_metrics(ed, fd, sa, (socklen_t)socklen))
		return;
	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		goto oom;
	mc->ed = ed;
	mc->bev = bufferevent_socket_new(ed->base, fd, BEV_OPT_CLOSE_ON_FREE);
	mc->deadline = evtimer_new(ed->base, mc_deadline_cb, mc);
	if (mc->bev == NULL || mc->deadline == NULL ||
	    evtimer_add(mc->deadline, &tv) == -1 ||
	    bufferevent_enable(mc->bev, EV_READ) == -1) {
		if (mc->deadline != NULL)
			event_free(mc->deadline);
		if (mc->bev != NULL)
			bufferevent_free(mc->bev);
		else
			close(fd);
		free(mc);
		fd = -1;
		goto oom;
	}
	bufferevent_setcb(mc->bev, mc_read_cb, mc_write_cb, mc_event_cb, mc);
	LIST_INSERT_HEAD(&ed->metrics->conns, mc, entry);
	return;
oom:
	if (fd != -1)
		close(fd);
	admit_metrics_gone(ed);
	log_limited(&oom_ll, LOG_LEVEL_WARN,
	    "metrics: dropping a connection: out of memory");
}

int
metrics_open(struct echod *ed, char *err, size_t errlen)
{
	struct metrics *m;
	size_t i;
	int rc;

	if (!ed->cfg->metrics_on)
		return 0;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "cannot serve metrics: out of memory");
		return EX_OSERR;
	}
	LIST_INIT(&m->conns);
	ed->metrics = m;
	rc = sockets_open(&ed->cfg->metrics, METRICS_BACKLOG, m->socks, &m->n,
	    err, errlen);
	if (rc != 0) {
		/* Name the option: the operator typed --metrics. */
		char said[512];

		snprintf(said, sizeof(said), "--metrics: %s", err);
		snprintf(err, errlen, "%s", said);
		return rc;
	}
	for (i = 0; i < m->n; i++) {
		m->evls[i] = evconnlistener_new(ed->base, accept_cb, ed,
		    LEV_OPT_CLOSE_ON_EXEC, 0, m->socks[i].fd);
		if (m->evls[i] == NULL ||
		    admit_watch(ed, m->evls[i], ADMIT_METRICS) == -1) {
			snprintf(err, errlen, "cannot serve metrics on %s: out "
			    "of memory", m->socks[i].name);
			return EX_OSERR;
		}
		log_info("metrics on http://%s/metrics and /healthz",
		    m->socks[i].name);
	}
	return 0;
}

void
metrics_close(struct echod *ed)
{
	struct metrics *m = ed->metrics;
	size_t i;

	if (m == NULL)
		return;
	while (!LIST_EMPTY(&m->conns))
		mc_close(LIST_FIRST(&m->conns));
	for (i = 0; i < m->n; i++) {
		if (m->evls[i] != NULL) {
			admit_unwatch(ed, m->evls[i]);
			evconnlistener_free(m->evls[i]);
		}
		sockets_close(&m->socks[i]);
	}
	free(m);
	ed->metrics = NULL;
}
