/*
 * textbook-echo.c: the baseline as libevent teaches it: one thread, an
 * evconnlistener, a bufferevent per client, evbuffer_add_buffer() in the
 * read callback, free on EOF or error.  Kept faithful on purpose, flaws
 * included (no limits, pending output dropped at EOF): it is what echod
 * is measured against, not a server to run.
 *
 * usage: textbook-echo PORT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_add_buffer(bufferevent_get_output(bev),
	    bufferevent_get_input(bev));
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct bufferevent *bev;

	(void)sa;
	(void)len;
	(void)arg;
	bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct event_base *base;
	struct evconnlistener *l;

	if (argc != 2) {
		fprintf(stderr, "usage: textbook-echo PORT\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	base = event_base_new();
	l = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (base == NULL || l == NULL) {
		perror("textbook-echo: listen");
		return 71;
	}
	event_base_dispatch(base);
	return 0;
}
