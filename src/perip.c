/*
 * perip.c: per-address connection counts shared by the accepting thread
 * and the workers (see perip.h for who may do what).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "echod/addr.h"
#include "echod/hash.h"
#include "echod/perip.h"

static size_t
bucket_of(const struct perip *p, const struct addr_ip *key)
{
	return (size_t)hash_sip(&p->key, key, sizeof(*key)) &
	    (p->nbuckets - 1);
}

int
perip_init(struct perip *p, uint64_t limit, size_t expected,
    const struct hash_key *key)
{
	size_t n = 64;

	while (n < expected && n < ((size_t)1 << 22))
		n <<= 1;
	memset(p, 0, sizeof(*p));
	p->key = *key;
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
	struct addr_ip key;
	size_t b;

	*entry = NULL;
	if (addr_ip_of(sa, &key) == -1)
		return 0;		/* Unix: no address to count */
	b = bucket_of(p, &key);
	link = &p->buckets[b];
	while ((e = *link) != NULL) {
		if (memcmp(&e->key, &key, sizeof(key)) == 0) {
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
			return PERIP_NOMEM;
		found->key = key;
		found->next = p->buckets[b];
		p->buckets[b] = found;
		p->entries++;
	}
	if (atomic_load(&found->count) >= p->limit)
		return PERIP_FULL;
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
