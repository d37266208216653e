/*
 * breaker.c: a circuit breaker over consecutive transient failures
 * (network errors, 429, 5xx, unknown outcomes).  Closed: requests go.
 * `threshold` failures in a row open it: nothing is sent for cooldown_ms.
 * Then half-open: one probe goes; its success closes the breaker, its
 * failure opens it again for another cooldown.
 */
/* SPDX-License-Identifier: MIT */
#include "oe.h"

void
oe_breaker_init(struct oe_breaker *b, int threshold, int64_t cooldown_ms)
{
	b->state = OE_BR_CLOSED;
	b->fails = 0;
	b->threshold = threshold > 0 ? threshold : 1;
	b->cooldown_ms = cooldown_ms;
	b->until_ms = 0;
	b->probing = 0;
	b->opened = 0;
}

int
oe_breaker_state(struct oe_breaker *b, int64_t now_ms)
{
	if (b->state == OE_BR_OPEN && now_ms >= b->until_ms) {
		b->state = OE_BR_HALF;
		b->probing = 0;
	}
	return b->state;
}

int
oe_breaker_allow(struct oe_breaker *b, int64_t now_ms)
{
	switch (oe_breaker_state(b, now_ms)) {
	case OE_BR_CLOSED:
		return 1;
	case OE_BR_HALF:
		if (b->probing)
			return 0;
		b->probing = 1;
		return 1;
	}
	return 0;
}

int64_t
oe_breaker_wait(struct oe_breaker *b, int64_t now_ms)
{
	if (oe_breaker_state(b, now_ms) == OE_BR_OPEN)
		return b->until_ms - now_ms;
	return 0;
}

void
oe_breaker_success(struct oe_breaker *b)
{
	b->state = OE_BR_CLOSED;
	b->fails = 0;
	b->probing = 0;
}

int
oe_breaker_failure(struct oe_breaker *b, int64_t now_ms)
{
	b->fails++;
	if (b->state == OE_BR_HALF || (b->state == OE_BR_CLOSED &&
	    b->fails >= b->threshold)) {
		b->state = OE_BR_OPEN;
		b->until_ms = now_ms + b->cooldown_ms;
		b->probing = 0;
		b->opened++;
		return 1;
	}
	return 0;
}

const char *
oe_breaker_name(int state)
{
	switch (state) {
	case OE_BR_CLOSED: return "closed";
	case OE_BR_OPEN: return "open";
	case OE_BR_HALF: return "half-open";
	}
	return "?";
}
