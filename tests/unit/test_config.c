/* Check suite for config.c, limits.c and listen_error.c. */
#include "unit.h"
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "echod/config.h"
#include "echod/limits.h"
#include "echod/listen_error.h"

static struct config cfg;
static char err[512];

/* Parse "echod" followed by the NULL-terminated words. */
static int
run(const char *first, ...)
{
	char *argv[32];
	int argc;
	va_list ap;

	va_start(ap, first);
	argc = unit_argv(argv, "echod", first, ap);
	va_end(ap);
	err[0] = '\0';
	return config_parse_words(&cfg, argc, argv, NULL, err, sizeof(err));
}

static void
assert_usage_error(int rc, const char *must_contain)
{
	ck_assert_int_eq(rc, EX_USAGE);
	ck_assert_msg(strstr(err, must_contain) != NULL,
	    "'%s' not in: %s", must_contain, err);
	ck_assert_msg(strchr(err, '\n') == NULL, "not one line: %s", err);
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(run(NULL), 0);
	ck_assert_int_eq(cfg.action, CONFIG_RUN);
	ck_assert_uint_eq(cfg.nlisten, 1);
	ck_assert_str_eq(cfg.listen[0].host, "localhost");
	ck_assert_uint_eq(cfg.listen[0].port, 7777);
	ck_assert_uint_eq(cfg.max_conns, 0);
	ck_assert_uint_eq(cfg.idle_timeout, 0);
	ck_assert_uint_eq(cfg.buffer_limit, 256 * 1024);
	ck_assert_int_eq(cfg.backlog, 1024);
	ck_assert_uint_eq(cfg.drain_timeout, 10);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(cfg.workers, 0);
}
END_TEST

START_TEST(test_every_option_is_read)
{
	ck_assert_int_eq(run("--listen", "127.0.0.1:1", "--listen=[::1]:2",
	    "--listen", "unix:/tmp/e.sock", "--max-conns", "5",
	    "--idle-timeout", "30", "--buffer-limit", "64K", "--backlog", "7",
	    "--drain-timeout=0", "--log-level", "debug", "--workers", "3",
	    NULL), 0);
	ck_assert_uint_eq(cfg.workers, 3);
	ck_assert_uint_eq(cfg.nlisten, 3);
	ck_assert_uint_eq(cfg.listen[1].port, 2);
	ck_assert_int_eq(cfg.listen[2].kind, LISTEN_UNIX);
	ck_assert_uint_eq(cfg.max_conns, 5);
	ck_assert_uint_eq(cfg.idle_timeout, 30);
	ck_assert_uint_eq(cfg.buffer_limit, 65536);
	ck_assert_int_eq(cfg.backlog, 7);
	ck_assert_uint_eq(cfg.drain_timeout, 0);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
}
END_TEST

START_TEST(test_help_and_version)
{
	ck_assert_int_eq(run("--help", NULL), 0);
	ck_assert_int_eq(cfg.action, CONFIG_HELP);
	ck_assert_int_eq(run("-h", NULL), 0);
	ck_assert_int_eq(cfg.action, CONFIG_HELP);
	ck_assert_int_eq(run("--version", NULL), 0);
	ck_assert_int_eq(cfg.action, CONFIG_VERSION);
	ck_assert_ptr_nonnull(strstr(config_usage(), "--buffer-limit"));
}
END_TEST

START_TEST(test_unknown_option_is_usage_error)
{
	assert_usage_error(run("--bogus", NULL), "'--bogus'");
	assert_usage_error(run("-x", NULL), "'-x'");
	assert_usage_error(run("--listen", "1", "extra", NULL),
	    "unexpected argument 'extra'");
}
END_TEST

START_TEST(test_missing_argument_is_usage_error)
{
	assert_usage_error(run("--listen", NULL), "'--listen' needs a value");
	assert_usage_error(run("--max-conns", NULL), "needs a value");
}
END_TEST

START_TEST(test_bad_numbers_name_value_and_range)
{
	assert_usage_error(run("--max-conns", "0", NULL),
	    "--max-conns '0' is too small; give a whole number from 1");
	assert_usage_error(run("--max-conns", "abc", NULL), "'abc'");
	assert_usage_error(run("--max-conns", "99999999999999999999", NULL),
	    "too large");
	assert_usage_error(run("--idle-timeout", "-5", NULL), "negative");
	assert_usage_error(run("--backlog", "", NULL), "empty");
	assert_usage_error(run("--drain-timeout", "3601", NULL), "3600");
	assert_usage_error(run("--buffer-limit", "10", NULL), "from 1K to 1G");
	assert_usage_error(run("--buffer-limit", "2G", NULL), "too large");
	assert_usage_error(run("--workers", "0", NULL), "from 1 to 256");
	assert_usage_error(run("--udp-batch", "33", NULL), "from 1 to 32");
	assert_usage_error(run("--workers", "257", NULL), "too large");
	assert_usage_error(run("--log-level", "loud", NULL),
	    "use error, warn, info or debug");
}
END_TEST

START_TEST(test_bad_listen_is_usage_error)
{
	assert_usage_error(run("--listen", "65536", NULL), "'65536'");
	assert_usage_error(run("--listen", "", NULL), "empty");
}
END_TEST

START_TEST(test_too_many_listeners)
{
	char *argv[2 * CONFIG_MAX_LISTEN + 4];
	int i, argc = 0;

	argv[argc++] = (char *)"echod";
	for (i = 0; i <= CONFIG_MAX_LISTEN; i++) {
		argv[argc++] = (char *)"--listen";
		argv[argc++] = (char *)"1";
	}
	argv[argc] = NULL;
	ck_assert_int_eq(config_parse_words(&cfg, argc, argv, NULL, err,
	    sizeof(err)), EX_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "at most 32"));
}
END_TEST

START_TEST(test_parsing_twice_starts_fresh)
{
	ck_assert_int_eq(run("--bogus", NULL), EX_USAGE);
	ck_assert_int_eq(run("--max-conns", "9", NULL), 0);
	ck_assert_uint_eq(cfg.max_conns, 9);
}
END_TEST

START_TEST(test_max_conns_follows_fd_limit)
{
	/* What echod holds (workers, listeners) comes off the top. */
	ck_assert_uint_eq(limits_max_conns(20000, 40),
	    20000 - 40 - LIMITS_FD_RESERVE);
	ck_assert_uint_eq(limits_max_conns(20000, 400),
	    20000 - 400 - LIMITS_FD_RESERVE);
	ck_assert_uint_eq(limits_max_conns(10, 1), 1);
	ck_assert_uint_eq(limits_max_conns(100, UINT64_MAX), 1);
	ck_assert_uint_eq(limits_max_conns(UINT64_MAX, 40),
	    CONFIG_MAX_CONNS_MAX);
}
END_TEST

START_TEST(test_bind_errors_map_to_sysexits)
{
	ck_assert_int_eq(listen_error_explain(EADDRINUSE, "127.0.0.1:7777",
	    7777, err, sizeof(err)), EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	ck_assert_ptr_nonnull(strstr(err, "127.0.0.1:7777"));
	ck_assert_ptr_nonnull(strstr(err, "another port"));

	ck_assert_int_eq(listen_error_explain(EACCES, "0.0.0.0:80", 80, err,
	    sizeof(err)), EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(err, "CAP_NET_BIND_SERVICE"));
	ck_assert_ptr_nonnull(strstr(err, "1024"));

	ck_assert_int_eq(listen_error_explain(EADDRINUSE, "unix:/tmp/x", 0,
	    err, sizeof(err)), EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	ck_assert_int_eq(listen_error_explain(EADDRNOTAVAIL, "10.9.9.9:7", 7,
	    err, sizeof(err)), EX_NOHOST);
	ck_assert_int_eq(listen_error_explain(ENOENT, "unix:/nope/x", 0, err,
	    sizeof(err)), EX_CANTCREAT);
	ck_assert_int_eq(listen_error_explain(EIO, "127.0.0.1:7", 7, err,
	    sizeof(err)), EX_OSERR);
}
END_TEST

START_TEST(test_resolve_errors_map_to_nohost)
{
	ck_assert_int_eq(listen_error_resolve(EAI_NONAME, "999.1.2.3",
	    "999.1.2.3:7", err, sizeof(err)), EX_NOHOST);
	ck_assert_ptr_nonnull(strstr(err, "'999.1.2.3'"));
	ck_assert_int_eq(listen_error_resolve(EAI_AGAIN, "h", "h:7", err,
	    sizeof(err)), EX_TEMPFAIL);
}
END_TEST

START_TEST(test_proxy_protocol_needs_its_balancers_named)
{
	assert_usage_error(run("--proxy-protocol", NULL),
	    "--proxy-protocol needs --proxy-from");
	ck_assert_int_eq(run("--proxy-protocol", "--proxy-from", "10.0.0.5",
	    "--proxy-from", "fd00::/8", NULL), 0);
	ck_assert_uint_eq(cfg.proxy_from.n, 2);
	ck_assert_int_eq(cfg.proxy_from_unix, 0);
	ck_assert_int_eq(run("--proxy-protocol", "--proxy-from", "unix",
	    NULL), 0);
	ck_assert_int_eq(cfg.proxy_from_unix, 1);
	assert_usage_error(run("--proxy-from", "10.0.0.300", NULL),
	    "--proxy-from '10.0.0.300'");
}
END_TEST

START_TEST(test_keepalive_default_off_and_range)
{
	ck_assert_int_eq(run(NULL), 0);
	ck_assert_uint_eq(cfg.keepalive, CONFIG_KEEPALIVE_DEFAULT);
	ck_assert_int_eq(run("--keepalive", "0", NULL), 0);
	ck_assert_uint_eq(cfg.keepalive, 0);
	ck_assert_int_eq(run("--keepalive", "32767", NULL), 0);
	assert_usage_error(run("--keepalive", "32768", NULL),
	    "--keepalive '32768'");
}
END_TEST

START_TEST(test_tls_options_need_each_other)
{
	ck_assert_int_eq(run("--listen", "tls:7443", "--tls-cert", "c.pem",
	    "--tls-key", "k.pem", "--tls-client-ca", "ca.pem", NULL), 0);
	ck_assert_str_eq(cfg.tls_cert, "c.pem");
	ck_assert_str_eq(cfg.tls_key, "k.pem");
	ck_assert_str_eq(cfg.tls_client_ca, "ca.pem");
	ck_assert_int_eq(cfg.listen[0].tls, 1);
	assert_usage_error(run("--listen", "tls:7443", NULL),
	    "--listen tls:localhost:7443: a TLS listener needs --tls-cert");
	assert_usage_error(run("--listen", "tls:7443", "--tls-key", "k.pem",
	    NULL), "--tls-key is set without --tls-cert");
	assert_usage_error(run("--tls-client-ca", "ca.pem", NULL),
	    "--tls-client-ca needs");
	assert_usage_error(run("--tls-cert", "", NULL),
	    "--tls-cert '': the file name is empty");
	assert_usage_error(run("--metrics", "tls:9000", NULL),
	    "--metrics 'tls:9000': give [HOST:]PORT");
}
END_TEST

START_TEST(test_tls_paths_have_a_limit)
{
	char path[CONFIG_PATH_MAX + 1];

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_usage_error(run("--tls-key", path, NULL), "at most 1023");
	path[CONFIG_PATH_MAX - 1] = '\0';
	ck_assert_int_eq(run("--listen", "tls:7443", "--tls-cert", "c",
	    "--tls-key", path, NULL), 0);
}
END_TEST

START_TEST(test_option_table_says_which_take_values)
{
	ck_assert_int_eq(config_option_takes_value("listen"), 1);
	ck_assert_int_eq(config_option_takes_value("proxy-protocol"), 0);
	ck_assert_int_eq(config_option_takes_value("no-such-thing"), -1);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("config",
	    test_tls_options_need_each_other,
	    test_tls_paths_have_a_limit,
	    test_proxy_protocol_needs_its_balancers_named,
	    test_keepalive_default_off_and_range,
	    test_option_table_says_which_take_values,
	    test_defaults,
	    test_every_option_is_read,
	    test_help_and_version,
	    test_unknown_option_is_usage_error,
	    test_missing_argument_is_usage_error,
	    test_bad_numbers_name_value_and_range,
	    test_bad_listen_is_usage_error,
	    test_too_many_listeners,
	    test_parsing_twice_starts_fresh,
	    test_max_conns_follows_fd_limit,
	    test_bind_errors_map_to_sysexits,
	    test_resolve_errors_map_to_nohost);
}
