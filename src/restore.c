/*
 * restore.c: connections handed over by the echod before this one (see
 * restore.h).  They come in parcels (parcel.h): Unix sockets whose queues
 * hold them, a few per handover.
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
#include "echod/parcel.h"
#include "echod/restore.h"
#include "echod/sdproto.h"

struct restore_counts {
	size_t	served;		/* admitted, to a worker */
	size_t	refused;	/* by the ACL or a limit, as if new */
	size_t	gone;		/* the client left during the restart */
	size_t	unfinished;	/* from a handover never marked whole */
	size_t	broken;		/* not what echod writes, or cut short */
};

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
	int type = 0, listening = 1, fl;
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
	return (fl = fcntl(fd, F_GETFL)) != -1 &&
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != -1;
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
	int barrier = 0;

	if (ed->fdstore == NULL || sl->nstored == 0)
		return;
	if ((names = calloc(sl->nstored, sizeof(*names))) == NULL) {
		log_warnx("out of memory to remove what systemd's store holds "
		    "for echod; it keeps it until echod stops");
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
	if (failed == 0)
		barrier = fdstore_barrier(ed->fdstore);
	/* What stays is empty once read, but counts against the store's
	 * FileDescriptorStoreMax= at the next restart. */
	if (failed > 0 || barrier == -1)
		log_warn("cannot %s systemd's store: what the last restart "
		    "left there stays until echod stops",
		    failed ? "remove names from" : "hear back from");
}

/* One connection from a parcel; CLIENT: its PROXY header's, if any. */
static void
restore_one(struct echod *ed, int fd, const struct parcel_client *client,
    struct restore_counts *n)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int admitted;

	if (!connected(fd, &peer, &len)) {
		close(fd);
		n->gone++;
		return;
	}
	if (client->len > 0)
		admitted = admit_restored(ed, fd, (const struct sockaddr *)
		    &client->sa, client->len, 1);
	else
		admitted = admit_restored(ed, fd, (struct sockaddr *)&peer,
		    len, 0);
	if (admitted)
		n->served++;
	else
		n->refused++;
}

/* The descriptors of MSG, into FDS (PARCEL_FDS_MAX); how many. */
static size_t
received_fds(struct msghdr *msg, int *fds)
{
	struct cmsghdr *cmsg;
	size_t n = 0, k;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > PARCEL_FDS_MAX - n)
			k = PARCEL_FDS_MAX - n;
		memcpy(fds + n, CMSG_DATA(cmsg), k * sizeof(int));
		n += k;
	}
	return n;
}

/*
 * Every message queued in parcel P, to its end (the old echod closed its
 * side).  SERVE: the handover was whole; otherwise each is closed.
 */
static void
restore_parcel(struct echod *ed, int p, int serve, struct restore_counts *n)
{
	uint8_t buf[PARCEL_MSG_MAX + 1];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * PARCEL_FDS_MAX)];
	} control;
	struct parcel_client clients[PARCEL_FDS_MAX];
	int fds[PARCEL_FDS_MAX];
	struct iovec iov;
	struct msghdr msg;
	ssize_t got;
	size_t nfds, sent, i;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		got = recvmsg(p, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;		/* the end (or a parcel still open) */
		nfds = received_fds(&msg, fds);
		/* Past our open-file limit the kernel passes only the first
		 * ones: the records say how many were sent. */
		sent = (msg.msg_flags & MSG_CTRUNC) && got >= 4 ? buf[3] : nfds;
		if (!serve || sent < nfds ||
		    parcel_decode(buf, (size_t)got, sent, clients) == -1) {
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			if (serve)
				n->broken += sent > nfds ? sent : nfds;
			else
				n->unfinished += nfds;
			continue;
		}
		for (i = 0; i < nfds; i++)
			restore_one(ed, fds[i], &clients[i], n);
		n->broken += sent - nfds;
	}
	close(p);
}

void
restore_connections(struct echod *ed, const struct sd_listen *sl)
{
	struct restore_counts n;
	size_t i;

	memset(&n, 0, sizeof(n));
	forget_all(ed, sl);
	for (i = 0; i < sl->nstored; i++) {
		const struct sd_stored *st = &sl->stored[i];

		if (st->name.kind == FDNAME_PARCEL)
			restore_parcel(ed, st->fd,
			    marked(sl, st->name.gen), &n);
		else
			close(st->fd);		/* a mark, or broken */
	}
	if (n.served + n.refused + n.gone > 0)
		log_info("took back %zu connections from the echod before "
		    "this one (%zu refused by --allow/--deny or a limit, %zu "
		    "whose client left during the restart)", n.served,
		    n.refused, n.gone);
	if (n.unfinished > 0)
		log_warnx("closed %zu connections from a handover that never "
		    "finished (the echod before stopped midway): they are "
		    "not trusted", n.unfinished);
	if (n.broken > 0)
		log_warnx("closed %zu connections from systemd's store that "
		    "were not in echod's form (or more than this process may "
		    "open)", n.broken);
}
