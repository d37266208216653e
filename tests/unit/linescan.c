/*
 * linescan.c: kp_linescan (lib/linescan.c): the spans and values it
 * picks, with its fast path and without (KP_LS_SLOW), the best prices,
 * the flags' checks and wording.
 */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_linescan.h"
#include "t.h"

static struct kp_jfields tab;
static struct kp_jval v[KP_JFIELDS_MAX + 2];
static struct kp_lsres res;

/* Scan line with flags, fast path first and then without: the same. */
static int
scan(const char *line, unsigned flags)
{
	struct kp_jval w[KP_JFIELDS_MAX + 2];
	struct kp_lsres rw;
	size_t i, n = tab.n + ((flags & KP_LS_BEST) ? 2 : 0);
	int r = kp_linescan(line, strlen(line), &tab, w, flags | KP_LS_SLOW,
	    &rw);

	if (kp_linescan(line, strlen(line), &tab, v, flags, &res) != r) {
		t_diag("fast and slow differ on %s", line);
		return -2;
	}
	for (i = 0; r == 0 && i < n; i++)
		if (v[i].type != w[i].type || (v[i].type != KP_J_ABSENT &&
		    i < tab.n && (v[i].p != w[i].p || v[i].len != w[i].len)) ||
		    (v[i].type == KP_J_NUMBER && (flags & KP_LS_VALUES) &&
		    v[i].num != w[i].num)) {
			t_diag("fast and slow pick differently on %s", line);
			return -2;
		}
	if (r < 0 && (rw.col != res.col || strcmp(rw.why, res.why) != 0))
		return -2;
	return r;
}

static const char *
span(int i)
{
	static char buf[256];

	if (v[i].type == KP_J_ABSENT)
		return "(absent)";
	memcpy(buf, v[i].p, v[i].len);
	buf[v[i].len] = '\0';
	return buf;
}

static void
test_spans(void)
{
	int tok, ts, o, lp;

	kp_jfields_init(&tab);
	tok = kp_jfields_add(&tab, "instrument_token", 16);
	ts = kp_jfields_add(&tab, "timestamp", 9);
	o = kp_jfields_add(&tab, "ohlc", 4);
	lp = kp_jfields_add(&tab, "last_price", 10);
	T_EQ_INT(scan("{\"instrument_token\":{\"x\":1},\"ohlc\":[1,{\"a\":2}],"
	    "\"timestamp\":\"2025-01-02 09:15:00\",\"last_price\":-12.5}",
	    KP_LS_VALUES), 0, "a tick");
	T_EQ_STR(span(tok), "{\"x\":1}", "an object's span");
	T_EQ_INT(v[tok].type, KP_J_OBJECT, "an object");
	T_EQ_STR(span(o), "[1,{\"a\":2}]", "an array's span");
	T_EQ_STR(span(ts), "2025-01-02 09:15:00", "a string's contents");
	T_EQ_STR(span(lp), "-12.5", "a number as written");
	T_NEAR(v[lp].num, -12.5, 0, "its value");
	T_EQ_INT(scan("{\"instrument_token\":7,\"instrument_token\":8}",
	    KP_LS_VALUES), 0, "repeated");
	T_EQ_INT(v[tok].i64, 8, "the last repeated key counts");
	T_EQ_INT(v[tok].nkind, KP_JN_INT, "an integer");
	T_EQ_INT(scan("{\"instrument_\\u0074oken\":9}", KP_LS_VALUES), 0,
	    "an escaped key");
	T_EQ_INT(v[tok].i64, 9, "matches decoded");
	T_EQ_INT(scan("[1]", KP_LS_JANSSON), 0, "an array: jansson's rules");
	T_EQ_INT(res.top, '[', "top");
	T_EQ_INT(scan("[1]", 0), -1, "kp_jscan's: not an object");
	T_EQ_STR(res.why, "not a JSON object", "its wording");
}

static void
test_best(void)
{
	const char *line = "{\"depth\":{\"buy\":[{\"price\":10.5,\"q\":1},"
	    "{\"price\":10}],\"sell\":[{\"price\":11}]},\"depth\":{\"buy\":"
	    "[{\"price\":9}]}}";

	kp_jfields_init(&tab);
	T_EQ_INT(scan(line, KP_LS_BEST | KP_LS_JANSSON), 0, "two depths");
	T_NEAR(v[0].num, 9, 0, "the later depth's bid");
	T_EQ_INT(v[1].type, KP_J_ABSENT, "and no ask");
	T_EQ_INT(scan("{\"depth\":{\"buy\":[{\"price\":10.5}],\"sell\":"
	    "[{\"price\":\"x\"}]}}", KP_LS_BEST), 0, "a string price");
	T_NEAR(v[0].num, 10.5, 0, "bid");
	T_EQ_INT(v[1].type, KP_J_ABSENT, "a string is no price");
}

static void
test_flags(void)
{
	int a;

	kp_jfields_init(&tab);
	a = kp_jfields_add(&tab, "a", 1);
	T_EQ_INT(scan("{\"a\":1,\"b\":\"\xff\"}", 0), 0, "0: bytes unchecked");
	T_EQ_INT(scan("{\"a\":1,\"b\":\"\xff\"}", KP_LS_JANSSON), -1,
	    "jansson: UTF-8 checked");
	T_EQ_STR(res.why, "invalid UTF-8", "its wording");
	T_EQ_INT(scan("{\"a\":1,\"b\":1e999}", 0), 0, "0: range unchecked");
	T_EQ_INT(scan("{\"a\":1,\"b\":1e999}", KP_LS_STRICT), -1, "strict");
	T_EQ_STR(res.why, "number out of range", "its wording");
	T_EQ_INT((int)res.col, 12, "at the number");
	T_EQ_INT(scan("{\"a\":1,\"b\":99999999999999999999}", KP_LS_STRICT),
	    0, "strict: a big integer fits a double");
	T_EQ_INT(scan("{\"a\":1,\"b\":99999999999999999999}", KP_LS_JANSSON),
	    -1, "jansson: not an int64");
	T_EQ_INT(scan("{\"a\":1,\"b\":[1 2]}", KP_LS_QUICK), 0,
	    "quick: past the members wanted, only the end");
	T_EQ_INT(v[a].type, KP_J_NUMBER, "found");
	T_EQ_INT(scan("{\"a\":1,\"b\":[1 2]", KP_LS_QUICK), -1, "cut");
	T_EQ_STR(res.why, "expected '}' at the end", "its wording");
	T_EQ_INT(scan("{\"a\":\"\\u0000\"}", 0), 0, "0: \\u0000 passes");
	T_EQ_INT(scan("{\"a\":\"\\u0000\"}", KP_LS_JANSSON), -1,
	    "jansson: not");
}

int
main(void)
{
	test_spans();
	test_best();
	test_flags();
	return t_done();
}
