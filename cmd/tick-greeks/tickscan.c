/*
 * tickscan.c: tick-greeks' view of a tick line, from the one scanner
 * (lib/linescan.c): jansson's rules, the members it reads and the best
 * prices.  See kp_tickscan.h.
 */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_linescan.h"
#include "kp_tickscan.h"

/* The members picked, in KP_TK_* order (then the best prices). */
static const struct kp_jfields fields = {
	.n = 6,
	.lens = 1ull << 16 | 1ull << 10 | 1ull << 5 | 1ull << 18 |
	    1ull << 17 | 1ull << 9,
	.bylen = { [16] = 1, [10] = 2, [5] = 3, [18] = 4, [17] = 5, [9] = 6 },
	.f = {
		{ 16, "instrument_token" },
		{ 10, "last_price" },
		{ 5, "close" },
		{ 18, "exchange_timestamp" },
		{ 17, "receive_timestamp" },
		{ 9, "timestamp" },
	}
};

static int
scan(struct kp_tickscan *js, const char *s, size_t n, unsigned flags)
{
	struct kp_jval v[KP_TK_N];
	struct kp_lsres r;
	int k;

	if (kp_linescan(s, n, &fields, v, KP_LS_JANSSON | KP_LS_VALUES |
	    KP_LS_BEST | flags, &r) < 0) {
		memset(js->kind, 0, sizeof(js->kind));
		js->top = 0;
		js->str = NULL;
		js->slen = 0;
		js->err = r.why;
		js->col = r.col;
		return -1;
	}
	js->top = r.top;
	js->err = NULL;
	js->col = 0;
	js->str = NULL;
	js->slen = 0;
	for (k = 0; k < KP_TK_N; k++) {
		js->kind[k] = KP_TV_NONE;
		if (v[k].type == KP_J_NUMBER) {
			js->kind[k] = v[k].nkind == KP_JN_INT ? KP_TV_INT :
			    KP_TV_REAL;
			js->num[k] = v[k].num;
			js->i64[k] = v[k].i64;
		} else if (k == KP_TK_TS && v[k].type == KP_J_STRING) {
			js->kind[k] = KP_TV_STR;
			js->str = v[k].p;
			js->slen = v[k].len;
		}
	}
	return 0;
}

int
kp_tickscan(struct kp_tickscan *js, const char *s, size_t n)
{
	return scan(js, s, n, 0);
}

int
kp_tickscan_full(struct kp_tickscan *js, const char *s, size_t n)
{
	return scan(js, s, n, KP_LS_SLOW);
}

size_t
kp_tickscan_str(const char *raw, size_t n, char *dst, size_t cap)
{
	long k = kp_json_unescape(raw, n, dst, cap - 1);

	if (k < 0) {
		dst[0] = '\0';	/* a prefix: the empty one */
		return (size_t)-1;
	}
	dst[k] = '\0';
	return (size_t)k;
}
