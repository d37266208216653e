/* codec.c: Kite's binary ticker messages, decoded and encoded. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "kp.h"

/*
 * Wire facts (kite-connect.md 1.3-1.5): big-endian; a message is a
 * uint16 packet count, then per packet a uint16 length and the packet.
 * The kind is told by the length alone.  Counts, lengths, the token,
 * quantities, OI and timestamps are read unsigned, prices as signed
 * int32.
 */

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline int32_t
rds32(const uint8_t *p)
{
	return (int32_t)rd32(p);
}

static inline unsigned
rd16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int
kind_of_len(size_t len)
{
	switch (len) {
	case 8: return KP_TICK_LTP;
	case 28: return KP_TICK_INDEX_QUOTE;
	case 32: return KP_TICK_INDEX_FULL;
	case 44: return KP_TICK_QUOTE;
	case 184: return KP_TICK_FULL;
	default: return -1;
	}
}

static void
decode_depth(const uint8_t *p, struct kp_depth *d)
{
	int i;

	for (i = 0; i < KP_DEPTH; i++, p += 12) {
		d[i].quantity = rd32(p);
		d[i].price = rds32(p + 4);
		d[i].orders = (uint16_t)rd16(p + 8);
	}
}

static void
decode_index(const uint8_t *p, struct kp_tick *t)
{
	t->high = rds32(p + 8);
	t->low = rds32(p + 12);
	t->open = rds32(p + 16);
	t->close = rds32(p + 20);
	t->price_change = rds32(p + 24);
	if (t->kind == KP_TICK_INDEX_FULL)
		t->exchange_timestamp = rd32(p + 28);
}

static void
decode_quote(const uint8_t *p, struct kp_tick *t)
{
	t->last_traded_quantity = rd32(p + 8);
	t->average_traded_price = rds32(p + 12);
	t->volume_traded = rd32(p + 16);
	t->total_buy_quantity = rd32(p + 20);
	t->total_sell_quantity = rd32(p + 24);
	t->open = rds32(p + 28);
	t->high = rds32(p + 32);
	t->low = rds32(p + 36);
	t->close = rds32(p + 40);
	if (t->kind != KP_TICK_FULL)
		return;
	t->last_trade_time = rd32(p + 44);
	t->oi = rd32(p + 48);
	t->oi_day_high = rd32(p + 52);
	t->oi_day_low = rd32(p + 56);
	t->exchange_timestamp = rd32(p + 60);
	decode_depth(p + 64, t->buy);
	decode_depth(p + 124, t->sell);
}

int
kp_codec_packet(const uint8_t *p, size_t len, struct kp_tick *t)
{
	int kind = kind_of_len(len);

	if (kind < 0)
		return -1;
	memset(t, 0, sizeof(*t));
	t->kind = (uint8_t)kind;
	t->token = rd32(p);
	t->last_price = rds32(p + 4);
	if (kind == KP_TICK_INDEX_QUOTE || kind == KP_TICK_INDEX_FULL)
		decode_index(p, t);
	else if (kind != KP_TICK_LTP)
		decode_quote(p, t);
	return 0;
}

static void
report(kp_codec_err_fn on_err, void *arg, enum kp_codec_err err,
    unsigned packet, size_t offset, size_t length, unsigned count)
{
	struct kp_codec_report r;

	if (on_err == NULL)
		return;
	r.err = err;
	r.packet = packet;
	r.offset = offset;
	r.length = length;
	r.count = count;
	on_err(arg, &r);
}

/*
 * Whether buf[off..len) is a whole sequence of length-prefixed packets of
 * known lengths; if so, *n is their number.
 */
static int
well_formed_tail(const uint8_t *buf, size_t len, size_t off, unsigned *n)
{
	*n = 0;
	while (off < len) {
		size_t plen;

		if (len - off < 2)
			return 0;
		plen = rd16(buf + off);
		if (kind_of_len(plen) < 0 || len - off - 2 < plen)
			return 0;
		off += 2 + plen;
		(*n)++;
	}
	return 1;
}

/*
 * Called when the declared count has been decoded and bytes remain: decode
 * them too if they are well-formed packets, else report them as trailing.
 * Return the new packet limit.
 */
static unsigned
check_tail(const uint8_t *buf, size_t len, size_t off, unsigned count,
    kp_codec_err_fn on_err, void *arg)
{
	unsigned extra;

	if (!well_formed_tail(buf, len, off, &extra)) {
		report(on_err, arg, KP_CODEC_TRAILING, count, off, len - off,
		    count);
		return count;
	}
	report(on_err, arg, KP_CODEC_COUNT_LONG, count + extra, off, extra,
	    count);
	return count + extra;
}

size_t
kp_codec_decode(const uint8_t *buf, size_t len, kp_tick_fn on_tick,
    kp_codec_err_fn on_err, void *arg)
{
	unsigned count, i, limit;
	size_t off = 2, delivered = 0, plen;
	struct kp_tick t;

	if (len == 0) {
		report(on_err, arg, KP_CODEC_EMPTY, 0, 0, 0, 0);
		return 0;
	}
	if (len == 1)
		return 0;
	count = rd16(buf);
	limit = count;
	for (i = 0;; i++) {
		if (i == count && off < len)
			limit = check_tail(buf, len, off, count, on_err, arg);
		if (i >= limit)
			break;
		if (len - off < 2) {
			report(on_err, arg, off == len ? KP_CODEC_COUNT_SHORT :
			    KP_CODEC_SHORT_HEADER, i + 1, off, len - off, count);
			break;
		}
		plen = rd16(buf + off);
		if (len - off - 2 < plen) {
			report(on_err, arg, KP_CODEC_PAST_END, i + 1, off, plen,
			    count);
			break;
		}
		if (kp_codec_packet(buf + off + 2, plen, &t) == 0) {
			on_tick(arg, &t);
			delivered++;
		} else {
			report(on_err, arg, KP_CODEC_BAD_LENGTH, i + 1, off,
			    plen, count);
		}
		off += 2 + plen;
	}
	return delivered;
}

void
kp_codec_strerror(const struct kp_codec_report *r, char *buf, size_t size)
{
	switch (r->err) {
	case KP_CODEC_EMPTY:
		snprintf(buf, size, "empty message");
		break;
	case KP_CODEC_SHORT_HEADER:
		snprintf(buf, size, "packet %u at byte %zu: message ends "
		    "inside the length field (%zu byte left); rest skipped",
		    r->packet, r->offset, r->length);
		break;
	case KP_CODEC_PAST_END:
		snprintf(buf, size, "packet %u at byte %zu: length %zu runs "
		    "past the end of the message; rest skipped", r->packet,
		    r->offset, r->length);
		break;
	case KP_CODEC_BAD_LENGTH:
		snprintf(buf, size, "packet %u at byte %zu: length %zu "
		    "matches no packet kind; skipped", r->packet, r->offset,
		    r->length);
		break;
	case KP_CODEC_COUNT_SHORT:
		snprintf(buf, size, "message ends after %u of the %u packets "
		    "its count says", r->packet - 1, r->count);
		break;
	case KP_CODEC_COUNT_LONG:
		snprintf(buf, size, "count says %u packets but the message "
		    "holds %u; all decoded", r->count, r->packet);
		break;
	case KP_CODEC_TRAILING:
		snprintf(buf, size, "%zu bytes after packet %u at byte %zu "
		    "are not packets; skipped", r->length, r->packet,
		    r->offset);
		break;
	default:
		snprintf(buf, size, "unknown decoding error");
		break;
	}
}

static void
encode_depth(uint8_t *p, const struct kp_depth *d)
{
	int i;

	for (i = 0; i < KP_DEPTH; i++, p += 12) {
		wr32(p, d[i].quantity);
		wr32(p + 4, (uint32_t)d[i].price);
		wr16(p + 8, d[i].orders);
		wr16(p + 10, 0);
	}
}

static void
encode_quote(const struct kp_tick *t, uint8_t *p)
{
	wr32(p + 8, t->last_traded_quantity);
	wr32(p + 12, (uint32_t)t->average_traded_price);
	wr32(p + 16, t->volume_traded);
	wr32(p + 20, t->total_buy_quantity);
	wr32(p + 24, t->total_sell_quantity);
	wr32(p + 28, (uint32_t)t->open);
	wr32(p + 32, (uint32_t)t->high);
	wr32(p + 36, (uint32_t)t->low);
	wr32(p + 40, (uint32_t)t->close);
	if (t->kind != KP_TICK_FULL)
		return;
	wr32(p + 44, t->last_trade_time);
	wr32(p + 48, t->oi);
	wr32(p + 52, t->oi_day_high);
	wr32(p + 56, t->oi_day_low);
	wr32(p + 60, t->exchange_timestamp);
	encode_depth(p + 64, t->buy);
	encode_depth(p + 124, t->sell);
}

size_t
kp_codec_encode_packet(const struct kp_tick *t, uint8_t *out)
{
	wr32(out, t->token);
	wr32(out + 4, (uint32_t)t->last_price);
	switch (t->kind) {
	case KP_TICK_INDEX_QUOTE:
	case KP_TICK_INDEX_FULL:
		wr32(out + 8, (uint32_t)t->high);
		wr32(out + 12, (uint32_t)t->low);
		wr32(out + 16, (uint32_t)t->open);
		wr32(out + 20, (uint32_t)t->close);
		wr32(out + 24, (uint32_t)t->price_change);
		if (t->kind == KP_TICK_INDEX_FULL)
			wr32(out + 28, t->exchange_timestamp);
		break;
	case KP_TICK_QUOTE:
	case KP_TICK_FULL:
		encode_quote(t, out);
		break;
	default:
		break;
	}
	return kp_tick_packet_len(t->kind <= KP_TICK_FULL ? t->kind :
	    KP_TICK_LTP);
}

void
kp_codec_msg_init(struct kp_codec_msg *m, uint8_t *buf, size_t cap)
{
	m->buf = buf;
	m->cap = cap;
	m->len = cap >= 2 ? 2 : 0;
	m->count = 0;
}

int
kp_codec_msg_add(struct kp_codec_msg *m, const struct kp_tick *t)
{
	size_t plen = kp_tick_packet_len(t->kind <= KP_TICK_FULL ? t->kind :
	    KP_TICK_LTP);

	if (m->cap < 2 || m->count == 0xffff || m->cap - m->len < plen + 2)
		return -1;
	wr16(m->buf + m->len, (unsigned)plen);
	kp_codec_encode_packet(t, m->buf + m->len + 2);
	m->len += plen + 2;
	m->count++;
	return 0;
}

size_t
kp_codec_msg_finish(struct kp_codec_msg *m)
{
	if (m->cap < 2)
		return 0;
	wr16(m->buf, m->count);
	return m->len;
}
