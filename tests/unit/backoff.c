/* backoff.c: equal jitter within [d/2, d], the cap, reset, overflow. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "kp.h"
#include "t.h"

/* The ceiling d of attempt n, computed the slow, obvious way. */
static uint64_t
ceiling(uint64_t base, uint64_t cap, unsigned n)
{
	uint64_t d = base;

	while (n-- > 0 && d < cap)
		d *= 2;
	return d < cap ? d : cap;
}

static void
test_growth(void)
{
	struct kp_backoff b;
	uint64_t d, prev_d = 0, got;
	unsigned n;
	int inside = 1, grows = 1;

	kp_backoff_init(&b, 100, 30000, 1);
	for (n = 0; n < 40; n++) {
		d = ceiling(100, 30000, n);
		got = kp_backoff_next(&b);
		if (got < d / 2 || got > d) {
			t_diag("attempt %u: %llu not in [%llu, %llu]", n,
			    (unsigned long long)got,
			    (unsigned long long)(d / 2),
			    (unsigned long long)d);
			inside = 0;
		}
		grows = grows && d >= prev_d;
		prev_d = d;
	}
	t_ok(inside, "every delay within [d/2, d]");
	t_ok(grows, "the ceiling never decreases");
	T_EQ_INT(b.attempt, 40, "attempts counted");
	kp_backoff_reset(&b);
	T_EQ_INT(b.attempt, 0, "reset");
	got = kp_backoff_next(&b);
	t_ok(got >= 50 && got <= 100, "after reset back to [base/2, base]");
}

static void
test_cap(void)
{
	struct kp_backoff b;
	uint32_t got, max = 0, min = UINT32_MAX;
	int n;

	kp_backoff_init(&b, 250, 60000, 7);
	for (n = 0; n < 1000; n++) {
		got = kp_backoff_next(&b);
		if (n >= 900) {
			max = got > max ? got : max;
			min = got < min ? got : min;
		}
	}
	t_ok(max <= 60000, "attempt 1000 never above cap (max %u)", max);
	t_ok(min >= 30000, "capped delays stay in [cap/2, cap] (min %u)", min);
	t_ok(max > min, "capped delays still jitter");
	kp_backoff_init(&b, UINT32_MAX, UINT32_MAX, 3);
	for (n = 0; n < 100; n++)
		got = kp_backoff_next(&b);
	t_ok(got >= UINT32_MAX / 2, "base * 2^n overflow guarded");
	kp_backoff_init(&b, 1000, 500, 3);
	got = kp_backoff_next(&b);
	t_ok(got >= 250 && got <= 500, "cap below base wins");
}

static void
test_jitter(void)
{
	struct kp_backoff a, b;
	int n, differ = 0;

	kp_backoff_init(&a, 1000, 60000, 1);
	kp_backoff_init(&b, 1000, 60000, 2);
	for (n = 0; n < 10; n++)
		differ += kp_backoff_next(&a) != kp_backoff_next(&b);
	t_ok(differ >= 8, "two clients do not retry in step (%d/10)", differ);
}

int
main(void)
{
	test_growth();
	test_cap();
	test_jitter();
	return t_done();
}
