/* ratelimit.c: token buckets for Kite's order limits (10/s, 400/min,
 * 5000/day by default: kite-connect.md 2.5). */
/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "oe.h"

void
oe_bucket_init(struct oe_bucket *b, double cap, int64_t period_ms,
    int64_t now_ms)
{
	b->cap = cap;
	b->tokens = cap;
	b->per_ms = cap > 0 && period_ms > 0 ? cap / (double)period_ms : 0;
	b->last_ms = now_ms;
}

static void
refill(struct oe_bucket *b, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->per_ms;
		if (b->tokens > b->cap)
			b->tokens = b->cap;
		b->last_ms = now_ms;
	}
}

void
oe_limits_init(struct oe_limits *l, long per_s, long per_min, long per_day,
    int64_t now_ms)
{
	oe_bucket_init(&l->b[0], (double)per_s, 1000, now_ms);
	oe_bucket_init(&l->b[1], (double)per_min, 60000, now_ms);
	oe_bucket_init(&l->b[2], (double)per_day, 86400000, now_ms);
}

int64_t
oe_limits_wait(struct oe_limits *l, int64_t now_ms)
{
	int64_t w = 0, x;
	int i;

	for (i = 0; i < OE_NBUCKETS; i++) {
		struct oe_bucket *b = &l->b[i];

		if (b->cap <= 0)
			continue;
		refill(b, now_ms);
		if (b->tokens >= 1.0)
			continue;
		x = (int64_t)ceil((1.0 - b->tokens) / b->per_ms);
		if (x < 1)
			x = 1;
		if (x > w)
			w = x;
	}
	return w;
}

void
oe_limits_take(struct oe_limits *l, int64_t now_ms)
{
	int i;

	for (i = 0; i < OE_NBUCKETS; i++) {
		if (l->b[i].cap <= 0)
			continue;
		refill(&l->b[i], now_ms);
		l->b[i].tokens -= 1.0;
	}
}

void
oe_limits_drain(struct oe_limits *l, int64_t now_ms)
{
	if (l->b[0].cap <= 0)
		return;
	refill(&l->b[0], now_ms);
	if (l->b[0].tokens > 0)
		l->b[0].tokens = 0;
}
