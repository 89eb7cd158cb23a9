/* Check suite for tcpopt.c, on real loopback sockets: what is set on a
 * listener must reach the socket accept() returns, since echod no longer
 * sets it per connection. */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "echod/tcpopt.h"
#include "unit.h"

struct pair {
	int	lfd, cfd, afd;
};

/* A loopback listener with options for KEEPALIVE, and one connection. */
static void
pair_open(struct pair *p, unsigned keepalive)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(p->lfd, 0);
	ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&sin, len), 0);
	ck_assert_int_eq(listen(p->lfd, 4), 0);
	ck_assert_int_eq(tcpopt_apply(p->lfd, keepalive), 0);
	ck_assert_int_eq(getsockname(p->lfd, (struct sockaddr *)&sin, &len),
	    0);
	p->cfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(p->cfd, (struct sockaddr *)&sin, len), 0);
	p->afd = accept(p->lfd, NULL, NULL);
	ck_assert_int_ge(p->afd, 0);
}

static void
pair_close(struct pair *p)
{
	close(p->afd);
	close(p->cfd);
	close(p->lfd);
}

static int
get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	ck_assert_int_eq(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

START_TEST(test_accepted_socket_inherits_nodelay_and_keepalive)
{
	struct pair p;

	pair_open(&p, 60);
	ck_assert_int_ne(get_int(p.afd, IPPROTO_TCP, TCP_NODELAY), 0);
	ck_assert_int_ne(get_int(p.afd, SOL_SOCKET, SO_KEEPALIVE), 0);
	ck_assert_int_eq(get_int(p.afd, IPPROTO_TCP, TCP_KEEPIDLE), 60);
	ck_assert_int_eq(get_int(p.afd, IPPROTO_TCP, TCP_KEEPINTVL), 15);
	ck_assert_int_eq(get_int(p.afd, IPPROTO_TCP, TCP_KEEPCNT), 4);
	pair_close(&p);
}
END_TEST

START_TEST(test_probe_interval_rounds_up)
{
	struct pair p;

	pair_open(&p, 2);			/* the test suite's value */
	ck_assert_int_eq(get_int(p.afd, IPPROTO_TCP, TCP_KEEPIDLE), 2);
	ck_assert_int_eq(get_int(p.afd, IPPROTO_TCP, TCP_KEEPINTVL), 1);
	pair_close(&p);
}
END_TEST

START_TEST(test_a_reload_reaches_later_clients)
{
	struct pair p;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int c2, a2;

	pair_open(&p, 60);
	ck_assert_int_eq(tcpopt_apply(p.lfd, 0), 0);
	ck_assert_int_eq(getsockname(p.lfd, (struct sockaddr *)&sin, &len),
	    0);
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c2, (struct sockaddr *)&sin, len), 0);
	a2 = accept(p.lfd, NULL, NULL);
	ck_assert_int_ge(a2, 0);
	ck_assert_int_eq(get_int(a2, SOL_SOCKET, SO_KEEPALIVE), 0);
	ck_assert_int_ne(get_int(a2, IPPROTO_TCP, TCP_NODELAY), 0);
	/* The one accepted before keeps what it had. */
	ck_assert_int_ne(get_int(p.afd, SOL_SOCKET, SO_KEEPALIVE), 0);
	close(a2);
	close(c2);
	pair_close(&p);
}
END_TEST

START_TEST(test_unix_socket_is_left_alone)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(tcpopt_apply(sv[0], 60), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_not_a_socket_fails)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(tcpopt_apply(fds[0], 60), -1);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("tcpopt",
	    test_accepted_socket_inherits_nodelay_and_keepalive,
	    test_probe_interval_rounds_up,
	    test_a_reload_reaches_later_clients,
	    test_unix_socket_is_left_alone,
	    test_not_a_socket_fails);
}
