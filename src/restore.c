/*
 * restore.c: connections handed over by the echod before this one (see
 * restore.h).
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echod/admit.h"
#include "echod/echod.h"
#include "echod/fdname.h"
#include "echod/fdstore.h"
#include "echod/log.h"
#include "echod/restore.h"
#include "echod/sdproto.h"

/* Was handover GEN marked whole? */
static int
marked(const struct sd_listen *sl, uint64_t gen)
{
	size_t i;

	for (i = 0; i < sl->nstored; i++)
		if (sl->stored[i].name.kind == FDNAME_DONE &&
		    sl->stored[i].name.gen == gen)
			return 1;
	return 0;
}

/* A connected stream socket; its peer in SA. */
static int
connected(int fd, struct sockaddr_storage *sa, socklen_t *len)
{
	int type = 0, listening = 1;
	socklen_t tlen = sizeof(type), llen = sizeof(listening);

	*len = sizeof(*sa);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
	    &llen) == -1 || listening ||
	    getpeername(fd, (struct sockaddr *)sa, len) == -1)
		return 0;
	if (sa->ss_family != AF_INET && sa->ss_family != AF_INET6 &&
	    sa->ss_family != AF_UNIX)
		return 0;
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != -1;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every distinct name in SL, removed from the store, then a barrier. */
static void
forget_all(struct echod *ed, const struct sd_listen *sl)
{
	const char **names;
	size_t i, n = 0, failed = 0;

	if (ed->fdstore == NULL || sl->nstored == 0)
		return;
	if ((names = calloc(sl->nstored, sizeof(*names))) == NULL) {
		log_warnx("out of memory to remove %zu connections from "
		    "systemd's store; it keeps them until echod stops",
		    sl->nstored);
		return;
	}
	for (i = 0; i < sl->nstored; i++)
		names[i] = sl->stored[i].raw;
	qsort(names, sl->nstored, sizeof(*names), by_name);
	for (i = 0; i < sl->nstored; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		n++;
		failed += fdstore_remove(ed->fdstore, names[i]) == -1;
	}
	free(names);
	if (failed > 0 || fdstore_barrier(ed->fdstore) == -1)
		log_warn("cannot remove %zu of %zu names from systemd's store; "
		    "a crash now would hand those connections to the next "
		    "echod", failed ? failed : n, n);
}

void
restore_connections(struct echod *ed, const struct sd_listen *sl)
{
	struct sockaddr_storage peer;
	socklen_t len;
	size_t i, served = 0, dropped = 0;

	forget_all(ed, sl);
	for (i = 0; i < sl->nstored; i++) {
		const struct sd_stored *st = &sl->stored[i];
		const struct fdname *fn = &st->name;
		int proxied = fn->client.ss_family != AF_UNSPEC;

		if (fn->kind != FDNAME_CONN || !marked(sl, fn->gen) ||
		    !connected(st->fd, &peer, &len)) {
			dropped += fn->kind != FDNAME_DONE;
			close(st->fd);
			continue;
		}
		served++;
		if (proxied)
			admit_restored(ed, st->fd, (const struct sockaddr *)
			    &fn->client, fn->clientlen, 1);
		else
			admit_restored(ed, st->fd, (struct sockaddr *)&peer,
			    len, 0);
	}
	if (served > 0)
		log_info("took back %zu connections from the echod before "
		    "this one", served);
	if (dropped > 0)
		log_warnx("closed %zu connections from systemd's store that "
		    "were not a whole handover (an echod stopped while handing "
		    "them over, or they are not connected sockets): what they "
		    "had sent may be lost", dropped);
}
