/*
 * udploop.c: the echo-loop breaker (see udploop.h).
 */
#include <stdlib.h>
#include <string.h>

#include "echod/udploop.h"

#define SIG_BYTES	64	/* from each end of a datagram */
#define GEN_NS		(UDPLOOP_WINDOW_NS / 2)
#define BLOOM_MASK	(UDPLOOP_BLOOM_BITS - 1)

int
udploop_init(struct udploop *l, const struct hash_key *key)
{
	l->key = *key;
	l->slots = calloc(UDPLOOP_SLOTS, sizeof(*l->slots));
	return l->slots == NULL ? -1 : 0;
}

void
udploop_free(struct udploop *l)
{
	free(l->slots);
	l->slots = NULL;
}

uint64_t
udploop_sig(const struct udploop *l, const void *data, size_t len)
{
	uint8_t buf[8 + 2 * SIG_BYTES];
	size_t head = len < SIG_BYTES ? len : SIG_BYTES;
	size_t tail = len - head < SIG_BYTES ? len - head : SIG_BYTES;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &len, sizeof(len) < 8 ? sizeof(len) : 8);
	memcpy(buf + 8, data, head);
	memcpy(buf + 8 + head, (const uint8_t *)data + len - tail, tail);
	return hash_sip(&l->key, buf, 8 + head + tail);
}

/* FROM's slot, or NULL if FROM is not an IP source. */
static struct udploop_slot *
slot_of(struct udploop *l, const struct sockaddr *from, struct addr_ip *ip,
    uint16_t *port)
{
	uint8_t key[sizeof(*ip) + 2];

	if (l->slots == NULL || addr_ip_of(from, ip) == -1)
		return NULL;
	*port = (uint16_t)addr_port(from);
	memcpy(key, ip, sizeof(*ip));
	memcpy(key + sizeof(*ip), port, 2);
	return &l->slots[hash_sip(&l->key, key, sizeof(key)) %
	    UDPLOOP_SLOTS];
}

static int
is_source(const struct udploop_slot *s, const struct addr_ip *ip,
    uint16_t port)
{
	return s->used && s->port == port &&
	    memcmp(&s->ip, ip, sizeof(*ip)) == 0;
}

/* Start a new Bloom generation every GEN_NS: the two cover between half
 * a window and a whole window back. */
static void
bloom_age(struct udploop_slot *s, uint64_t now_ns)
{
	if (now_ns - s->gen_ns < GEN_NS)
		return;
	if (now_ns - s->gen_ns >= 2 * GEN_NS) {	/* both are too old */
		memset(s->bloom, 0, sizeof(s->bloom));
		s->added[0] = s->added[1] = 0;
	} else {
		s->cur ^= 1;
		memset(s->bloom[s->cur], 0, sizeof(s->bloom[s->cur]));
		s->added[s->cur] = 0;
	}
	s->gen_ns = now_ns;
}

/* Three bit positions from the (keyed) signature. */
static unsigned
bloom_bit(uint64_t sig, int k)
{
	return (unsigned)(sig >> (21 * k)) & BLOOM_MASK;
}

static int
bloom_has(const struct udploop_slot *s, int g, uint64_t sig)
{
	int k;

	if (s->added[g] == 0 || s->added[g] > UDPLOOP_BLOOM_MAX)
		return 0;
	for (k = 0; k < 3; k++)
		if (!(s->bloom[g][bloom_bit(sig, k) / 64] &
		    (1ULL << (bloom_bit(sig, k) % 64))))
			return 0;
	return 1;
}

/* Among the last UDPLOOP_RING replies, within the window? */
static int
ring_has(const struct udploop_slot *s, uint64_t sig, uint64_t now_ns)
{
	unsigned i;

	for (i = 0; i < UDPLOOP_RING; i++)
		if (s->sig[i] == sig && s->sent_ns[i] != 0 &&
		    now_ns - s->sent_ns[i] <= UDPLOOP_WINDOW_NS)
			return 1;
	return 0;
}

int
udploop_check(struct udploop *l, const struct sockaddr *from, uint64_t sig,
    uint64_t now_ns)
{
	struct udploop_slot *s;
	struct addr_ip ip;
	uint16_t port;

	if ((s = slot_of(l, from, &ip, &port)) == NULL ||
	    !is_source(s, &ip, port))
		return 0;
	bloom_age(s, now_ns);
	if (!ring_has(s, sig, now_ns) && !bloom_has(s, 0, sig) &&
	    !bloom_has(s, 1, sig)) {
		s->strikes = 0;		/* something new: not a loop */
		return 0;
	}
	if (s->strikes == 0) {
		s->run_sig = sig;
		s->mixed = 0;
	} else if (sig != s->run_sig)
		s->mixed = 1;
	if (++s->strikes < UDPLOOP_STRIKES)
		return 0;
	/* Several loops: stay at the threshold, so the next echo goes too. */
	s->strikes = s->mixed ? UDPLOOP_STRIKES - 1 : 0;
	return 1;
}

void
udploop_sent(struct udploop *l, const struct sockaddr *from, uint64_t sig,
    uint64_t now_ns)
{
	struct udploop_slot *s;
	struct addr_ip ip;
	uint16_t port;
	int k;

	if ((s = slot_of(l, from, &ip, &port)) == NULL)
		return;
	if (!is_source(s, &ip, port)) {	/* the slot changes hands */
		memset(s, 0, sizeof(*s));
		s->ip = ip;
		s->port = port;
		s->used = 1;
		s->gen_ns = now_ns;
	}
	s->sig[s->next] = sig;
	s->sent_ns[s->next] = now_ns;
	s->next = (uint8_t)((s->next + 1) % UDPLOOP_RING);
	bloom_age(s, now_ns);
	if (s->added[s->cur] <= UDPLOOP_BLOOM_MAX)
		s->added[s->cur]++;
	for (k = 0; k < 3; k++)
		s->bloom[s->cur][bloom_bit(sig, k) / 64] |=
		    1ULL << (bloom_bit(sig, k) % 64);
}
