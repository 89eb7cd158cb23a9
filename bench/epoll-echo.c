/*
 * epoll-echo.c: the floor.  One thread, level-triggered epoll, and per
 * readiness one read() and one write() of up to 64 KiB; only what the
 * socket would not take is kept (and the fd watched for EPOLLOUT, reading
 * paused) until it drains.  No library between the loop and the kernel.
 *
 * usage: epoll-echo PORT
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF	(64 * 1024)

struct client {
	int	fd;
	size_t	off, len;	/* unsent bytes in buf[off..len) */
	char	buf[BUF];
};

static void
drop(int ep, struct client *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void
watch(int ep, struct client *c, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is pending; 1 if all of it went, 0 if some waits, -1 error. */
static int
flush(struct client *c)
{
	ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);

	if (n == -1)
		return errno == EAGAIN ? 0 : -1;
	c->off += (size_t)n;
	return c->off == c->len;
}

static void
serve(int ep, struct client *c, unsigned events)
{
	ssize_t n;
	int rc;

	if (c->len > c->off) {		/* EPOLLOUT: finish the last echo */
		if ((rc = flush(c)) == -1) {
			drop(ep, c);
			return;
		}
		if (rc == 1) {
			c->off = c->len = 0;
			watch(ep, c, EPOLLIN);
		}
		return;
	}
	(void)events;
	n = read(c->fd, c->buf, BUF);
	if (n <= 0) {
		if (n == -1 && errno == EAGAIN)
			return;
		drop(ep, c);
		return;
	}
	c->off = 0;
	c->len = (size_t)n;
	if ((rc = flush(c)) == -1)
		drop(ep, c);
	else if (rc == 1)
		c->off = c->len = 0;
	else
		watch(ep, c, EPOLLOUT);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event ev, evs[256];
	int lfd, ep, one = 1, n, i;

	if (argc != 2) {
		fprintf(stderr, "usage: epoll-echo PORT\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 1024) == -1) {
		perror("epoll-echo: listen");
		return 71;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;

			if (c != NULL) {
				serve(ep, c, evs[i].events);
				continue;
			}
			int fd;
			while ((fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK)) != -1) {
				if ((c = malloc(sizeof(*c))) == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				c->off = c->len = 0;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one));
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			}
		}
	}
}
