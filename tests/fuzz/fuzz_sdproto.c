/*
 * Fuzz target: systemd's environment (LISTEN_FDS, LISTEN_FDNAMES,
 * WATCHDOG_USEC, NOTIFY_SOCKET) and --udp-rate, all text from outside.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/ratelimit.h"
#include "echod/sdproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sd_listen sl;
	struct sockaddr_un sun;
	socklen_t len;
	char text[2048], err[512], *names;
	uint64_t v;
	int i;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* "FDS|NAMES": split at the first '|'. */
	names = strchr(text, '|');
	if (names != NULL)
		*names++ = '\0';
	if (sdproto_parse_listen("7", text, names, 7, &sl, err,
	    sizeof(err)) == 0) {
		if (sl.n < 0 || sl.n > SD_FDS_MAX)
			abort();
		for (i = 0; i < sl.n; i++)
			if (strlen(sl.names[i]) >= SD_NAME_MAX)
				abort();
	}
	(void)sdproto_parse_watchdog(text, names, 7, &v);
	if (sdproto_notify_addr(text, &sun, &len) == 0 &&
	    len > sizeof(sun))
		abort();
	(void)ratelimit_parse(text, &v, err, sizeof(err));
	return 0;
}
