/*
 * mkcap: write kitepipe captures for tests and benchmarks.  Each argument
 * adds records; see usage().  Not installed: kite-sim and kite-stream -w
 * are the real producers.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"

#define PROG "mkcap"
#define MSG_MAX (200u * 186u + 2u)

struct gen {
	int fd;
	int64_t t_us;		/* receive time of the next record */
	int64_t step_us;
	struct kp_rng rng;
	uint64_t records;
};

static void
usage(void)
{
	fputs("usage: mkcap [-s SEED] [-t START_US] [-i STEP_US] [-o FILE] "
	    "ITEM...\n"
	    "items:\n"
	    "  random:N[:PER]  N random ticks of mixed modes and segments, PER"
	    " packets a message (50)\n"
	    "  raw:FILE        FILE's bytes as one binary message\n"
	    "  packet:FILE     a base64 bare packet (Kite's .packet mocks), "
	    "wrapped in a message\n"
	    "  hex:HEX         a binary message written in hex\n"
	    "  text:STRING     a text message\n"
	    "  status:STRING   a status line\n"
	    "  heartbeat       a 1-byte binary message\n", stderr);
	exit(KP_EXIT_PERM);
}

static void
put(struct gen *g, unsigned kind, const void *p, size_t n)
{
	if (kp_cap_write(g->fd, kind, 0, g->t_us, p, n) < 0)
		kp_die(KP_EXIT_TEMP, "unable to write a record:");
	g->t_us += g->step_us;
	g->records++;
}

/* A price near base (paise), moved by a few ticks. */
static int32_t
near(struct kp_rng *r, int32_t base)
{
	return base + 5 * (int32_t)kp_rng_below(r, 41) - 100;
}

static void
fill_quote(struct kp_rng *r, struct kp_tick *t, int32_t base)
{
	int i;

	t->last_traded_quantity = 1 + (uint32_t)kp_rng_below(r, 5000);
	t->average_traded_price = near(r, base);
	t->volume_traded = (uint32_t)kp_rng_below(r, 50000000);
	t->total_buy_quantity = (uint32_t)kp_rng_below(r, 5000000);
	t->total_sell_quantity = (uint32_t)kp_rng_below(r, 5000000);
	t->open = near(r, base);
	t->high = base + 300;
	t->low = base - 300;
	t->close = near(r, base);
	if (t->kind != KP_TICK_FULL)
		return;
	t->last_trade_time = 1732264200 + (uint32_t)kp_rng_below(r, 22500);
	t->exchange_timestamp = t->last_trade_time;
	t->oi = (uint32_t)kp_rng_below(r, 20000000);
	t->oi_day_high = t->oi + 1000;
	t->oi_day_low = t->oi / 2;
	for (i = 0; i < KP_DEPTH; i++) {
		t->buy[i].price = t->last_price - 5 * (i + 1);
		t->buy[i].quantity = 1 + (uint32_t)kp_rng_below(r, 10000);
		t->buy[i].orders = (uint16_t)(1 + kp_rng_below(r, 50));
		t->sell[i].price = t->last_price + 5 * (i + 1);
		t->sell[i].quantity = 1 + (uint32_t)kp_rng_below(r, 10000);
		t->sell[i].orders = (uint16_t)(1 + kp_rng_below(r, 50));
	}
}

/*
 * A plausible tick: 35% full, 30% quote, 20% ltp, 15% index; segments
 * mostly NSE and NFO with some CDS, BCD, BSE and MCX.
 */
static void
random_tick(struct kp_rng *r, struct kp_tick *t)
{
	static const unsigned segs[] = { 1, 1, 1, 2, 2, 2, 2, 3, 4, 5, 6, 7 };
	uint64_t k = kp_rng_below(r, 100);
	int32_t base;

	memset(t, 0, sizeof(*t));
	if (k < 15) {
		t->token = (uint32_t)(1000 + kp_rng_below(r, 20)) << 8 | 9;
		t->kind = k < 8 ? KP_TICK_INDEX_FULL : KP_TICK_INDEX_QUOTE;
		base = 2400000 + (int32_t)kp_rng_below(r, 3000000);
		t->last_price = near(r, base);
		t->open = near(r, base);
		t->high = base + 30000;
		t->low = base - 30000;
		t->close = near(r, base);
		t->price_change = t->last_price - t->close;
		t->exchange_timestamp = 1732264200 +
		    (uint32_t)kp_rng_below(r, 22500);
		return;
	}
	t->token = (uint32_t)(1 + kp_rng_below(r, 200000)) << 8 |
	    segs[kp_rng_below(r, 12)];
	t->kind = k < 50 ? KP_TICK_FULL : k < 80 ? KP_TICK_QUOTE : KP_TICK_LTP;
	base = kp_tick_segment(t->token) == 3 ? 834500000 :
	    kp_tick_segment(t->token) == 6 ? 834500 :
	    1000 + (int32_t)kp_rng_below(r, 500000);
	t->last_price = near(r, base);
	if (t->kind != KP_TICK_LTP)
		fill_quote(r, t, base);
}

static void
gen_random(struct gen *g, const char *spec)
{
	static uint8_t msg[MSG_MAX];
	char *end;
	unsigned long long n, per = 50, i;
	struct kp_codec_msg m;
	struct kp_tick t;

	n = strtoull(spec, &end, 10);
	if (*end == ':')
		per = strtoull(end + 1, &end, 10);
	if (*end != 0 || per == 0 || per > 200)
		kp_die(KP_EXIT_PERM, "random:%s: want random:N[:PER], PER in "
		    "1..200", spec);
	for (i = 0; i < n; i += per) {
		unsigned long long k, left = n - i < per ? n - i : per;

		kp_codec_msg_init(&m, msg, sizeof(msg));
		for (k = 0; k < left; k++) {
			random_tick(&g->rng, &t);
			kp_codec_msg_add(&m, &t);
		}
		put(g, KP_CAP_BINARY, msg, kp_codec_msg_finish(&m));
	}
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		kp_die(KP_EXIT_PERM, "unable to open %s:", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

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

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s != 0) {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (n == cap || sscanf(s, "%2x", &v) != 1 || s[1] == 0)
			kp_die(KP_EXIT_PERM, "hex: bad digits at '%s'", s);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
item(struct gen *g, const char *a)
{
	static uint8_t buf[1 << 20], pkt[1 << 16];
	size_t n;

	if (strncmp(a, "random:", 7) == 0) {
		gen_random(g, a + 7);
	} else if (strncmp(a, "raw:", 4) == 0) {
		put(g, KP_CAP_BINARY, buf, slurp(a + 4, buf, sizeof(buf)));
	} else if (strncmp(a, "packet:", 7) == 0) {
		n = unbase64(buf, slurp(a + 7, buf, sizeof(buf)), pkt + 4);
		pkt[0] = 0;
		pkt[1] = 1;
		pkt[2] = (uint8_t)(n >> 8);
		pkt[3] = (uint8_t)n;
		put(g, KP_CAP_BINARY, pkt, n + 4);
	} else if (strncmp(a, "hex:", 4) == 0) {
		put(g, KP_CAP_BINARY, buf, unhex(a + 4, buf, sizeof(buf)));
	} else if (strncmp(a, "text:", 5) == 0) {
		put(g, KP_CAP_TEXT, a + 5, strlen(a + 5));
	} else if (strncmp(a, "status:", 7) == 0) {
		put(g, KP_CAP_STATUS, a + 7, strlen(a + 7));
	} else if (strcmp(a, "heartbeat") == 0) {
		put(g, KP_CAP_BINARY, "\x00", 1);
	} else {
		kp_log(KP_LOG_FATAL, "unknown item '%s'", a);
		usage();
	}
}

int
main(int argc, char **argv)
{
	struct gen g = { .fd = 1, .t_us = 1732264200000000, .step_us = 1000 };
	const char *out = NULL;
	char err[KP_ERRLEN];
	uint64_t seed = 1, cut;
	int c;

	kp_log_init(PROG);
	while ((c = getopt(argc, argv, "s:t:i:o:h")) != -1) {
		switch (c) {
		case 's': seed = (uint64_t)kp_opt_ll("-s", optarg, 0,
		    INT64_MAX); break;
		case 't': g.t_us = kp_opt_ll("-t", optarg, INT64_MIN,
		    INT64_MAX); break;
		case 'i': g.step_us = kp_opt_ll("-i", optarg, 0,
		    INT64_MAX / 4); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (optind == argc)
		usage();
	kp_rng_seed(&g.rng, seed);
	if (out != NULL) {
		g.fd = kp_cap_open_append(out, &cut, err);
		if (g.fd < 0)
			kp_die(KP_EXIT_PERM, "%s", err);
	} else if (write(1, KP_CAP_MAGIC, KP_CAP_MAGIC_LEN) !=
	    KP_CAP_MAGIC_LEN) {
		kp_die(KP_EXIT_TEMP, "unable to write stdout:");
	}
	for (; optind < argc; optind++)
		item(&g, argv[optind]);
	return 0;
}
