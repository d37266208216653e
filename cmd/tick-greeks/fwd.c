/*
 * fwd.c: the chains of tick-greeks' forward models: per underlying and
 * expiry, each strike's latest call and put, the forward implied by
 * put-call parity at the strikes nearest the money (else the future of
 * the same expiry, else the spot carried at r and q), and once a second
 * of feed time a chain line (ATM IV, risk reversal, butterfly, put-call
 * ratios, max pain).  Everything here runs in stream order (settle).
 */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_dtoa.h"
#include "kp_greeks.h"
#include "kp_instr.h"
#include "tg.h"

/* Strikes looked at either side of the one nearest the forward, and the
 * pairs combined (their median). */
#define PAR_WIN 4
#define PAR_PAIRS 5
/* Strikes either side for the implied rate (once a second), and the
 * rates believed (continuous, per year). */
#define RATE_WIN 10
#define RATE_MIN (-0.05)
#define RATE_MAX 0.30

/* An option's latest tick: prices (as --price, and for parity), feed
 * time, the spot then, open interest and volume (NaN: not seen). */
struct side {
	double px, pq, ts, S, oi, vol;
};

struct kslot {
	double K;
	struct side s[2];	/* [0] put, [1] call */
};

struct chain {
	uint32_t fut;		/* the future of the same expiry, or 0 */
	int32_t expiry;
	const char *name, *expiry_str;
	struct kslot *k;	/* by strike, ascending */
	size_t nk;
	double F, now;		/* the forward; the latest feed time */
	double S;		/* the spot at the latest tick */
	int fsrc;
	long sec;		/* the last chain line's period, -1: none */
	size_t m;		/* the strike nearest the forward, last found */
	double tnow, rnow;	/* the time and rate of ert and carry: */
	double ert, carry;	/* e^{rT}, e^{(r - q)T} (-r, -q) */
	double r;		/* the rate implied by the chain, else -r */
	long rsec;		/* the feed second it was last sought in */
	int rok, rtry;		/* found; tries in rsec while not found */
};

static int
cmp_opt(const void *a, const void *b)
{
	const struct inst *x = *(const struct inst *const *)a;
	const struct inst *y = *(const struct inst *const *)b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	if (x->expiry != y->expiry)
		return x->expiry < y->expiry ? -1 : 1;
	return x->strike < y->strike ? -1 : x->strike > y->strike;
}

static void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n + 1, sz);

	if (p == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	return p;
}

static void
side_init(struct side *s)
{
	s->px = s->pq = s->ts = s->S = s->oi = s->vol = NAN;
}

/* The future of c's name and expiry, its price slot made. */
static void
chain_future(struct tg *g, struct table *t, struct chain *c)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].type == KP_INSTR_FUT && t->v[i].expiry ==
		    c->expiry && strcmp(t->v[i].name, c->name) == 0) {
			c->fut = t->v[i].token;
			(void)tg_price_slot(&g->p, c->fut, 1);
			return;
		}
}

void
tg_chains_build(struct tg *g, struct table *t)
{
	const struct inst **o = xcalloc(t->n, sizeof(*o));
	size_t i, n = 0, k;
	struct chain *c = NULL;

	for (i = 0; i < t->n; i++)
		if (t->v[i].type == KP_INSTR_CE || t->v[i].type == KP_INSTR_PE)
			o[n++] = &t->v[i];
	qsort(o, n, sizeof(*o), cmp_opt);
	t->ch = xcalloc(n, sizeof(*t->ch));
	t->ref = xcalloc(t->n, sizeof(*t->ref));
	for (i = 0; i < n; i++) {
		if (c == NULL || c->expiry != o[i]->expiry ||
		    strcmp(c->name, o[i]->name) != 0) {
			c = &t->ch[t->nch++];
			c->expiry = o[i]->expiry;
			c->name = o[i]->name;
			c->expiry_str = o[i]->expiry_str;
			c->k = xcalloc(n - i, sizeof(*c->k));
			c->F = c->now = c->S = c->tnow = NAN;
			c->sec = c->rsec = -1;
			c->r = g->o.r;
			chain_future(g, t, c);
		}
		if (c->nk == 0 || c->k[c->nk - 1].K != o[i]->strike) {
			c->k[c->nk].K = o[i]->strike;
			side_init(&c->k[c->nk].s[0]);
			side_init(&c->k[c->nk].s[1]);
			c->nk++;
		}
		k = (size_t)(o[i] - t->v);
		t->ref[k].ch = (uint32_t)t->nch;
		t->ref[k].k = (uint32_t)(c->nk - 1);
	}
	free(o);
}

void
tg_chains_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nch; i++)
		free(t->ch[i].k);
	free(t->ch);
	free(t->ref);
}

/* Years from feed time ts to 15:30 IST of the expiry day (ACT/365F). */
static double
years(int32_t expiry, double ts)
{
	return ((double)expiry * 86400 + 36000 - ts) / (365.0 * 86400);
}

/* Both sides of slot k quoted within the parity age of the feed time. */
static int
pair_ok(const struct tg *g, const struct chain *c, const struct kslot *k)
{
	return k->s[0].pq > 0 && k->s[1].pq > 0 &&
	    c->now - k->s[0].ts <= g->o.parity_age &&
	    c->now - k->s[1].ts <= g->o.parity_age;
}

/* The slot nearest est (walked to from the last one: the forward moves
 * little from tick to tick); with est NaN, the usable pair of least
 * |C - P| (India VIX's choice), or -1. */
static long
centre(const struct tg *g, struct chain *c, double est)
{
	size_t i;
	long best = -1;
	double d, bd = 0;

	if (isnan(est)) {
		for (i = 0; i < c->nk; i++) {
			if (!pair_ok(g, c, &c->k[i]))
				continue;
			d = fabs(c->k[i].s[1].pq - c->k[i].s[0].pq);
			if (best < 0 || d < bd) {
				best = (long)i;
				bd = d;
			}
		}
		return best;
	}
	if (c->nk == 0)
		return -1;
	i = c->m < c->nk ? c->m : 0;
	while (i + 1 < c->nk && c->k[i + 1].K <= est)
		i++;
	while (i > 0 && c->k[i].K > est)
		i--;
	if (i + 1 < c->nk && c->k[i + 1].K - est <= est - c->k[i].K)
		i++;
	c->m = i;
	return (long)i;
}

/* When the later of a pair's two quotes was made: the older one's time. */
static double
pair_time(const struct kslot *k)
{
	return k->s[0].ts < k->s[1].ts ? k->s[0].ts : k->s[1].ts;
}

/*
 * The parity forward: F = K + e^{rT}(C - P) at the usable pairs among
 * the PAR_WIN strikes either side of the one nearest est, of the
 * synchronous ones only (both quotes within a second of the freshest
 * pair's: the forward moves with the index between quotes), the
 * PAR_PAIRS nearest est combined by their median; NaN when none.  With
 * the spot S now and at each pair's quotes, each pair's forward is
 * carried to now by the spot's move since (F/S holds over seconds).
 */
static double
parity(const struct tg *g, struct chain *c, double est, double S)
{
	double f[2 * PAR_WIN + 1], t[2 * PAR_WIN + 1], v, ref;
	double sync = -INFINITY, tmin = c->now - g->o.parity_age;
	long m = centre(g, c, est), lo, hi, i;
	int n = 0, u = 0, a, b;

	if (m < 0)
		return NAN;
	ref = isnan(est) ? c->k[m].K : est;
	/* the usable pairs, nearest est first */
	for (lo = m, hi = m + 1; lo >= m - PAR_WIN || hi <= m + PAR_WIN;) {
		const struct kslot *k;

		if (hi < (long)c->nk && hi <= m + PAR_WIN && (lo < 0 ||
		    lo < m - PAR_WIN || c->k[hi].K - ref < ref - c->k[lo].K))
			i = hi++;
		else if (lo >= 0 && lo >= m - PAR_WIN)
			i = lo--;
		else
			break;
		k = &c->k[i];
		if (!(k->s[0].pq > 0 && k->s[1].pq > 0 && k->s[0].ts >= tmin &&
		    k->s[1].ts >= tmin))
			continue;
		f[u] = k->K + c->ert * (k->s[1].pq - k->s[0].pq);
		v = 0.5 * (k->s[0].S + k->s[1].S);
		if (S > 0 && v > 0)
			f[u] *= S / v;
		t[u] = pair_time(k);
		if (t[u] > sync)
			sync = t[u];
		u++;
	}
	/* the PAR_PAIRS nearest of the synchronous ones */
	for (a = 0; a < u && n < PAR_PAIRS; a++)
		if (t[a] > sync - 1)
			f[n++] = f[a];
	if (n == 0)
		return NAN;
	for (a = 1; a < n; a++)
		for (b = a; b > 0 && f[b - 1] > f[b]; b--) {
			v = f[b];
			f[b] = f[b - 1];
			f[b - 1] = v;
		}
	return n % 2 ? f[n / 2] : 0.5 * (f[n / 2 - 1] + f[n / 2]);
}

/* The k-th smallest of a[0, n) (a reordered): Hoare's selection. */
static double
select_kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j;
	double p, t;

	while (lo < hi) {
		p = a[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i <= j) {
				t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/* The median of a[0, n), n > 0 (a reordered). */
static double
median(double *a, size_t n)
{
	double hi = select_kth(a, n, n / 2), lo;
	size_t i;

	if (n % 2)
		return hi;
	/* the largest below the upper middle, all of them now before it */
	lo = a[0];
	for (i = 1; i < n / 2; i++)
		if (a[i] > lo)
			lo = a[i];
	return 0.5 * (lo + hi);
}

/*
 * The rate the chain discounts at: C - P = D (F - K) is a line in K of
 * slope -D, whose robust (Theil-Sen: the median of the pairwise slopes)
 * fit over the usable pairs of the RATE_WIN strikes either side of the
 * forward gives D = e^{-rT}, whatever -r says; -r when fewer than 3
 * pairs are usable or the rate is out of [RATE_MIN, RATE_MAX].  Run
 * once a second of feed time (O(n^2) in the strikes looked at).
 */
static void
implied_rate(const struct tg *g, struct chain *c, double T, double est)
{
	double K[2 * RATE_WIN + 1], y[2 * RATE_WIN + 1];
	double sl[(2 * RATE_WIN + 1) * RATE_WIN], D, r;
	long m = centre(g, c, est), i, lo, hi;
	size_t n = 0, ns = 0, a, b;

	c->r = g->o.r;
	c->rok = 0;
	if (m < 0 || !(T > 0))
		return;
	lo = m - RATE_WIN < 0 ? 0 : m - RATE_WIN;
	hi = m + RATE_WIN >= (long)c->nk ? (long)c->nk - 1 : m + RATE_WIN;
	for (i = lo; i <= hi; i++)
		if (pair_ok(g, c, &c->k[i])) {
			K[n] = c->k[i].K;
			y[n++] = c->k[i].s[1].pq - c->k[i].s[0].pq;
		}
	if (n < 3)
		return;
	for (a = 0; a < n; a++)
		for (b = a + 1; b < n; b++)
			sl[ns++] = (y[b] - y[a]) / (K[b] - K[a]);
	D = -median(sl, ns);
	r = D > 0 ? -log(D) / T : NAN;
	if (r >= RATE_MIN && r <= RATE_MAX) {
		c->r = r;
		c->rok = 1;
	}
}

/*
 * c's forward now, with S the spot at this point of the stream; pair:
 * this tick made a fresh pair at its strike (until the rate is found, a
 * few tries a second besides the one at each new second).
 */
static void
forward(const struct tg *g, struct chain *c, double S, int pair)
{
	double T = years(c->expiry, c->now), fut = NAN, carry = NAN, est;
	double *fp = c->fut ? tg_price_get(&g->p, c->fut) : NULL, par;

	if (fp != NULL && *fp > 0)
		fut = *fp;
	/* the exponentials once for each feed time and rate */
	if (c->tnow != c->now) {
		c->carry = exp((g->o.r - g->o.q) * T);
		c->tnow = c->now;
		c->rnow = NAN;
	}
	if (S > 0)
		carry = S * c->carry;
	est = !isnan(c->F) ? c->F : !isnan(fut) ? fut : carry;
	if ((long)floor(c->now) != c->rsec) {
		c->rsec = (long)floor(c->now);
		c->rtry = 0;
		implied_rate(g, c, T, est);
	} else if (pair && !c->rok && c->rtry < 8) {
		c->rtry++;
		implied_rate(g, c, T, est);
	}
	if (g->o.model == MODEL_BLACK76 && !isnan(fut)) {
		c->F = fut;
		c->fsrc = FSRC_FUTURE;
		return;
	}
	if (c->rnow != c->r) {
		c->ert = exp(c->r * T);
		c->rnow = c->r;
	}
	par = isnan(T) ? NAN : parity(g, c, est, S);
	if (!isnan(par) && par > 0) {
		c->F = par;
		c->fsrc = FSRC_PARITY;
	} else if (!isnan(fut)) {
		c->F = fut;
		c->fsrc = FSRC_FUTURE;
	} else if (!isnan(carry)) {
		c->F = carry;
		c->fsrc = FSRC_CARRY;
	} else {
		c->F = NAN;
		c->fsrc = FSRC_NONE;
	}
}

/* The forward when quote o was made: F moved with the spot since. */
static double
quote_fwd(const struct chain *c, const struct side *o)
{
	return c->S > 0 && o->S > 0 ? c->F * o->S / c->S : c->F;
}

/* The chain line ---------------------------------------------------- */

static const char *const fsrc_name[] = { "null", "\"parity\"",
	"\"future\"", "\"carry\"" };

static char *
put_kv(char *p, const char *k, double v)
{
	p += sprintf(p, ",\"%s\":", k);
	if (!isfinite(v)) {
		memcpy(p, "null", 4);
		return p + 4;
	}
	return kp_dtoa(p, v);
}

/* The chain's out-of-the-money IVs, the ATM IV and the 25-delta ones. */
#define SMILE_DELTA 0.05

struct smile {
	double atm, c25, p25, dc, dp, df;
	long fresh;
};

/* One side of the smile's scan: the out-of-the-money option at slot i,
 * its IV into the figures; its |delta|, or -1 when it has no IV. */
static double
smile_at(const struct tg *g, const struct chain *c, double T, long i,
    long m, struct smile *s)
{
	int call = c->k[i].K >= c->F;
	const struct side *o = &c->k[i].s[call];
	double F = quote_fwd(c, o), iv, d1, dl;

	if (!(o->px > 0) || c->now - o->ts > g->o.parity_age ||
	    kp_iv_black76(call, o->px, F, c->k[i].K, T, c->r, &iv) !=
	    KP_IV_OK)
		return -1;
	s->fresh++;
	if (i == m)
		s->atm = iv;
	d1 = log(F / c->k[i].K) / (iv * sqrt(T)) + 0.5 * iv * sqrt(T);
	dl = call ? s->df * 0.5 * erfc(-d1 / M_SQRT2) :
	    -s->df * 0.5 * erfc(d1 / M_SQRT2);
	if (call && fabs(dl - 0.25) < s->dc) {
		s->dc = fabs(dl - 0.25);
		s->c25 = iv;
	} else if (!call && fabs(dl + 0.25) < s->dp) {
		s->dp = fabs(dl + 0.25);
		s->p25 = iv;
	}
	return fabs(dl);
}

/*
 * The out-of-the-money IVs from the strike nearest the forward outwards,
 * each way until the first below SMILE_DELTA (the wings beyond tell the
 * figures nothing, and cost a solve each).
 */
static void
smile(const struct tg *g, struct chain *c, double T, struct smile *s)
{
	long m = isnan(c->F) ? -1 : centre(g, c, c->F), i;
	double d;

	s->atm = s->c25 = s->p25 = NAN;
	s->dc = s->dp = INFINITY;
	s->fresh = 0;
	s->df = exp(-c->r * T);
	if (m < 0 || !(T > 0))
		return;
	for (i = m; i < (long)c->nk; i++)
		if ((d = smile_at(g, c, T, i, m, s)) >= 0 && d < SMILE_DELTA &&
		    c->k[i].K >= c->F)
			break;
	for (i = m - 1; i >= 0; i--)
		if ((d = smile_at(g, c, T, i, m, s)) >= 0 && d < SMILE_DELTA &&
		    c->k[i].K < c->F)
			break;
}

/*
 * Max pain: the strike where the options' holders would be paid least
 * at expiry, by the latest open interest; NaN when none is known.  The
 * pain at K_i, sum over j of oc_j max(K_i - K_j, 0) + op_j max(K_j -
 * K_i, 0), from running sums in one pass each way (the strikes sorted).
 */
static double
max_pain(const struct chain *c)
{
	double best = NAN, bp = 0, pain, sc = 0, sck = 0, sp = 0, spk = 0;
	double tp = 0, tpk = 0, oc, op;
	size_t i;

	for (i = 0; i < c->nk; i++)
		if (c->k[i].s[0].oi > 0) {
			tp += c->k[i].s[0].oi;
			tpk += c->k[i].s[0].oi * c->k[i].K;
		}
	for (i = 0; i < c->nk; i++) {
		oc = c->k[i].s[1].oi > 0 ? c->k[i].s[1].oi : 0;
		op = c->k[i].s[0].oi > 0 ? c->k[i].s[0].oi : 0;
		/* calls below K_i (sc, sck), puts at or below it (sp, spk) */
		sp += op;
		spk += op * c->k[i].K;
		pain = c->k[i].K * sc - sck + (tpk - spk) - c->k[i].K *
		    (tp - sp);
		sc += oc;
		sck += oc * c->k[i].K;
		if (sc + tp > 0 && (isnan(best) || pain < bp)) {
			best = c->k[i].K;
			bp = pain;
		}
	}
	return best;
}

/* The chain line of c as it stands (malloc'd, *len set). */
static char *
chain_line(const struct tg *g, struct chain *c, size_t *len)
{
	double T = years(c->expiry, c->now), oi[2] = { 0, 0 },
	    vol[2] = { 0, 0 };
	struct smile s;
	size_t i, n;
	char *b, *p;
	int k;

	n = 256 + 2 * strlen(c->name) + 12 * (32 + KP_DTOA_ROOM);
	if ((b = malloc(n)) == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	for (i = 0; i < c->nk; i++)
		for (k = 0; k < 2; k++) {
			if (c->k[i].s[k].oi > 0)
				oi[k] += c->k[i].s[k].oi;
			if (c->k[i].s[k].vol > 0)
				vol[k] += c->k[i].s[k].vol;
		}
	smile(g, c, T, &s);
	p = b + sprintf(b, "{\"type\":\"chain\",\"underlying\":");
	{
		struct kp_buf t;

		kp_buf_init(&t, 6 * strlen(c->name) + 2);
		if (kp_json_str(&t, c->name, strlen(c->name)) == 0) {
			memcpy(p, t.p, t.len);
			p += t.len;
		}
		kp_buf_free(&t);
	}
	p += sprintf(p, ",\"expiry\":\"%s\"", c->expiry_str);
	p = put_kv(p, "timestamp", c->now);
	p = put_kv(p, "time_to_expiry", T);
	p = put_kv(p, "forward", c->F);
	p = put_kv(p, "rate", c->r);
	p += sprintf(p, ",\"forward_source\":%s", fsrc_name[c->fsrc]);
	p = put_kv(p, "atm_iv", s.atm);
	p = put_kv(p, "rr25", s.c25 - s.p25);
	p = put_kv(p, "bf25", 0.5 * (s.c25 + s.p25) - s.atm);
	p = put_kv(p, "pcr_oi", oi[1] > 0 ? oi[0] / oi[1] : NAN);
	p = put_kv(p, "pcr_volume", vol[1] > 0 ? vol[0] / vol[1] : NAN);
	p = put_kv(p, "max_pain", max_pain(c));
	p += sprintf(p, ",\"fresh_iv\":%ld,\"strikes\":%zu}\n", s.fresh, c->nk);
	*len = (size_t)(p - b);
	return b;
}

void
tg_fwd_settle(struct tg *g, struct job *j)
{
	struct opt_tick *ot = &j->ot;
	const struct inst *in = ot->in;
	const struct optref *r = &g->t.ref[in - g->t.v];
	struct chain *c;
	struct kslot *k;
	struct side *s, *o;
	int call = in->type == KP_INSTR_CE;
	long sec;

	ot->F = ot->opx = NAN;
	ot->fsrc = FSRC_NONE;
	ot->r = g->o.r;
	if (r->ch == 0)
		return;
	c = &g->t.ch[r->ch - 1];
	k = &c->k[r->k];
	if (!isnan(ot->ts)) {
		sec = (long)floor(ot->ts / (double)(g->o.chain_every > 0 ?
		    g->o.chain_every : 1));
		if (g->o.chain_every > 0 && c->sec >= 0 && sec > c->sec)
			j->pre = chain_line(g, c, &j->prelen);
		if (sec > c->sec)
			c->sec = sec;
		if (isnan(c->now) || ot->ts > c->now)
			c->now = ot->ts;
	}
	s = &k->s[call];
	s->px = ot->px;
	s->pq = ot->pq;
	s->ts = ot->ts;
	s->S = ot->S;
	c->S = ot->S;
	if (!isnan(ot->oi))
		s->oi = ot->oi;
	if (!isnan(ot->vol))
		s->vol = ot->vol;
	if (!isnan(c->now))
		forward(g, c, ot->S, pair_ok(g, c, k));
	ot->F = c->F;
	ot->fsrc = c->fsrc;
	ot->r = c->r;
	if (!g->o.iv_otm || isnan(c->F) || (call ? k->K >= c->F :
	    k->K <= c->F))
		return;
	o = &k->s[!call];
	if (o->px > 0 && fabs(ot->ts - o->ts) <= g->o.parity_age) {
		ot->opx = o->px;
		ot->oF = quote_fwd(c, o);
	}
}
