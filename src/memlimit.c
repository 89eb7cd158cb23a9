/*
 * memlimit.c: read the cgroup's memory.max and the host's RAM (see
 * memlimit.h).  cgroup v2 only (Debian 12's default).  RAM comes from
 * sysconf(), not /proc/meminfo: the shipped unit's ProcSubset=pid hides
 * that file from echod.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "echod/config.h"
#include "echod/membudget.h"
#include "echod/memlimit.h"

static const char *source = "a quarter of RAM";

static size_t
read_text(const char *path, char *buf, size_t len)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* The tightest memory.max from our cgroup up to the root; 0: none. */
static uint64_t
cgroup_max(void)
{
	char cg[512], path[1024], text[64], *slash;
	uint64_t best = 0, v;

	/* cgroup v2: a single line "0::/system.slice/echod.service". */
	if (read_text("/proc/self/cgroup", cg, sizeof(cg)) == 0 ||
	    strncmp(cg, "0::", 3) != 0)
		return 0;
	memmove(cg, cg + 3, strlen(cg + 3) + 1);
	cg[strcspn(cg, "\n")] = '\0';
	for (;;) {
		/* "/" last: a container's own limit sits at its root. */
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max",
		    strcmp(cg, "/") == 0 ? "" : cg);
		if (read_text(path, text, sizeof(text)) > 0 &&
		    (v = membudget_parse_cgroup_max(text)) > 0 &&
		    (best == 0 || v < best))
			best = v;
		if (cg[0] == '\0' || strcmp(cg, "/") == 0)
			break;
		if ((slash = strrchr(cg, '/')) == cg)
			cg[1] = '\0';		/* up to "/" */
		else if (slash != NULL)
			*slash = '\0';
		else
			break;
	}
	return best;
}

uint64_t
memlimit_default(void)
{
	uint64_t cg = cgroup_max(), ram = 0;
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	source = cg > 0 ? "half of the cgroup's memory.max" :
	    "a quarter of RAM";
	if (cg == 0 && pages > 0 && size > 0)
		ram = (uint64_t)pages * (uint64_t)size;
	return membudget_default(cg, ram);
}

uint64_t
memlimit_of(const struct config *cfg)
{
	return cfg->memory_limit == CONFIG_MEMORY_AUTO ? memlimit_default() :
	    cfg->memory_limit;
}

const char *
memlimit_source(void)
{
	return source;
}
