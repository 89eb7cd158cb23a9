/*
 * metrics.c: the HTTP side door for monitoring (see metrics.h).  It runs
 * in the main thread's loop and reads the counters the same way SIGUSR1
 * does, so scraping takes nothing from the workers.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "build_config.h"
#include "echod/addr.h"
#include "echod/echod.h"
#include "echod/listener.h"
#include "echod/log.h"
#include "echod/metrics.h"
#include "echod/stats.h"

static int
get_only(struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD");
	evhttp_send_error(req, 405, "Method Not Allowed");
	return 0;
}

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct echod *ed = arg;
	struct evbuffer *body;
	struct stats st;
	size_t need;
	char *text;

	if (!get_only(req))
		return;
	server_stats(ed, &st);
	need = stats_format_prometheus(&st, ECHOD_VERSION, NULL, 0) + 1;
	if ((text = malloc(need)) == NULL ||
	    (body = evbuffer_new()) == NULL) {
		free(text);
		evhttp_send_error(req, 500, "Out of memory");
		return;
	}
	stats_format_prometheus(&st, ECHOD_VERSION, text, need);
	evbuffer_add(body, text, strlen(text));
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

static void
healthz_cb(struct evhttp_request *req, void *arg)
{
	struct echod *ed = arg;
	struct evbuffer *body;
	int ok = ed->state == ECHOD_RUNNING;

	if (!get_only(req))
		return;
	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, "Out of memory");
		return;
	}
	/* Draining: tell load balancers to stop sending new clients. */
	evbuffer_add_printf(body, ok ? "ok\n" : "draining\n");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply(req, ok ? 200 : 503, ok ? "OK" : "Draining", body);
	evbuffer_free(body);
}

static void
other_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, 404, "Not Found: try /metrics or /healthz");
}

int
metrics_open(struct echod *ed, char *err, size_t errlen)
{
	char where[ADDR_STRLEN];
	int fd, rc;

	if (!ed->cfg->metrics_on)
		return 0;
	rc = listener_bind_first(ed, &ed->cfg->metrics, &fd, where,
	    sizeof(where), err, errlen);
	if (rc != 0)
		return rc;
	if ((ed->http = evhttp_new(ed->base)) == NULL ||
	    evhttp_accept_socket(ed->http, fd) == -1) {
		close(fd);
		snprintf(err, errlen, "cannot serve metrics on %s: out of "
		    "memory", where);
		return EX_OSERR;
	}
	evhttp_set_allowed_methods(ed->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_timeout(ed->http, 10);
	evhttp_set_max_headers_size(ed->http, 8192);
	evhttp_set_max_body_size(ed->http, 4096);
	evhttp_set_cb(ed->http, "/metrics", metrics_cb, ed);
	evhttp_set_cb(ed->http, "/healthz", healthz_cb, ed);
	evhttp_set_gencb(ed->http, other_cb, ed);
	log_info("metrics on http://%s/metrics and /healthz", where);
	return 0;
}

void
metrics_close(struct echod *ed)
{
	if (ed->http != NULL)
		evhttp_free(ed->http);
	ed->http = NULL;
}
