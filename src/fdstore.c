/*
 * fdstore.c: systemd's file-descriptor store (see fdstore.h).
 */
#define _GNU_SOURCE		/* pipe2 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echod/fdstore.h"
#include "echod/sdproto.h"

/* A stalled systemd must not hold a restart for ever. */
#define FDSTORE_SEND_SECONDS	5

struct fdstore {
	int			fd;
	atomic_int		stalled;	/* a send timed out */
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
	/* One timeout is enough: a restart must not wait it per fd. */
	if (atomic_load(&fs->stalled)) {
		errno = ETIMEDOUT;
		return -1;
	}
	while (sendmsg(fs->fd, &msg, MSG_NOSIGNAL) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			atomic_store(&fs->stalled, 1);
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
