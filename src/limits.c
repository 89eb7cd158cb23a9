/*
 * limits.c: derive connection limits from the process's resources.
 * Pure arithmetic, kept apart from getrlimit() so it can be tested.
 */
#include "echod/config.h"
#include "echod/limits.h"

uint64_t
limits_max_conns_for_nofile(uint64_t nofile, size_t nlisten)
{
	/* "localhost" opens two sockets per --listen. */
	uint64_t reserve = LIMITS_FD_RESERVE + 2 * (uint64_t)nlisten;

	if (nofile <= reserve)
		return 1;
	if (nofile - reserve > CONFIG_MAX_CONNS_MAX)
		return CONFIG_MAX_CONNS_MAX;
	return nofile - reserve;
}
