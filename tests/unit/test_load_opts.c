/* Check suite for bench/load_opts.c: echod-load's command line. */
#include <stdarg.h>
#include <string.h>

#include "load_opts.h"
#include "unit.h"

static struct load_opts o;
static char err[512];

static int
run(const char *first, ...)
{
	char *argv[32];
	int argc;
	va_list ap;

	va_start(ap, first);
	argc = unit_argv(argv, "echod-load", first, ap);
	va_end(ap);
	err[0] = '\0';
	return load_opts_parse(&o, argc, argv, err, sizeof(err));
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(run(NULL), 0);
	ck_assert_int_eq(o.mode, MODE_PINGPONG);
	ck_assert_str_eq(o.host, "127.0.0.1");
	ck_assert_uint_eq(o.port, 7777);
	ck_assert_uint_eq(o.conns, 100);
	ck_assert_uint_eq(o.size, 64);
	ck_assert_uint_eq(o.depth, 1);
	ck_assert(o.seconds == 5);
}
END_TEST

START_TEST(test_every_option)
{
	ck_assert_int_eq(run("--mode", "stream", "--host", "::1", "--port",
	    "7", "--conns", "100000", "--size", "64K", "--depth", "16",
	    "--seconds", "0.5", "--source-addrs", "4", "--connect-burst",
	    "1000", "--quiet", "--reconnect", NULL), 0);
	ck_assert_int_eq(o.mode, MODE_STREAM);
	ck_assert_int_eq(o.reconnect, 1);
	ck_assert_str_eq(o.host, "::1");
	ck_assert_uint_eq(o.port, 7);
	ck_assert_uint_eq(o.conns, 100000);
	ck_assert_uint_eq(o.size, 65536);
	ck_assert_uint_eq(o.depth, 16);
	ck_assert(o.seconds == 0.5);
	ck_assert_uint_eq(o.source_addrs, 4);
	ck_assert_uint_eq(o.connect_burst, 1000);
	ck_assert_int_eq(o.quiet, 1);
	ck_assert_int_eq(run("--mode", "churn", NULL), 0);
	ck_assert_int_eq(o.mode, MODE_CHURN);
	ck_assert_int_eq(run("--mode", "idle", "--unix", "/tmp/e.sock", NULL),
	    0);
	ck_assert_str_eq(o.unix_path, "/tmp/e.sock");
}
END_TEST

START_TEST(test_bad_values_are_named)
{
	ck_assert_int_eq(run("--mode", "udp", "--size", "64", "--reconnect",
	    NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--reconnect is for the TCP modes"));
	ck_assert_int_eq(run("--mode", "flood", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "'flood'"));
	ck_assert_int_eq(run("--port", "65536", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "too large"));
	ck_assert_int_eq(run("--conns", "0", NULL), -1);
	ck_assert_int_eq(run("--depth", "x", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--depth 'x'"));
	ck_assert_int_eq(run("--seconds", "0", NULL), -1);
	ck_assert_int_eq(run("--seconds", "0.05", NULL), -1);	/* < 0.1 */
	ck_assert_ptr_nonnull(strstr(err, "from 0.1 to 86400"));
	ck_assert_int_eq(run("--seconds", "0.1", NULL), 0);
	ck_assert_int_eq(run("--seconds", "nan", NULL), -1);
	ck_assert_int_eq(run("--seconds", "inf", NULL), -1);
	ck_assert_int_eq(run("--seconds", "1s", NULL), -1);
	ck_assert_int_eq(run("--min-echoed", "101", NULL), -1);
	ck_assert_int_eq(run("--min-echoed", "90", NULL), 0);
	ck_assert_uint_eq(o.min_echoed, 90);
	ck_assert_int_eq(run("--source-addrs", "255", NULL), -1);
	ck_assert_int_eq(run("--bogus", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "'--bogus'"));
	ck_assert_int_eq(run("--conns", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "missing"));
	ck_assert_int_eq(run("stray", NULL), -1);
	ck_assert_int_eq(run("--mode", "udp", "--size", "4", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--size 8 to 65507"));
	ck_assert_int_eq(run("--mode", "udp", "--size", "64K", NULL), -1);
	ck_assert_int_eq(run("--mode", "udp", "--depth", "8", NULL), 0);
	ck_assert_int_eq(o.mode, MODE_UDP);
}
END_TEST

START_TEST(test_rate)
{
	ck_assert_int_eq(run(NULL), 0);
	ck_assert_uint_eq(o.rate, 0);			/* closed loop */
	ck_assert_int_eq(run("--rate", "50000", "--depth", "4", NULL), 0);
	ck_assert_uint_eq(o.rate, 50000);
	ck_assert_int_eq(run("--rate", "0", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--rate '0'"));
	ck_assert_int_eq(run("--rate", "10000001", NULL), -1);
	ck_assert_int_eq(run("--rate", "1k", NULL), -1);
	ck_assert_int_eq(run("--mode", "stream", "--rate", "100", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--rate is for --mode pingpong"));
}
END_TEST

START_TEST(test_tls_options)
{
	ck_assert_int_eq(run("--tls", NULL), 0);
	ck_assert_int_eq(o.tls, 1);
	ck_assert_str_eq(o.tls_name, "127.0.0.1");	/* --host's */
	ck_assert_str_eq(o.tls_ca, "");
	ck_assert_int_eq(run("--tls-ca", "ca.pem", "--tls-name", "localhost",
	    NULL), 0);
	ck_assert_int_eq(o.tls, 1);			/* implied */
	ck_assert_str_eq(o.tls_ca, "ca.pem");
	ck_assert_str_eq(o.tls_name, "localhost");
	ck_assert_int_eq(run("--tls", "--mode", "udp", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--tls is for the TCP modes"));
	ck_assert_int_eq(run("--tls-ca", "", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--tls-ca ''"));
}
END_TEST

int
main(void)
{
	return UNIT_RUN("load_opts",
	    test_tls_options,
	    test_rate,
	    test_defaults,
	    test_every_option,
	    test_bad_values_are_named);
}
