/*
 * market.c: kite-sim's universe and market model.
 *
 * Underlyings (indices and stocks) follow driftless geometric Brownian
 * motion in fixed steps of simulated time (simx.step_us), so a seed and a
 * start time fix the path whatever the tick rate.  Futures are the
 * forward S*exp((r-q)T), q the dividend yield less --carry; options are
 * priced by Black-Scholes-Merton from the smile
 *
 *	sigma(k, T) = atm + term*T + skew*k + curv*k^2,  k = ln(K/F)
 *
 * (floored at 0.01), T in years ACT/365 to 15:30 IST of the expiry day,
 * and rounded to the 0.05 tick.  Derived instruments are brought up to
 * date lazily, when someone looks at them.
 */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simx.h"

#define IST_OFFSET 19800	/* seconds */
#define DAY 86400
#define YEAR_S (365.0 * DAY)
#define EXPIRY_SOD 55800	/* 15:30 IST, seconds into the IST day */

struct und_def {
	const char *tsym;	/* cash tradingsymbol */
	const char *name;	/* cash name */
	const char *fo;		/* F&O name */
	uint32_t token;
	bool index;
	double price;		/* rupees at the start */
	double vol_mult;	/* of simx.vol */
	double q;		/* dividend yield (indices: simx.q) */
	int lot;
	int step;		/* strike step, rupees */
	int n_strikes;		/* each side of the money */
	int weeklies;
	int months;
	int freeze;		/* F&O freeze quantity (units, not lots) */
};

static const struct und_def undefs[] = {
	{ "NIFTY 50", "NIFTY 50", "NIFTY", 256265, true, 24350, 1.0, -1,
	    75, 50, 20, 4, 3, 1800 },
	{ "NIFTY BANK", "NIFTY BANK", "BANKNIFTY", 260105, true, 52100, 1.2,
	    -1, 35, 100, 20, 0, 3, 1050 },
	{ "RELIANCE", "RELIANCE INDUSTRIES", "RELIANCE", 738561, false, 1290,
	    1.6, 0.004, 500, 20, 10, 0, 2, 10000 },
	{ "INFY", "INFOSYS", "INFY", 408065, false, 1850, 1.5, 0.02, 400, 20,
	    10, 0, 2, 8000 },
	{ "HDFCBANK", "HDFC BANK", "HDFCBANK", 341249, false, 1720, 1.3,
	    0.011, 550, 20, 10, 0, 2, 11000 },
	{ "TCS", "TATA CONSULTANCY SERV LT", "TCS", 2953217, false, 4100, 1.3,
	    0.015, 175, 50, 10, 0, 2, 3500 },
};
#define N_UND (sizeof(undefs) / sizeof(undefs[0]))

struct und {
	size_t idx;		/* in s->instr */
	double S;		/* rupees */
	double vol;
	double q;		/* the yield priced with: dividends - carry */
	double trend;		/* rupees a simulated second ("trend") */
};

/* The per-instrument state, brought up to date lazily. */
struct inst {
	int64_t step;		/* model step of the last update; -1 never */
	int32_t day;		/* IST day of the OHLC */
	int32_t ltp, open, high, low, close;
	uint32_t volume, ltq, oi, oi_hi, oi_lo;
	double turnover;	/* paise * quantity, for the average price */
	uint32_t last_trade;	/* epoch s */
	double vol_rate;	/* traded quantity per simulated second */
	struct kp_rng rng;
};

struct sim_market {
	int64_t start_us;	/* simulated time at mono0 */
	int64_t mono0_ns;
	int64_t step;		/* steps taken */
	struct kp_rng rng;	/* the underlyings' path */
	struct und und[N_UND];
	struct inst *st;	/* n_instr */
	int32_t *und_of;	/* und index of each instrument, -1 none */
	uint32_t next_xtoken;
};

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void
civil(int32_t days, int *y, int *m, int *d)
{
	int32_t z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int32_t
days_from_civil(int y, int m, int d)
{
	int32_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
weekday(int32_t days)		/* 0 Sunday */
{
	return (int)(((days % 7) + 11) % 7);
}

static int32_t
ist_day(int64_t epoch_s)
{
	int64_t t = epoch_s + IST_OFFSET;

	return (int32_t)(t >= 0 ? t / DAY : (t - DAY + 1) / DAY);
}

/* The last Tuesday of the month of y-m. */
static int32_t
last_tuesday(int y, int m)
{
	int32_t d;

	m++;
	if (m > 12) {
		m = 1;
		y++;
	}
	d = days_from_civil(y, m, 1) - 1;
	while (weekday(d) != 2)
		d--;
	return d;
}

static bool
is_monthly(int32_t day)
{
	int y, m, d;

	civil(day, &y, &m, &d);
	return last_tuesday(y, m) == day;
}

static int64_t
expiry_epoch(int32_t day)
{
	return (int64_t)day * DAY + EXPIRY_SOD - IST_OFFSET;
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/*
 * The expiries of an underlying live at epoch second now: `weeklies`
 * Tuesdays from the next one, and the monthly (last Tuesday) ones of
 * `months` months.  Return the count, sorted and unique; months only
 * into mon[] (for futures).
 */
static int
expiries(const struct und_def *u, int64_t now, int32_t out[16],
    int32_t mon[4], int *nmon)
{
	int32_t today = ist_day(now), d;
	int n = 0, i, j, y, m, dd;
	bool past = now >= expiry_epoch(today);

	d = today;
	while (weekday(d) != 2 || (d == today && past))
		d++;
	for (i = 0; i < u->weeklies && n < 12; i++)
		out[n++] = d + 7 * i;
	civil(today, &y, &m, &dd);
	*nmon = 0;
	while (*nmon < u->months && *nmon < 4) {
		d = last_tuesday(y, m);
		if (d > today || (d == today && !past)) {
			mon[(*nmon)++] = d;
			out[n++] = d;
		}
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	qsort(out, (size_t)n, sizeof(out[0]), cmp_i32);
	for (i = j = 0; i < n; i++)
		if (j == 0 || out[j - 1] != out[i])
			out[j++] = out[i];
	return j;
}

struct builder {
	struct sim_instr *v;
	int32_t *und_tok;	/* token of the underlying, 0 none */
	size_t n, cap;
};

static struct sim_instr *
add(struct builder *b, uint32_t und_token)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->v = kp_xrealloc(b->v, b->cap * sizeof(b->v[0]));
		b->und_tok = kp_xrealloc(b->und_tok,
		    b->cap * sizeof(b->und_tok[0]));
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	b->und_tok[b->n] = (int32_t)und_token;
	b->v[b->n].expiry_day = -1;
	b->v[b->n].tick_size = 5;
	b->v[b->n].lot_size = 1;
	b->v[b->n].underlying = -1;
	return &b->v[b->n++];
}

static const char mon3[12][4] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };

/* "NIFTY25NOV" (monthly) or "NIFTY25N25" (weekly), into buf. */
static void
expiry_code(char *buf, size_t size, const char *name, int32_t day)
{
	static const char wm[] = "123456789OND";
	int y, m, d;

	civil(day, &y, &m, &d);
	if (is_monthly(day))
		snprintf(buf, size, "%s%02d%s", name, y % 100, mon3[m - 1]);
	else
		snprintf(buf, size, "%s%02d%c%02d", name, y % 100,
		    wm[m - 1], d);
}

static void
add_nfo(struct sim_market *m, struct builder *b, const struct und_def *u,
    int32_t day, const char *type, int64_t strike_rs)
{
	struct sim_instr *in = add(b, u->token);
	char code[24];
	int n;

	expiry_code(code, sizeof(code), u->fo, day);
	in->exchange_token = m->next_xtoken++;
	in->token = in->exchange_token << 8 | 2;
	if (strike_rs > 0)
		n = snprintf(in->tradingsymbol, sizeof(in->tradingsymbol),
		    "%s%lld%s", code, (long long)strike_rs, type);
	else
		n = snprintf(in->tradingsymbol, sizeof(in->tradingsymbol),
		    "%sFUT", code);
	if (n < 0 || (size_t)n >= sizeof(in->tradingsymbol))
		kp_warn("tradingsymbol %s cut short", in->tradingsymbol);
	snprintf(in->name, sizeof(in->name), "%s", u->fo);
	strcpy(in->exchange, "NFO");
	strcpy(in->segment, strike_rs > 0 ? "NFO-OPT" : "NFO-FUT");
	snprintf(in->instrument_type, sizeof(in->instrument_type), "%s",
	    type);
	in->expiry_day = day;
	in->strike = strike_rs * 100;
	in->lot_size = u->lot;
	in->freeze_qty = u->freeze;
}

static void
add_underlying(struct sim_market *m, struct builder *b,
    const struct und_def *u, int64_t now)
{
	struct sim_instr *in = add(b, 0);
	int32_t ex[16], mon[4];
	int nex, nmon, i, k;
	int64_t atm;

	in->token = u->token;
	in->exchange_token = u->token >> 8;
	snprintf(in->tradingsymbol, sizeof(in->tradingsymbol), "%s", u->tsym);
	snprintf(in->name, sizeof(in->name), "%s", u->name);
	strcpy(in->exchange, "NSE");
	strcpy(in->segment, u->index ? "INDICES" : "NSE");
	strcpy(in->instrument_type, "EQ");
	in->is_index = u->index;
	nex = expiries(u, now, ex, mon, &nmon);
	for (i = 0; i < nmon; i++)
		add_nfo(m, b, u, mon[i], "FUT", 0);
	atm = (int64_t)llround(u->price / u->step) * u->step;
	for (i = 0; i < nex; i++)
		for (k = -u->n_strikes; k <= u->n_strikes; k++) {
			add_nfo(m, b, u, ex[i], "CE", atm + k * u->step);
			add_nfo(m, b, u, ex[i], "PE", atm + k * u->step);
		}
}

static int
cmp_tok(const void *a, const void *b)
{
	uint32_t x = ((const struct sim_instr *)a)->token;
	uint32_t y = ((const struct sim_instr *)b)->token;

	return (x > y) - (x < y);
}

long
sim_find(const struct sim *s, uint32_t token)
{
	size_t lo = 0, hi = s->n_instr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->instr[mid].token == token)
			return (long)mid;
		if (s->instr[mid].token < token)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int64_t
sim_now_us(const struct sim *s)
{
	const struct sim_market *m = s->market;
	double el = (double)(kp_mono_ns() - m->mono0_ns) / 1000.0;

	return m->start_us + (int64_t)(el * s->conf.speed);
}

int64_t
sim_market_start_us(const struct sim *s)
{
	return s->market->start_us;
}

static int32_t
round_tick(double rupees, int32_t tick)
{
	double p = floor(rupees * 100.0 / tick + 0.5) * tick;

	if (p < tick)
		p = tick;
	if (p > 2e9)
		p = 2e9;
	return (int32_t)p;
}

double
sim_market_t(const struct sim *s, size_t i)
{
	const struct sim_instr *in = &s->instr[i];
	double t;

	if (in->expiry_day < 0)
		return 0;
	t = ((double)expiry_epoch(in->expiry_day) * 1e6 -
	    (double)sim_now_us(s)) / 1e6 / YEAR_S;
	return t > 0 ? t : 0;
}

static double
smile(double k, double T)
{
	double v = simx.atm + simx.term * T + simx.skew * k + simx.curv * k * k;

	return v < 0.01 ? 0.01 : v;
}

/*
 * The model's price of instrument i, rupees, when its underlying is at S
 * and the clock at t_us: the underlying itself S, a future the forward
 * S*exp((r-q)T), an option BSM on S with the smile's volatility.  The
 * live ticks (model_price) and the historical candles (hist.c) both
 * price through here.
 */
double
sim_price_at(const struct sim *s, size_t i, double S, int64_t t_us)
{
	const struct sim_market *m = s->market;
	const struct sim_instr *in = &s->instr[i];
	const struct und *u;
	double T = 0, F, K;

	if (m->und_of[i] < 0)
		return 0;
	u = &m->und[m->und_of[i]];
	if (u->idx == i)
		return S;
	if (in->expiry_day >= 0) {
		T = ((double)expiry_epoch(in->expiry_day) * 1e6 -
		    (double)t_us) / 1e6 / YEAR_S;
		if (T < 0)
			T = 0;
	}
	F = S * exp((simx.r - u->q) * T);
	if (in->strike == 0)
		return F;
	K = (double)in->strike / 100.0;
	return kp_bsm_price(in->instrument_type[0] == 'C', S, K, T, simx.r,
	    u->q, smile(log(K / F), T));
}

/* The model's price of instrument i now, rupees. */
static double
model_price(const struct sim *s, size_t i)
{
	const struct sim_market *m = s->market;

	if (m->und_of[i] < 0)
		return 0;
	return sim_price_at(s, i, m->und[m->und_of[i]].S, sim_now_us(s));
}

void
sim_market_step(struct sim *s)
{
	struct sim_market *m = s->market;
	int64_t target = (sim_now_us(s) - m->start_us) / simx.step_us;
	double dt = (double)simx.step_us / 1e6 / YEAR_S;
	size_t j;

	if (target <= m->step)
		return;
	if (target - m->step > 50000000) {
		/* a huge jump (--speed): one step for all of it */
		dt *= (double)(target - m->step);
		m->step = target - 1;
	}
	for (; m->step < target; m->step++)
		for (j = 0; j < N_UND; j++) {
			struct und *u = &m->und[j];
			double z = kp_rng_normal(&m->rng);

			u->S *= exp(-0.5 * u->vol * u->vol * dt +
			    u->vol * sqrt(dt) * z);
			u->S += u->trend * dt * YEAR_S;
			if (u->S < 0.05)
				u->S = 0.05;
		}
}

/*
 * "move NAME LEVEL" (trend < 0: keep the trend) and "trend NAME RATE":
 * the underlying named name (its F&O name, "NIFTY", or its cash
 * tradingsymbol, "NIFTY 50") jumps to level rupees or drifts by rate
 * rupees a simulated second on top of its random walk; its futures and
 * options follow through the model.  Return 0, or -1 for no such name.
 */
int
sim_market_move(struct sim *s, const char *name, double level,
    const double *rate)
{
	struct sim_market *m = s->market;
	size_t i, j;

	for (j = 0; j < N_UND; j++)
		if (strcmp(name, undefs[j].fo) == 0 ||
		    strcmp(name, undefs[j].tsym) == 0)
			break;
	if (j == N_UND)
		return -1;
	sim_market_step(s);
	if (level > 0)
		m->und[j].S = level;
	if (rate != NULL)
		m->und[j].trend = *rate;
	/* what was looked at in this step is priced again at the new level
	 * (in step 0, afresh) */
	for (i = 0; level > 0 && i < s->n_instr; i++)
		if (m->und_of[i] == (int32_t)j && m->st[i].step == m->step)
			m->st[i].step = m->step - 1;
	return 0;
}

/* Bring instrument i up to the current step. */
static void
touch(const struct sim *s, size_t i)
{
	struct sim_market *m = s->market;
	const struct sim_instr *in = &s->instr[i];
	struct inst *st = &m->st[i];
	int64_t now_us = sim_now_us(s);
	uint32_t now = (uint32_t)(now_us / 1000000);
	int32_t day = ist_day(now_us / 1000000), px;
	double secs, q;
	int64_t dq;

	if (st->step == m->step)
		return;
	px = round_tick(model_price(s, i), in->tick_size);
	if (st->step < 0 || day != st->day) {
		st->close = st->step < 0 ? round_tick((double)px / 100.0 *
		    (1 + 0.004 * kp_rng_normal(&st->rng)), in->tick_size) :
		    st->ltp;
		st->open = st->high = st->low = px;
		st->volume = 0;
		st->turnover = 0;
		st->oi_hi = st->oi_lo = st->oi;
		st->day = day;
		secs = 1;
	} else {
		secs = (double)(m->step - st->step) * (double)simx.step_us /
		    1e6;
	}
	st->step = m->step;
	st->ltp = px;
	if (px > st->high)
		st->high = px;
	if (px < st->low)
		st->low = px;
	if (in->is_index)
		return;
	q = st->vol_rate * secs * (0.5 + kp_rng_double(&st->rng));
	dq = (int64_t)(q / in->lot_size + 1) * in->lot_size;
	if (dq > 100000000)
		dq = 100000000;
	if ((uint64_t)st->volume + (uint64_t)dq < UINT32_MAX) {
		st->volume += (uint32_t)dq;
		st->turnover += (double)dq * px;
	}
	st->ltq = (uint32_t)dq;
	st->last_trade = now;
	if (in->expiry_day >= 0) {
		int64_t oi = (int64_t)st->oi + in->lot_size *
		    ((int64_t)kp_rng_below(&st->rng, 21) - 8);

		if (oi < 0)
			oi = 0;
		if (oi > INT32_MAX)
			oi = INT32_MAX;
		st->oi = (uint32_t)oi;
		if (st->oi > st->oi_hi)
			st->oi_hi = st->oi;
		if (st->oi < st->oi_lo)
			st->oi_lo = st->oi;
	}
}

int32_t
sim_ltp(const struct sim *s, size_t i)
{
	touch(s, i);
	return s->market->st[i].ltp;
}

size_t
sim_set_freeze(struct sim *s, const char *name, int32_t qty)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_instr; i++) {
		struct sim_instr *in = &s->instr[i];

		if (strcmp(in->exchange, "NFO") != 0 &&
		    strcmp(in->exchange, "BFO") != 0)
			continue;
		if (strcmp(in->name, name) == 0 ||
		    strcmp(in->tradingsymbol, name) == 0) {
			in->freeze_qty = qty;
			n++;
		}
	}
	return n;
}

static void
depth(const struct sim *s, size_t i, struct kp_tick *t)
{
	const struct sim_instr *in = &s->instr[i];
	struct kp_rng r;
	int32_t tick = in->tick_size, k;
	uint32_t unit = in->lot_size > 1 ? (uint32_t)in->lot_size : 25;
	uint64_t tb = 0, ts = 0;

	kp_rng_seed(&r, s->conf.seed ^ ((uint64_t)in->token << 20) ^
	    (uint64_t)s->market->step * 0x9e3779b97f4a7c15ull);
	for (k = 0; k < KP_DEPTH; k++) {
		t->buy[k].price = t->last_price - tick * (k + 1);
		if (t->buy[k].price < tick)
			t->buy[k].price = 0;
		t->sell[k].price = t->last_price + tick * (k + 1);
		t->buy[k].quantity = unit * (1 + (uint32_t)kp_rng_below(&r, 40));
		t->sell[k].quantity = unit * (1 + (uint32_t)kp_rng_below(&r, 40));
		t->buy[k].orders = (uint16_t)(1 + kp_rng_below(&r, 12));
		t->sell[k].orders = (uint16_t)(1 + kp_rng_below(&r, 12));
		if (t->buy[k].price == 0)
			t->buy[k].quantity = t->buy[k].orders = 0;
		tb += t->buy[k].quantity;
		ts += t->sell[k].quantity;
	}
	t->total_buy_quantity = (uint32_t)(tb * (20 + kp_rng_below(&r, 20)));
	t->total_sell_quantity = (uint32_t)(ts * (20 + kp_rng_below(&r, 20)));
}

void
sim_quote(const struct sim *s, size_t i, struct kp_tick *t)
{
	const struct sim_instr *in = &s->instr[i];
	const struct inst *st = &s->market->st[i];
	uint32_t now = (uint32_t)(sim_now_us(s) / 1000000);

	touch(s, i);
	memset(t, 0, sizeof(*t));
	t->token = in->token;
	t->kind = in->is_index ? KP_TICK_INDEX_FULL : KP_TICK_FULL;
	t->last_price = st->ltp;
	t->open = st->open;
	t->high = st->high;
	t->low = st->low;
	t->close = st->close;
	t->exchange_timestamp = now;
	if (in->is_index) {
		t->price_change = st->ltp - st->close;
		return;
	}
	t->last_traded_quantity = st->ltq;
	t->volume_traded = st->volume;
	t->average_traded_price = st->volume ? (int32_t)(st->turnover /
	    st->volume + 0.5) : st->ltp;
	t->last_trade_time = st->last_trade;
	t->oi = st->oi;
	t->oi_day_high = st->oi_hi;
	t->oi_day_low = st->oi_lo;
	depth(s, i, t);
}

static void
init_state(struct sim *s)
{
	struct sim_market *m = s->market;
	size_t i;

	for (i = 0; i < s->n_instr; i++) {
		const struct sim_instr *in = &s->instr[i];
		struct inst *st = &m->st[i];
		double mny = 1;

		st->step = -1;
		kp_rng_seed(&st->rng, s->conf.seed ^ (uint64_t)in->token *
		    0xbf58476d1ce4e5b9ull);
		if (in->strike > 0 && m->und_of[i] >= 0) {
			double S = m->und[m->und_of[i]].S * 100;

			mny = exp(-8 * fabs((double)in->strike / S - 1));
		}
		st->vol_rate = in->expiry_day < 0 ? 2000.0 :
		    in->lot_size * (in->strike ? 2.0 : 8.0) * mny;
		if (in->expiry_day >= 0)
			st->oi = (uint32_t)in->lot_size * (uint32_t)(200 +
			    kp_rng_below(&st->rng, 20000) * mny);
	}
}

int
sim_market_init(struct sim *s)
{
	struct sim_market *m = kp_xcalloc(1, sizeof(*m));
	struct builder b = { 0 };
	int64_t now;
	size_t i, j;

	s->market = m;
	m->start_us = simx.start_us ? simx.start_us : kp_time_us();
	m->mono0_ns = kp_mono_ns();
	kp_rng_seed(&m->rng, s->conf.seed);
	m->next_xtoken = 35001;
	now = m->start_us / 1000000;
	for (j = 0; j < N_UND; j++)
		add_underlying(m, &b, &undefs[j], now);
	qsort(b.v, b.n, sizeof(b.v[0]), cmp_tok);
	s->instr = b.v;
	s->n_instr = b.n;
	m->st = kp_xcalloc(b.n, sizeof(m->st[0]));
	m->und_of = kp_xcalloc(b.n, sizeof(m->und_of[0]));
	for (j = 0; j < N_UND; j++) {
		m->und[j].idx = (size_t)sim_find(s, undefs[j].token);
		m->und[j].S = undefs[j].price;
		m->und[j].vol = simx.vol * undefs[j].vol_mult;
		m->und[j].q = (undefs[j].q < 0 ? simx.q : undefs[j].q) -
		    simx.carry;
	}
	for (i = 0; i < s->n_instr; i++) {
		struct sim_instr *in = &s->instr[i];
		const char *nm = in->name;

		m->und_of[i] = -1;
		for (j = 0; j < N_UND; j++)
			if (in->token == undefs[j].token ||
			    (in->expiry_day >= 0 &&
			    strcmp(nm, undefs[j].fo) == 0)) {
				m->und_of[i] = (int32_t)j;
				if (in->token != undefs[j].token)
					in->underlying = (int32_t)m->und[j].idx;
			}
	}
	free(b.und_tok);
	init_state(s);
	kp_info("market ready instruments=%zu seed=%llu start=%lld", s->n_instr,
	    (unsigned long long)s->conf.seed,
	    (long long)(m->start_us / 1000000));
	return 0;
}

void
sim_market_free(struct sim *s)
{
	if (s->market == NULL)
		return;
	free(s->market->st);
	free(s->market->und_of);
	free(s->market);
	s->market = NULL;
	free(s->instr);
	s->instr = NULL;
	s->n_instr = 0;
}

int
sim_market_json(struct sim *s, struct kp_buf *b)
{
	const struct sim_market *m = s->market;
	size_t j;
	int rc = 0;

	rc |= kp_buf_addstr(b, "{\"model\":\"bsm\",\"smile\":\"sigma(k,T) = "
	    "atm + term*T + skew*k + curv*k^2, k = ln(K/F), F = S*exp((r-q)*T)"
	    ", q = div_yield - carry, floor 0.01\",\"atm\":");
	rc |= kp_json_double(b, simx.atm);
	sim_kv_dbl(b, ",\"skew\":", simx.skew);
	sim_kv_dbl(b, ",\"curv\":", simx.curv);
	sim_kv_dbl(b, ",\"term\":", simx.term);
	sim_kv_dbl(b, ",\"r\":", simx.r);
	sim_kv_dbl(b, ",\"q\":", simx.q - simx.carry);
	sim_kv_dbl(b, ",\"carry\":", simx.carry);
	sim_kv_dbl(b, ",\"vol\":", simx.vol);
	rc |= kp_buf_addstr(b, ",\"day_count\":\"ACT/365\",\"expiry_time\":"
	    "\"15:30:00+05:30\",\"tick\":0.05,\"seed\":");
	rc |= kp_json_u64(b, s->conf.seed);
	sim_kv_i64(b, ",\"now_us\":", sim_now_us(s));
	rc |= kp_buf_addstr(b, ",\"underlyings\":[");
	for (j = 0; j < N_UND; j++) {
		rc |= kp_buf_addstr(b, j ? ",{\"name\":" : "{\"name\":");
		rc |= kp_json_cstr(b, undefs[j].fo);
		sim_kv_u64(b, ",\"instrument_token\":", undefs[j].token);
		sim_kv_dbl(b, ",\"spot\":", m->und[j].S);
		sim_kv_dbl(b, ",\"vol\":", m->und[j].vol);
		sim_kv_dbl(b, ",\"q\":", m->und[j].q);
		sim_kv_dbl(b, ",\"div_yield\":", m->und[j].q + simx.carry);
		rc |= kp_buf_addstr(b, "}");
	}
	rc |= kp_buf_addstr(b, "]}");
	return rc ? -1 : 0;
}
