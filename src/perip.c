/*
 * perip.c: per-address connection counts shared by the accepting thread
 * and the workers (see perip.h for who may do what).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "echod/perip.h"

static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

/* family byte + 16 address bytes; IPv4-mapped IPv6 counts as IPv4. */
static int
make_key(const struct sockaddr *sa, uint8_t key[17])
{
	const uint8_t *a;

	memset(key, 0, 17);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (memcmp(a, v4mapped, 12) == 0) {
		key[0] = 4;
		memcpy(key + 1, a + 12, 4);
	} else {
		key[0] = 6;
		memcpy(key + 1, a, 16);
	}
	return 0;
}

static size_t
bucket_of(const struct perip *p, const uint8_t key[17])
{
	uint64_t h = 1469598103934665603ULL;
	int i;

	for (i = 0; i < 17; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29)) & (p->nbuckets - 1);
}

int
perip_init(struct perip *p, uint64_t limit, size_t expected)
{
	size_t n = 64;

	while (n < expected && n < ((size_t)1 << 22))
		n <<= 1;
	memset(p, 0, sizeof(*p));
	p->limit = limit;
	p->nbuckets = n;
	p->buckets = calloc(n, sizeof(*p->buckets));
	return p->buckets == NULL ? -1 : 0;
}

void
perip_free(struct perip *p)
{
	struct perip_entry *e, *next;
	size_t i;

	for (i = 0; p->buckets != NULL && i < p->nbuckets; i++)
		for (e = p->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(p->buckets);
	memset(p, 0, sizeof(*p));
}

int
perip_acquire(struct perip *p, const struct sockaddr *sa,
    struct perip_entry **entry)
{
	struct perip_entry **link, *e, *found = NULL;
	uint8_t key[17];

	*entry = NULL;
	if (make_key(sa, key) == -1)
		return 0;		/* Unix: no address to count */
	link = &p->buckets[bucket_of(p, key)];
	while ((e = *link) != NULL) {
		if (memcmp(e->key, key, 17) == 0) {
			found = e;
			link = &e->next;
		} else if (atomic_load(&e->count) == 0) {
			*link = e->next;	/* no one holds it: sweep */
			free(e);
			p->entries--;
		} else
			link = &e->next;
	}
	if (found == NULL) {
		if ((found = calloc(1, sizeof(*found))) == NULL)
			return -1;
		memcpy(found->key, key, 17);
		found->next = p->buckets[bucket_of(p, key)];
		p->buckets[bucket_of(p, key)] = found;
		p->entries++;
	}
	if (atomic_load(&found->count) >= p->limit)
		return -1;
	atomic_fetch_add(&found->count, 1);
	*entry = found;
	return 0;
}

void
perip_release(struct perip_entry *entry)
{
	if (entry != NULL)
		atomic_fetch_sub(&entry->count, 1);
}
