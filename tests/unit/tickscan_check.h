/*
 * tickscan_check.h: kp_tickscan against jansson's json_loadb(s, n, 0) on one
 * line (shared by tests/unit/tickscan.c and fuzz/tickscan.c): both accept or
 * both reject (but see the NUL byte below), and what kp_tickscan picks is what tick-greeks read from
 * jansson's tree; and kp_tickscan (fast path first) against
 * kp_tickscan_full (the general scanner alone): the same result, error
 * and column, and the same values picked.
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_TICKSCAN_CHECK_H
#define KP_TICKSCAN_CHECK_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kp_tickscan.h"

static const char *const jc_keys[KP_TK_N] = {
	"instrument_token", "last_price", "close", "exchange_timestamp",
	"receive_timestamp", "timestamp", "oi", "volume_traded", NULL, NULL
};

/* One picked member: NULL when both agree, else what differs. */
static const char *
jc_member(const struct kp_tickscan *js, int k, json_t *v)
{
	char buf[256];
	size_t n;

	if (json_is_integer(v)) {
		double d = (double)json_integer_value(v);

		if (js->kind[k] != KP_TV_INT ||
		    js->i64[k] != json_integer_value(v) ||
		    memcmp(&js->num[k], &d, sizeof(d)) != 0)
			return "integer member";
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		if (js->kind[k] != KP_TV_REAL ||
		    memcmp(&js->num[k], &d, sizeof(d)) != 0)
			return "real member";
	} else if (k == KP_TK_TS && json_is_string(v)) {
		if (js->kind[k] != KP_TV_STR)
			return "string member";
		n = kp_tickscan_str(js->str, js->slen, buf, sizeof(buf));
		if (n == (size_t)-1 ? json_string_length(v) < sizeof(buf) - 1 :
		    n != json_string_length(v) || memcmp(buf,
		    json_string_value(v), n) != 0)
			return "string value";
	} else if (js->kind[k] != KP_TV_NONE)
		return "absent member";
	return NULL;
}

/*
 * Check s[0, n) (s[n] == '\0').  Return NULL when kp_tickscan and jansson
 * agree, else what differs; *accepted tells whether the line is JSON.
 */
static const char *
jc_check(const char *s, size_t n, int *accepted)
{
	struct kp_tickscan js;
	json_error_t je;
	json_t *o = json_loadb(s, n, 0, &je), *d;
	const char *why = NULL;
	int r = kp_tickscan(&js, s, n), k;

	*accepted = o != NULL;
	/*
	 * The one difference allowed: kp_tickscan rejects every NUL byte,
	 * where jansson lets one through right after a number or a literal
	 * (its unget of the NUL reads as "buffer empty").
	 */
	if (o != NULL && r != 0 && memchr(s, '\0', n) != NULL) {
		json_decref(o);
		return NULL;
	}
	/* the fast path and the full scanner alone agree on everything */
	{
		struct kp_tickscan f;
		int rf = kp_tickscan_full(&f, s, n);

		if (rf != r || f.top != js.top || memcmp(f.kind, js.kind,
		    sizeof(f.kind)) != 0 || (r < 0 && (f.col != js.col ||
		    strcmp(f.err, js.err) != 0)) || f.str != js.str ||
		    f.slen != js.slen) {
			json_decref(o);
			return "kp_tickscan_full differs from kp_tickscan";
		}
		for (k = 0; k < KP_TK_N; k++)
			if ((f.kind[k] == KP_TV_INT && f.i64[k] != js.i64[k]) ||
			    ((f.kind[k] == KP_TV_INT || f.kind[k] ==
			    KP_TV_REAL) && memcmp(&f.num[k], &js.num[k],
			    sizeof(f.num[k])) != 0)) {
				json_decref(o);
				return "kp_tickscan_full picks another value";
			}
	}
	if ((o != NULL) != (r == 0)) {
		json_decref(o);
		return o != NULL ? "jansson accepts, kp_tickscan rejects" :
		    "kp_tickscan accepts, jansson rejects";
	}
	if (o == NULL)
		return js.err != NULL && js.col >= 1 && js.col <= n + 1 ?
		    NULL : "error without message or column";
	if (js.top != (json_is_object(o) ? '{' : '['))
		why = "top";
	for (k = 0; why == NULL && k < KP_TK_N; k++) {
		json_t *v;

		if (k == KP_TK_BID || k == KP_TK_ASK) {
			d = json_object_get(o, "depth");
			v = json_object_get(json_array_get(json_object_get(d,
			    k == KP_TK_BID ? "buy" : "sell"), 0), "price");
		} else
			v = json_object_get(o, jc_keys[k]);
		why = jc_member(&js, k, v);
	}
	json_decref(o);
	return why;
}

#endif
