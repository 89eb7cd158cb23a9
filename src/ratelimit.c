/*
 * ratelimit.c: per-source token buckets in a fixed-size table (see
 * ratelimit.h).  Pure: no clock, no sockets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echod/hash.h"
#include "echod/numparse.h"
#include "echod/ratelimit.h"

int
ratelimit_init(struct ratelimit *rl, uint64_t rate, size_t slots,
    const struct hash_key *key)
{
	size_t sets = 1;

	while (sets * RATELIMIT_WAYS < slots)
		sets <<= 1;
	rl->key = *key;
	rl->rate = (double)rate;
	rl->nsets = sets;
	rl->slots = calloc(sets * RATELIMIT_WAYS, sizeof(*rl->slots));
	return rl->slots == NULL ? -1 : 0;
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl->slots);
	rl->slots = NULL;
}

static struct ratelimit_slot *
find_or_evict(struct ratelimit *rl, const struct addr_ip *src,
    uint64_t now_ns)
{
	struct ratelimit_slot *set, *oldest;
	size_t i;

	set = &rl->slots[(hash_sip(&rl->key, src, sizeof(*src)) &
	    (rl->nsets - 1)) * RATELIMIT_WAYS];
	oldest = &set[0];
	for (i = 0; i < RATELIMIT_WAYS; i++) {
		if (set[i].used && memcmp(&set[i].src, src, sizeof(*src)) == 0)
			return &set[i];
		if (!set[i].used ||
		    (oldest->used && set[i].last_ns < oldest->last_ns))
			oldest = &set[i];
	}
	/*
	 * A new source starts with a small credit, not a full bucket:
	 * pushing a source out of its set (by sending from others that
	 * share it) must not refill it.
	 */
	oldest->src = *src;
	oldest->used = 1;
	oldest->tokens = rl->rate < RATELIMIT_FIRST_BURST ? rl->rate :
	    RATELIMIT_FIRST_BURST;
	oldest->last_ns = now_ns;
	return oldest;
}

int
ratelimit_allow(struct ratelimit *rl, const struct addr_ip *src,
    uint64_t now_ns)
{
	struct ratelimit_slot *s = find_or_evict(rl, src, now_ns);

	if (now_ns > s->last_ns) {
		s->tokens += (double)(now_ns - s->last_ns) * rl->rate / 1e9;
		if (s->tokens > rl->rate)
			s->tokens = rl->rate;
		s->last_ns = now_ns;
	}
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}

int
ratelimit_parse(const char *text, uint64_t *rate, char *err, size_t errlen)
{
	char num[32];
	size_t len = strcspn(text, "/");
	const char *why;

	if (len >= sizeof(num) || (text[len] != '\0' &&
	    strcmp(text + len, "/s") != 0)) {
		snprintf(err, errlen, "--udp-rate '%s' is not a rate; write "
		    "datagrams per second per source, e.g. 100/s", text);
		return -1;
	}
	memcpy(num, text, len);
	num[len] = '\0';
	if (num_parse_u64(num, 0, 10000000, rate, &why) == -1) {
		snprintf(err, errlen, "--udp-rate '%s': '%s' %s; give 0 (no "
		    "limit) to 10000000 per second, e.g. 100/s", text, num,
		    why);
		return -1;
	}
	return 0;
}
