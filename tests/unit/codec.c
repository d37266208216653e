/* codec.c: the ticker decoder and encoder against Zerodha's vectors. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kp.h"
#include "t.h"

#define MAXT 64
#define MAXR 16

struct sink {
	struct kp_tick t[MAXT];
	size_t n;
	struct kp_codec_report r[MAXR];
	size_t nr;
};

static void
on_tick(void *arg, const struct kp_tick *t)
{
	struct sink *s = arg;

	if (s->n < MAXT)
		memcpy(&s->t[s->n], t, sizeof(*t));
	s->n++;
}

static void
on_err(void *arg, const struct kp_codec_report *r)
{
	struct sink *s = arg;

	if (s->nr < MAXR)
		s->r[s->nr] = *r;
	s->nr++;
}

static size_t
decode(const uint8_t *m, size_t len, struct sink *s)
{
	memset(s, 0, sizeof(*s));
	return kp_codec_decode(m, len, on_tick, on_err, s);
}

static const char *testdata;

static size_t
slurp(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", testdata, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		t_ok(0, "open %s", path);
		return 0;
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Standard base64 (RFC 4648) decoder for the .packet mocks. */
static size_t
unbase64(const uint8_t *in, size_t n, uint8_t *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		const char *c = in[i] ? strchr(al, in[i]) : NULL;

		if (c == NULL)
			continue;
		acc = acc << 6 | (uint32_t)(c - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

/* Wrap a bare packet in a one-packet message. */
static size_t
wrap(const uint8_t *pkt, size_t len, uint8_t *msg)
{
	msg[0] = 0;
	msg[1] = 1;
	msg[2] = (uint8_t)(len >> 8);
	msg[3] = (uint8_t)len;
	memcpy(msg + 4, pkt, len);
	return len + 4;
}

/* The tick's JSON line, parsed back with jansson. */
static json_t *
tick_json(const struct kp_tick *t, int64_t recv_us)
{
	char buf[KP_TICK_JSON_MAX];
	char *end = kp_tick_json(buf, t, recv_us);
	json_error_t e;

	if (end <= buf || end[-1] != '\n')
		return NULL;
	return json_loadb(buf, (size_t)(end - buf) - 1, 0, &e);
}

static double
jnum(json_t *o, const char *path)
{
	char key[64];
	const char *dot;
	json_t *v = o;

	while (v != NULL && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	v = v ? json_object_get(v, path) : NULL;
	return json_is_number(v) ? json_number_value(v) : -999999.0;
}

static void
test_quote_mock(void)
{
	uint8_t raw[256], pkt[256], msg[300];
	size_t n = slurp("kiteconnect-mocks/ticker_quote.packet", raw,
	    sizeof(raw));
	size_t plen = unbase64(raw, n, pkt);
	struct sink s;
	json_t *j;

	T_EQ_INT(plen, 44, "ticker_quote.packet is 44 bytes");
	T_EQ_INT(decode(msg, wrap(pkt, plen, msg), &s), 1, "quote: 1 tick");
	T_EQ_INT(s.nr, 0, "quote: no errors");
	T_EQ_INT(s.t[0].kind, KP_TICK_QUOTE, "quote: kind");
	T_EQ_INT(s.t[0].token, 408065, "quote: token");
	T_EQ_INT(s.t[0].last_price, 157315, "quote: ltp 1573.15");
	T_EQ_INT(s.t[0].last_traded_quantity, 1, "quote: ltq");
	T_EQ_INT(s.t[0].average_traded_price, 157033, "quote: atp");
	T_EQ_INT(s.t[0].volume_traded, 1175986, "quote: volume");
	T_EQ_INT(s.t[0].total_buy_quantity, 256511, "quote: buy qty");
	T_EQ_INT(s.t[0].total_sell_quantity, 360503, "quote: sell qty");
	T_EQ_INT(s.t[0].open, 156915, "quote: open");
	T_EQ_INT(s.t[0].high, 157500, "quote: high");
	T_EQ_INT(s.t[0].low, 156105, "quote: low");
	T_EQ_INT(s.t[0].close, 156780, "quote: close");
	j = tick_json(&s.t[0], 1625461887000000);
	t_ok(j != NULL, "quote: JSON line parses");
	T_EQ_STR(json_string_value(json_object_get(j, "mode")), "quote",
	    "quote: mode");
	T_NEAR(jnum(j, "last_price"), 1573.15, 0, "quote: last_price");
	T_NEAR(jnum(j, "average_traded_price"), 1570.33, 0, "quote: atp");
	T_NEAR(jnum(j, "ohlc.high"), 1575, 0, "quote: ohlc.high");
	T_NEAR(jnum(j, "change"), 0.3412425054216186, 5e-7,
	    "quote: change is the percent (PY/JS)");
	T_NEAR(jnum(j, "net_change"), 5.35, 0, "quote: net_change 5.35");
	t_ok(json_object_get(j, "depth") == NULL, "quote: no depth");
	json_decref(j);
}

static void
check_depth(const struct kp_depth *d, const double *px, const int *q,
    const int *o, const char *side)
{
	int i, ok = 1;

	for (i = 0; i < KP_DEPTH; i++)
		if ((double)d[i].price != px[i] * 100 ||
		    d[i].quantity != (uint32_t)q[i] ||
		    d[i].orders != (uint16_t)o[i])
			ok = 0;
	t_ok(ok, "full: %s depth price/quantity/orders", side);
}

static void
test_full_mock(void)
{
	static const double bpx[] = { 1573.4, 1573, 1572.95, 1572.9, 1572.85 };
	static const int bq[] = { 5, 140, 2, 219, 50 }, bo[] = { 1, 2, 1, 7, 1 };
	static const double spx[] = { 1573.7, 1573.75, 1573.85, 1573.9,
	    1573.95 };
	static const int sq[] = { 172, 44, 302, 141, 724 };
	static const int so[] = { 3, 3, 3, 2, 5 };
	uint8_t raw[512], pkt[256], msg[300];
	size_t n = slurp("kiteconnect-mocks/ticker_full.packet", raw,
	    sizeof(raw));
	size_t plen = unbase64(raw, n, pkt);
	struct sink s;
	json_t *j;

	T_EQ_INT(plen, 184, "ticker_full.packet is 184 bytes");
	T_EQ_INT(decode(msg, wrap(pkt, plen, msg), &s), 1, "full: 1 tick");
	T_EQ_INT(s.t[0].kind, KP_TICK_FULL, "full: kind");
	T_EQ_INT(s.t[0].last_price, 157370, "full: ltp 1573.7");
	T_EQ_INT(s.t[0].last_traded_quantity, 7, "full: ltq");
	T_EQ_INT(s.t[0].average_traded_price, 157037, "full: atp");
	T_EQ_INT(s.t[0].volume_traded, 1192471, "full: volume");
	T_EQ_INT(s.t[0].total_buy_quantity, 256443, "full: buy qty");
	T_EQ_INT(s.t[0].total_sell_quantity, 363009, "full: sell qty");
	T_EQ_INT(s.t[0].last_trade_time, 1625461887, "full: ltt");
	T_EQ_INT(s.t[0].exchange_timestamp, 1625461887, "full: ts");
	T_EQ_INT(s.t[0].oi + s.t[0].oi_day_high + s.t[0].oi_day_low, 0,
	    "full: OI fields 0");
	check_depth(s.t[0].buy, bpx, bq, bo, "buy");
	check_depth(s.t[0].sell, spx, sq, so, "sell");
	j = tick_json(&s.t[0], 1625461887250000);
	t_ok(j != NULL, "full: JSON line parses");
	T_NEAR(jnum(j, "change"), 0.3763235106518747, 5e-7, "full: change %");
	T_NEAR(jnum(j, "net_change"), 5.9, 0, "full: net_change exactly 5.9");
	T_NEAR(jnum(j, "exchange_timestamp"), 1625461887, 0, "full: ts JSON");
	T_NEAR(jnum(j, "receive_timestamp"), 1625461887.25, 0,
	    "full: receive_timestamp");
	T_NEAR(json_number_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(j, "depth"), "sell"), 4),
	    "price")), 1573.95, 0, "full: depth.sell[4].price in JSON");
	json_decref(j);
}

static void
test_cpp_bin(void)
{
	uint8_t m[1024];
	size_t n = slurp("websocket_ticks.bin", m, sizeof(m));
	struct sink s;
	json_t *j;

	T_EQ_INT(n, 374, "websocket_ticks.bin is 374 bytes");
	T_EQ_INT(decode(m, n, &s), 2, "bin: 2 ticks");
	T_EQ_INT(s.nr, 0, "bin: no errors");
	T_EQ_INT(s.t[0].token, 408065, "bin: packet 1 token");
	T_EQ_INT(s.t[0].last_trade_time, 1612777255, "bin: packet 1 ltt");
	T_EQ_INT(s.t[0].exchange_timestamp, 1612777255, "bin: packet 1 ts");
	T_EQ_INT(s.t[0].last_price, 129905, "bin: packet 1 ltp");
	T_EQ_INT(s.t[0].close, 127210, "bin: packet 1 close");
	T_EQ_INT(s.t[1].token, 2953217, "bin: packet 2 token");
	T_EQ_INT(s.t[1].exchange_timestamp, 1612777254, "bin: packet 2 ts");
	T_EQ_INT(s.t[1].last_price, 320940, "bin: packet 2 ltp");
	T_EQ_INT(s.t[1].close, 315795, "bin: packet 2 close");
	j = tick_json(&s.t[0], 0);
	T_NEAR(jnum(j, "change"), 2.1185441396116693, 5e-7, "bin: 1 change");
	json_decref(j);
	j = tick_json(&s.t[1], 0);
	T_NEAR(jnum(j, "change"), 1.6292214886239578, 5e-7, "bin: 2 change");
	json_decref(j);
}

static void
test_ltp(void)
{
	static const uint8_t m[] = { 0, 1, 0, 8, 0x00, 0x06, 0x3a, 0x01,
	    0x00, 0x02, 0x66, 0x83 };
	struct sink s;
	char buf[KP_TICK_JSON_MAX], *end;

	T_EQ_INT(decode(m, sizeof(m), &s), 1, "ltp: 1 tick");
	T_EQ_INT(s.t[0].kind, KP_TICK_LTP, "ltp: kind");
	T_EQ_INT(s.t[0].token, 408065, "ltp: token");
	T_EQ_INT(s.t[0].last_price, 157315, "ltp: price");
	end = kp_tick_json(buf, &s.t[0], 1700000000000001);
	*end = 0;
	T_EQ_STR(buf, "{\"type\":\"tick\",\"mode\":\"ltp\",\"instrument_token\":"
	    "408065,\"segment\":\"nse\",\"tradable\":true,\"last_price\":"
	    "1573.15,\"receive_timestamp\":1700000000.000001}\n",
	    "ltp: the whole line");
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
test_index(void)
{
	uint8_t m[4 + 28 + 2 + 32];
	struct sink s;
	json_t *j;

	memset(m, 0, sizeof(m));
	m[1] = 2;
	m[3] = 28;
	put32(m + 4, 256265);		/* NIFTY 50 */
	put32(m + 8, 2431055);		/* ltp 24310.55 */
	put32(m + 12, 2440000);		/* high */
	put32(m + 16, 2420010);		/* low */
	put32(m + 20, 2425000);		/* open */
	put32(m + 24, 2430000);		/* close */
	put32(m + 28, 1055);		/* price change 10.55 */
	m[33] = 32;
	memcpy(m + 34, m + 4, 28);
	put32(m + 34, 260105);		/* NIFTY BANK */
	put32(m + 34 + 28, 1732264200);
	T_EQ_INT(decode(m, sizeof(m), &s), 2, "index: 2 ticks");
	T_EQ_INT(s.t[0].kind, KP_TICK_INDEX_QUOTE, "index: 28 = quote");
	T_EQ_INT(s.t[1].kind, KP_TICK_INDEX_FULL, "index: 32 = full");
	T_EQ_INT(s.t[0].high, 2440000, "index: high at offset 8");
	T_EQ_INT(s.t[0].open, 2425000, "index: open at offset 16");
	T_EQ_INT(s.t[1].exchange_timestamp, 1732264200, "index: timestamp");
	j = tick_json(&s.t[1], 0);
	t_ok(json_is_false(json_object_get(j, "tradable")),
	    "index: tradable false");
	T_EQ_STR(json_string_value(json_object_get(j, "segment")), "indices",
	    "index: segment");
	T_NEAR(jnum(j, "price_change"), 10.55, 0, "index: wire price_change");
	T_NEAR(jnum(j, "net_change"), 10.55, 0, "index: net_change");
	T_NEAR(jnum(j, "ohlc.low"), 24200.1, 0, "index: ohlc.low");
	json_decref(j);
}

static void
test_divisors(void)
{
	struct kp_tick t;
	char buf[KP_TICK_JSON_MAX], *end;
	json_t *j;

	memset(&t, 0, sizeof(t));
	t.kind = KP_TICK_LTP;
	t.token = 1234u << 8 | 3;	/* CDS */
	t.last_price = 834512345;	/* 83.4512345 */
	end = kp_tick_json(buf, &t, 0);
	*end = 0;
	t_ok(strstr(buf, "\"last_price\":83.4512345,") != NULL,
	    "cds: 1e7 divisor, exact");
	t.token = 1234u << 8 | 6;	/* BCD */
	t.last_price = 834512;		/* 83.4512 */
	end = kp_tick_json(buf, &t, 0);
	*end = 0;
	t_ok(strstr(buf, "\"last_price\":83.4512,") != NULL,
	    "bcd: 1e4 divisor, exact");
	t.token = 1234u << 8 | 2;	/* NFO */
	t.last_price = -5;
	end = kp_tick_json(buf, &t, 0);
	*end = 0;
	t_ok(strstr(buf, "\"last_price\":-0.05,") != NULL,
	    "nfo: a negative price");
	t.kind = KP_TICK_QUOTE;		/* extremes of change */
	t.token = 1234u << 8 | 1;
	t.last_price = INT32_MAX;
	t.close = INT32_MIN;
	j = tick_json(&t, 0);
	T_NEAR(jnum(j, "change"), -200.0, 1e-6, "change: close INT32_MIN");
	T_NEAR(jnum(j, "net_change"), 42949672.95, 0, "net_change: widest");
	json_decref(j);
	t.close = -200;
	t.last_price = -100;
	j = tick_json(&t, 0);
	T_NEAR(jnum(j, "change"), -50.0, 0, "change: negative close");
	json_decref(j);
	t.last_price = 100;
	t.close = 3;
	j = tick_json(&t, 0);
	T_NEAR(jnum(j, "change"), 3233.333333, 0, "change: rounded to 1e-6");
	json_decref(j);
	t.close = 0;
	j = tick_json(&t, 0);
	t_ok(json_is_null(json_object_get(j, "change")), "change: null when "
	    "close is 0");
	json_decref(j);
	memset(&t, 0, sizeof(t));
	t.kind = KP_TICK_LTP;
	t.token = 1234u << 8 | 42;	/* undocumented segment */
	t.last_price = 100;
	j = tick_json(&t, 0);
	t_ok(json_is_null(json_object_get(j, "segment")),
	    "unknown segment: null");
	T_NEAR(jnum(j, "last_price"), 1, 0, "unknown segment: divisor 100");
	json_decref(j);
}

static void
test_heartbeat(void)
{
	static const uint8_t hb[] = { 0x00 };
	struct sink s;

	T_EQ_INT(decode(hb, 1, &s), 0, "heartbeat: no ticks");
	T_EQ_INT(s.nr, 0, "heartbeat: no error");
	T_EQ_INT(decode(hb, 0, &s), 0, "empty: no ticks");
	t_ok(s.nr == 1 && s.r[0].err == KP_CODEC_EMPTY, "empty: reported");
}

/* A message of three good LTP packets to break in various ways. */
static size_t
three_ltp(uint8_t *m)
{
	struct kp_codec_msg cm;
	struct kp_tick t;
	int i;

	memset(&t, 0, sizeof(t));
	t.kind = KP_TICK_LTP;
	kp_codec_msg_init(&cm, m, 64);
	for (i = 0; i < 3; i++) {
		t.token = 100u << 8 | 1;
		t.last_price = 1000 + i;
		kp_codec_msg_add(&cm, &t);
	}
	return kp_codec_msg_finish(&cm);
}

static void
test_malformed(void)
{
	uint8_t m[128], *copy;
	size_t n = three_ltp(m), len;
	struct sink s;
	char why[256];

	T_EQ_INT(n, 2 + 3 * 10, "malformed: base message length");
	T_EQ_INT(decode(m, n, &s), 3, "malformed: base decodes");
	/* each truncation: exactly the whole packets before the cut */
	for (len = 2; len < n; len++) {
		copy = malloc(len);	/* exact size: ASan sees overreads */
		memcpy(copy, m, len);
		decode(copy, len, &s);
		free(copy);
		if (s.n != (len - 2) / 10 || s.nr != 1)
			break;
	}
	t_ok(len == n, "truncated at every byte: good packets out, 1 report");
	m[1] = 5;
	decode(m, n, &s);
	t_ok(s.n == 3 && s.nr == 1 && s.r[0].err == KP_CODEC_COUNT_SHORT,
	    "count 5 for 3 packets: 3 ticks, reported");
	kp_codec_strerror(&s.r[0], why, sizeof(why));
	T_EQ_STR(why, "message ends after 3 of the 5 packets its count says",
	    "count short: message text");
	m[1] = 1;
	decode(m, n, &s);
	t_ok(s.n == 3 && s.nr == 1 && s.r[0].err == KP_CODEC_COUNT_LONG,
	    "count 1 for 3 well-formed packets: all 3, reported");
	m[1] = 3;
	m[2 + 10] = 1;			/* packet 2 says length 264 */
	decode(m, n, &s);
	t_ok(s.n == 1 && s.nr == 1 && s.r[0].err == KP_CODEC_PAST_END,
	    "a length that runs past the end: stops there");
	m[2 + 10] = 0;
	m[2 + 20 + 1] = 200;		/* packet 3 past end */
	decode(m, n, &s);
	t_ok(s.n == 2 && s.r[0].err == KP_CODEC_PAST_END && s.r[0].packet == 3,
	    "packet 3 past the end: packets 1 and 2 out");
	m[2 + 20 + 1] = 8;
	m[1] = 2;
	m[n] = 0xee;			/* packet 3 then garbage byte */
	m[n + 1] = 0xee;
	m[n + 2] = 0xee;
	decode(m, n + 3, &s);
	t_ok(s.n == 2 && s.nr == 1 && s.r[0].err == KP_CODEC_TRAILING,
	    "count 2 then a non-packet tail: 2 ticks, tail reported");
}

static void
test_unknown_length(void)
{
	uint8_t m[64];
	size_t n = 0;

	memset(m, 0, sizeof(m));
	m[1] = 3;
	n = 2;
	m[n + 1] = 8;
	put32(m + n + 2, 1u << 8 | 1);
	n += 10;
	m[n + 1] = 12;			/* 12 bytes: no such packet */
	n += 14;
	m[n + 1] = 8;
	put32(m + n + 2, 2u << 8 | 1);
	n += 10;
	{
		struct sink s;

		decode(m, n, &s);
		t_ok(s.n == 2 && s.nr == 1 &&
		    s.r[0].err == KP_CODEC_BAD_LENGTH && s.r[0].packet == 2,
		    "unknown length 12 skipped, packets 1 and 3 out");
		t_ok(s.t[1].token == (2u << 8 | 1), "the packet after it");
	}
}

static uint32_t
rnd(struct kp_rng *r)
{
	return (uint32_t)kp_rng_u64(r);
}

static void
random_tick(struct kp_rng *r, struct kp_tick *t)
{
	static const unsigned segs[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	int i;

	memset(t, 0, sizeof(*t));
	t->token = (rnd(r) & 0xffffff00u) | segs[kp_rng_below(r, 9)];
	t->kind = (uint8_t)kp_rng_below(r, 5);
	if (kp_tick_segment(t->token) == KP_SEG_INDICES)
		t->kind = t->kind >= 3 ? t->kind - 2 : t->kind;
	else if (t->kind == KP_TICK_INDEX_QUOTE || t->kind == KP_TICK_INDEX_FULL)
		t->kind += 2;
	t->last_price = (int32_t)rnd(r);
	if (t->kind == KP_TICK_LTP)
		return;
	t->open = (int32_t)rnd(r);
	t->high = (int32_t)rnd(r);
	t->low = (int32_t)rnd(r);
	t->close = (int32_t)rnd(r);
	if (t->kind == KP_TICK_INDEX_QUOTE || t->kind == KP_TICK_INDEX_FULL) {
		t->price_change = (int32_t)rnd(r);
		if (t->kind == KP_TICK_INDEX_FULL)
			t->exchange_timestamp = rnd(r);
		return;
	}
	t->last_traded_quantity = rnd(r);
	t->average_traded_price = (int32_t)rnd(r);
	t->volume_traded = rnd(r);
	t->total_buy_quantity = rnd(r);
	t->total_sell_quantity = rnd(r);
	if (t->kind != KP_TICK_FULL)
		return;
	t->last_trade_time = rnd(r);
	t->oi = rnd(r);
	t->oi_day_high = rnd(r);
	t->oi_day_low = rnd(r);
	t->exchange_timestamp = rnd(r);
	for (i = 0; i < KP_DEPTH; i++) {
		t->buy[i].quantity = rnd(r);
		t->buy[i].price = (int32_t)rnd(r);
		t->buy[i].orders = (uint16_t)rnd(r);
		t->sell[i].quantity = rnd(r);
		t->sell[i].price = (int32_t)rnd(r);
		t->sell[i].orders = (uint16_t)rnd(r);
	}
}

/* Random ticks: encode, decode, compare; and JSON lines always parse. */
static void
test_roundtrip(void)
{
	static uint8_t buf[70000];
	static struct kp_tick in[MAXT];
	struct kp_codec_msg cm;
	struct kp_rng r;
	struct sink s;
	int round, i, same = 1, json_ok = 1;
	size_t len, maxline = 0;

	kp_rng_seed(&r, 20261122);
	for (round = 0; round < 2000; round++) {
		int n = 1 + (int)kp_rng_below(&r, MAXT);

		kp_codec_msg_init(&cm, buf, sizeof(buf));
		for (i = 0; i < n; i++) {
			random_tick(&r, &in[i]);
			kp_codec_msg_add(&cm, &in[i]);
		}
		len = kp_codec_msg_finish(&cm);
		decode(buf, len, &s);
		if (s.n != (size_t)n || s.nr != 0)
			same = 0;
		for (i = 0; i < n && same; i++) {
			char line[KP_TICK_JSON_MAX];
			char *end = kp_tick_json(line, &s.t[i], 1);
			json_error_t e;
			json_t *j;

			if (memcmp(&in[i], &s.t[i], sizeof(in[i])) != 0)
				same = 0;
			if ((size_t)(end - line) > maxline)
				maxline = (size_t)(end - line);
			j = json_loadb(line, (size_t)(end - line), 0, &e);
			if (j == NULL)
				json_ok = 0;
			json_decref(j);
		}
	}
	t_ok(same, "2000 random messages: encode then decode is identity");
	t_ok(json_ok, "every random tick's line is valid JSON");
	t_ok(maxline < KP_TICK_JSON_MAX, "longest line %zu < %d", maxline,
	    KP_TICK_JSON_MAX);
}

static void
test_msg_limits(void)
{
	uint8_t small[20];
	struct kp_codec_msg cm;
	struct kp_tick t;

	memset(&t, 0, sizeof(t));
	t.kind = KP_TICK_LTP;
	kp_codec_msg_init(&cm, small, sizeof(small));
	t_ok(kp_codec_msg_add(&cm, &t) == 0, "msg: first packet fits");
	t_ok(kp_codec_msg_add(&cm, &t) < 0, "msg: second does not (20 B)");
	T_EQ_INT(kp_codec_msg_finish(&cm), 12, "msg: length 2 + 10");
	T_EQ_INT(small[1], 1, "msg: count 1");
}

int
main(void)
{
	testdata = getenv("KP_TESTDATA");
	if (testdata == NULL)
		testdata = "../shared/testdata";
	test_quote_mock();
	test_full_mock();
	test_cpp_bin();
	test_ltp();
	test_index();
	test_divisors();
	test_heartbeat();
	test_malformed();
	test_unknown_length();
	test_roundtrip();
	test_msg_limits();
	return t_done();
}
