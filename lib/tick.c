/* tick.c: segment facts and the kitepipe-ticks(5) line writer. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp.h"
#include "fmt.h"

static const char *const segment_names[] = {
	NULL, "nse", "nfo", "cds", "bse", "bfo", "bcd", "mcx", "mcxsx",
	"indices"
};

static const size_t packet_lens[] = { 8, 28, 32, 44, 184 };

unsigned
kp_tick_decimals(unsigned segment)
{
	if (segment == 3)
		return 7;
	if (segment == 6)
		return 4;
	return 2;
}

const char *
kp_tick_segment_name(unsigned segment)
{
	if (segment < sizeof(segment_names) / sizeof(segment_names[0]))
		return segment_names[segment];
	return NULL;
}

const char *
kp_tick_mode(unsigned kind)
{
	switch (kind) {
	case KP_TICK_LTP:
		return "ltp";
	case KP_TICK_INDEX_QUOTE:
	case KP_TICK_QUOTE:
		return "quote";
	default:
		return "full";
	}
}

size_t
kp_tick_packet_len(unsigned kind)
{
	return kind <= KP_TICK_FULL ? packet_lens[kind] : 0;
}

int
kp_tick_kind_for(uint32_t token, const char *mode)
{
	int index = kp_tick_segment(token) == KP_SEG_INDICES;

	if (strcmp(mode, "ltp") == 0)
		return KP_TICK_LTP;
	if (strcmp(mode, "quote") == 0)
		return index ? KP_TICK_INDEX_QUOTE : KP_TICK_QUOTE;
	if (strcmp(mode, "full") == 0)
		return index ? KP_TICK_INDEX_FULL : KP_TICK_FULL;
	return -1;
}

/* Copy a string literal and advance. */
#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

static char *
put_time(char *p, uint32_t t)
{
	if (t == 0)
		return LIT(p, "null");
	return fmt_u64(p, t);
}

/*
 * change: percent from the previous close, (ltp - close) * 100 / close,
 * rounded half away from zero to 6 decimals in integer arithmetic, so
 * the figure is exact and the same on every machine; null without a
 * close.
 */
static char *
put_change(char *p, int32_t ltp, int32_t close)
{
	int64_t num, q, c = close;

	if (c == 0)
		return LIT(p, "null");
	num = ((int64_t)ltp - c) * 100000000;
	if (c < 0) {
		num = -num;
		c = -c;
	}
	q = num >= 0 ? (num + c / 2) / c : (num - c / 2) / c;
	return fmt_fixed(p, q, 6);
}

static char *
put_ohlc(char *p, const struct kp_tick *t, unsigned dec)
{
	p = LIT(p, ",\"ohlc\":{\"open\":");
	p = fmt_fixed(p, t->open, dec);
	p = LIT(p, ",\"high\":");
	p = fmt_fixed(p, t->high, dec);
	p = LIT(p, ",\"low\":");
	p = fmt_fixed(p, t->low, dec);
	p = LIT(p, ",\"close\":");
	p = fmt_fixed(p, t->close, dec);
	*p++ = '}';
	p = LIT(p, ",\"change\":");
	p = put_change(p, t->last_price, t->close);
	p = LIT(p, ",\"net_change\":");
	return fmt_fixed(p, (int64_t)t->last_price - t->close, dec);
}

static char *
put_depth_side(char *p, const struct kp_depth *d, unsigned dec)
{
	int i;

	*p++ = '[';
	for (i = 0; i < KP_DEPTH; i++) {
		if (i > 0)
			*p++ = ',';
		p = LIT(p, "{\"quantity\":");
		p = fmt_u64(p, d[i].quantity);
		p = LIT(p, ",\"price\":");
		p = fmt_fixed(p, d[i].price, dec);
		p = LIT(p, ",\"orders\":");
		p = fmt_u64(p, d[i].orders);
		*p++ = '}';
	}
	*p++ = ']';
	return p;
}

/* The quote and full packet fields after the token and last price. */
static char *
put_quote(char *p, const struct kp_tick *t, unsigned dec)
{
	p = LIT(p, ",\"last_traded_quantity\":");
	p = fmt_u64(p, t->last_traded_quantity);
	p = LIT(p, ",\"average_traded_price\":");
	p = fmt_fixed(p, t->average_traded_price, dec);
	p = LIT(p, ",\"volume_traded\":");
	p = fmt_u64(p, t->volume_traded);
	p = LIT(p, ",\"total_buy_quantity\":");
	p = fmt_u64(p, t->total_buy_quantity);
	p = LIT(p, ",\"total_sell_quantity\":");
	p = fmt_u64(p, t->total_sell_quantity);
	return put_ohlc(p, t, dec);
}

static char *
put_full(char *p, const struct kp_tick *t, unsigned dec)
{
	p = LIT(p, ",\"last_trade_time\":");
	p = put_time(p, t->last_trade_time);
	p = LIT(p, ",\"oi\":");
	p = fmt_u64(p, t->oi);
	p = LIT(p, ",\"oi_day_high\":");
	p = fmt_u64(p, t->oi_day_high);
	p = LIT(p, ",\"oi_day_low\":");
	p = fmt_u64(p, t->oi_day_low);
	p = LIT(p, ",\"exchange_timestamp\":");
	p = put_time(p, t->exchange_timestamp);
	p = LIT(p, ",\"depth\":{\"buy\":");
	p = put_depth_side(p, t->buy, dec);
	p = LIT(p, ",\"sell\":");
	p = put_depth_side(p, t->sell, dec);
	*p++ = '}';
	return p;
}

static char *
put_head(char *p, const struct kp_tick *t, unsigned seg)
{
	const char *name = kp_tick_segment_name(seg);

	switch (t->kind) {
	case KP_TICK_LTP:
		p = LIT(p, "{\"type\":\"tick\",\"mode\":\"ltp\"");
		break;
	case KP_TICK_INDEX_QUOTE:
	case KP_TICK_QUOTE:
		p = LIT(p, "{\"type\":\"tick\",\"mode\":\"quote\"");
		break;
	default:
		p = LIT(p, "{\"type\":\"tick\",\"mode\":\"full\"");
		break;
	}
	p = LIT(p, ",\"instrument_token\":");
	p = fmt_u64(p, t->token);
	p = LIT(p, ",\"segment\":");
	if (name != NULL) {
		*p++ = '"';
		memcpy(p, name, strlen(name));
		p += strlen(name);
		*p++ = '"';
	} else {
		p = LIT(p, "null");
	}
	if (seg == KP_SEG_INDICES)
		return LIT(p, ",\"tradable\":false");
	return LIT(p, ",\"tradable\":true");
}

char *
kp_tick_json(char *p, const struct kp_tick *t, int64_t recv_us)
{
	char ts[KP_FMT_ROOM];
	char *end = fmt_fixed_all(ts, recv_us, 6);

	return kp_tick_json_ts(p, t, ts, (size_t)(end - ts));
}

char *
kp_tick_json_ts(char *p, const struct kp_tick *t, const char *ts,
    size_t tslen)
{
	unsigned seg = kp_tick_segment(t->token);
	unsigned dec = kp_tick_decimals(seg);

	p = put_head(p, t, seg);
	p = LIT(p, ",\"last_price\":");
	p = fmt_fixed(p, t->last_price, dec);
	switch (t->kind) {
	case KP_TICK_QUOTE:
		p = put_quote(p, t, dec);
		break;
	case KP_TICK_FULL:
		p = put_quote(p, t, dec);
		p = put_full(p, t, dec);
		break;
	case KP_TICK_INDEX_QUOTE:
	case KP_TICK_INDEX_FULL:
		p = put_ohlc(p, t, dec);
		p = LIT(p, ",\"price_change\":");
		p = fmt_fixed(p, t->price_change, dec);
		if (t->kind == KP_TICK_INDEX_FULL) {
			p = LIT(p, ",\"exchange_timestamp\":");
			p = put_time(p, t->exchange_timestamp);
		}
		break;
	default:
		break;
	}
	p = LIT(p, ",\"receive_timestamp\":");
	memcpy(p, ts, tslen);
	p += tslen;
	return LIT(p, "}\n");
}
