/*
 * Fuzz target: systemd's environment (LISTEN_FDS, LISTEN_FDNAMES,
 * WATCHDOG_USEC, NOTIFY_SOCKET) and --udp-rate, all text from outside;
 * and a restart's store names (fdname.h) and parcel messages (parcel.h):
 * what parses as ours must be exactly what echod writes for what it holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/fdname.h"
#include "echod/parcel.h"
#include "echod/ratelimit.h"
#include "echod/sdproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_fdname(const char *text)
{
	char again[FDNAME_MAX];
	struct fdname fn;

	switch (fdname_parse(text, &fn)) {
	case FDNAME_PARCEL:
		fdname_parcel(again, fn.gen);
		break;
	case FDNAME_DONE:
		fdname_done(again, fn.gen);
		break;
	default:
		return;
	}
	if (strcmp(again, text) != 0)
		abort();
}

/* A parcel message that decodes must encode back to the same bytes. */
static void
fuzz_parcel(const uint8_t *data, size_t size)
{
	struct parcel_client c[PARCEL_FDS_MAX];
	uint8_t again[PARCEL_MSG_MAX];
	size_t nfds;

	if (size < 4 || size > PARCEL_MSG_MAX)
		return;
	nfds = data[3];
	if (parcel_decode(data, size, nfds, c) == 0 &&
	    (parcel_encode(again, c, nfds) != size ||
	    memcmp(again, data, size) != 0))
		abort();
}

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
		for (i = 0; i < (int)sl.nstored; i++)
			if (sl.stored[i].name.kind == FDNAME_OTHER)
				abort();
		sdproto_listen_free(&sl);
	}
	fuzz_fdname(text);
	fuzz_parcel(data, size);
	(void)sdproto_parse_watchdog(text, names, 7, &v);
	if (sdproto_notify_addr(text, &sun, &len) == 0 &&
	    len > sizeof(sun))
		abort();
	(void)ratelimit_parse(text, &v, err, sizeof(err));
	return 0;
}
