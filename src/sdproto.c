/*
 * sdproto.c: parse the environment systemd hands a service (socket
 * activation, watchdog, notify socket).  Pure: strings in, values out.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "echod/numparse.h"
#include "echod/sdproto.h"

/* Colon-separated, exactly one name per fd. */
static int
parse_names(const char *names, struct sd_listen *out, char *err,
    size_t errlen)
{
	const char *p = names;
	int i;

	for (i = 0; i < out->n; i++) {
		size_t len = strcspn(p, ":");

		if (len >= SD_NAME_MAX) {
			snprintf(err, errlen, "LISTEN_FDNAMES: name %d is "
			    "longer than %d bytes", i + 1, SD_NAME_MAX - 1);
			return -1;
		}
		memcpy(out->names[i], p, len);
		out->names[i][len] = '\0';
		p += len;
		if (*p == '\0')
			break;
		p++;			/* the colon */
	}
	if (out->n > 0 && (i != out->n - 1 || *p != '\0')) {
		snprintf(err, errlen, "LISTEN_FDNAMES='%s' does not name "
		    "exactly %d sockets (LISTEN_FDS)", names, out->n);
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
	if (pid == NULL || fds == NULL)
		return 0;
	if (num_parse_u64(pid, 1, INT64_MAX, &v, &why) == -1) {
		snprintf(err, errlen, "LISTEN_PID='%s' %s", pid, why);
		return -1;
	}
	if ((long)v != self)
		return 0;		/* meant for another process */
	if (num_parse_u64(fds, 0, SD_FDS_MAX, &v, &why) == -1) {
		snprintf(err, errlen, "LISTEN_FDS='%s' %s (at most %d sockets)",
		    fds, why, SD_FDS_MAX);
		return -1;
	}
	out->n = (int)v;
	if (names != NULL)
		return parse_names(names, out, err, errlen);
	for (i = 0; i < out->n; i++)
		strcpy(out->names[i], "unknown");
	return 0;
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
