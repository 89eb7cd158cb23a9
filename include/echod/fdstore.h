/*
 * fdstore: systemd's file-descriptor store (sd_notify(3): FDSTORE=1,
 * FDNAME=, FDPOLL=0, FDSTOREREMOVE=1), spoken over NOTIFY_SOCKET with our
 * own socket.  A restart hands its connections over in parcels
 * (parcel.h): each worker sends its connections into a Unix socket pair
 * and stores one end, so systemd holds a few descriptors however many
 * connections there are (it compares each new one with every one it
 * holds, and passes all their names in one 128 KiB string).  The next
 * echod removes what it took back.  Blocking, 5 s at most per message (a
 * handover sends a few): it runs only while echod starts or stops, never
 * while it serves.
 */
#ifndef ECHOD_FDSTORE_H
#define ECHOD_FDSTORE_H

#include <stddef.h>

struct fdstore;

/*
 * A store at NOTIFY_SOCKET, or NULL (errno: ENOENT when it is unset,
 * EINVAL when it is not an address, or why the socket failed).
 */
struct fdstore	*fdstore_open(void);
void		 fdstore_close(struct fdstore *);

/* Give systemd a copy of FD under NAME.  0, or -1 with errno. */
int	fdstore_put(struct fdstore *, int fd, const char *name);

struct parcel_client;

/*
 * Store the N connections FDS (their PROXY clients in CLIENTS) in parcels
 * named NAME.  Returns how many went into parcels systemd took (errno
 * says why not all); the caller still closes every one of FDS (systemd's
 * copies live on).
 */
size_t	fdstore_put_conns(struct fdstore *, const char *name, const int *fds,
	    const struct parcel_client *clients, size_t n);

/* Mark handover NAME whole (fdname_done()): its last message. */
int	fdstore_put_mark(struct fdstore *, const char *name);

/* Ask systemd to close and forget every fd stored as NAME. */
int	fdstore_remove(struct fdstore *, const char *name);

/*
 * Wait until systemd has acted on every message sent so far (BARRIER=1):
 * it knows a message's unit by the sender's pid, so an echod that exited
 * first could have its connections dropped.  0, or -1 (timed out, or no
 * answer: errno).
 */
int	fdstore_barrier(struct fdstore *);

#endif
