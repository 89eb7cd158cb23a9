/*
 * fdstore.c: systemd's file-descriptor store (see fdstore.h).
 */
#define _GNU_SOURCE		/* pipe2 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echod/fdname.h"
#include "echod/fdstore.h"
#include "echod/parcel.h"
#include "echod/sdproto.h"

/* A stalled systemd must not hold a restart for ever. */
#define FDSTORE_SEND_SECONDS	5

struct fdstore {
	int			fd;
	struct sockaddr_un	sun;
	socklen_t		sunlen;
};

struct fdstore *
fdstore_open(void)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct timeval tv = { FDSTORE_SEND_SECONDS, 0 };
	struct fdstore *fs;

	if (where == NULL) {
		errno = ENOENT;
		return NULL;
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return NULL;
	if (sdproto_notify_addr(where, &fs->sun, &fs->sunlen) == -1) {
		free(fs);
		errno = EINVAL;
		return NULL;
	}
	/* Blocking, unlike notify.c's: each fd must arrive, in order. */
	fs->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fs->fd == -1 || setsockopt(fs->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1) {
		int saved = errno;

		if (fs->fd != -1)
			close(fs->fd);
		free(fs);
		errno = saved;
		return NULL;
	}
	return fs;
}

void
fdstore_close(struct fdstore *fs)
{
	if (fs == NULL)
		return;
	close(fs->fd);
	free(fs);
}

/* TEXT, with FD (if not -1) attached. */
static int
send_msg(struct fdstore *fs, const char *text, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { (void *)text, strlen(text) };
	struct msghdr msg;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &fs->sun;
	msg.msg_namelen = fs->sunlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	/* Each send waits FDSTORE_SEND_SECONDS at most; a handover makes
	 * few (a parcel or two per worker, in parallel, and the mark). */
	while (sendmsg(fs->fd, &msg, MSG_NOSIGNAL) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
fdstore_put(struct fdstore *fs, int fd, const char *name)
{
	char text[SD_NAME_MAX + 32];

	snprintf(text, sizeof(text), "FDSTORE=1\nFDNAME=%s", name);
	return send_msg(fs, text, fd);
}

/* An eventfd: the cheapest descriptor that is none of the others. */
/*
 * A parcel being filled: IN, ours, to send connections into; OUT, for
 * systemd, whose queue holds them.  Linux caps a socket's send buffer at
 * net.core.wmem_max (212992, doubled) without CAP_NET_ADMIN: about 70
 * full messages, 17,000 connections, then the next parcel.
 */
struct parcel_pair {
	int	in, out;
	size_t	per_msg;	/* connections in one message (one skb) */
};

static int
parcel_open(struct parcel_pair *p)
{
	int sv[2], size = 4 << 20;
	socklen_t len = sizeof(size);
	size_t room;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/*
	 * Linux cuts a stream message at half the send buffer less 64
	 * bytes; one cut in two would part records from their fds.  A
	 * host with a tiny net.core.wmem_max gets smaller messages.
	 */
	if (getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, &len) == -1)
		size = 0;
	room = size > 2 * (64 + 4) ? (size_t)size / 2 - 64 - 4 : 0;
	p->per_msg = room / PARCEL_REC_SIZE;
	if (p->per_msg > PARCEL_FDS_MAX)
		p->per_msg = PARCEL_FDS_MAX;
	if (p->per_msg == 0) {
		close(sv[0]);
		close(sv[1]);
		errno = ENOBUFS;
		return -1;
	}
	p->in = sv[0];
	p->out = sv[1];
	return 0;
}

/* N (at most PARCEL_FDS_MAX) connections into P, whole or not at all.
 * 0, or -1 with errno (EAGAIN: P is full). */
static int
parcel_send(struct parcel_pair *p, const int *fds,
    const struct parcel_client *c, size_t n)
{
	uint8_t buf[PARCEL_MSG_MAX];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * PARCEL_FDS_MAX)];
	} control;
	struct iovec iov = { buf, parcel_encode(buf, c, n) };
	struct msghdr msg;
	struct cmsghdr *cmsg;
	ssize_t sent;

	memset(&msg, 0, sizeof(msg));
	memset(&control, 0, sizeof(control));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
	/* One buffer of at most 5 KiB: Linux sends it whole or not. */
	while ((sent = sendmsg(p->in, &msg, MSG_NOSIGNAL | MSG_DONTWAIT)) ==
	    -1 && errno == EINTR)
		;
	if (sent == -1)
		return -1;
	if ((size_t)sent != iov.iov_len) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Close our end of P, hand systemd the other (it must not watch it:
 * FDPOLL=0), close ours of that.  0, or -1 with errno. */
static int
parcel_store(struct fdstore *fs, struct parcel_pair *p, const char *name)
{
	char text[FDNAME_MAX + 48];
	int rc;

	close(p->in);
	snprintf(text, sizeof(text), "FDSTORE=1\nFDNAME=%s\nFDPOLL=0", name);
	rc = send_msg(fs, text, p->out);
	close(p->out);
	p->in = p->out = -1;
	return rc;
}

size_t
fdstore_put_conns(struct fdstore *fs, const char *name, const int *fds,
    const struct parcel_client *clients, size_t n)
{
	struct parcel_pair p = { -1, -1, 0 };
	size_t done = 0, in_parcel = 0, stored = 0, k;
	int err = 0;

	while (done < n) {
		if (p.in == -1 && parcel_open(&p) == -1) {
			err = errno;
			break;
		}
		k = n - done < p.per_msg ? n - done : p.per_msg;
		if (parcel_send(&p, fds + done, clients + done, k) == 0) {
			done += k;
			in_parcel += k;
			continue;
		}
		if (errno != EAGAIN || in_parcel == 0) {
			err = errno;
			break;
		}
		/* Full: this one goes to systemd, the rest to a new one. */
		if (parcel_store(fs, &p, name) == 0)
			stored += in_parcel;
		else
			err = errno;
		in_parcel = 0;
	}
	if (p.in != -1 && in_parcel > 0) {
		if (parcel_store(fs, &p, name) == 0)
			stored += in_parcel;
		else
			err = errno;
	} else if (p.in != -1) {
		close(p.in);
		close(p.out);
	}
	errno = err;
	return stored;
}

int
fdstore_put_mark(struct fdstore *fs, const char *name)
{
	int fd = eventfd(0, EFD_CLOEXEC), rc;

	if (fd == -1)
		return -1;
	rc = fdstore_put(fs, fd, name);
	close(fd);
	return rc;
}

int
fdstore_remove(struct fdstore *fs, const char *name)
{
	char text[SD_NAME_MAX + 32];

	snprintf(text, sizeof(text), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	return send_msg(fs, text, -1);
}

/* systemd closes the write end it was sent once it reaches BARRIER=1. */
int
fdstore_barrier(struct fdstore *fs)
{
	struct pollfd pfd;
	int p[2], rc;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	rc = send_msg(fs, "BARRIER=1", p[1]);
	close(p[1]);
	if (rc == 0) {
		pfd.fd = p[0];
		pfd.events = 0;			/* POLLHUP is always reported */
		while ((rc = poll(&pfd, 1, FDSTORE_SEND_SECONDS * 1000)) ==
		    -1 && errno == EINTR)
			;
		if (rc == 0)
			errno = ETIMEDOUT;
		rc = rc == 1 && (pfd.revents & POLLHUP) ? 0 : -1;
	}
	close(p[0]);
	return rc;
}
