/*
 * hash: SipHash-2-4, a keyed hash for tables whose keys an outside party
 * chooses (client addresses).  With a key drawn at start-up nobody can
 * find colliding addresses in advance, so a table's chains and sets stay
 * short whatever the peers send.  Pure: the caller supplies the key.
 */
#ifndef ECHOD_HASH_H
#define ECHOD_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash_key {
	uint64_t	k0, k1;
};

uint64_t	hash_sip(const struct hash_key *key, const void *data,
		    size_t len);

#endif
