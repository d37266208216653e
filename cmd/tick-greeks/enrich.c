/*
 * enrich.c: one tick of tick-greeks: classify it (scan, look the
 * instrument up, the option's price and time), settle it in stream order
 * (the underlyings' prices, the counts), and enrich an option tick (solve
 * for IV and Greeks, format the fields with exact decimals).
 */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_greeks.h"
#include "kp_instr.h"
#include "kp_dtoa.h"
#include "kp_tickscan.h"
#include "tg.h"

const char *const tg_field_names[F_N] = {
	"iv", "delta", "gamma", "theta", "vega", "rho", "underlying_price",
	"time_to_expiry", "tradingsymbol", "name", "strike", "expiry",
	"instrument_type", "iv_source", "theta_hour", "forward",
	"forward_source"
};

static double
num(const struct kp_tickscan *js, int k)
{
	return js->kind[k] == KP_TV_INT || js->kind[k] == KP_TV_REAL ?
	    js->num[k] : NAN;
}

/* Tick time: exchange_timestamp, else receive_timestamp, else the
 * candle's timestamp (epoch seconds or ISO 8601). */
static double
tick_time(const struct kp_tickscan *js, struct iso_cache *ic)
{
	double t = num(js, KP_TK_EXCH_TS);
	char buf[256], *s;
	size_t n;

	if (isnan(t) || t <= 0)
		t = num(js, KP_TK_RECV_TS);
	if (!isnan(t))
		return t;
	if (js->kind[KP_TK_TS] != KP_TV_STR)
		return num(js, KP_TK_TS);
	if (js->slen == ic->n && ic->n > 0 &&
	    memcmp(js->str, ic->raw, ic->n) == 0)
		return ic->t;
	n = kp_tickscan_str(js->str, js->slen, buf, sizeof(buf));
	if (n != (size_t)-1) {
		t = kp_iso_time(buf);
		if (js->slen <= sizeof(ic->raw)) {
			memcpy(ic->raw, js->str, js->slen);
			ic->n = js->slen;
			ic->t = t;
		}
		return t;
	}
	/* longer than any real timestamp, but decoded all the same */
	if ((s = malloc(js->slen + 1)) == NULL)
		return NAN;
	(void)kp_tickscan_str(js->str, js->slen, s, js->slen + 1);
	t = kp_iso_time(s);
	free(s);
	return t;
}

static double
tick_price(const struct kp_tickscan *js)
{
	double p = num(js, KP_TK_LAST_PRICE);

	if (isnan(p))
		p = num(js, KP_TK_CLOSE);	/* a candle */
	return p;
}

static double
mid_price(const struct kp_tickscan *js)
{
	double b = num(js, KP_TK_BID), s = num(js, KP_TK_ASK);

	return b > 0 && s > 0 ? 0.5 * (b + s) : NAN;
}

void
tg_fields_init(struct tg *g)
{
	int i;

	for (i = 0; i < F_N; i++)
		g->field_pre_len[i] = (size_t)snprintf(g->field_pre[i],
		    sizeof(g->field_pre[i]), ",\"%s\":", tg_field_names[i]);
}

/*
 * ,"name": and a number in the shortest form that reads back exactly
 * (kp_dtoa), or null when not finite.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *
put_num(const struct tg *g, char *p, int f, double v)
{
	if (!g->o.fields[f])
		return p;
	/* all FIELD_PRE bytes (one fixed-size copy), the room allows it */
	memcpy(p, g->field_pre[f], sizeof(g->field_pre[f]));
	p += g->field_pre_len[f];
	if (isfinite(v))
		return kp_dtoa(p, v);
	memcpy(p, "null", 4);
	return p + 4;
}

/* A JSON string: copied when nothing needs escaping, else kp_json_str. */
static char *
put_jstr(char *p, const char *s)
{
	size_t n, i;
	unsigned char c;
	struct kp_buf t;

	*p = '"';
	for (i = 0; (c = (unsigned char)s[i]) != 0; i++) {
		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			break;
		p[i + 1] = (char)c;
	}
	if (c == 0) {
		p[i + 1] = '"';
		return p + i + 2;
	}
	n = i + strlen(s + i);
	kp_buf_init(&t, 6 * n + 2);
	if (kp_json_str(&t, s, n) == 0) {
		memcpy(p, t.p, t.len);
		p += t.len;
	} else {
		memcpy(p, "null", 4);
		p += 4;
	}
	kp_buf_free(&t);
	return p;
}

static char *
put_str(const struct tg *g, char *p, int f, const char *s)
{
	if (!g->o.fields[f])
		return p;
	memcpy(p, g->field_pre[f], g->field_pre_len[f]);
	return put_jstr(p + g->field_pre_len[f], s);
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *
put_num_cached(const struct tg *g, char *p, int f, double v,
    struct num_cache *nc)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	if (nc->n == 0 || b != nc->bits) {
		/* written in place, then kept: all of text, one fixed-size
		 * copy each way (the room allows it) */
		nc->n = (size_t)(put_num(g, p, f, v) - p);
		nc->bits = b;
		memcpy(nc->text, p, sizeof(nc->text));
		return p + nc->n;
	}
	memcpy(p, nc->text, sizeof(nc->text));
	return p + nc->n;
}

/*
 * A reason as put_jstr writes it, from a few kept by the address of the
 * string (the reasons are string constants), else put_jstr itself.
 */
static char *
put_reason(char *p, const char *reason, struct fmt_ctx *fc)
{
	size_t i;

	for (i = 0; i < 8 && fc->reason[i].s != NULL; i++)
		if (fc->reason[i].s == reason) {
			memcpy(p, fc->reason[i].j, fc->reason[i].n);
			return p + fc->reason[i].n;
		}
	/* <= 20 bytes escaped (<= 6x, quotes) fit in j */
	if (i == 8 || strlen(reason) > 20)
		return put_jstr(p, reason);
	fc->reason[i].n = (size_t)(put_jstr(fc->reason[i].j, reason) -
	    fc->reason[i].j);
	fc->reason[i].s = reason;
	memcpy(p, fc->reason[i].j, fc->reason[i].n);
	return p + fc->reason[i].n;
}

/* ,"name":"text" (text a constant without escapes), when f is wanted. */
static char *
put_lit(const struct tg *g, char *p, int f, const char *text, size_t n)
{
	if (!g->o.fields[f])
		return p;
	memcpy(p, g->field_pre[f], g->field_pre_len[f]);
	p += g->field_pre_len[f];
	memcpy(p, text, n);
	return p + n;
}

#define LIT(s) s, sizeof(s) - 1

/*
 * The forward models: Black-76 on the chain's forward (fwd.c); an
 * in-the-money option with a fresh out-of-the-money one at its strike
 * takes that one's IV (--iv-from otm).
 */
static char *
enrich_fwd(const struct tg *g, char *p, const struct opt_tick *ot,
    struct fmt_ctx *fc)
{
	const struct tg_opts *o = &g->o;
	const struct inst *in = ot->in;
	double ts = ot->ts, F = ot->F, Tyr, iv = NAN;
	const char *reason = NULL;
	struct kp_greeks gk;
	int call = in->type == KP_INSTR_CE, st, otm = 0;

	Tyr = ((double)in->expiry * 86400 + 36000 - ts) / (365.0 * 86400);
	if (in->expiry == KP_INSTR_NOEXP || isnan(ts))
		reason = "no_time";
	else if (isnan(F))
		reason = "no_underlying_price";
	else if (!isnan(ot->opx) && kp_iv_black76(!call, ot->opx, ot->oF,
	    in->strike, Tyr, ot->r, &iv) == KP_IV_OK) {
		kp_greeks_black76(call, F, in->strike, Tyr, ot->r, iv, &gk);
		otm = 1;
	} else if (isnan(ot->px))
		reason = "no_price";
	else if ((st = kp_iv_greeks_black76(call, ot->px, F, in->strike,
	    Tyr, ot->r, &iv, &gk)) != KP_IV_OK)
		reason = kp_iv_reason(st);
	if (reason != NULL) {
		fc->noiv++;
		iv = NAN;
		gk.delta = gk.gamma = gk.theta = gk.theta_day = gk.vega_pt =
		    gk.rho_pct = NAN;
	}
	p = put_num(g, p, F_IV, iv);
	if (reason != NULL && o->fields[F_IV]) {
		memcpy(p, ",\"iv_reason\":", 13);
		p = put_reason(p + 13, reason, fc);
	}
	p = reason != NULL ? put_lit(g, p, F_IVSRC, LIT("null")) : otm ?
	    put_lit(g, p, F_IVSRC, LIT("\"otm\"")) :
	    put_lit(g, p, F_IVSRC, LIT("\"own\""));
	p = put_num(g, p, F_DELTA, gk.delta);
	p = put_num(g, p, F_GAMMA, gk.gamma);
	p = put_num(g, p, F_THETA, gk.theta_day);
	p = put_num(g, p, F_THETA_HOUR, gk.theta / (365.0 * 24));
	p = put_num(g, p, F_VEGA, gk.vega_pt);
	p = put_num(g, p, F_RHO, gk.rho_pct);
	p = put_num_cached(g, p, F_UNDERLYING, ot->S, &fc->under);
	p = put_num_cached(g, p, F_TTE, isnan(ts) ? NAN : Tyr, &fc->tte);
	p = put_num_cached(g, p, F_FORWARD, F, &fc->fwd);
	switch (ot->fsrc) {
	case FSRC_PARITY:
		p = put_lit(g, p, F_FSRC, LIT("\"parity\""));
		break;
	case FSRC_FUTURE:
		p = put_lit(g, p, F_FSRC, LIT("\"future\""));
		break;
	case FSRC_CARRY:
		p = put_lit(g, p, F_FSRC, LIT("\"carry\""));
		break;
	default:
		p = put_lit(g, p, F_FSRC, LIT("null"));
	}
	memcpy(p, in->sfx, in->sfx_len);
	return p + in->sfx_len;
}

char *
tg_enrich(const struct tg *g, char *p, const struct opt_tick *ot,
    struct fmt_ctx *fc)
{
	const struct tg_opts *o = &g->o;
	const struct inst *in = ot->in;
	double ts = ot->ts, px = ot->px, S = ot->S, Tyr, iv = NAN;
	const char *reason = NULL;
	struct kp_greeks gk;
	int call = in->type == KP_INSTR_CE, st;

	if (o->model != MODEL_BSM)
		return enrich_fwd(g, p, ot, fc);
	/* --model bsm: Black-Scholes-Merton on the spot, as before */
	Tyr = ((double)in->expiry * 86400 + 36000 - ts) / (365.0 * 86400);
	if (in->expiry == KP_INSTR_NOEXP || isnan(ts))
		reason = "no_time";
	else if (isnan(px))
		reason = "no_price";
	else if (isnan(S))
		reason = "no_underlying_price";
	else {
		/* the Greeks from the solver's own d1 and discounting */
		st = kp_iv_greeks_bsm(call, px, S, in->strike, Tyr, o->r,
		    o->q, &iv, &gk);
		if (st != KP_IV_OK)
			reason = kp_iv_reason(st);
	}
	if (reason != NULL) {
		fc->noiv++;
		gk.delta = gk.gamma = gk.theta_day = gk.vega_pt = gk.rho_pct =
		    NAN;
	}
	p = put_num(g, p, F_IV, iv);
	if (reason != NULL && o->fields[F_IV]) {
		memcpy(p, ",\"iv_reason\":", 13);
		p = put_reason(p + 13, reason, fc);
	}
	p = put_num(g, p, F_DELTA, gk.delta);
	p = put_num(g, p, F_GAMMA, gk.gamma);
	p = put_num(g, p, F_THETA, gk.theta_day);
	p = put_num(g, p, F_VEGA, gk.vega_pt);
	p = put_num(g, p, F_RHO, gk.rho_pct);
	p = put_num_cached(g, p, F_UNDERLYING, S, &fc->under);
	p = put_num_cached(g, p, F_TTE, isnan(ts) ? NAN : Tyr, &fc->tte);
	memcpy(p, in->sfx, in->sfx_len);
	return p + in->sfx_len;
}

/*
 * The part of an option's enrichment that is fixed by its instrument
 * (see struct table), with the closing brace and newline.
 */
static char *
put_fixed(const struct tg *g, char *p, const struct inst *in)
{
	p = put_str(g, p, F_TSYM, in->tsym);
	p = put_str(g, p, F_NAME, in->name);
	p = put_num(g, p, F_STRIKE, in->strike);
	p = put_str(g, p, F_EXPIRY, in->expiry_str);
	p = put_str(g, p, F_TYPE, in->type == KP_INSTR_CE ? "CE" : "PE");
	*p++ = '}';
	*p++ = '\n';
	return p;
}

/* Size of a chunk of option suffixes (one suffix <= ENRICH_ROOM). */
#define SFX_CHUNK (64 * 1024)

/*
 * Point in->sfx/sfx_len at the instrument's suffix, built on its first
 * tick (an instrument list has far more options than a stream carries);
 * return 0, or -1 when out of memory.
 */
static int
build_sfx(struct tg *g, struct inst *in)
{
	struct table *t = &g->t;
	char tmp[ENRICH_ROOM], *dst;
	size_t k = (size_t)(put_fixed(g, tmp, in) - tmp);

	if (t->nchunk == 0 || t->used + k > SFX_CHUNK) {
		char **v = realloc(t->chunk, (t->nchunk + 1) * sizeof(*v));

		if (v == NULL)
			return -1;
		t->chunk = v;
		if ((v[t->nchunk] = malloc(SFX_CHUNK)) == NULL)
			return -1;
		t->nchunk++;
		t->used = 0;
	}
	dst = t->chunk[t->nchunk - 1] + t->used;
	memcpy(dst, tmp, k);
	t->used += k;
	in->sfx = dst;
	in->sfx_len = (uint32_t)k;
	return 0;
}

/*
 * The option tick *ot of a line kp_tickscan accepted as js, for
 * instrument in, with S the underlying's price at its place.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
opt_fill(const struct tg *g, struct opt_tick *ot,
    const struct kp_tickscan *js, const char *line, size_t len,
    const struct inst *in, double S, struct iso_cache *ic)
{
	size_t end = len;

	while (end > 0 && line[end - 1] != '}')
		end--;
	ot->in = in;
	ot->end = end;
	ot->ts = tick_time(js, ic);
	ot->px = g->o.mid ? mid_price(js) : NAN;
	if (isnan(ot->px))
		ot->px = tick_price(js);
	ot->S = S;
	if (g->o.model == MODEL_BSM)
		return;
	ot->pq = g->o.mid ? ot->px : mid_price(js);
	if (isnan(ot->pq))
		ot->pq = tick_price(js);
	ot->oi = num(js, KP_TK_OI);
	ot->vol = num(js, KP_TK_VOLUME);
}

/* The underlying's price for in at this point of the stream, or NaN. */
static inline double
under_price(const struct tg *g, const struct inst *in)
{
	double *up = in->under ? tg_price_get(&g->p, in->under) : NULL;

	return up != NULL && *up > 0 ? *up : NAN;
}

/*
 * What a line is, by itself (any thread): check it, look its instrument
 * up, and for an option tick its price and time; what depends on the
 * lines before it (the underlying's price) is left to tg_settle().
 */
void
tg_classify(const struct tg *g, const char *line, size_t len,
    struct job *j, struct iso_cache *ic)
{
	struct kp_tickscan js;
	struct inst *in;
	uint32_t tok;

	if (kp_tickscan(&js, line, len) < 0) {
		j->kind = J_BAD;
		j->err = js.err;
		j->col = js.col;
		return;
	}
	j->kind = J_PASS;
	if (js.top != '{' || js.kind[KP_TK_TOKEN] != KP_TV_INT ||
	    js.i64[KP_TK_TOKEN] <= 0 || js.i64[KP_TK_TOKEN] > UINT32_MAX)
		return;
	tok = (uint32_t)js.i64[KP_TK_TOKEN];
	in = tg_table_get(&g->t, tok);
	if (in == NULL || (in->type != KP_INSTR_CE && in->type !=
	    KP_INSTR_PE)) {
		j->kind = J_PRICE;
		j->tok = tok;
		j->known = in != NULL;
		j->px = tick_price(&js);
		return;
	}
	j->kind = J_OPT;
	opt_fill(g, &j->ot, &js, line, len, in, NAN, ic);
}

/*
 * The rest of a classified line, in stream order: record the price of a
 * non-option (every known instrument's, bounded by the instrument list,
 * so that a reload adding options on it finds the price there), give an
 * option tick the underlying's price at this point of the stream, count.
 */
void
tg_settle(struct tg *g, struct job *j, struct counts *c)
{
	double *up;

	c->lines++;
	switch (j->kind) {
	case J_BAD:
		c->bad++;
		break;
	case J_PRICE:
		up = j->known ? tg_price_slot(&g->p, j->tok, 1) :
		    tg_price_get(&g->p, j->tok);
		if (up != NULL && j->px > 0)
			*up = j->px;
		/* FALLTHROUGH */
	case J_PASS:
		c->pass++;
		break;
	case J_OPT:
		if (j->ot.in->sfx_len == 0 && build_sfx(g,
		    (struct inst *)j->ot.in) < 0)
			kp_die(KP_EXIT_TEMP, "out of memory");
		j->ot.S = under_price(g, j->ot.in);
		if (g->o.model != MODEL_BSM)
			tg_fwd_settle(g, j);
		c->options++;
		break;
	}
}
