/*
 * quote.c: GET /quote, /quote/ohlc and /quote/ltp (kite-connect.md 2.5
 * and 2.8) from the model's current state.  Instruments are given as
 * repeated i=EXCHANGE:TRADINGSYMBOL (or a bare instrument token);
 * unknown ones are silently absent, as on Kite.  More than 500 (quote)
 * or 1000 (ohlc, ltp) instruments is 400 InputException.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restx.h"

enum qkind { Q_FULL, Q_OHLC, Q_LTP };

static long
lookup(const struct sim *s, const char *v)
{
	const char *colon = strchr(v, ':');
	char exch[8];
	long long tok;

	if (colon == NULL) {
		if (kp_num_ll(v, 1, UINT32_MAX, &tok) < 0)
			return -1;
		return sim_find(s, (uint32_t)tok);
	}
	if ((size_t)(colon - v) >= sizeof(exch))
		return -1;
	memcpy(exch, v, (size_t)(colon - v));
	exch[colon - v] = '\0';
	return rest_find_symbol(s, exch, colon + 1);
}

static void
num(struct kp_buf *b, const char *key, int64_t paise)
{
	kp_buf_addstr(b, key);
	kp_json_fixed(b, paise, 2);
}

static void
u64(struct kp_buf *b, const char *key, uint64_t v)
{
	kp_buf_addstr(b, key);
	kp_json_u64(b, v);
}

static void
when(struct kp_buf *b, const char *key, uint32_t epoch_s)
{
	char t[20];

	kp_buf_addstr(b, key);
	if (epoch_s == 0) {
		kp_buf_addstr(b, "null");
		return;
	}
	rest_ist(t, epoch_s);
	kp_json_cstr(b, t);
}

static void
depth(struct kp_buf *b, const struct kp_depth *d)
{
	int i;

	kp_buf_addc(b, '[');
	for (i = 0; i < KP_DEPTH; i++) {
		num(b, i ? ",{\"price\":" : "{\"price\":", d[i].price);
		u64(b, ",\"quantity\":", d[i].quantity);
		u64(b, ",\"orders\":", d[i].orders);
		kp_buf_addc(b, '}');
	}
	kp_buf_addc(b, ']');
}

static void
one(struct kp_buf *b, const struct sim *s, size_t ix, enum qkind k)
{
	struct kp_tick t;

	sim_quote(s, ix, &t);
	u64(b, "{\"instrument_token\":", s->instr[ix].token);
	if (k == Q_FULL) {
		when(b, ",\"timestamp\":", t.exchange_timestamp);
		when(b, ",\"last_trade_time\":", t.last_trade_time);
	}
	num(b, ",\"last_price\":", t.last_price);
	if (k == Q_FULL) {
		u64(b, ",\"last_quantity\":", t.last_traded_quantity);
		u64(b, ",\"buy_quantity\":", t.total_buy_quantity);
		u64(b, ",\"sell_quantity\":", t.total_sell_quantity);
		u64(b, ",\"volume\":", t.volume_traded);
		num(b, ",\"average_price\":", t.average_traded_price);
		u64(b, ",\"oi\":", t.oi);
		u64(b, ",\"oi_day_high\":", t.oi_day_high);
		u64(b, ",\"oi_day_low\":", t.oi_day_low);
		num(b, ",\"net_change\":", (int64_t)t.last_price - t.close);
		/* the band orders.c rejects past */
		num(b, ",\"lower_circuit_limit\":", rest_band(s, ix, false));
		num(b, ",\"upper_circuit_limit\":", rest_band(s, ix, true));
	}
	if (k != Q_LTP) {
		num(b, ",\"ohlc\":{\"open\":", t.open);
		num(b, ",\"high\":", t.high);
		num(b, ",\"low\":", t.low);
		num(b, ",\"close\":", t.close);
		kp_buf_addc(b, '}');
	}
	if (k == Q_FULL) {
		kp_buf_addstr(b, ",\"depth\":{\"buy\":");
		depth(b, t.buy);
		kp_buf_addstr(b, ",\"sell\":");
		depth(b, t.sell);
		kp_buf_addc(b, '}');
	}
	kp_buf_addc(b, '}');
}

void
quote_handle(struct sim *s, const char *what, const struct kp_form *q,
    struct sim_resp *r)
{
	enum qkind k = Q_FULL;
	size_t i, n = kp_form_count(q, "i"), max = 1000, done = 0;
	struct kp_buf b;

	if (what == NULL) {
		max = 500;
	} else if (strcmp(what, "ohlc") == 0) {
		k = Q_OHLC;
	} else if (strcmp(what, "ltp") == 0) {
		k = Q_LTP;
	} else {
		rest_err(r, 404, "GeneralException", "Route not found");
		return;
	}
	if (n == 0) {
		rest_err(r, 400, "InputException",
		    "No instruments given (i=EXCHANGE:TRADINGSYMBOL).");
		return;
	}
	if (n > max) {
		rest_err(r, 400, "InputException",
		    "Too many instruments (%zu, at most %zu).", n, max);
		return;
	}
	sim_market_step(s);
	kp_buf_init(&b, REST_BODY_MAX);
	kp_buf_addc(&b, '{');
	for (i = 0; i < q->n; i++) {
		long ix;

		if (strcmp(q->pair[i].key, "i") != 0 ||
		    (ix = lookup(s, q->pair[i].val)) < 0)
			continue;
		if (done++)
			kp_buf_addc(&b, ',');
		kp_json_cstr(&b, q->pair[i].val);
		kp_buf_addc(&b, ':');
		one(&b, s, (size_t)ix, k);
	}
	kp_buf_addc(&b, '}');
	rest_ok(r, &b);
	kp_buf_free(&b);
}
