/*
 * book.c: kite-sim's positions, holdings and margins, derived from the
 * paper fills of orders.c (GET /portfolio/positions, /portfolio/holdings,
 * /user/margins[/segment]), in the shapes of Kite's clients (gokiteconnect
 * Position, Holding, Margins).
 * SPDX-License-Identifier: MIT
 *
 * A position is one (exchange, tradingsymbol, product) with fills, in the
 * order of its first fill.  Every fill is today's, so "day" equals "net"
 * and overnight_quantity is 0.  With q the net quantity, L the last price:
 * pnl = m2m = sell_value - buy_value + q*L; average_price is buy_price
 * when long, sell_price when short, 0 when flat; unrealised =
 * q*(L - average_price) rounded to the paisa; realised = pnl - unrealised.
 * Holdings: a long CNC position in an NSE/BSE equity is a holding of
 * t1_quantity q (bought today, not settled), quantity 0.  Margins: an
 * opening balance per segment (equity 1000000, commodity 500000 rupees);
 * debits are the net buy value of the segment's fills (at least 0), so
 * live_balance = net = opening_balance - debits; no SPAN or exposure.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kp_dtoa.h"
#include "restx.h"

#define EQ_OPEN 100000000LL		/* paise */
#define COM_OPEN 50000000LL

struct pos {
	long ix;
	uint32_t token;
	const char *exchange, *symbol, *product;
	int64_t bq, bv, sq, sv;		/* quantities; values in paise */
	int64_t ltp, close;
	int64_t pnl, unreal;		/* paise */
	double avg;			/* paise */
};

/* v in plain notation, the shortest that reads back (kp_json_double
 * would write 1850 as 1.85e+03). */
static void
dbl(struct kp_buf *b, double v)
{
	char *p = kp_buf_room(b, KP_DTOA_ROOM);

	if (p != NULL)
		b->len += (size_t)(kp_dtoa(p, isfinite(v) ? v : 0) - p);
}

/* A price in paise, not always whole, as rupees. */
static void
kdbl(struct kp_buf *b, const char *k, double paise)
{
	rest_jkey(b, k);
	dbl(b, paise / 100.0);
	kp_buf_addc(b, ',');
}

static double
per(int64_t v, int64_t q)
{
	return q > 0 ? (double)v / (double)q : 0;
}

/* The positions of the fills; *n of them, malloc'd. */
static struct pos *
positions(struct sim *s, struct rest_orders *o, size_t *n)
{
	size_t nf = orders_nfills(o), i, k, np = 0;
	struct pos *p = kp_xcalloc(nf ? nf : 1, sizeof(*p));
	struct rest_fill f;
	struct kp_tick t;

	for (i = 0; i < nf; i++) {
		orders_fill(o, i, &f);
		for (k = 0; k < np; k++)
			if (p[k].ix == f.ix &&
			    strcmp(p[k].product, f.product) == 0)
				break;
		if (k == np) {
			p[np].ix = f.ix;
			p[np].token = f.token;
			p[np].exchange = f.exchange;
			p[np].symbol = f.symbol;
			p[np++].product = f.product;
		}
		if (f.buy) {
			p[k].bq += f.qty;
			p[k].bv += f.qty * f.price;
		} else {
			p[k].sq += f.qty;
			p[k].sv += f.qty * f.price;
		}
	}
	for (k = 0; k < np; k++) {
		struct pos *x = &p[k];
		int64_t q = x->bq - x->sq;

		x->ltp = x->ix >= 0 ? sim_ltp(s, (size_t)x->ix) : 0;
		if (x->ix >= 0) {
			sim_quote(s, (size_t)x->ix, &t);
			x->close = t.close;
		}
		x->avg = q > 0 ? per(x->bv, x->bq) : q < 0 ?
		    per(x->sv, x->sq) : 0;
		x->pnl = x->sv - x->bv + q * x->ltp;
		x->unreal = (int64_t)llround((double)q *
		    ((double)x->ltp - x->avg));
	}
	*n = np;
	return p;
}

/* '{' and the instrument's identity members. */
static void
ident(struct kp_buf *b, const struct pos *x)
{
	kp_buf_addc(b, '{');
	rest_jstr(b, "tradingsymbol", x->symbol);
	rest_jstr(b, "exchange", x->exchange);
	rest_jint(b, "instrument_token", x->token);
}

static void
pos_json(struct kp_buf *b, const struct pos *x)
{
	int64_t q = x->bq - x->sq;

	ident(b, x);
	rest_jstr(b, "product", x->product);
	rest_jint(b, "quantity", q);
	rest_jint(b, "overnight_quantity", 0);
	rest_jint(b, "multiplier", 1);
	kdbl(b, "average_price", x->avg);
	rest_jrupees(b, "close_price", x->close);
	rest_jrupees(b, "last_price", x->ltp);
	rest_jrupees(b, "value", x->sv - x->bv);
	rest_jrupees(b, "pnl", x->pnl);
	rest_jrupees(b, "m2m", x->pnl);
	rest_jrupees(b, "unrealised", x->unreal);
	rest_jrupees(b, "realised", x->pnl - x->unreal);
	rest_jint(b, "buy_quantity", x->bq);
	kdbl(b, "buy_price", per(x->bv, x->bq));
	rest_jrupees(b, "buy_value", x->bv);
	rest_jrupees(b, "buy_m2m", x->bv);
	rest_jint(b, "sell_quantity", x->sq);
	kdbl(b, "sell_price", per(x->sv, x->sq));
	rest_jrupees(b, "sell_value", x->sv);
	rest_jrupees(b, "sell_m2m", x->sv);
	rest_jint(b, "day_buy_quantity", x->bq);
	kdbl(b, "day_buy_price", per(x->bv, x->bq));
	rest_jrupees(b, "day_buy_value", x->bv);
	rest_jint(b, "day_sell_quantity", x->sq);
	kdbl(b, "day_sell_price", per(x->sv, x->sq));
	rest_jrupees(b, "day_sell_value", x->sv);
	rest_jclose(b);
}

static void
pos_list(struct kp_buf *b, const struct pos *p, size_t n)
{
	size_t k;

	kp_buf_addc(b, '[');
	for (k = 0; k < n; k++) {
		pos_json(b, &p[k]);
		kp_buf_addc(b, ',');
	}
	if (n > 0)
		b->len--;
	kp_buf_addc(b, ']');
}

static bool
is_holding(const struct sim *s, const struct pos *x)
{
	return x->bq > x->sq && strcmp(x->product, "CNC") == 0 &&
	    (strcmp(x->exchange, "NSE") == 0 ||
	    strcmp(x->exchange, "BSE") == 0) && x->ix >= 0 &&
	    strcmp(s->instr[x->ix].instrument_type, "EQ") == 0;
}

static void
holding_json(struct kp_buf *b, const struct pos *x)
{
	int64_t q = x->bq - x->sq;

	ident(b, x);
	rest_jstr(b, "isin", NULL);
	rest_jstr(b, "product", "CNC");
	rest_jrupees(b, "price", 0);
	rest_jint(b, "quantity", 0);
	rest_jint(b, "used_quantity", 0);
	rest_jint(b, "t1_quantity", q);
	rest_jint(b, "realised_quantity", 0);
	rest_jint(b, "authorised_quantity", 0);
	rest_jstr(b, "authorised_date", NULL);
	rest_jint(b, "opening_quantity", 0);
	rest_jint(b, "collateral_quantity", 0);
	rest_jstr(b, "collateral_type", NULL);
	rest_jkey(b, "discrepancy");
	kp_buf_addstr(b, "false,");
	kdbl(b, "average_price", x->avg);
	rest_jrupees(b, "last_price", x->ltp);
	rest_jrupees(b, "close_price", x->close);
	rest_jrupees(b, "pnl", x->unreal);
	rest_jrupees(b, "day_change", x->close ? x->ltp - x->close : 0);
	rest_jkey(b, "day_change_percentage");
	dbl(b, x->close ? (double)(x->ltp - x->close) * 100.0 /
	    (double)x->close : 0);
	kp_buf_addstr(b, ",\"mtf\":{\"quantity\":0,\"used_quantity\":0,"
	    "\"average_price\":0,\"value\":0,\"initial_margin\":0}");
	rest_jclose(b);
}

static bool
commodity(const struct pos *x)
{
	return strcmp(x->exchange, "MCX") == 0;
}

static void
segment_json(struct kp_buf *b, const struct sim *s, const struct pos *p,
    size_t n, bool com)
{
	int64_t open = com ? COM_OPEN : EQ_OPEN, net = 0, prem = 0;
	int64_t real = 0, unreal = 0, turn = 0, debits;
	size_t k;

	for (k = 0; k < n; k++) {
		const char *it;

		if (commodity(&p[k]) != com)
			continue;
		net += p[k].bv - p[k].sv;
		turn += p[k].bv + p[k].sv;
		real += p[k].pnl - p[k].unreal;
		unreal += p[k].unreal;
		it = p[k].ix >= 0 ? s->instr[p[k].ix].instrument_type : "";
		if (strcmp(it, "CE") == 0 || strcmp(it, "PE") == 0)
			prem += p[k].bv - p[k].sv;
	}
	debits = net > 0 ? net : 0;
	kp_buf_addstr(b, "{\"enabled\":true,");
	rest_jrupees(b, "net", open - debits);
	kp_buf_addstr(b, "\"available\":{");
	rest_jrupees(b, "adhoc_margin", 0);
	rest_jrupees(b, "cash", open);
	rest_jrupees(b, "opening_balance", open);
	rest_jrupees(b, "live_balance", open - debits);
	rest_jrupees(b, "collateral", 0);
	rest_jrupees(b, "intraday_payin", 0);
	rest_jclose(b);
	kp_buf_addstr(b, ",\"utilised\":{");
	rest_jrupees(b, "debits", debits);
	rest_jrupees(b, "exposure", 0);
	rest_jrupees(b, "m2m_realised", real);
	rest_jrupees(b, "m2m_unrealised", unreal);
	rest_jrupees(b, "option_premium", prem > 0 ? prem : 0);
	rest_jrupees(b, "payout", 0);
	rest_jrupees(b, "span", 0);
	rest_jrupees(b, "holding_sales", 0);
	rest_jrupees(b, "turnover", turn);
	rest_jrupees(b, "liquid_collateral", 0);
	rest_jrupees(b, "stock_collateral", 0);
	rest_jrupees(b, "delivery", 0);
	rest_jclose(b);
	kp_buf_addc(b, '}');
}

void
book_handle(struct sim *s, struct rest_orders *o, const char *what,
    const char *segment, struct sim_resp *r)
{
	struct kp_buf b;
	struct pos *p;
	size_t n, k;
	bool first = true;

	if (segment && strcmp(segment, "equity") != 0 &&
	    strcmp(segment, "commodity") != 0) {
		rest_err(r, 400, "InputException", "Invalid segment.");
		return;
	}
	sim_market_step(s);
	p = positions(s, o, &n);
	kp_buf_init(&b, REST_BODY_MAX);
	if (strcmp(what, "positions") == 0) {
		kp_buf_addstr(&b, "{\"net\":");
		pos_list(&b, p, n);
		kp_buf_addstr(&b, ",\"day\":");
		pos_list(&b, p, n);
		kp_buf_addc(&b, '}');
	} else if (strcmp(what, "holdings") == 0) {
		kp_buf_addc(&b, '[');
		for (k = 0; k < n; k++) {
			if (!is_holding(s, &p[k]))
				continue;
			if (!first)
				kp_buf_addc(&b, ',');
			first = false;
			holding_json(&b, &p[k]);
		}
		kp_buf_addc(&b, ']');
	} else if (segment) {
		segment_json(&b, s, p, n, strcmp(segment, "commodity") == 0);
	} else {
		kp_buf_addstr(&b, "{\"equity\":");
		segment_json(&b, s, p, n, false);
		kp_buf_addstr(&b, ",\"commodity\":");
		segment_json(&b, s, p, n, true);
		kp_buf_addc(&b, '}');
	}
	rest_ok(r, &b);
	kp_buf_free(&b);
	free(p);
}
