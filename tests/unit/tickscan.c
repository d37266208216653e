/*
 * tickscan.c: kp_tickscan on known lines (values, errors, columns, duplicate
 * keys, the nesting limit) and against jansson on the seeds of
 * fuzz/corpus/tickscan mutated at random.
 */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_tickscan.h"
#include "t.h"
#include "tickscan_check.h"

static int
scan(struct kp_tickscan *js, const char *s)
{
	return kp_tickscan(js, s, strlen(s));
}

static void
known(void)
{
	struct kp_tickscan js;
	char buf[64];

	T_EQ_INT(scan(&js, "{\"instrument_token\":5000002,\"last_price\":"
	    "101.985,\"receive_timestamp\":1766369854.209522}"), 0, "tick");
	T_EQ_INT(js.kind[KP_TK_TOKEN], KP_TV_INT, "token is an integer");
	T_EQ_INT(js.i64[KP_TK_TOKEN], 5000002, "token value");
	t_ok(js.num[KP_TK_LAST_PRICE] == 101.985, "last_price");
	t_ok(js.num[KP_TK_RECV_TS] == 1766369854.209522, "receive_timestamp");
	T_EQ_INT(js.kind[KP_TK_CLOSE], KP_TV_NONE, "close absent");
	T_EQ_INT(scan(&js, "{\"instrument_token\":5.0}"), 0, "real token");
	T_EQ_INT(js.kind[KP_TK_TOKEN], KP_TV_REAL, "5.0 is not an integer");
	T_EQ_INT(scan(&js, "{\"depth\":{\"buy\":[{\"price\":99.5},"
	    "{\"price\":1}],\"sell\":[{\"q\":1,\"price\":100.5}]}}"), 0,
	    "depth");
	t_ok(js.num[KP_TK_BID] == 99.5 && js.num[KP_TK_ASK] == 100.5,
	    "best bid and ask");
	T_EQ_INT(scan(&js, "{\"depth\":{\"buy\":[{\"price\":99.5}]},"
	    "\"depth\":{\"sell\":[{\"price\":100.5}]}}"), 0, "two depths");
	t_ok(js.kind[KP_TK_BID] == KP_TV_NONE && js.num[KP_TK_ASK] == 100.5,
	    "the last depth wins whole");
	T_EQ_INT(scan(&js, "{\"last_price\":1,\"last_price\":\"x\"}"), 0,
	    "duplicate key");
	T_EQ_INT(js.kind[KP_TK_LAST_PRICE], KP_TV_NONE, "the last one wins");
	T_EQ_INT(scan(&js, "{\"last\\u005fprice\":2}"), 0, "escaped key");
	t_ok(js.num[KP_TK_LAST_PRICE] == 2, "escaped key picked");
	T_EQ_INT(scan(&js, "{\"timestamp\":\"2025-11-20T09:15:00\\u002b0530\""
	    "}"), 0, "string timestamp");
	T_EQ_INT(js.kind[KP_TK_TS], KP_TV_STR, "timestamp is a string");
	kp_tickscan_str(js.str, js.slen, buf, sizeof(buf));
	T_EQ_STR(buf, "2025-11-20T09:15:00+0530", "timestamp decoded");
	T_EQ_INT(kp_tickscan_str(js.str, js.slen, buf, 8), (long long)-1,
	    "too long for the buffer");
	T_EQ_INT(scan(&js, " [1, {\"instrument_token\": 3}] "), 0, "array");
	t_ok(js.top == '[' && js.kind[KP_TK_TOKEN] == KP_TV_NONE,
	    "nothing picked from an array");
	T_EQ_INT(scan(&js, "not json"), -1, "not json");
	T_EQ_INT(js.col, 1, "column of not json");
	T_EQ_INT(scan(&js, "{\"c\":"), -1, "truncated");
	T_EQ_INT(js.col, 6, "column of the end");
	T_EQ_INT(scan(&js, "{\"a\":01}"), -1, "leading zero");
	T_EQ_INT(scan(&js, "{\"a\":1e309}"), -1, "real overflow");
	T_EQ_INT(scan(&js, "{\"a\":9223372036854775808}"), -1, "int64 + 1");
	T_EQ_INT(scan(&js, "{\"a\":-9223372036854775808}"), 0, "int64 min");
	T_EQ_INT(scan(&js, "{\"a\":\"\\u0000\"}"), -1, "\\u0000");
	T_EQ_INT(scan(&js, "{\"a\":\"\\ud800\"}"), -1, "lone surrogate");
	T_EQ_INT(scan(&js, "{\"a\":\"\xc3\x28\"}"), -1, "bad UTF-8");
	T_EQ_INT(scan(&js, "{\"a\":1}x"), -1, "trailing garbage");
	T_EQ_INT(js.col, 8, "column of the garbage");
	T_EQ_INT(scan(&js, ""), -1, "empty line");
	T_EQ_INT(scan(&js, "5"), -1, "a bare number");
}

/* n nested arrays around an empty array or a number */
static void
nesting(void)
{
	static char s[2 * KP_TICKSCAN_MAX_DEPTH + 8];
	const char *why;
	int ok, i, n, inner;

	for (n = KP_TICKSCAN_MAX_DEPTH - 1; n <= KP_TICKSCAN_MAX_DEPTH + 1; n++)
		for (inner = 0; inner < 2; inner++) {
			size_t len = 0;

			for (i = 0; i < n; i++)
				s[len++] = '[';
			if (inner)
				s[len++] = '1';
			for (i = 0; i < n; i++)
				s[len++] = ']';
			s[len] = '\0';
			why = jc_check(s, len, &ok);
			t_ok(why == NULL, "%d nested arrays%s: %s (jansson %s)",
			    n, inner ? " around a number" : "",
			    why ? why : "agree", ok ? "accepts" : "rejects");
		}
}

static struct kp_rng rng;

static uint64_t
rnd(void)
{
	return kp_rng_u64(&rng);
}

static void
mutate(const char *dir)
{
	static const char *const seeds[] = {
		"quote", "depth", "candle", "array", "dupkeys", "spaces"
	};
	static const char alpha[] = "{}[]\",:.-+eE0123456789 \\u\"tfn";
	char path[512], s[4096], orig[4096];
	size_t i, n0, n;
	long tries = 0, bad = 0, acc = 0;
	int ok;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		FILE *f;
		int j;

		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i]);
		if ((f = fopen(path, "r")) == NULL) {
			t_ok(0, "seed %s", path);
			continue;
		}
		n0 = fread(orig, 1, sizeof(orig) - 64, f);
		fclose(f);
		for (j = 0; j < 20000; j++) {
			const char *why;
			int k, m = 1 + (int)(rnd() % 3);

			memcpy(s, orig, n0);
			n = n0;
			for (k = 0; k < m; k++) {
				size_t at = rnd() % (n + 1);
				char c = rnd() % 4 == 0 ? (char)rnd() :
				    alpha[rnd() % (sizeof(alpha) - 1)];

				switch (rnd() % 3) {
				case 0:
					if (at < n)
						s[at] = c;
					break;
				case 1:
					if (at < n) {
						memmove(s + at, s + at + 1,
						    n - at - 1);
						n--;
					}
					break;
				default:
					memmove(s + at + 1, s + at, n - at);
					s[at] = c;
					n++;
				}
			}
			s[n] = '\0';
			tries++;
			why = jc_check(s, n, &ok);
			acc += ok;
			if (why != NULL && bad++ < 10)
				t_diag("%s on '%.*s'", why, (int)n, s);
		}
	}
	t_ok(bad == 0, "%ld mutated lines (%ld JSON) agree with jansson",
	    tries, acc);
}

/* Random reals of 1 to 21 digits and exponents, against strtod. */
static void
numbers(void)
{
	char s[96], num[64];
	struct kp_tickscan js;
	long i, bad = 0;

	for (i = 0; i < 300000; i++) {
		int nd = 1 + (int)(rnd() % 21), pt = (int)(rnd() % (nd + 1));
		int k, len = 0;
		double want;

		if (rnd() & 1)
			num[len++] = '-';
		for (k = 0; k < nd; k++) {
			if (k == pt && k > 0)
				num[len++] = '.';
			num[len++] = (char)('0' + (k == 0 && nd > 1 && pt != 1 ?
			    1 + rnd() % 9 : rnd() % 10));
		}
		/* a real: JSON integers are int64, as jansson reads them */
		if (rnd() % 3 == 0 || pt == 0 || pt == nd)
			len += snprintf(num + len, sizeof(num) - (size_t)len,
			    "e%d", (int)(rnd() % 60) - 30);
		num[len] = '\0';
		want = strtod(num, NULL);
		snprintf(s, sizeof(s), "{\"last_price\":%s}", num);
		if (kp_tickscan(&js, s, strlen(s)) != 0 ||
		    (js.kind[KP_TK_LAST_PRICE] != KP_TV_REAL &&
		    js.kind[KP_TK_LAST_PRICE] != KP_TV_INT) ||
		    memcmp(&js.num[KP_TK_LAST_PRICE], &want,
		    sizeof(want)) != 0) {
			if (bad++ < 10)
				t_diag("%s: got %.17g want %.17g", num,
				    js.num[KP_TK_LAST_PRICE], want);
		}
	}
	t_ok(bad == 0, "300000 random decimals read as strtod reads them "
	    "(%ld wrong)", bad);
}

int
main(void)
{
	const char *td = getenv("KP_SRCDIR");
	char dir[512];

	kp_rng_seed(&rng, 2);
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/tickscan",
	    td ? td : ".");
	known();
	numbers();
	nesting();
	mutate(dir);
	return t_done();
}
