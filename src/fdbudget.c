/*
 * fdbudget.c: descriptors: the limit, what we hold, what is left for
 * clients (see fdbudget.h).
 */
#include <sys/resource.h>
#include <dirent.h>

#include "echod/config.h"
#include "echod/fdbudget.h"
#include "echod/limits.h"
#include "echod/log.h"

uint64_t
fdbudget_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;

		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise the open-file limit to %llu",
			    (unsigned long long)want);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
}

uint64_t
fdbudget_open_now(void)
{
	struct dirent *de;
	uint64_t n = 0;
	DIR *d;

	/* Without /proc, assume the worst we know of: a generous guess. */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return 256;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;	/* not the directory's own */
}

uint64_t
fdbudget_max_conns(const struct config *cfg, uint64_t held)
{
	uint64_t nofile = fdbudget_nofile();
	uint64_t fit = limits_max_conns(nofile, held);

	if (cfg->max_conns == 0)
		return fit;
	if (cfg->max_conns > fit)
		log_warnx("--max-conns %llu is more than the open-file limit "
		    "(%llu, of which echod holds %llu and keeps %d spare) "
		    "allows; when descriptors run out echod pauses accepting "
		    "(raise 'ulimit -n' or LimitNOFILE=, or leave --max-conns "
		    "out to fit it)", (unsigned long long)cfg->max_conns,
		    (unsigned long long)nofile, (unsigned long long)held,
		    LIMITS_FD_RESERVE);
	return cfg->max_conns;
}
