/*
 * orders.c: kite-sim's order book with paper fills (kite-connect.md 2.3).
 * SPDX-License-Identifier: MIT
 *
 * Placement validates like Kite (400 InputException, Kite-like messages),
 * then walks the order through PUT ORDER REQ RECEIVED, VALIDATION PENDING
 * and OPEN PENDING to OPEN (or TRIGGER PENDING for SL and SL-M): MARKET
 * orders and marketable LIMIT orders fill at once at the last price,
 * resting LIMIT orders fill at their price when the market crosses it
 * (orders_on_market, after every model step), SL and SL-M orders trigger
 * on the trigger price and then behave as LIMIT and MARKET orders; an IOC
 * order that does not fill at once is cancelled.  OPEN, TRIGGER PENDING,
 * COMPLETE, CANCELLED, REJECTED and every modification push Kite's order update on
 * the ticker (the postback shape).  A price or trigger price past the
 * circuit limits (20% around the previous close, as /quote shows them)
 * is accepted but the order is REJECTED, with a status_message.  At most ORD_MAX orders are kept (the
 * day's limit Kite states, 5000); past it placement is 400
 * OrderException.  Placements and modifications past conf.orders_per_s
 * accepted in the last second are 429 NetworkException "Too many
 * requests" (requests that fail validation do not count).
 * Variety amo, co, iceberg and auction fill like regular orders.
 * MARKET and SL-M orders need market_protection (check_mprot); an order
 * past its instrument's freeze quantity needs autoslice=true and is then
 * placed as at most SLICES_MAX children (place_sliced); under the
 * book-lag-ms fault a new order stays out of the GET answers (shown).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restx.h"

#define ORD_MAX 5000
#define MODS_MAX 25		/* modifications per order */
#define HIST_MAX (ORD_MAX * 12)
#define SLICES_MAX 10		/* autoslice children of one order */
#define MPROT_AUTO (-100)	/* market_protection -1: automatic */
#define MPROT_AUTO_PCT 200	/* what "automatic" records (mktp:2.00) */

struct ord {
	char id[20], xid[20];
	char variety[10], exchange[8], symbol[40];
	char txn[5], otype[8], product[6], validity[4];
	char tag[24];			/* "" when none */
	char status[32];
	char msg[96];			/* status_message; "" null */
	char auction[16];
	char parent[20];		/* autoslice parent; "" none */
	uint32_t token;
	long ix;			/* into s->instr */
	int64_t qty, disclosed, filled, cancelled;
	int64_t price, trigger, avg;	/* paise */
	int64_t ttl;
	int64_t mprot;			/* hundredths of a %; MPROT_AUTO */
	int64_t visible_ms;		/* in the book from (kp_mono_ms) */
	int64_t placed_s, xts_s, upd_s;	/* simulated epoch s; 0: null */
	int n_mods;
	bool modified;
};

struct trade {
	char id[12];
	size_t ord;
	int64_t qty, price, ts;
};

struct snap {
	size_t ord;
	struct ord st;
};

struct rest_orders {
	struct ord *o;
	size_t n;
	struct snap *h;
	size_t nh, caph;
	struct trade *t;
	size_t nt;
	size_t n_active;		/* OPEN or TRIGGER PENDING */
	uint64_t seq, xseq, tseq;
	int64_t *ring;			/* ms of recent placements/modifies */
	size_t ring_n, ring_at;
};

static const char *const varieties[] = {
	"regular", "amo", "co", "iceberg", "auction", NULL
};
static const char *const exchanges[] = {
	"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", NULL
};
static const char *const txns[] = { "BUY", "SELL", NULL };
static const char *const otypes[] = { "MARKET", "LIMIT", "SL", "SL-M", NULL };
static const char *const products[] = { "CNC", "NRML", "MIS", "MTF", NULL };
static const char *const validities[] = { "DAY", "IOC", "TTL", NULL };

/* Copy src into dst[n], truncating. */
static void
scopy(char *dst, size_t n, const char *src)
{
	size_t l = strlen(src);

	if (l >= n)
		l = n - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

static bool
one_of(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(v, *list) == 0)
			return true;
	return false;
}

struct rest_orders *
orders_new(void)
{
	struct rest_orders *o = kp_xcalloc(1, sizeof(*o));

	o->o = kp_xcalloc(ORD_MAX, sizeof(*o->o));
	o->t = kp_xcalloc(ORD_MAX, sizeof(*o->t));
	o->seq = 100000;
	o->xseq = 1;
	o->tseq = 10000000;
	return o;
}

void
orders_free(struct rest_orders *o)
{
	if (o == NULL)
		return;
	free(o->o);
	free(o->h);
	free(o->t);
	free(o->ring);
	free(o);
}

int64_t
orders_count(const struct rest_orders *o)
{
	return (int64_t)o->n;
}

/* ---------------------------------------------------------------- */
/* JSON */

void
rest_jkey(struct kp_buf *b, const char *k)
{
	kp_buf_addc(b, '"');
	kp_buf_addstr(b, k);
	kp_buf_addstr(b, "\":");
}

void
rest_jstr(struct kp_buf *b, const char *k, const char *v)
{
	rest_jkey(b, k);
	if (v && *v)
		kp_json_cstr(b, v);
	else
		kp_buf_addstr(b, "null");
	kp_buf_addc(b, ',');
}

void
rest_jint(struct kp_buf *b, const char *k, int64_t v)
{
	rest_jkey(b, k);
	kp_json_i64(b, v);
	kp_buf_addc(b, ',');
}

void
rest_jrupees(struct kp_buf *b, const char *k, int64_t paise)
{
	rest_jkey(b, k);
	kp_json_fixed(b, paise, 2);
	kp_buf_addc(b, ',');
}

static void
jtime(struct kp_buf *b, const char *k, int64_t epoch_s)
{
	char t[20];

	rest_jkey(b, k);
	if (epoch_s > 0) {
		rest_ist(t, epoch_s);
		kp_json_cstr(b, t);
	} else {
		kp_buf_addstr(b, "null");
	}
	kp_buf_addc(b, ',');
}

/* Replace the trailing ',' by '}' (or add '}'). */
void
rest_jclose(struct kp_buf *b)
{
	if (b->len > 0 && b->p[b->len - 1] == ',')
		b->len--;
	kp_buf_addc(b, '}');
}

static int64_t
pending(const struct ord *d)
{
	/* as Kite's book shows them (MOCK orders.json) */
	if (strcmp(d->status, "CANCELLED") == 0)
		return d->qty - d->filled;
	if (strcmp(d->status, "REJECTED") == 0)
		return 0;
	return d->qty - d->filled - d->cancelled;
}

/*
 * tags[]: the user's tag, then the ones Kite adds (MOCK orders.json):
 * "mktp", "mktp:2.00" for market protection, "autoslice",
 * "autoslice:<parent>" for a slice; null when there are none.
 */
static void
tags_json(struct kp_buf *b, const struct ord *d)
{
	size_t at;
	int64_t pct = d->mprot == MPROT_AUTO ? MPROT_AUTO_PCT : d->mprot;

	rest_jkey(b, "tags");
	at = b->len;
	kp_buf_addc(b, '[');
	if (d->tag[0]) {
		kp_json_cstr(b, d->tag);
		kp_buf_addc(b, ',');
	}
	if (d->mprot != 0) {
		char num[KP_FMT_ROOM];

		*kp_fmt_fixed_all(num, pct, 2) = '\0';
		kp_buf_addstr(b, "\"mktp\",\"mktp:");
		kp_buf_addstr(b, num);
		kp_buf_addstr(b, "\",");
	}
	if (d->parent[0]) {
		kp_buf_addstr(b, "\"autoslice\",\"autoslice:");
		kp_buf_addstr(b, d->parent);
		kp_buf_addstr(b, "\",");
	}
	if (b->p == NULL || b->len <= at + 1) {
		b->len = at;
		kp_buf_addstr(b, "null,");
		return;
	}
	b->p[b->len - 1] = ']';
	kp_buf_addc(b, ',');
}

/* One order object; with user set, the postback/ticker shape. */
static void
ord_json(struct kp_buf *b, const struct sim *s, const struct ord *d,
    bool postback)
{
	kp_buf_addc(b, '{');
	if (postback) {
		char t[20], sum[65];
		struct kp_buf in;

		rest_jstr(b, "user_id", SIM_USER_ID);
		rest_jint(b, "unfilled_quantity", d->qty - d->filled);
		rest_jint(b, "app_id", 1234);
		rest_ist(t, d->placed_s);
		kp_buf_init(&in, 1024);
		kp_buf_addstr(&in, d->id);
		kp_buf_addstr(&in, t);
		kp_buf_addstr(&in, s->conf.api_secret ?
		    s->conf.api_secret : "");
		if (in.p == NULL || rest_sha256_hex(in.p, in.len, sum) < 0)
			sum[0] = '\0';
		kp_buf_free(&in);
		rest_jstr(b, "checksum", sum);
	}
	rest_jstr(b, "account_id", SIM_USER_ID);
	rest_jstr(b, "placed_by", SIM_USER_ID);
	rest_jstr(b, "order_id", d->id);
	rest_jstr(b, "exchange_order_id", d->xid);
	rest_jstr(b, "parent_order_id", NULL);
	rest_jstr(b, "status", d->status);
	rest_jstr(b, "status_message", d->msg);
	rest_jstr(b, "status_message_raw", d->msg);
	jtime(b, "order_timestamp", d->placed_s);
	jtime(b, "exchange_update_timestamp", d->xid[0] ? d->upd_s : 0);
	jtime(b, "exchange_timestamp", d->xid[0] ? d->xts_s : 0);
	rest_jstr(b, "variety", d->variety);
	rest_jkey(b, "modified");
	kp_buf_addstr(b, d->modified ? "true," : "false,");
	rest_jstr(b, "exchange", d->exchange);
	rest_jstr(b, "tradingsymbol", d->symbol);
	rest_jint(b, "instrument_token", d->token);
	rest_jstr(b, "order_type", d->otype);
	rest_jstr(b, "transaction_type", d->txn);
	rest_jstr(b, "validity", d->validity);
	if (strcmp(d->validity, "TTL") == 0)
		rest_jint(b, "validity_ttl", d->ttl);
	rest_jstr(b, "product", d->product);
	rest_jint(b, "quantity", d->qty);
	rest_jint(b, "disclosed_quantity", d->disclosed);
	rest_jrupees(b, "price", d->price);
	rest_jrupees(b, "trigger_price", d->trigger);
	if (d->auction[0])
		rest_jstr(b, "auction_number", d->auction);
	rest_jrupees(b, "average_price", d->avg);
	rest_jint(b, "filled_quantity", d->filled);
	rest_jint(b, "pending_quantity", pending(d));
	rest_jint(b, "cancelled_quantity", d->cancelled);
	rest_jkey(b, "market_protection");
	kp_json_fixed(b, d->mprot, 2);
	kp_buf_addstr(b, ",\"meta\":{},");
	rest_jstr(b, "tag", d->tag);
	tags_json(b, d);
	rest_jstr(b, "guid", d->id);
	rest_jclose(b);
}

static void
trade_json(struct kp_buf *b, const struct rest_orders *o,
    const struct trade *t)
{
	const struct ord *d = &o->o[t->ord];
	char ts[20];

	kp_buf_addc(b, '{');
	rest_jstr(b, "trade_id", t->id);
	rest_jstr(b, "order_id", d->id);
	rest_jstr(b, "exchange", d->exchange);
	rest_jstr(b, "tradingsymbol", d->symbol);
	rest_jint(b, "instrument_token", d->token);
	rest_jstr(b, "product", d->product);
	rest_jrupees(b, "average_price", t->price);
	rest_jint(b, "quantity", t->qty);
	rest_jstr(b, "exchange_order_id", d->xid);
	rest_jstr(b, "transaction_type", d->txn);
	jtime(b, "fill_timestamp", t->ts);
	rest_ist(ts, d->placed_s);
	rest_jstr(b, "order_timestamp", ts + 11);
	jtime(b, "exchange_timestamp", t->ts);
	rest_jclose(b);
}

size_t
orders_nfills(const struct rest_orders *o)
{
	return o->nt;
}

void
orders_fill(const struct rest_orders *o, size_t i, struct rest_fill *f)
{
	const struct trade *t = &o->t[i];
	const struct ord *d = &o->o[t->ord];

	f->ix = d->ix;
	f->token = d->token;
	f->exchange = d->exchange;
	f->symbol = d->symbol;
	f->product = d->product;
	f->buy = d->txn[0] == 'B';
	f->qty = t->qty;
	f->price = t->price;
}

/* ---------------------------------------------------------------- */
/* state changes */

static int64_t
now_s(const struct sim *s)
{
	return sim_now_us(s) / 1000000;
}

static void
snapshot(struct rest_orders *o, size_t k)
{
	if (o->nh == HIST_MAX)
		return;			/* bounded; the book itself is kept */
	if (o->nh == o->caph) {
		o->caph = o->caph ? o->caph * 2 : 256;
		if (o->caph > HIST_MAX)
			o->caph = HIST_MAX;
		o->h = kp_xrealloc(o->h, o->caph * sizeof(*o->h));
	}
	o->h[o->nh].ord = k;
	o->h[o->nh++].st = o->o[k];
}

static bool
active(const struct ord *d)
{
	return strcmp(d->status, "OPEN") == 0 ||
	    strcmp(d->status, "TRIGGER PENDING") == 0;
}

/* Push the order's state as Kite's order update on the ticker. */
static void
push(struct sim *s, struct rest_orders *o, size_t k)
{
	struct kp_buf b;

	kp_buf_init(&b, 8192);
	kp_buf_addstr(&b, "{\"type\":\"order\",\"data\":");
	ord_json(&b, s, &o->o[k], true);
	kp_buf_addc(&b, '}');
	if (b.p)
		sim_ticker_text(s, s->conf.api_key, b.p, b.len);
	kp_buf_free(&b);
}

/* Set a status: the history gets it; visible ones are pushed. */
static void
set_status(struct sim *s, struct rest_orders *o, size_t k, const char *st,
    bool visible)
{
	struct ord *d = &o->o[k];
	bool was = active(d);

	scopy(d->status, sizeof(d->status), st);
	d->upd_s = now_s(s);
	if (was != active(d)) {
		if (active(d))
			o->n_active++;
		else
			o->n_active--;
	}
	snapshot(o, k);
	if (visible)
		push(s, o, k);
}

static void
fill(struct sim *s, struct rest_orders *o, size_t k, int64_t price)
{
	struct ord *d = &o->o[k];
	struct trade *t;
	int64_t q = d->qty - d->filled - d->cancelled;

	if (q <= 0)
		return;
	if (o->nt < ORD_MAX) {
		t = &o->t[o->nt++];
		snprintf(t->id, sizeof(t->id), "%08llu",
		    (unsigned long long)o->tseq++);
		t->ord = k;
		t->qty = q;
		t->price = price;
		t->ts = now_s(s);
	}
	d->avg = price;
	d->filled += q;
	set_status(s, o, k, "COMPLETE", true);
}

static void
cancel(struct sim *s, struct rest_orders *o, size_t k)
{
	struct ord *d = &o->o[k];

	d->cancelled = d->qty - d->filled;
	set_status(s, o, k, "CANCELLED", true);
}

/* The market moved, or the order is new or modified: act on it. */
static void
evaluate(struct sim *s, struct rest_orders *o, size_t k, bool fresh)
{
	struct ord *d = &o->o[k];
	int64_t ltp = sim_ltp(s, (size_t)d->ix);
	bool buy = d->txn[0] == 'B';

	if (ltp <= 0)
		return;
	if (strcmp(d->status, "TRIGGER PENDING") == 0) {
		if (buy ? ltp < d->trigger : ltp > d->trigger)
			return;
		/* triggered: now a LIMIT (SL) or MARKET (SL-M) order */
		set_status(s, o, k, "OPEN", true);
	}
	if (strcmp(d->status, "OPEN") != 0)
		return;
	if (strcmp(d->otype, "MARKET") == 0 ||
	    strcmp(d->otype, "SL-M") == 0) {
		fill(s, o, k, ltp);
	} else if (buy ? ltp <= d->price : ltp >= d->price) {
		/* marketable on arrival: at the market; resting: its price */
		fill(s, o, k, fresh ? ltp : d->price);
	} else if (fresh && strcmp(d->validity, "IOC") == 0) {
		cancel(s, o, k);
	}
}

void
orders_on_market(struct sim *s, struct rest_orders *o)
{
	size_t k;

	if (o->n_active == 0)
		return;
	for (k = 0; k < o->n && o->n_active > 0; k++)
		if (active(&o->o[k]))
			evaluate(s, o, k, false);
}

/* ---------------------------------------------------------------- */
/* validation */

/* "123.45" → paise; at most 2 decimals that are not zero; -1 if bad. */
static int64_t
parse_paise(const char *v)
{
	int64_t r = 0;
	int dec = -1;
	const char *p = v;

	if (*p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p == '.') {
			if (dec >= 0)
				return -1;
			dec = 0;
			continue;
		}
		if (*p < '0' || *p > '9')
			return -1;
		if (dec >= 2) {
			if (*p != '0')
				return -1;
			continue;
		}
		if (r > 1000000000000LL)
			return -1;
		r = r * 10 + (*p - '0');
		if (dec >= 0)
			dec++;
	}
	if (p[-1] == '.' && p - 1 == v)
		return -1;
	while (dec < 2) {
		r *= 10;
		dec = dec < 0 ? 1 : dec + 1;
	}
	return r;
}

static bool
tag_ok(const char *t)
{
	const char *p;

	if (strlen(t) > 20)
		return false;
	for (p = t; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == ' ' || *p == '_' ||
		    *p == '-' || *p == '.' || *p == ':'))
			return false;
	return true;
}

static bool
fno(const char *exch)
{
	return strcmp(exch, "NFO") == 0 || strcmp(exch, "BFO") == 0 ||
	    strcmp(exch, "MCX") == 0 || strcmp(exch, "CDS") == 0 ||
	    strcmp(exch, "BCD") == 0;
}

#define BAD(...) do { rest_err(r, 400, "InputException", __VA_ARGS__); \
	return -1; } while (0)

/*
 * market_protection (kite-connect.md 2.3): MARKET and SL-M orders need
 * -1 (automatic) or a percentage above 0 up to 100 (two decimals);
 * missing or 0 is refused, as Kite does since the SEBI algo rules.
 * LIMIT and SL orders ignore it.  d->mprot keeps the order's value when
 * a modification does not send one.
 */
static int
check_mprot(struct ord *d, const struct kp_form *f, struct sim_resp *r)
{
	const char *v = kp_form_get(f, "market_protection");
	int64_t p;

	if (strcmp(d->otype, "MARKET") != 0 && strcmp(d->otype, "SL-M") != 0) {
		d->mprot = 0;
		return 0;
	}
	if (v != NULL && *v) {
		if (strcmp(v, "-1") == 0 || strcmp(v, "-1.0") == 0 ||
		    strcmp(v, "-1.00") == 0)
			p = MPROT_AUTO;
		else if ((p = parse_paise(v)) < 0 || p > 10000)
			BAD("Invalid `market_protection`: want -1 (automatic) "
			    "or a percentage from 0 to 100.");
		d->mprot = p;
	}
	if (d->mprot == 0)
		BAD("Market orders without market protection are not "
		    "allowed via API. Please set market protection or use a "
		    "Limit order.");
	return 0;
}

/*
 * Cover orders: the entry is MARKET or LIMIT, and trigger_price (the
 * stoploss leg, placed with the entry) is required, below the entry
 * for a BUY and above it for a SELL (the last price for a MARKET
 * entry; checked when the entry is placed).
 */
static int
check_co(const struct sim *s, struct ord *d, const struct kp_form *f,
    bool modify, struct sim_resp *r)
{
	const char *v = kp_form_get(f, "trigger_price");
	bool buy = d->txn[0] == 'B';
	int64_t entry;

	if (strcmp(d->otype, "MARKET") != 0 && strcmp(d->otype, "LIMIT") != 0)
		BAD("Cover orders can only be MARKET or LIMIT orders.");
	if (!modify && (v == NULL || !*v))
		BAD("Missing `trigger_price` for cover orders.");
	if (d->trigger <= 0)
		BAD("Trigger price must be greater than zero for cover "
		    "orders.");
	entry = strcmp(d->otype, "LIMIT") == 0 ? d->price :
	    sim_ltp(s, (size_t)d->ix);
	if (entry > 0 && (buy ? d->trigger >= entry : d->trigger <= entry))
		BAD("Trigger price for a %s cover order should be %s than the "
		    "%s price.", buy ? "buy" : "sell", buy ? "lower" : "higher",
		    strcmp(d->otype, "LIMIT") == 0 ? "order" : "last traded");
	return 0;
}

/*
 * Check order_type, quantity, price, trigger_price, validity and
 * disclosed_quantity from f into d (fields absent keep d's values when
 * modifying).  Return 0, or -1 with the error answered.
 */
static int
check_terms(const struct sim *s, struct ord *d, const struct kp_form *f,
    bool modify, struct sim_resp *r)
{
	const struct sim_instr *in = &s->instr[d->ix];
	const char *v;
	long long n;
	int64_t p;
	int32_t tick = in->tick_size > 0 ? in->tick_size : 5;

	if ((v = kp_form_get(f, "order_type")) && *v) {
		if (!one_of(v, otypes))
			BAD("Invalid `order_type`.");
		scopy(d->otype, sizeof(d->otype), v);
	} else if (!modify) {
		BAD("Missing `order_type`.");
	}
	if ((v = kp_form_get(f, "quantity")) && *v) {
		if (kp_num_ll(v, 1, 10000000, &n) < 0)
			BAD("Invalid `quantity`.");
		if (n < d->filled + 1 && modify)
			BAD("Quantity cannot be less than the filled "
			    "quantity.");
		if (in->lot_size > 1 && n % in->lot_size != 0)
			BAD("Quantity should be a multiple of lot size "
			    "(%d).", in->lot_size);
		d->qty = n;
	} else if (!modify) {
		BAD("Missing `quantity`.");
	}
	if ((v = kp_form_get(f, "price")) && *v) {
		if ((p = parse_paise(v)) < 0)
			BAD("Invalid `price`.");
		d->price = p;
	}
	if ((v = kp_form_get(f, "trigger_price")) && *v) {
		if ((p = parse_paise(v)) < 0)
			BAD("Invalid `trigger_price`.");
		d->trigger = p;
	}
	if (strcmp(d->otype, "MARKET") == 0 || strcmp(d->otype, "SL-M") == 0)
		d->price = 0;
	if (strcmp(d->variety, "co") == 0) {
		if (check_co(s, d, f, modify, r) < 0)
			return -1;
	} else if (strcmp(d->otype, "MARKET") == 0 ||
	    strcmp(d->otype, "LIMIT") == 0) {
		d->trigger = 0;
	}
	if ((strcmp(d->otype, "LIMIT") == 0 || strcmp(d->otype, "SL") == 0) &&
	    d->price <= 0)
		BAD("Price must be greater than zero for %s orders.",
		    d->otype);
	if ((strcmp(d->otype, "SL") == 0 || strcmp(d->otype, "SL-M") == 0) &&
	    d->trigger <= 0)
		BAD("Trigger price must be greater than zero for %s orders.",
		    d->otype);
	if (d->price % tick != 0)
		BAD("Tick size for this script is %d.%02d. Kindly enter "
		    "price in the multiple of tick size for this script.",
		    tick / 100, tick % 100);
	if (d->trigger % tick != 0)
		BAD("Tick size for this script is %d.%02d. Kindly enter "
		    "trigger price in the multiple of tick size for this "
		    "script.", tick / 100, tick % 100);
	if (strcmp(d->otype, "SL") == 0 &&
	    (d->txn[0] == 'B' ? d->trigger > d->price :
	    d->trigger < d->price))
		BAD("Trigger price for stoploss %s orders should be %s than "
		    "price.", d->txn[0] == 'B' ? "buy" : "sell",
		    d->txn[0] == 'B' ? "less" : "higher");
	if ((v = kp_form_get(f, "validity")) && *v) {
		if (!one_of(v, validities))
			BAD("Invalid `validity`.");
		scopy(d->validity, sizeof(d->validity), v);
	} else if (!modify) {
		snprintf(d->validity, sizeof(d->validity), "DAY");
	}
	if (strcmp(d->validity, "TTL") == 0) {
		if ((v = kp_form_get(f, "validity_ttl")) && *v) {
			if (kp_num_ll(v, 1, 375, &n) < 0)
				BAD("Invalid `validity_ttl`.");
			d->ttl = n;
		} else if (d->ttl == 0) {
			BAD("Missing `validity_ttl` for TTL validity.");
		}
	}
	if ((v = kp_form_get(f, "disclosed_quantity")) && *v) {
		if (kp_num_ll(v, 0, d->qty, &n) < 0)
			BAD("Invalid `disclosed_quantity`.");
		if (n > 0 && fno(d->exchange))
			BAD("Disclosed quantity is not allowed for F&O.");
		d->disclosed = n;
	}
	return check_mprot(d, f, r);
}

/* A new order from a POST; 0, or -1 with the error answered. */
static int
check_new(const struct sim *s, struct ord *d, const char *variety,
    const struct kp_form *f, struct sim_resp *r)
{
	const char *v;
	long ix;
	long long n;

	memset(d, 0, sizeof(*d));
	if (!one_of(variety, varieties))
		BAD("Invalid `variety`.");
	scopy(d->variety, sizeof(d->variety), variety);
	if ((v = kp_form_get(f, "exchange")) == NULL || !*v)
		BAD("Missing `exchange`.");
	if (!one_of(v, exchanges))
		BAD("Invalid `exchange`.");
	scopy(d->exchange, sizeof(d->exchange), v);
	if ((v = kp_form_get(f, "tradingsymbol")) == NULL || !*v)
		BAD("Missing `tradingsymbol`.");
	ix = rest_find_symbol(s, d->exchange, v);
	if (ix < 0)
		BAD("The instrument you are placing an order for has either "
		    "expired or does not exist.");
	if (s->instr[ix].is_index)
		BAD("Indices cannot be traded.");
	d->ix = ix;
	d->token = s->instr[ix].token;
	scopy(d->symbol, sizeof(d->symbol), v);
	if ((v = kp_form_get(f, "transaction_type")) == NULL || !*v)
		BAD("Missing `transaction_type`.");
	if (!one_of(v, txns))
		BAD("Invalid `transaction_type`.");
	scopy(d->txn, sizeof(d->txn), v);
	if ((v = kp_form_get(f, "product")) == NULL || !*v)
		BAD("Missing `product`.");
	if (!one_of(v, products))
		BAD("Invalid `product`.");
	if (fno(d->exchange) && (strcmp(v, "CNC") == 0 ||
	    strcmp(v, "MTF") == 0))
		BAD("Product type %s is not allowed for F&O.", v);
	if (!fno(d->exchange) && strcmp(v, "NRML") == 0)
		BAD("Product type NRML is only for F&O.");
	scopy(d->product, sizeof(d->product), v);
	if (check_terms(s, d, f, false, r) < 0)
		return -1;
	if ((v = kp_form_get(f, "tag")) && *v) {
		if (!tag_ok(v))
			BAD("Tag should be alphanumeric and at most 20 "
			    "characters.");
		scopy(d->tag, sizeof(d->tag), v);
	}
	if (strcmp(d->variety, "iceberg") == 0) {
		const char *q = kp_form_get(f, "iceberg_quantity");

		v = kp_form_get(f, "iceberg_legs");
		if (v == NULL || kp_num_ll(v, 2, 10, &n) < 0)
			BAD("`iceberg_legs` should be between 2 and 10.");
		if (q == NULL || kp_num_ll(q, 1, d->qty, &n) < 0)
			BAD("Invalid `iceberg_quantity`.");
	} else if (strcmp(d->variety, "auction") == 0) {
		v = kp_form_get(f, "auction_number");
		if (v == NULL || !*v || strlen(v) >= sizeof(d->auction))
			BAD("Missing or invalid `auction_number`.");
		scopy(d->auction, sizeof(d->auction), v);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* handlers */

/*
 * Room for one more placement or modification in this second?  Only
 * accepted ones count (rate_note), so rejected requests cost nothing.
 */
static bool
rate_ok(const struct sim *s, struct rest_orders *o)
{
	size_t lim = s->conf.orders_per_s > 0 ?
	    (size_t)s->conf.orders_per_s : 10;
	int64_t now = kp_mono_ms();

	if (o->ring_n != lim) {
		free(o->ring);
		o->ring = kp_xcalloc(lim, sizeof(*o->ring));
		o->ring_n = lim;
		o->ring_at = 0;
		for (size_t i = 0; i < lim; i++)
			o->ring[i] = now - 1000;
	}
	/* the oldest of the last lim entries must be a second old */
	return now - o->ring[o->ring_at] >= 1000;
}

static void
rate_note(struct rest_orders *o)
{
	if (o->ring_n == 0)
		return;
	o->ring[o->ring_at] = kp_mono_ms();
	o->ring_at = (o->ring_at + 1) % o->ring_n;
}

static void
answer_id(struct sim_resp *r, const char *id)
{
	struct kp_buf b;

	kp_buf_init(&b, 128);
	kp_buf_addstr(&b, "{\"order_id\":");
	kp_json_cstr(&b, id);
	kp_buf_addc(&b, '}');
	rest_ok(r, &b);
	kp_buf_free(&b);
}

/*
 * Kite accepts the request but the exchange rejects a price past the
 * circuit limits (rest_band: 20% around the previous close).
 */
static bool
outside_band(const struct sim *s, const struct ord *d)
{
	int64_t p = d->price > 0 ? d->price : d->trigger;

	if (p <= 0)
		return false;
	return p < rest_band(s, (size_t)d->ix, false) ||
	    p > rest_band(s, (size_t)d->ix, true);
}

/*
 * The ambiguous fault, on an order write that went through (placement,
 * modification or cancellation): the book has changed, but the answer
 * comes only after ambiguous_ms, or never.  ms 0: Kite's own ambiguous
 * answer, at once (the error_type Kite uses here is not documented).
 */
static void
ambiguous(struct sim *s, struct sim_resp *r, const char *what,
    const char *id, const char *tag)
{
	if (s->faults.ambiguous_n == 0)
		return;
	if (s->faults.ambiguous_ms == 0)
		rest_err(r, 400, "OrderException", "Order request "
		    "timed out. Please check the order book.");
	r->delay_ms = s->faults.ambiguous_ms < 0 ? -1 :
	    s->faults.ambiguous_ms;
	if (s->faults.ambiguous_n > 0)
		s->faults.ambiguous_n--;
	kp_info("rest: ambiguous %s order_id=%s tag=%s delay_ms=%lld", what,
	    id, tag, (long long)r->delay_ms);
}

/* A new order id from the day and the sequence, into id[20]. */
static void
new_id(struct sim *s, struct rest_orders *o, char id[20])
{
	char ymd[20];

	rest_ist(ymd, now_s(s));
	snprintf(id, 20, "%.2s%.2s%.2s%09llu", ymd + 2, ymd + 5, ymd + 8,
	    (unsigned long long)o->seq++);
}

/* Put a checked order in the book and walk it to its first state. */
static size_t
book(struct sim *s, struct rest_orders *o, const struct ord *d)
{
	size_t k = o->n++;
	int64_t t = now_s(s);

	o->o[k] = *d;
	new_id(s, o, o->o[k].id);
	o->o[k].placed_s = t;
	o->o[k].visible_ms = kp_mono_ms() + s->faults.book_lag_ms;
	set_status(s, o, k, "PUT ORDER REQ RECEIVED", false);
	set_status(s, o, k, "VALIDATION PENDING", false);
	set_status(s, o, k, "OPEN PENDING", false);
	snprintf(o->o[k].xid, sizeof(o->o[k].xid), "13%014llu",
	    (unsigned long long)o->xseq++);
	o->o[k].xts_s = t;
	if (outside_band(s, &o->o[k])) {
		scopy(o->o[k].msg, sizeof(o->o[k].msg), "RMS:Rule: Order "
		    "price is outside the circuit limits");
		o->o[k].xid[0] = '\0';
		set_status(s, o, k, "REJECTED", true);
	} else if (strcmp(d->otype, "SL") == 0 || strcmp(d->otype, "SL-M") == 0)
		set_status(s, o, k, "TRIGGER PENDING", true);
	else
		set_status(s, o, k, "OPEN", true);
	evaluate(s, o, k, true);
	return k;
}

static bool
too_many(struct rest_orders *o, size_t more, struct sim_resp *r)
{
	if (o->n + more <= ORD_MAX)
		return false;
	rest_err(r, 400, "OrderException",
	    "Maximum allowed order requests exceeded (%d a day).", ORD_MAX);
	return true;
}

/*
 * The freeze quantity: past it an order needs autoslice=true, and is
 * then cut into slices of the freeze quantity (down to whole lots), at
 * most SLICES_MAX of them.  Return the number of slices (1: not
 * sliced), or -1 with the error answered.
 */
static int
slices(const struct sim *s, const struct ord *d, const struct kp_form *f,
    int64_t *size, struct sim_resp *r)
{
	const struct sim_instr *in = &s->instr[d->ix];
	const char *v = kp_form_get(f, "autoslice");
	bool on = false;
	int64_t n;

	if (v != NULL && *v) {
		if (strcmp(v, "true") == 0)
			on = true;
		else if (strcmp(v, "false") != 0)
			BAD("Invalid `autoslice`: want true or false.");
	}
	if (in->freeze_qty <= 0 || d->qty <= in->freeze_qty)
		return 1;
	if (!on)
		BAD("Quantity exceeds the freeze limit of %d for %s. Place "
		    "the order with autoslice enabled, or in smaller "
		    "quantities.", in->freeze_qty, d->symbol);
	*size = in->freeze_qty;
	if (in->lot_size > 1 && *size >= in->lot_size)
		*size -= *size % in->lot_size;
	n = (d->qty + *size - 1) / *size;
	if (n > SLICES_MAX)
		BAD("Quantity %lld would need %lld slices of %lld; at most %d "
		    "slices are allowed.", (long long)d->qty, (long long)n,
		    (long long)*size, SLICES_MAX);
	return (int)n;
}

/* A child that failed (the child-margin-fail fault), MOCK's shape. */
static void
child_error(const struct sim *s, struct kp_buf *b, const struct ord *d)
{
	int64_t ltp = sim_ltp(s, (size_t)d->ix);
	int64_t need = (d->price > 0 ? d->price : ltp) * d->qty / 5;
	char num[KP_FMT_ROOM];

	kp_buf_addstr(b, "{\"error\":{\"code\":400,\"error_type\":"
	    "\"MarginException\",\"message\":\"Insufficient funds. Required "
	    "margin is ");
	*kp_fmt_fixed_all(num, need, 2) = '\0';
	kp_buf_addstr(b, num);
	kp_buf_addstr(b, " but available margin is 0.00.\",\"data\":null}}");
}

/*
 * An order past the freeze quantity with autoslice=true: n children of
 * size (the last one the rest), each in the book with the tags
 * "autoslice" and "autoslice:<parent>"; the parent id is not an order
 * (MOCK orders.json has only the children).  Answer MOCK
 * autoslice_response.json's shape.
 */
static void
place_sliced(struct sim *s, struct rest_orders *o, struct ord *d, int n,
    int64_t size, struct sim_resp *r)
{
	struct kp_buf b;
	int64_t left = d->qty;
	char parent[20];
	int i;

	new_id(s, o, parent);
	scopy(d->parent, sizeof(d->parent), parent);
	kp_buf_init(&b, 64 * 1024);
	kp_buf_addstr(&b, "{\"order_id\":");
	kp_json_cstr(&b, parent);
	kp_buf_addstr(&b, ",\"children\":[");
	for (i = 1; i <= n; i++) {
		d->qty = left < size ? left : size;
		left -= d->qty;
		if (i > 1)
			kp_buf_addc(&b, ',');
		if (s->faults.child_fail_from > 0 &&
		    i >= s->faults.child_fail_from) {
			child_error(s, &b, d);
			continue;
		}
		kp_buf_addstr(&b, "{\"order_id\":");
		kp_json_cstr(&b, o->o[book(s, o, d)].id);
		kp_buf_addc(&b, '}');
	}
	kp_buf_addstr(&b, "]}");
	rest_ok(r, &b);
	kp_buf_free(&b);
	kp_info("rest: autoslice parent=%s children=%d", parent, n);
}

static void
place(struct sim *s, struct rest_orders *o, const char *variety,
    const struct kp_form *f, struct sim_resp *r)
{
	struct ord d;
	int64_t size = 0;
	int n;
	size_t k;

	if (check_new(s, &d, variety, f, r) < 0)
		return;
	if ((n = slices(s, &d, f, &size, r)) < 0)
		return;
	if (too_many(o, (size_t)n, r))
		return;
	rate_note(o);
	if (n > 1) {
		place_sliced(s, o, &d, n, size, r);
		ambiguous(s, r, "placement", d.parent, d.tag);
		return;
	}
	k = book(s, o, &d);
	answer_id(r, o->o[k].id);
	ambiguous(s, r, "placement", o->o[k].id, o->o[k].tag);
}

static long
find(const struct rest_orders *o, const char *id)
{
	size_t k;

	for (k = 0; k < o->n; k++)
		if (strcmp(o->o[k].id, id) == 0)
			return (long)k;
	return -1;
}

static void
not_found(struct sim_resp *r)
{
	rest_err(r, 400, "GeneralException", "Couldn't find that `order_id`.");
}

static bool
alterable(struct sim_resp *r, const struct ord *d, const char *what)
{
	if (active(d))
		return true;
	rest_err(r, 400, "OrderException",
	    "Order cannot be %s as it is in %s state.", what, d->status);
	return false;
}

static void
modify(struct sim *s, struct rest_orders *o, const char *id,
    const struct kp_form *f, struct sim_resp *r)
{
	long k = find(o, id);
	struct ord d;

	if (k < 0) {
		not_found(r);
		return;
	}
	if (!alterable(r, &o->o[k], "modified"))
		return;
	if (o->o[k].n_mods >= MODS_MAX) {
		rest_err(r, 400, "OrderException",
		    "Maximum allowed order modifications exceeded.");
		return;
	}
	d = o->o[k];
	if (check_terms(s, &d, f, true, r) < 0)
		return;
	if (s->instr[d.ix].freeze_qty > 0 &&
	    d.qty > s->instr[d.ix].freeze_qty) {
		rest_err(r, 400, "InputException", "Quantity exceeds the "
		    "freeze limit of %d for %s.", s->instr[d.ix].freeze_qty,
		    d.symbol);
		return;
	}
	if (strcmp(d.otype, o->o[k].otype) != 0 &&
	    (strcmp(d.otype, "SL") == 0 || strcmp(d.otype, "SL-M") == 0) !=
	    (strcmp(o->o[k].status, "TRIGGER PENDING") == 0)) {
		rest_err(r, 400, "InputException",
		    "Order type cannot be changed from %s to %s.",
		    o->o[k].otype, d.otype);
		return;
	}
	rate_note(o);
	d.n_mods++;
	d.modified = true;
	o->o[k] = d;
	{
		char st[32];

		scopy(st, sizeof(st), d.status);
		set_status(s, o, (size_t)k, "MODIFY VALIDATION PENDING", false);
		set_status(s, o, (size_t)k, "MODIFY PENDING", false);
		set_status(s, o, (size_t)k, "MODIFIED", false);
		set_status(s, o, (size_t)k, st, true);
	}
	/* a modified order that is now marketable takes the market */
	evaluate(s, o, (size_t)k, true);
	answer_id(r, id);
	ambiguous(s, r, "modification", id, o->o[k].tag);
}

/* In the book's answers yet (the book-lag-ms fault)? */
static bool
shown(const struct rest_orders *o, size_t k, int64_t now_ms)
{
	return now_ms >= o->o[k].visible_ms;
}

static void
list(struct sim *s, struct rest_orders *o, const char *id, bool trades,
    struct sim_resp *r)
{
	struct kp_buf b;
	size_t i;
	long k = -1;
	int64_t now = kp_mono_ms();

	if (id && ((k = find(o, id)) < 0 || !shown(o, (size_t)k, now))) {
		not_found(r);
		return;
	}
	kp_buf_init(&b, REST_BODY_MAX);
	kp_buf_addc(&b, '[');
	if (trades) {
		for (i = 0; i < o->nt; i++)
			if ((k < 0 && shown(o, o->t[i].ord, now)) ||
			    o->t[i].ord == (size_t)k) {
				trade_json(&b, o, &o->t[i]);
				kp_buf_addc(&b, ',');
			}
	} else if (id) {
		for (i = 0; i < o->nh; i++)
			if (o->h[i].ord == (size_t)k) {
				ord_json(&b, s, &o->h[i].st, false);
				kp_buf_addc(&b, ',');
			}
	} else {
		for (i = 0; i < o->n; i++) {
			if (!shown(o, i, now))
				continue;
			ord_json(&b, s, &o->o[i], false);
			kp_buf_addc(&b, ',');
		}
	}
	if (b.len > 1)
		b.len--;
	kp_buf_addc(&b, ']');
	rest_ok(r, &b);
	kp_buf_free(&b);
}

void
orders_handle(struct sim *s, struct rest_orders *o, const struct sim_req *req,
    const struct kp_form *f, struct sim_resp *r)
{
	char seg[3][64];
	size_t n = 0;
	const char *p = req->path, *m = req->method;

	memset(seg, 0, sizeof(seg));
	while (*p == '/')
		p++;
	while (*p && n < 3) {
		size_t l = strcspn(p, "/");

		if (l >= 64)
			break;
		memcpy(seg[n], p, l);
		seg[n++][l] = '\0';
		p += l;
		while (*p == '/')
			p++;
	}
	sim_market_step(s);
	if (strcmp(seg[0], "trades") == 0) {
		if (strcmp(m, "GET") == 0)
			list(s, o, NULL, true, r);
		else
			rest_err(r, 405, "InputException",
			    "Method not allowed.");
	} else if (n == 1 && strcmp(m, "GET") == 0) {
		list(s, o, NULL, false, r);
	} else if (n == 2 && strcmp(m, "GET") == 0) {
		list(s, o, seg[1], false, r);
	} else if (n == 3 && strcmp(m, "GET") == 0 &&
	    strcmp(seg[2], "trades") == 0) {
		list(s, o, seg[1], true, r);
	} else if ((n == 2 && strcmp(m, "POST") == 0) ||
	    (n == 3 && strcmp(m, "PUT") == 0)) {
		if (!rate_ok(s, o)) {
			rest_err(r, 429, "NetworkException",
			    "Too many requests");
		} else if (n == 2) {
			place(s, o, seg[1], f, r);
		} else if (!one_of(seg[1], varieties)) {
			rest_err(r, 400, "InputException",
			    "Invalid `variety`.");
		} else {
			modify(s, o, seg[2], f, r);
		}
	} else if (n == 3 && strcmp(m, "DELETE") == 0) {
		long k = find(o, seg[2]);

		if (!one_of(seg[1], varieties)) {
			rest_err(r, 400, "InputException",
			    "Invalid `variety`.");
		} else if (k < 0) {
			not_found(r);
		} else if (alterable(r, &o->o[k], "cancelled")) {
			cancel(s, o, (size_t)k);
			answer_id(r, seg[2]);
			ambiguous(s, r, "cancellation", seg[2], o->o[k].tag);
		}
	} else {
		rest_err(r, n <= 3 ? 405 : 404, "InputException",
		    "Method not allowed.");
	}
}
