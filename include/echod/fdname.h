/*
 * fdname: the names echod gives what it leaves in systemd's file
 * descriptor store at a restart (FDNAME=, read back from LISTEN_FDNAMES),
 * so that the next process tells them from its listeners and from an
 * older process's leftovers.  Pure: no socket is touched.
 *
 *	echod-parcel.GEN	a Unix socket whose queue holds connections
 *				(parcel.h), any number of them per handover
 *	echod-done.GEN		stored last: handover GEN is whole
 *
 * GEN (16 hex digits) is new for every handover.  A few names per
 * handover, however many connections: systemd passes every name in one
 * environment string, which Linux caps at 128 KiB.
 */
#ifndef ECHOD_FDNAME_H
#define ECHOD_FDNAME_H

#include <stdint.h>

#define FDNAME_MAX	32	/* the longest name above, and its NUL */

enum fdname_kind {
	FDNAME_OTHER,		/* not ours: a listener */
	FDNAME_PARCEL,
	FDNAME_DONE,
	FDNAME_BROKEN,		/* ours by its prefix, but malformed */
};

struct fdname {
	enum fdname_kind	kind;
	uint64_t		gen;
};

/* The name of a parcel, and of the mark, of handover GEN into BUF
 * (FDNAME_MAX bytes). */
void	fdname_parcel(char *buf, uint64_t gen);
void	fdname_done(char *buf, uint64_t gen);

/* What NAME is; only the exact forms above are ours. */
enum fdname_kind fdname_parse(const char *name, struct fdname *out);

#endif
