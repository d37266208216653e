/*
 * hist.c: historical candles (kite-connect.md 2.7) from a deterministic
 * path: the same request gives the same candles in every run with the
 * same --seed and start.
 * SPDX-License-Identifier: MIT
 *
 * An underlying's (index or stock) log price is a random walk over
 * trading minutes (weekdays, 09:15-15:30 IST, 375 minutes a day): a day's
 * return R_d is normal with the daily volatility, and inside the day a
 * Brownian bridge goes from the previous close to the day's close.
 * Every normal comes from a hash of (seed, token, day, minute), so any
 * day can be computed alone.  The path is anchored so that it passes
 * through the underlying's price at kite-sim's start, at the start's
 * trading minute; it is independent of the live ticks after that.
 *
 * Futures and options have no path of their own: each of their candles
 * is priced by the live model (sim_price_at: the forward, BSM on the
 * smile) from their underlying's candle of the same minute, on its tick:
 * the open from the underlying's open at the candle's start, the close
 * from its close at the candle's end, high and low the extremes of the
 * prices at the underlying's open, high, low and close, at the start and
 * at the end.  Indices have volume 0; futures and options carry OI with
 * oi=1.  Limits on the span of one request follow Kite's: minute 60
 * days; 3, 5 and 10minute 100; 15 and 30minute 200; 60minute 400; day
 * 2000.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "restx.h"

#define SESSION_OPEN 33300	/* 09:15 IST, seconds into the IST day */
#define SESSION_MIN 375		/* minutes to 15:30 */

struct hist {
	size_t n;
	double *p0;		/* rupees at the start, per instrument */
	int64_t d0;		/* IST day of the anchor */
	int k0;			/* its minute in the session, 0..375 */
};

static const struct {
	const char *name;
	int minutes;		/* 0: day */
	int max_days;
} intervals[] = {
	{ "minute", 1, 60 },
	{ "3minute", 3, 100 },
	{ "5minute", 5, 100 },
	{ "10minute", 10, 100 },
	{ "15minute", 15, 200 },
	{ "30minute", 30, 200 },
	{ "60minute", 60, 400 },
	{ "day", 0, 2000 },
};

static int64_t
ist_day(int64_t epoch_s)
{
	int64_t t = epoch_s + IST_S;

	return (t >= 0 ? t : t - 86399) / 86400;
}

static bool
weekday(int64_t d)
{
	int64_t w = ((d + 4) % 7 + 7) % 7;	/* 0 Sunday; day 0 a Thursday */

	return w != 0 && w != 6;
}

struct hist *
hist_new(const struct sim *s)
{
	struct hist *h = kp_xcalloc(1, sizeof(*h));
	int64_t now = sim_now_us(s) / 1000000;
	int64_t sod = now + IST_S - ist_day(now) * 86400;
	size_t i;

	h->n = s->n_instr;
	h->p0 = kp_xcalloc(h->n ? h->n : 1, sizeof(*h->p0));
	for (i = 0; i < h->n; i++)
		h->p0[i] = sim_ltp(s, i) / 100.0;
	h->d0 = ist_day(now);
	h->k0 = (int)((sod - SESSION_OPEN) / 60);
	if (h->k0 < 0)
		h->k0 = 0;
	if (h->k0 > SESSION_MIN)
		h->k0 = SESSION_MIN;
	return h;
}

void
hist_free(struct hist *h)
{
	if (h == NULL)
		return;
	free(h->p0);
	free(h);
}

static uint64_t
mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
hash4(uint64_t seed, uint32_t token, int64_t day, int64_t minute)
{
	return mix(mix(mix(seed ^ token) ^ (uint64_t)day) ^
	    (uint64_t)minute);
}

static double
normal(uint64_t h)
{
	uint64_t h2 = mix(h);
	double u1 = ((h >> 11) + 1.0) / 9007199254740993.0;
	double u2 = (h2 >> 11) / 9007199254740992.0;

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

struct path {
	uint64_t seed;
	uint32_t token;
	double sd_day, sd_min;
};

static double
day_return(const struct path *p, int64_t d)
{
	return weekday(d) ? p->sd_day * normal(hash4(p->seed, p->token, d,
	    -1)) : 0.0;
}

/* The bridge of day d: b[k] for k = 0..375, b[0] = 0, b[375] = R_d. */
static void
day_path(const struct path *p, int64_t d, double b[SESSION_MIN + 1])
{
	double r = day_return(p, d);
	int k;

	b[0] = 0;
	for (k = 1; k <= SESSION_MIN; k++)
		b[k] = b[k - 1] + p->sd_min * normal(hash4(p->seed, p->token,
		    d, k));
	for (k = 1; k <= SESSION_MIN; k++)
		b[k] -= (double)k / SESSION_MIN * (b[SESSION_MIN] - r);
}

/* Sum of day returns from d0 to d (exclusive), negative before d0. */
static double
offset(const struct path *p, int64_t d0, int64_t d)
{
	double s = 0;
	int64_t j;

	for (j = d0; j < d; j++)
		s += day_return(p, j);
	for (j = d; j < d0; j++)
		s -= day_return(p, j);
	return s;
}

/* "yyyy-mm-dd[ hh:mm:ss]" IST → epoch seconds; -1 if bad. */
static int64_t
parse_ist(const char *v)
{
	int y, mo, dd, hh = 0, mi = 0, ss = 0, n = 0;
	struct tm tm;

	if (sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &dd, &n) != 3 || n != 10)
		return -1;
	if (v[n] != '\0') {
		int n2 = 0;

		if (sscanf(v + n, " %2d:%2d:%2d%n", &hh, &mi, &ss, &n2) != 3 ||
		    v[n + n2] != '\0')
			return -1;
	}
	if (y < 1990 || y > 2100 || mo < 1 || mo > 12 || dd < 1 || dd > 31 ||
	    hh > 23 || mi > 59 || ss > 60 || hh < 0 || mi < 0 || ss < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = dd;
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	return (int64_t)timegm(&tm) - IST_S;
}

static int64_t
to_paise(double rupees, int32_t tick)
{
	double t = tick > 0 ? tick : 5;
	int64_t v = (int64_t)llround(rupees * 100.0 / t) * (int64_t)t;

	return v > 0 ? v : (int64_t)t;
}

static void
candle(struct kp_buf *b, int64_t ts, const int64_t ohlc[4], int64_t vol,
    bool oi, int64_t oiv)
{
	char t[40];
	time_t tt = (time_t)(ts + IST_S);
	struct tm tm;
	int i;

	gmtime_r(&tt, &tm);
	strftime(t, sizeof(t), "[\"%Y-%m-%dT%H:%M:%S+0530\"", &tm);
	kp_buf_addstr(b, t);
	for (i = 0; i < 4; i++) {
		kp_buf_addc(b, ',');
		kp_json_fixed(b, ohlc[i], 2);
	}
	kp_buf_addc(b, ',');
	kp_json_i64(b, vol);
	if (oi) {
		kp_buf_addc(b, ',');
		kp_json_i64(b, oiv);
	}
	kp_buf_addstr(b, "],");
}

/*
 * A derivative's candle from its underlying's, ohlc[] in paise on the
 * underlying's tick in, on the derivative's tick out: the open at t0 (the
 * candle's start), the close at t1 (its end), high and low the extremes
 * of the prices at the underlying's four values at t0 and at t1.
 */
static void
priced(const struct sim *s, size_t ix, int64_t ohlc[4], int64_t t0,
    int64_t t1)
{
	int32_t tick = s->instr[ix].tick_size;
	double v[4], hi, lo, x;
	int i;

	for (i = 0; i < 4; i++)
		v[i] = (double)ohlc[i] / 100.0;
	ohlc[0] = to_paise(sim_price_at(s, ix, v[0], t0 * 1000000), tick);
	ohlc[3] = to_paise(sim_price_at(s, ix, v[3], t1 * 1000000), tick);
	hi = lo = (double)ohlc[0];
	if (ohlc[3] > hi)
		hi = (double)ohlc[3];
	if (ohlc[3] < lo)
		lo = (double)ohlc[3];
	for (i = 0; i < 8; i++) {
		x = (double)to_paise(sim_price_at(s, ix, v[i % 4], (i < 4 ?
		    t0 : t1) * 1000000), tick);
		if (x > hi)
			hi = x;
		if (x < lo)
			lo = x;
	}
	ohlc[1] = (int64_t)hi;
	ohlc[2] = (int64_t)lo;
}

void
hist_handle(struct sim *s, struct hist *h, const char *token,
    const char *interval, const struct kp_form *q, struct sim_resp *r)
{
	const char *fv = kp_form_get(q, "from"), *tv = kp_form_get(q, "to");
	const char *oiv = kp_form_get(q, "oi");
	long long tok;
	long ix;
	size_t iv;
	int64_t from, to, now = sim_now_us(s) / 1000000, d, d1;
	const struct sim_instr *in;
	struct path p;
	struct kp_buf b;
	double base, off, bp[SESSION_MIN + 1];
	bool want_oi, deriv;
	long pi;		/* the instrument whose path: the underlying */

	if (kp_num_ll(token, 0, UINT32_MAX, &tok) < 0 ||
	    (ix = sim_find(s, (uint32_t)tok)) < 0 || (size_t)ix >= h->n) {
		rest_err(r, 400, "InputException", "invalid token");
		return;
	}
	for (iv = 0; iv < sizeof(intervals) / sizeof(*intervals); iv++)
		if (strcmp(intervals[iv].name, interval) == 0)
			break;
	if (iv == sizeof(intervals) / sizeof(*intervals)) {
		rest_err(r, 400, "InputException", "invalid interval");
		return;
	}
	if (fv == NULL || *fv == '\0' || tv == NULL || *tv == '\0') {
		rest_err(r, 400, "InputException",
		    "Missing or empty field `%s`.", fv && *fv ? "to" : "from");
		return;
	}
	if ((from = parse_ist(fv)) < 0 || (to = parse_ist(tv)) < 0) {
		rest_err(r, 400, "InputException",
		    "invalid from or to date (yyyy-mm-dd hh:mm:ss)");
		return;
	}
	if (to < from) {
		rest_err(r, 400, "InputException",
		    "invalid range: `from` is after `to`");
		return;
	}
	if (to - from > (int64_t)intervals[iv].max_days * 86400) {
		rest_err(r, 400, "InputException",
		    "interval exceeds max limit: %d days",
		    intervals[iv].max_days);
		return;
	}
	want_oi = oiv && strcmp(oiv, "1") == 0;
	in = &s->instr[ix];
	deriv = strcmp(in->instrument_type, "EQ") != 0;
	pi = deriv && in->underlying >= 0 && (size_t)in->underlying < h->n ?
	    in->underlying : ix;
	p.seed = s->conf.seed;
	p.token = s->instr[pi].token;
	p.sd_day = (s->instr[pi].is_index ? 0.15 : 0.25) / sqrt(252.0);
	p.sd_min = p.sd_day / sqrt((double)SESSION_MIN);
	day_path(&p, h->d0, bp);
	base = log(h->p0[pi] > 0 ? h->p0[pi] : 1.0) - bp[h->k0];
	d = ist_day(from);
	d1 = ist_day(to);
	off = offset(&p, h->d0, d);
	kp_buf_init(&b, REST_BODY_MAX);
	kp_buf_addstr(&b, "{\"candles\":[");
	for (; d <= d1; off += day_return(&p, d), d++) {
		int64_t sod = d * 86400 - IST_S;	/* 00:00 IST */
		int k, m = intervals[iv].minutes;

		if (!weekday(d) || sod + SESSION_OPEN > now)
			continue;
		day_path(&p, d, bp);
		if (m == 0)
			m = SESSION_MIN;	/* a day candle: the date counts */
		for (k = 0; k < SESSION_MIN; k += m) {
			int e = k + m < SESSION_MIN ? k + m : SESSION_MIN, j;
			int64_t ts = intervals[iv].minutes == 0 ? sod :
			    sod + SESSION_OPEN + (int64_t)k * 60;
			int64_t ohlc[4], vol, oi;
			double hi = bp[k], lo = bp[k];
			uint64_t hv = hash4(p.seed ^ 0x766f6c, in->token, d, k);

			if (intervals[iv].minutes != 0 &&
			    (ts < from || ts > to || ts > now))
				continue;
			for (j = k; j <= e; j++) {
				if (bp[j] > hi)
					hi = bp[j];
				if (bp[j] < lo)
					lo = bp[j];
			}
			/* the extremes between the minute marks */
			hi += p.sd_min * 0.4 * fabs(normal(hv ^ 1));
			lo -= p.sd_min * 0.4 * fabs(normal(hv ^ 2));
			ohlc[0] = to_paise(exp(base + off + bp[k]),
			    s->instr[pi].tick_size);
			ohlc[1] = to_paise(exp(base + off + hi),
			    s->instr[pi].tick_size);
			ohlc[2] = to_paise(exp(base + off + lo),
			    s->instr[pi].tick_size);
			ohlc[3] = to_paise(exp(base + off + bp[e]),
			    s->instr[pi].tick_size);
			if (pi != ix)
				priced(s, (size_t)ix, ohlc, sod + SESSION_OPEN +
				    (int64_t)k * 60, sod + SESSION_OPEN +
				    (int64_t)e * 60);
			vol = in->is_index ? 0 : (int64_t)(e - k) *
			    (in->lot_size > 0 ? in->lot_size : 1) *
			    (int64_t)(50 + hv % 500);
			oi = deriv && !in->is_index ? (int64_t)(in->lot_size > 0 ?
			    in->lot_size : 1) * (int64_t)(20000 + (d % 97) *
			    50 + k * 3) : 0;
			candle(&b, ts, ohlc, vol, want_oi, oi);
		}
	}
	if (b.len > 0 && b.p[b.len - 1] == ',')
		b.len--;
	kp_buf_addstr(&b, "]}");
	rest_ok(r, &b);
	kp_buf_free(&b);
}
