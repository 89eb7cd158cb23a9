/*
 * fdname.c: names for what a restart leaves in systemd's store (see
 * fdname.h).  A name is parsed only in the exact form this file writes,
 * so the text a process sends to remove one (FDSTOREREMOVE=1) is the
 * text it received.
 */
#include <stdio.h>
#include <string.h>

#include "echod/fdname.h"

#define PARCEL_PREFIX	"echod-parcel."
#define DONE_PREFIX	"echod-done."
#define GEN_DIGITS	16

static void
put(char *buf, const char *prefix, uint64_t gen)
{
	snprintf(buf, FDNAME_MAX, "%s%016llx", prefix,
	    (unsigned long long)gen);
}

void
fdname_parcel(char *buf, uint64_t gen)
{
	put(buf, PARCEL_PREFIX, gen);
}

void
fdname_done(char *buf, uint64_t gen)
{
	put(buf, DONE_PREFIX, gen);
}

/* Exactly 16 lowercase hex digits at P, then the end. */
static int
get_gen(const char *p, uint64_t *gen)
{
	int i;

	*gen = 0;
	for (i = 0; i < GEN_DIGITS; i++) {
		const char *d = p[i] == '\0' ? NULL :
		    strchr("0123456789abcdef", p[i]);

		if (d == NULL)
			return -1;
		*gen = *gen << 4 | (uint64_t)(d - "0123456789abcdef");
	}
	return p[GEN_DIGITS] == '\0' ? 0 : -1;
}

enum fdname_kind
fdname_parse(const char *name, struct fdname *out)
{
	const char *p;
	enum fdname_kind kind;

	memset(out, 0, sizeof(*out));
	if (strncmp(name, PARCEL_PREFIX, strlen(PARCEL_PREFIX)) == 0) {
		kind = FDNAME_PARCEL;
		p = name + strlen(PARCEL_PREFIX);
	} else if (strncmp(name, DONE_PREFIX, strlen(DONE_PREFIX)) == 0) {
		kind = FDNAME_DONE;
		p = name + strlen(DONE_PREFIX);
	} else
		return out->kind = FDNAME_OTHER;
	if (get_gen(p, &out->gen) == -1) {
		out->gen = 0;
		return out->kind = FDNAME_BROKEN;
	}
	return out->kind = kind;
}
