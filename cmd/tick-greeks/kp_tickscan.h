/* kp_tickscan.h: tick-greeks' view of a tick line (tickscan.c, on lib/linescan.c). */
/* SPDX-License-Identifier: MIT */
#ifndef KP_TICKSCAN_H
#define KP_TICKSCAN_H

#include <stddef.h>
#include <stdint.h>

/*
 * kp_tickscan checks that a line is exactly one JSON object or array (RFC
 * 8259, accepting and rejecting what jansson's json_loadb(line, len, 0)
 * does: whitespace around, UTF-8 strings without \u0000, no lone
 * surrogates, integers within int64, no real that overflows a double,
 * at most KP_TICKSCAN_MAX_DEPTH nested values; but any NUL byte is an
 * error, where jansson lets one pass right after a number or literal) and, on the way, picks out
 * the members tick-greeks reads, without building a tree or allocating:
 * kp_linescan with KP_LS_JANSSON, KP_LS_VALUES and KP_LS_BEST.
 *
 * Picked: the top-level object's instrument_token, last_price, close,
 * exchange_timestamp, receive_timestamp, timestamp, oi and
 * volume_traded, and
 * depth.buy[0].price and depth.sell[0].price.  A duplicate key is taken
 * as jansson takes it: the last one wins (a later "depth" replaces the
 * whole earlier one).  A picked member whose value is not a number (or,
 * for timestamp, a string) reads as absent.
 */
#define KP_TICKSCAN_MAX_DEPTH 2048	/* KP_LS_MAX_DEPTH */

enum {
	KP_TK_TOKEN, KP_TK_LAST_PRICE, KP_TK_CLOSE, KP_TK_EXCH_TS,
	KP_TK_RECV_TS, KP_TK_TS, KP_TK_OI, KP_TK_VOLUME,
	KP_TK_BID, KP_TK_ASK,		/* the best prices: last (KP_LS_BEST) */
	KP_TK_N
};

enum { KP_TV_NONE, KP_TV_INT, KP_TV_REAL, KP_TV_STR };

struct kp_tickscan {
	int top;			/* '{' or '[' */
	unsigned char kind[KP_TK_N];	/* KP_TV_* */
	double num[KP_TK_N];		/* INT and REAL: the value (else unset) */
	int64_t i64[KP_TK_N];		/* INT: the exact value (else unset) */
	const char *str;		/* KP_TK_TS as a string: its raw */
	size_t slen;			/* bytes between the quotes */
	const char *err;		/* on error: what */
	size_t col;			/* and where (1-based byte column) */
};

/*
 * Scan s[0, n); s[n] must be a NUL (as kp_line_next leaves it).  Return
 * 0 and fill *js, or -1 with js->err and js->col set.
 */
int kp_tickscan(struct kp_tickscan *js, const char *s, size_t n);

/*
 * The same with the general scanner alone, which kp_tickscan falls back
 * to when its fast path for plain tick lines cannot decide (tests check
 * that both agree).
 */
int kp_tickscan_full(struct kp_tickscan *js, const char *s, size_t n);

/*
 * Decode the raw bytes of a string kp_tickscan accepted (escapes resolved)
 * into dst, NUL-terminated.  Return its length, or (size_t)-1 when it
 * needs more than cap - 1 bytes (cap >= 1; dst then holds a prefix).
 */
size_t kp_tickscan_str(const char *raw, size_t n, char *dst, size_t cap);

#endif
