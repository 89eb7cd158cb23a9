/* Check suite for sdproto.c: systemd's environment protocols. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "echod/sdproto.h"
#include "unit.h"

static struct sd_listen sl;
static char err[512];

static int
listen_env(const char *pid, const char *fds, const char *names)
{
	err[0] = '\0';
	sdproto_listen_free(&sl);
	return sdproto_parse_listen(pid, fds, names, 4242, &sl, err,
	    sizeof(err));
}

START_TEST(test_no_variables_means_no_sockets)
{
	ck_assert_int_eq(listen_env(NULL, NULL, NULL), 0);
	ck_assert_int_eq(sl.n, 0);
	ck_assert_int_eq(listen_env("4242", NULL, NULL), 0);
	ck_assert_int_eq(sl.n, 0);
}
END_TEST

START_TEST(test_sockets_for_another_process_are_ignored)
{
	ck_assert_int_eq(listen_env("1", "2", "a:b"), 0);
	ck_assert_int_eq(sl.n, 0);
}
END_TEST

START_TEST(test_our_sockets_and_names)
{
	ck_assert_int_eq(listen_env("4242", "2", "echod.socket:extra"), 0);
	ck_assert_int_eq(sl.n, 2);
	ck_assert_str_eq(sl.names[0], "echod.socket");
	ck_assert_str_eq(sl.names[1], "extra");
}
END_TEST

START_TEST(test_unnamed_sockets_are_unknown)
{
	ck_assert_int_eq(listen_env("4242", "3", NULL), 0);
	ck_assert_int_eq(sl.n, 3);
	ck_assert_str_eq(sl.names[2], "unknown");
}
END_TEST

START_TEST(test_malformed_counts_are_errors)
{
	ck_assert_int_eq(listen_env("4242", "abc", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "LISTEN_FDS='abc'"));
	ck_assert_int_eq(listen_env("4242", "-1", NULL), -1);
	ck_assert_int_eq(listen_env("4242", "65", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "at most 64"));
	ck_assert_int_eq(listen_env("x42", "1", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "LISTEN_PID='x42'"));
}
END_TEST

START_TEST(test_names_must_match_the_count)
{
	ck_assert_int_eq(listen_env("4242", "2", "only-one"), -1);
	ck_assert_ptr_nonnull(strstr(err, "exactly 2"));
	ck_assert_int_eq(listen_env("4242", "1", "a:b"), -1);
	ck_assert_int_eq(listen_env("4242", "1", "a:"), -1);
	ck_assert_int_eq(listen_env("4242", "2", "a::"), -1);
	ck_assert_int_eq(listen_env("4242", "2", ":"), 0);
	ck_assert_str_eq(sl.names[0], "");
}
END_TEST

/* What a restart left in the store is not a listener (fdname.h). */
START_TEST(test_stored_connections_are_apart_from_listeners)
{
	char names[8192], *p = names;
	int i;

	p += sprintf(p, "echod.socket");
	for (i = 0; i < 200; i++)
		p += sprintf(p, ":echod-parcel.00000000000000%02x", i % 3);
	p += sprintf(p, ":echod-done.0000000000000001:echod-parcelx");
	ck_assert_int_eq(listen_env("4242", "203", names), 0);
	ck_assert_int_eq(sl.n, 2);
	ck_assert_str_eq(sl.names[0], "echod.socket");
	ck_assert_int_eq(sl.fd[0], 3);
	ck_assert_str_eq(sl.names[1], "echod-parcelx");	/* not ours */
	ck_assert_int_eq(sl.fd[1], 3 + 202);
	ck_assert_uint_eq(sl.nstored, 201);
	ck_assert_int_eq(sl.stored[0].fd, 4);
	ck_assert_int_eq(sl.stored[0].name.kind, FDNAME_PARCEL);
	ck_assert_uint_eq(sl.stored[2].name.gen, 2);
	ck_assert_str_eq(sl.stored[2].raw, "echod-parcel.0000000000000002");
	ck_assert_int_eq(sl.stored[200].name.kind, FDNAME_DONE);
	ck_assert_uint_eq(sl.stored[200].name.gen, 1);
	/* Without names nothing can be ours: 64 listeners at most. */
	ck_assert_int_eq(listen_env("4242", "203", NULL), -1);
}
END_TEST

START_TEST(test_more_than_64_listeners_are_refused)
{
	char names[8192], *p = names;
	int i;

	p += sprintf(p, "l0");
	for (i = 1; i < 65; i++)
		p += sprintf(p, ":l%d", i);
	ck_assert_int_eq(listen_env("4242", "65", names), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 64 listening"));
	ck_assert_uint_eq(sl.nstored, 0);
}
END_TEST

START_TEST(test_watchdog)
{
	uint64_t usec = 0;

	ck_assert_int_eq(sdproto_parse_watchdog(NULL, NULL, 7, &usec), 0);
	ck_assert_int_eq(sdproto_parse_watchdog("30000000", NULL, 7, &usec),
	    1);
	ck_assert_uint_eq(usec, 30000000);
	ck_assert_int_eq(sdproto_parse_watchdog("200000", "7", 7, &usec), 1);
	ck_assert_uint_eq(usec, 200000);
	/* For another process: off. */
	ck_assert_int_eq(sdproto_parse_watchdog("200000", "8", 7, &usec), 0);
	ck_assert_int_eq(sdproto_parse_watchdog("0", NULL, 7, &usec), -1);
	ck_assert_int_eq(sdproto_parse_watchdog("soon", NULL, 7, &usec), -1);
	ck_assert_int_eq(sdproto_parse_watchdog("5", "pid", 7, &usec), -1);
}
END_TEST

START_TEST(test_notify_socket_addresses)
{
	struct sockaddr_un sun;
	socklen_t len;

	ck_assert_int_eq(sdproto_notify_addr("/run/systemd/notify", &sun,
	    &len), 0);
	ck_assert_str_eq(sun.sun_path, "/run/systemd/notify");
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + 20);

	ck_assert_int_eq(sdproto_notify_addr("@echod-notify", &sun, &len), 0);
	ck_assert_int_eq(sun.sun_path[0], '\0');
	ck_assert(memcmp(sun.sun_path + 1, "echod-notify", 12) == 0);
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + 13);

	ck_assert_int_eq(sdproto_notify_addr("relative", &sun, &len), -1);
	ck_assert_int_eq(sdproto_notify_addr("@", &sun, &len), -1);
	ck_assert_int_eq(sdproto_notify_addr("", &sun, &len), -1);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("sdproto",
	    test_no_variables_means_no_sockets,
	    test_sockets_for_another_process_are_ignored,
	    test_our_sockets_and_names,
	    test_unnamed_sockets_are_unknown,
	    test_malformed_counts_are_errors,
	    test_names_must_match_the_count,
	    test_stored_connections_are_apart_from_listeners,
	    test_more_than_64_listeners_are_refused,
	    test_watchdog,
	    test_notify_socket_addresses);
}
