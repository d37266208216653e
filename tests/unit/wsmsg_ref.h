/*
 * wsmsg_ref.h: kp_wsmsg_tick_token against a reference built on jansson's
 * tree (shared by tests/unit/wsmsg_diff.c and fuzz/wsmsg.c): the same
 * lines are tick lines, status lines or refused, with the same token.
 * A line with a NUL byte in it is refused by kp_wsmsg_tick_token, where
 * jansson lets one pass right after a number or a literal.
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_WSMSG_REF_H
#define KP_WSMSG_REF_H

#include <jansson.h>
#include <string.h>

#include "kp_wsmsg.h"

/* What ws-fanout did before kp_tickscan: -1, 0 or 1 as documented. */
static int
wr_ref(const char *line, size_t len, uint32_t *token)
{
	json_error_t jerr;
	json_t *o, *t;
	int r = 0;

	o = json_loadb(line, len, 0, &jerr);
	if (o == NULL)
		return -1;
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	t = json_object_get(o, "instrument_token");
	if (json_is_integer(t) && json_integer_value(t) >= 1 &&
	    json_integer_value(t) <= (json_int_t)UINT32_MAX) {
		*token = (uint32_t)json_integer_value(t);
		r = 1;
	}
	json_decref(o);
	return r;
}

/*
 * Check s[0, n) (s[n] == '\0').  Return NULL when kp_wsmsg_tick_token
 * and the reference agree, else what differs; *res is its result.
 */
static const char *
wr_check(const char *s, size_t n, int *res)
{
	char err[KP_ERRLEN];
	uint32_t got = 0, want = 0;
	int r, w;

	err[0] = 0;
	r = kp_wsmsg_tick_token(s, n, &got, err);
	*res = r;
	if (r < 0 && err[0] == 0)
		return "refused without a reason";
	if (memchr(s, 0, n) != NULL)
		return r == -1 ? NULL : "a NUL byte passed";
	w = wr_ref(s, n, &want);
	if (r != w)
		return r == -1 ? "refused what jansson takes" :
		    w == -1 ? "took what jansson refuses" :
		    "token found by one only";
	if (r == 1 && got != want)
		return "another token";
	return NULL;
}

#endif
