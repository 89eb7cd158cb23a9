/*
 * perip: connections per client address, for --max-conns-per-ip, across
 * worker threads.  The accepting thread alone looks up, creates, counts up
 * and frees records; the worker that owns a connection counts its record
 * down (an atomic) when it closes.  A record at zero is referenced by no
 * connection, so the accepting thread may free it: it does so as it walks
 * the hash chains, and memory follows the live addresses, not all seen.
 */
#ifndef ECHOD_PERIP_H
#define ECHOD_PERIP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "echod/addr.h"
#include "echod/hash.h"

struct perip_entry {
	struct perip_entry	*next;
	struct addr_ip		 key;
	_Atomic uint64_t	 count;
};

struct perip {
	struct hash_key		  key;		/* chains stay short */
	struct perip_entry	**buckets;
	size_t			  nbuckets;	/* power of two */
	size_t			  entries;
	uint64_t		  limit;
};

int	perip_init(struct perip *p, uint64_t limit, size_t expected,
	    const struct hash_key *key);
void	perip_free(struct perip *p);

#define PERIP_FULL	(-1)	/* the address is at its limit */
#define PERIP_NOMEM	(-2)	/* no memory for a new record */

/*
 * Accepting thread: count a new connection from SA.  Returns 0 and sets
 * *ENTRY (NULL for Unix sockets, which have no address), or PERIP_FULL or
 * PERIP_NOMEM: the connection must be refused.
 */
int	perip_acquire(struct perip *p, const struct sockaddr *sa,
	    struct perip_entry **entry);

/* Any thread: that connection closed. */
void	perip_release(struct perip_entry *entry);

#endif
