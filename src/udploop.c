/*
 * udploop.c: the echo-loop breaker (see udploop.h).
 */
#include <stdlib.h>
#include <string.h>

#include "echod/udploop.h"

#define SIG_BYTES	64	/* from each end of a datagram */

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

int
udploop_check(struct udploop *l, const struct sockaddr *from, uint64_t sig,
    uint64_t now_ns)
{
	struct udploop_slot *s;
	struct addr_ip ip;
	uint16_t port;
	unsigned i;

	if ((s = slot_of(l, from, &ip, &port)) == NULL ||
	    !is_source(s, &ip, port))
		return 0;
	for (i = 0; i < UDPLOOP_RING; i++)
		if (s->sig[i] == sig && s->sent_ns[i] != 0 &&
		    now_ns - s->sent_ns[i] <= UDPLOOP_WINDOW_NS)
			break;
	if (i == UDPLOOP_RING) {
		s->strikes = 0;		/* something new: not a loop */
		return 0;
	}
	if (++s->strikes < UDPLOOP_STRIKES)
		return 0;
	s->strikes = 0;
	return 1;
}

void
udploop_sent(struct udploop *l, const struct sockaddr *from, uint64_t sig,
    uint64_t now_ns)
{
	struct udploop_slot *s;
	struct addr_ip ip;
	uint16_t port;

	if ((s = slot_of(l, from, &ip, &port)) == NULL)
		return;
	if (!is_source(s, &ip, port)) {	/* the slot changes hands */
		memset(s, 0, sizeof(*s));
		s->ip = ip;
		s->port = port;
		s->used = 1;
	}
	s->sig[s->next] = sig;
	s->sent_ns[s->next] = now_ns;
	s->next = (uint8_t)((s->next + 1) % UDPLOOP_RING);
}
