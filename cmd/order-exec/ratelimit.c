/* ratelimit.c: sliding-window limits for Kite's orders (10/s, 400/min,
 * 5000/day by default: kite-connect.md 2.5). */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "oe.h"

static void
window_init(struct oe_window *w, long n, int64_t period_ms)
{
	if (n > OE_WINDOW_MAX)
		n = OE_WINDOW_MAX;
	w->n = n > 0 ? n : 0;
	w->t = w->n ? kp_xcalloc((size_t)w->n, sizeof(*w->t)) : NULL;
	w->head = w->count = 0;
	w->period_ms = period_ms;
}

void
oe_limits_init(struct oe_limits *l, long per_s, long per_min, long per_day)
{
	window_init(&l->w[0], per_s, 1000);
	window_init(&l->w[1], per_min, 60000);
	window_init(&l->w[2], per_day, 86400000);
}

void
oe_limits_free(struct oe_limits *l)
{
	int i;

	for (i = 0; i < OE_NWINDOWS; i++) {
		free(l->w[i].t);
		l->w[i].t = NULL;
	}
}

int64_t
oe_limits_wait(const struct oe_limits *l, int64_t now_ms)
{
	int64_t wait = 0, age;
	int i;

	for (i = 0; i < OE_NWINDOWS; i++) {
		const struct oe_window *w = &l->w[i];

		if (w->n == 0 || w->count < w->n)
			continue;
		/* full: the oldest of the last n is at head */
		age = now_ms - w->t[w->head];
		if (age < w->period_ms && w->period_ms - age > wait)
			wait = w->period_ms - age;
	}
	return wait;
}

static void
push(struct oe_window *w, int64_t now_ms)
{
	w->t[w->head] = now_ms;
	w->head = (w->head + 1) % w->n;
	if (w->count < w->n)
		w->count++;
}

void
oe_limits_take(struct oe_limits *l, int64_t now_ms)
{
	int i;

	for (i = 0; i < OE_NWINDOWS; i++)
		if (l->w[i].n > 0)
			push(&l->w[i], now_ms);
}

void
oe_limits_drain(struct oe_limits *l, int64_t now_ms)
{
	struct oe_window *w = &l->w[0];
	long i;

	for (i = 0; i < w->n; i++)
		push(w, now_ms);
}
