/* backoff.c: exponential backoff with equal jitter. */
/* SPDX-License-Identifier: MIT */
#include "kp.h"

void
kp_backoff_init(struct kp_backoff *b, uint32_t base_ms, uint32_t cap_ms,
    uint64_t seed)
{
	b->base_ms = base_ms;
	b->cap_ms = cap_ms;
	b->attempt = 0;
	kp_rng_seed(&b->rng, seed);
}

/* min(cap, base * 2^n) without overflow. */
static uint32_t
backoff_ceiling(const struct kp_backoff *b, uint32_t n)
{
	uint64_t d;

	if (b->base_ms == 0)
		return 0;
	if (n >= 32)
		return b->cap_ms;
	d = (uint64_t)b->base_ms << n;
	return d < b->cap_ms ? (uint32_t)d : b->cap_ms;
}

uint32_t
kp_backoff_next(struct kp_backoff *b)
{
	uint32_t d, lo;

	d = backoff_ceiling(b, b->attempt);
	if (b->attempt < UINT32_MAX)
		b->attempt++;
	lo = d / 2;
	return lo + (uint32_t)kp_rng_below(&b->rng, (uint64_t)(d - lo) + 1);
}

void
kp_backoff_reset(struct kp_backoff *b)
{
	b->attempt = 0;
}
