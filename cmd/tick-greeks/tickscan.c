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
static struct kp_jfields fields;

/*
 * The table is built once, before main (kp_tickscan runs on several
 * threads, and kp_jfields_add computes what finds a key quickly).
 */
__attribute__((constructor)) static void
fields_init(void)
{
	static const char *const names[] = {
		"instrument_token", "last_price", "close",
		"exchange_timestamp", "receive_timestamp", "timestamp",
		"oi", "volume_traded"
	};
	size_t k;

	kp_jfields_init(&fields);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		(void)kp_jfields_add(&fields, names[k], strlen(names[k]));
}

static int
scan(struct kp_tickscan *js, const char *s, size_t n, unsigned flags)
{
	struct kp_jval v[KP_TK_N];
	struct kp_lsres r;
	/* KP_TV_INT, KP_TV_REAL: KP_JN_INT, KP_JN_REAL */
	const struct kp_jcols c = { js->kind, js->num, js->i64 };

	memset(js->kind, 0, sizeof(js->kind));
	js->str = NULL;
	js->slen = 0;
	if (kp_linescan_cols(s, n, &fields, v, &c, KP_LS_JANSSON |
	    KP_LS_VALUES | KP_LS_BEST | KP_LS_SEEN | KP_LS_COLS | flags,
	    &r) < 0) {
		memset(js->kind, 0, sizeof(js->kind));
		js->top = 0;
		js->err = r.why;
		js->col = r.col;
		return -1;
	}
	js->top = r.top;
	js->err = NULL;
	js->col = 0;
	/* the numbers are in; a string timestamp (unless a number after) */
	if ((r.seen >> KP_TK_TS & 1) && js->kind[KP_TK_TS] == KP_TV_NONE &&
	    v[KP_TK_TS].type == KP_J_STRING) {
		js->kind[KP_TK_TS] = KP_TV_STR;
		js->str = v[KP_TK_TS].p;
		js->slen = v[KP_TK_TS].len;
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
