/*
 * sdproto.c: parse the environment systemd hands a service (socket
 * activation, watchdog, notify socket).  Pure: strings in, values out.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echod/numparse.h"
#include "echod/sdproto.h"

/* Fd FD, named NAME: a listener, or one of echod's own from the store. */
static int
add_fd(struct sd_listen *out, int fd, const char *name, char *err,
    size_t errlen)
{
	struct sd_stored *grown;
	struct fdname fn;

	if (fdname_parse(name, &fn) == FDNAME_OTHER) {
		if (out->n == SD_FDS_MAX) {
			snprintf(err, errlen, "systemd passed more than %d "
			    "listening sockets (LISTEN_FDS)", SD_FDS_MAX);
			return -1;
		}
		out->fd[out->n] = fd;
		snprintf(out->names[out->n++], SD_NAME_MAX, "%s", name);
		return 0;
	}
	/* Doubling: amortized, and at most SD_FDS_TOTAL_MAX. */
	if ((out->nstored & (out->nstored - 1)) == 0) {
		grown = reallocarray(out->stored, out->nstored ?
		    2 * out->nstored : 1, sizeof(*grown));
		if (grown == NULL) {
			snprintf(err, errlen, "out of memory for %s", name);
			return -1;
		}
		out->stored = grown;
	}
	out->stored[out->nstored].fd = fd;
	out->stored[out->nstored].name = fn;
	snprintf(out->stored[out->nstored++].raw, SD_NAME_MAX, "%s", name);
	return 0;
}

/* Colon-separated, exactly one name per fd. */
static int
parse_names(const char *names, int nfds, struct sd_listen *out,
    char *err, size_t errlen)
{
	const char *p = names;
	char name[SD_NAME_MAX];
	int i;

	for (i = 0; i < nfds; i++) {
		size_t len = strcspn(p, ":");

		if (len >= SD_NAME_MAX) {
			snprintf(err, errlen, "LISTEN_FDNAMES: name %d is "
			    "longer than %d bytes", i + 1, SD_NAME_MAX - 1);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (add_fd(out, SD_FDS_START + i, name, err, errlen) == -1)
			return -1;
		p += len;
		if (*p == '\0')
			break;
		p++;			/* the colon */
	}
	if (nfds > 0 && (i != nfds - 1 || *p != '\0')) {
		snprintf(err, errlen, "LISTEN_FDNAMES='%.200s' does not name "
		    "exactly %d sockets (LISTEN_FDS)", names, nfds);
		return -1;
	}
	return 0;
}

int
sdproto_parse_listen(const char *pid, const char *fds, const char *names,
    long self, struct sd_listen *out, char *err, size_t errlen)
{
	uint64_t v;
	const char *why;
	int i;

	out->n = 0;
	out->nstored = 0;
	out->stored = NULL;
	if (pid == NULL || fds == NULL)
		return 0;
	if (num_parse_u64(pid, 1, INT64_MAX, &v, &why) == -1) {
		snprintf(err, errlen, "LISTEN_PID='%s' %s", pid, why);
		return -1;
	}
	if ((long)v != self)
		return 0;		/* meant for another process */
	if (num_parse_u64(fds, 0, names != NULL ? SD_FDS_TOTAL_MAX :
	    SD_FDS_MAX, &v, &why) == -1) {
		snprintf(err, errlen, "LISTEN_FDS='%s' %s (at most %d sockets)",
		    fds, why, names != NULL ? SD_FDS_TOTAL_MAX : SD_FDS_MAX);
		return -1;
	}
	if (names != NULL) {
		if (parse_names(names, (int)v, out, err, errlen) == 0)
			return 0;
		sdproto_listen_free(out);
		out->n = 0;
		return -1;
	}
	for (i = 0; i < (int)v; i++) {
		out->fd[i] = SD_FDS_START + i;
		strcpy(out->names[i], "unknown");
	}
	out->n = (int)v;
	return 0;
}

void
sdproto_listen_free(struct sd_listen *sl)
{
	free(sl->stored);
	sl->stored = NULL;
	sl->nstored = 0;
}

int
sdproto_parse_watchdog(const char *usec, const char *pid, long self,
    uint64_t *usec_out)
{
	uint64_t v, p;
	const char *why;

	if (usec == NULL)
		return 0;
	if (num_parse_u64(usec, 1, UINT64_MAX - 1, &v, &why) == -1)
		return -1;
	if (pid != NULL) {
		if (num_parse_u64(pid, 1, INT64_MAX, &p, &why) == -1)
			return -1;
		if ((long)p != self)
			return 0;
	}
	*usec_out = v;
	return 1;
}

int
sdproto_notify_addr(const char *value, struct sockaddr_un *sun,
    socklen_t *len)
{
	size_t n = strlen(value);

	if ((value[0] != '/' && value[0] != '@') || n < 2 ||
	    n >= sizeof(sun->sun_path))
		return -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, value, n);
	if (value[0] == '@') {
		sun->sun_path[0] = '\0';	/* abstract: no terminator */
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    n + 1);
	return 0;
}
