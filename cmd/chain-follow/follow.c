/*
 * follow.c: the follower.  Every line of stdin goes to stdout as it
 * came; the underlying's ticks move the price, and when the strike at
 * the money moves past the hysteresis, or an expiry rolls off, the
 * tokens to hold are worked out again (chain.c) and the difference sent
 * to kite-stream (ctl.c), then told in a status line.
 */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cf.h"
#include "kp_linescan.h"

#define RETRY_BASE_MS 500
#define RETRY_CAP_MS 30000

void
cf_init(struct cf *f, const struct cf_opts *o)
{
	f->o = o;
	f->und = o->und_token ? (uint32_t)o->und_token : f->chain.und_token;
	kp_out_init(&f->out, 1, 1 << 16);
	kp_backoff_init(&f->bo, RETRY_BASE_MS, RETRY_CAP_MS, kp_rng_seed_auto());
	f->dirty = true;	/* the underlying, at once */
}

static int64_t
now_s(const struct cf *f)
{
	return (int64_t)time(NULL) + f->clock_off;
}

static void
apply_sub(struct cf_set *have, const uint32_t *t, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		cf_set_add(have, t[j]);
	cf_set_sort(have);
}

static void
apply_unsub(struct cf_set *have, const uint32_t *t, size_t n)
{
	struct cf_set gone = { 0 }, keep = { 0 };

	apply_sub(&gone, t, n);
	cf_set_minus(have, &gone, &keep);
	cf_set_free(have);
	cf_set_free(&gone);
	*have = keep;
}

/* Send the tokens of s, CF_MSG_TOKENS a message; on success apply them
 * to have.  Return 0, or -1 at the first failure. */
static int
send_set(struct cf *f, const char *action, const struct cf_set *s)
{
	char err[KP_ERRLEN];
	size_t i, n;
	bool sub = strcmp(action, "subscribe") == 0;

	for (i = 0; i < s->n; i += n) {
		n = s->n - i < CF_MSG_TOKENS ? s->n - i : CF_MSG_TOKENS;
		if (cf_ctl_send(f->o->ctl, f->o->timeout_ms, action, NULL,
		    s->v + i, n, err) < 0 ||
		    (sub && f->o->mode != NULL && cf_ctl_send(f->o->ctl,
		    f->o->timeout_ms, action, f->o->mode, s->v + i, n,
		    err) < 0)) {
			kp_warn("%s of %zu instruments: %s", action, n, err);
			f->st.ctl_errors++;
			return -1;
		}
		if (sub) {
			f->st.sub_msgs++;
			apply_sub(&f->have, s->v + i, n);
		} else {
			f->st.unsub_msgs++;
			apply_unsub(&f->have, s->v + i, n);
		}
	}
	return 0;
}

/* Bring kite-stream to want: subscribe first, then unsubscribe, so the
 * chain is never short.  The underlying goes in full mode: its packets
 * then carry the exchange's clock, which the roll goes by. */
static void
sync_ctl(struct cf *f, size_t *nsub, size_t *nunsub)
{
	struct cf_set sub = { 0 }, unsub = { 0 };
	char err[KP_ERRLEN];
	uint32_t t = f->und;

	*nsub = *nunsub = 0;
	if (!f->und_held && f->und != 0) {
		if (cf_ctl_send(f->o->ctl, f->o->timeout_ms, "subscribe", NULL,
		    &t, 1, err) < 0 || cf_ctl_send(f->o->ctl,
		    f->o->timeout_ms, "subscribe", "full", &t, 1, err) < 0) {
			kp_warn("subscribe of the underlying %u: %s", t, err);
			f->st.ctl_errors++;
			goto retry;
		}
		f->st.sub_msgs++;
		f->und_held = true;
	}
	cf_set_minus(&f->want, &f->have, &sub);
	cf_set_minus(&f->have, &f->want, &unsub);
	*nsub = sub.n;
	*nunsub = unsub.n;
	if (send_set(f, "subscribe", &sub) < 0 ||
	    send_set(f, "unsubscribe", &unsub) < 0)
		goto retry;
	f->dirty = false;
	kp_backoff_reset(&f->bo);
	goto out;
retry:
	f->dirty = true;
	f->retry_ms = kp_mono_ms() + kp_backoff_next(&f->bo);
out:
	f->st.held = f->have.n;
	cf_set_free(&sub);
	cf_set_free(&unsub);
}

static void
add_price(struct kp_buf *b, const char *key, int64_t v)
{
	kp_buf_addstr(b, key);
	if (v == 0)
		kp_buf_addstr(b, "null");
	else
		kp_json_fixed(b, v, KP_INSTR_DEC);
}

static void
status(struct cf *f, const char *reason, int64_t from, size_t nsub,
    size_t nunsub)
{
	struct kp_buf b;
	char day[11];
	size_t i;

	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"type\":\"status\",\"program\":\"chain-follow\","
	    "\"event\":\"recentred\",\"reason\":");
	kp_json_cstr(&b, reason);
	kp_buf_addstr(&b, ",\"name\":");
	kp_json_cstr(&b, f->o->name);
	add_price(&b, ",\"spot\":", f->spot);
	add_price(&b, ",\"centre\":", f->centre);
	add_price(&b, ",\"from\":", from);
	kp_buf_addstr(&b, ",\"expiries\":[");
	for (i = 0; i < f->nex; i++) {
		kp_instr_date_str(f->ex[i], day);
		if (i > 0)
			kp_buf_addc(&b, ',');
		kp_json_cstr(&b, day);
	}
	kp_buf_addstr(&b, "],\"subscribed\":");
	kp_json_u64(&b, nsub);
	kp_buf_addstr(&b, ",\"unsubscribed\":");
	kp_json_u64(&b, nunsub);
	kp_buf_addstr(&b, ",\"total\":");
	kp_json_u64(&b, f->want.n);
	kp_buf_addstr(&b, f->dirty ? ",\"pending\":true" : ",\"pending\":false");
	kp_buf_addstr(&b, ",\"receive_timestamp\":");
	kp_json_fixed(&b, kp_time_us(), 6);
	kp_buf_addstr(&b, "}\n");
	kp_out_write(&f->out, b.p, b.len);
	kp_buf_free(&b);
	kp_info("recentred reason=%s centre=%.4f from=%.4f subscribed=%zu "
	    "unsubscribed=%zu total=%zu", reason, kp_instr_dbl(f->centre),
	    kp_instr_dbl(from), nsub, nunsub, f->want.n);
}

/*
 * Work out what to hold now; when the centre or the expiries changed (or
 * force), send the difference and say so.
 */
static void
update(struct cf *f, const char *reason, bool force)
{
	int32_t ex[CF_EXPIRIES_MAX];
	size_t nex, nsub, nunsub;
	int64_t to = f->centre, from = f->centre;
	bool rolled, moved;

	if (f->spot == 0)
		return;
	nex = cf_expiries(&f->chain, now_s(f), (size_t)f->o->expiries, ex);
	if (nex == 0) {
		if (!f->warned_none)
			kp_warn("no options of %s expire after now", f->o->name);
		f->warned_none = true;
		return;
	}
	f->warned_none = false;
	rolled = nex != f->nex || memcmp(ex, f->ex, nex * sizeof(ex[0])) != 0;
	moved = cf_recentre(&f->chain, ex[0], f->centre, f->spot, f->o->h,
	    &to);
	if (!rolled && !moved && !force)
		return;
	if (rolled && f->nex > 0 && !moved && !force)
		reason = "roll";
	if (rolled && f->nex > 0)
		f->st.rolls++;
	memcpy(f->ex, ex, nex * sizeof(ex[0]));
	f->nex = nex;
	f->centre = to;
	cf_want(&f->chain, f->ex, f->nex, f->centre, (size_t)f->o->strikes,
	    &f->want);
	f->st.recentres++;
	sync_ctl(f, &nsub, &nunsub);
	status(f, from == 0 ? "start" : reason, from, nsub, nunsub);
}

/* The members a tick line is read for (by the one line scanner). */
enum { F_TOKEN, F_PRICE, F_EXCH_TS, F_N };

static const struct kp_jfields *
tick_fields(void)
{
	static struct kp_jfields t;
	static const char *const names[F_N] = {
		"instrument_token", "last_price", "exchange_timestamp"
	};
	size_t k;

	if (t.n == 0) {
		kp_jfields_init(&t);
		for (k = 0; k < F_N; k++)
			(void)kp_jfields_add(&t, names[k], strlen(names[k]));
	}
	return &t;
}

void
cf_line(struct cf *f, const char *line, size_t len)
{
	struct kp_jval v[F_N];
	struct kp_lsres r;
	double p;

	f->st.lines++;
	kp_out_write(&f->out, line, len);
	kp_out_write(&f->out, "\n", 1);
	if (kp_linescan(line, len, tick_fields(), v, KP_LS_JANSSON |
	    KP_LS_VALUES, &r) < 0) {
		f->st.bad++;
		kp_warn("line %llu: bad JSON: %s (column %zu), passed on",
		    (unsigned long long)f->st.lines, r.why, r.col);
		return;
	}
	if (v[F_TOKEN].nkind != KP_JN_INT || f->und == 0 ||
	    v[F_TOKEN].i64 != (int64_t)f->und || v[F_PRICE].nkind == 0)
		return;
	p = v[F_PRICE].num;
	if (!(p > 0 && p < 1e9))
		return;
	f->st.ticks++;
	f->spot = llround(p * KP_INSTR_SCALE);
	if (v[F_EXCH_TS].nkind != 0 && v[F_EXCH_TS].num > 1e9 &&
	    v[F_EXCH_TS].num < 1e10)
		f->clock_off = (int64_t)v[F_EXCH_TS].num - time(NULL);
	update(f, "move", false);
}

void
cf_timer(struct cf *f)
{
	size_t nsub, nunsub;

	if (f->dirty && kp_mono_ms() >= f->retry_ms) {
		sync_ctl(f, &nsub, &nunsub);
		if (!f->dirty && (nsub || nunsub))
			kp_info("control: caught up subscribed=%zu "
			    "unsubscribed=%zu", nsub, nunsub);
	}
	update(f, "roll", false);
}

void
cf_reload(struct cf *f)
{
	struct cf_chain c;
	char err[KP_ERRLEN];

	if (cf_chain_load(&c, f->o->instr, f->o->name, f->o->exch, err) < 0) {
		kp_warn("reload: %s; the old list stays", err);
		return;
	}
	cf_chain_free(&f->chain);
	f->chain = c;
	if (f->o->und_token == 0 && c.und_token != 0 && c.und_token != f->und) {
		f->und = c.und_token;
		f->und_held = false;
		f->dirty = true;
	}
	f->st.reloads++;
	kp_info("reload: %zu options of %s", c.n, f->o->name);
	update(f, "reload", true);
}

void
cf_stats_log(const struct cf *f)
{
	const struct kp_stat st[] = {
		{ "lines", "lines passed on", KP_STAT_COUNTER, &f->st.lines,
		    NULL },
		{ "bad", "lines not JSON (passed on)", KP_STAT_COUNTER,
		    &f->st.bad, NULL },
		{ "ticks", "ticks of the underlying", KP_STAT_COUNTER,
		    &f->st.ticks, NULL },
		{ "recentres", "chains worked out again", KP_STAT_COUNTER,
		    &f->st.recentres, NULL },
		{ "rolls", "expiry rolls", KP_STAT_COUNTER, &f->st.rolls, NULL },
		{ "reloads", "instrument lists read again", KP_STAT_COUNTER,
		    &f->st.reloads, NULL },
		{ "subscribe_msgs", "subscribe messages sent", KP_STAT_COUNTER,
		    &f->st.sub_msgs, NULL },
		{ "unsubscribe_msgs", "unsubscribe messages sent",
		    KP_STAT_COUNTER, &f->st.unsub_msgs, NULL },
		{ "control_errors", "control requests that failed",
		    KP_STAT_COUNTER, &f->st.ctl_errors, NULL },
		{ "held", "options subscribed", KP_STAT_GAUGE, &f->st.held,
		    NULL },
	};

	kp_stats_log("chain-follow", st, sizeof(st) / sizeof(st[0]));
}

void
cf_free(struct cf *f)
{
	cf_chain_free(&f->chain);
	cf_set_free(&f->have);
	cf_set_free(&f->want);
	kp_out_free(&f->out);
}
