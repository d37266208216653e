/*
 * wsmsg_diff.c: kp_wsmsg_tick_token (cmd/ws-fanout/wsmsg.c, on
 * kp_tickscan) against the jansson reference in wsmsg_ref.h, on
 * hand-written tick lines and on many seeded mutations of them (bytes
 * changed, cut, repeated).
 */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kp.h"
#include "t.h"
#include "wsmsg_ref.h"

static const char *const lines[] = {
	"{\"type\":\"tick\",\"mode\":\"ltp\",\"instrument_token\":408065,"
	    "\"last_price\":1001.05,\"receive_timestamp\":1795430633.077138}",
	"{\"type\":\"tick\",\"mode\":\"full\",\"instrument_token\":256265,"
	    "\"tradable\":false,\"last_price\":24812.3,\"ohlc\":{\"open\":1,"
	    "\"high\":2,\"low\":0.5,\"close\":1.5},\"depth\":{\"buy\":[{"
	    "\"price\":1.5,\"quantity\":10,\"orders\":1}],\"sell\":[]},"
	    "\"exchange_timestamp\":\"2026-11-23T10:00:00+05:30\"}",
	"{\"type\":\"status\",\"event\":\"connected\"}",
	"{\"type\":\"order\",\"data\":{\"instrument_token\":5,\"x\":null}}",
	"{\"instrument_token\":4294967295}",
	"{\"instrument_token\":4294967296}",
	"{\"instrument_token\":0}",
	"{\"instrument_token\":-7}",
	"{\"instrument_token\":-0}",
	"{\"instrument_token\":7.0}",
	"{\"instrument_token\":7e2}",
	"{\"instrument_token\":\"7\"}",
	"{\"instrument_token\":[7]}",
	"{\"instrument_token\":true}",
	"{\"instrument_token\":9223372036854775807}",
	"{\"instrument_token\":9223372036854775808}",
	"{\"instrument_token\":1,\"instrument_token\":2}",
	"{\"instrument_token\":1,\"instrument_token\":\"2\"}",
	"{\"instrument_tok\\u0065n\":3}",
	"{\"instrument_token\" : 12 , \"s\":\"\\ud83d\\ude00 \\u00e9\"}",
	" \t{\"instrument_token\":12}\r\n ",
	"{\"a\":[[[[{\"instrument_token\":1}]]]],\"instrument_token\":2}",
	"[{\"instrument_token\":1}]",
	"[]",
	"{}",
	"3",
	"\"x\"",
	"null",
	"",
	"{\"instrument_token\":1}{}",
	"{\"instrument_token\":01}",
	"{\"instrument_token\":1,}",
	"{'instrument_token':1}",
	"{\"s\":\"\\ud800\",\"instrument_token\":1}",
	"{\"s\":\"\xc3\x28\",\"instrument_token\":1}",
	"{\"s\":\"\xe2\x82\xac\",\"instrument_token\":1}",
	"{\"s\":\"\\u0000\",\"instrument_token\":1}",
	"{\"r\":1e999,\"instrument_token\":1}",
	"{\"r\":-1.5E-3,\"instrument_token\":1}",
};

/* The same lines, mutated: a change anywhere, a cut, a repeat. */
static const char alphabet[] = "{}[]\":,.-+eE0123456789 \\tu\xc3\xa9nlr"
    "\x01\x7f";

static size_t
mutate(struct kp_rng *rng, const char *src, char *dst, size_t cap)
{
	size_t n = strlen(src), i, k, at;
	uint64_t r;

	memcpy(dst, src, n);
	k = 1 + kp_rng_u64(rng) % 4;
	for (i = 0; i < k && n > 0; i++) {
		r = kp_rng_u64(rng);
		at = (size_t)(r >> 8) % n;
		switch (r % 4) {
		case 0:		/* change a byte */
			dst[at] = alphabet[(r >> 32) % (sizeof(alphabet) - 1)];
			break;
		case 1:		/* cut */
			n = at;
			break;
		case 2:		/* drop a byte */
			memmove(dst + at, dst + at + 1, n - at - 1);
			n--;
			break;
		default:	/* repeat a stretch */
			if (n + 8 < cap) {
				size_t len = 1 + (r >> 40) % 8;

				if (at + len > n)
					len = n - at;
				memmove(dst + at + len, dst + at, n - at);
				n += len;
			}
			break;
		}
	}
	dst[n] = 0;
	return n;
}

int
main(void)
{
	char buf[1024];
	size_t i, j, n, nl = sizeof(lines) / sizeof(lines[0]);
	unsigned long agree = 0, counts[3] = { 0, 0, 0 };
	struct kp_rng rng;
	const char *why;
	int res;

	kp_rng_seed(&rng, 20261123);
	for (i = 0; i < nl; i++) {
		why = wr_check(lines[i], strlen(lines[i]), &res);
		t_ok(why == NULL, "line %zu as jansson sees it", i + 1);
		if (why != NULL)
			t_diag("  %s: %s", why, lines[i]);
	}
	for (i = 0; i < nl; i++) {
		for (j = 0; j < 4000; j++) {
			n = mutate(&rng, lines[i], buf, sizeof(buf));
			why = wr_check(buf, n, &res);
			if (why != NULL) {
				t_ok(0, "mutation of line %zu", i + 1);
				t_diag("  %s: '%s'", why, buf);
				continue;
			}
			agree++;
			counts[res + 1]++;
		}
	}
	t_ok(agree == nl * 4000, "%lu mutations agree (%lu refused, %lu "
	    "without a token, %lu with one)", agree, counts[0], counts[1],
	    counts[2]);
	t_ok(counts[0] > 1000 && counts[2] > 1000,
	    "the mutations reach both refused and tick lines");
	return t_done();
}
