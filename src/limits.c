/*
 * limits.c: derive connection limits from the process's resources.
 * Pure arithmetic, kept apart from getrlimit() so it can be tested.
 */
#include "echod/config.h"
#include "echod/limits.h"

uint64_t
limits_max_conns(uint64_t nofile, uint64_t held)
{
	uint64_t reserve = held + LIMITS_FD_RESERVE;

	if (reserve < held || nofile <= reserve)
		return 1;
	if (nofile - reserve > CONFIG_MAX_CONNS_MAX)
		return CONFIG_MAX_CONNS_MAX;
	return nofile - reserve;
}
