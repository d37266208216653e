/*
 * chain.c: an option chain around the money: for an underlying name, the
 * K nearest expiries (from today on) and the N strikes either side of the
 * strike nearest the spot, CE and PE, with the underlying (EQ rows named
 * so) and its nearest future.  Written as NDJSON or as kite-stream's
 * subscription file ("TOKEN MODE" lines, "#" comments).
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "is.h"

int
is_chain_row(struct is_sink *s, const struct kp_instr *in)
{
	const struct is_opts *o = s->o;
	int und = kp_instr_is_underlying(o->chain, in);

	if (strcmp(in->name, o->chain) != 0 && !und)
		return 0;
	if (in->type == KP_INSTR_EQ && !und)
		return 0;
	if (o->exchange && strcmp(o->exchange, in->exchange) != 0)
		return 0;
	if (in->type != KP_INSTR_EQ && in->expiry < o->today)
		return 0;
	if (s->nkeep == s->capkeep) {
		s->capkeep = s->capkeep ? 2 * s->capkeep : 256;
		if (s->capkeep > 1000000) {
			kp_warn("more than a million rows for %s", o->chain);
			return -1;
		}
		s->keep = kp_xrealloc(s->keep, s->capkeep * sizeof *s->keep);
	}
	s->keep[s->nkeep++] = *in;
	return 0;
}

static int
by_expiry_strike(const void *a, const void *b)
{
	const struct kp_instr *x = a, *y = b;

	if (x->type == KP_INSTR_EQ || y->type == KP_INSTR_EQ) {
		if (x->type != y->type)
			return x->type == KP_INSTR_EQ ? -1 : 1;
		return x->instrument_token < y->instrument_token ? -1 : 1;
	}
	if ((x->type == KP_INSTR_FUT) != (y->type == KP_INSTR_FUT))
		return x->type == KP_INSTR_FUT ? -1 : 1;
	if (x->expiry != y->expiry)
		return x->expiry < y->expiry ? -1 : 1;
	if (x->strike != y->strike)
		return x->strike < y->strike ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->instrument_token < y->instrument_token ? -1 :
	    x->instrument_token > y->instrument_token;
}

static void
emit(struct is_sink *s, const struct kp_instr *in)
{
	char *p;

	kp_buf_reset(&s->line);
	if (s->o->subs_mode != NULL) {
		p = kp_buf_room(&s->line, KP_FMT_ROOM);
		if (p == NULL)
			return;
		s->line.len += (size_t)(kp_fmt_u64(p, in->instrument_token) -
		    p);
		kp_buf_addc(&s->line, ' ');
		kp_buf_addstr(&s->line, s->o->subs_mode);
	} else if (kp_instr_json(&s->line, in) < 0) {
		return;
	}
	kp_buf_addc(&s->line, '\n');
	kp_out_write(&s->out, s->line.p, s->line.len);
	s->out_rows++;
}

static void
comment(struct is_sink *s, const char *text)
{
	if (s->o->subs_mode == NULL)
		return;
	kp_out_write(&s->out, "# ", 2);
	kp_out_write(&s->out, text, strlen(text));
	kp_out_write(&s->out, "\n", 1);
}

int
is_chain(struct is_sink *s)
{
	const struct is_opts *o = s->o;
	struct kp_instr *k = s->keep, *fut = NULL;
	size_t i, j, first, end, nstrikes, atm, lo, hi;
	long long nexp = 0;
	int64_t spot = o->spot, *strikes, best;
	char text[256], sp[KP_FMT_ROOM];

	if (s->nkeep == 0) {
		kp_log(KP_LOG_FATAL, "no instruments named %s in the list",
		    o->chain);
		return KP_EXIT_PERM;
	}
	qsort(k, s->nkeep, sizeof *k, by_expiry_strike);
	for (i = 0; i < s->nkeep; i++)
		if (k[i].type == KP_INSTR_FUT && fut == NULL)
			fut = &k[i];
	if (spot == 0 && fut != NULL)
		spot = fut->last_price;
	for (i = 0; spot == 0 && i < s->nkeep && k[i].type == KP_INSTR_EQ;
	    i++)
		spot = k[i].last_price;
	for (i = 0; i < s->nkeep; i++)
		if (k[i].type == KP_INSTR_CE || k[i].type == KP_INSTR_PE)
			break;
	if (spot <= 0 && i < s->nkeep) {
		kp_log(KP_LOG_FATAL, "no spot price for %s in the list; "
		    "give --spot", o->chain);
		return KP_EXIT_PERM;
	}
	*kp_fmt_fixed(sp, spot, KP_INSTR_DEC) = 0;
	snprintf(text, sizeof text, "instr-sync --chain %.64s spot=%s "
	    "strikes=%lld expiries=%lld", o->chain, sp, o->strikes,
	    o->expiries);
	comment(s, text);
	for (i = 0; i < s->nkeep && k[i].type == KP_INSTR_EQ; i++) {
		snprintf(text, sizeof text, "underlying %s:%s", k[i].exchange,
		    k[i].tradingsymbol);
		comment(s, text);
		emit(s, &k[i]);
	}
	if (fut != NULL) {
		snprintf(text, sizeof text, "future %s:%s", fut->exchange,
		    fut->tradingsymbol);
		comment(s, text);
		emit(s, fut);
	}
	/* options: runs of one expiry, sorted by strike */
	strikes = kp_xmalloc((s->nkeep + 1) * sizeof *strikes);
	for (i = 0; i < s->nkeep && nexp < o->expiries; i = end) {
		if (k[i].type != KP_INSTR_CE && k[i].type != KP_INSTR_PE) {
			end = i + 1;
			continue;
		}
		first = i;
		for (end = i; end < s->nkeep && k[end].expiry == k[i].expiry &&
		    k[end].type != KP_INSTR_FUT; end++)
			;
		nexp++;
		nstrikes = 0;
		for (j = first; j < end; j++)
			if (nstrikes == 0 || strikes[nstrikes - 1] != k[j].strike)
				strikes[nstrikes++] = k[j].strike;
		atm = 0;
		best = INT64_MAX;
		for (j = 0; j < nstrikes; j++) {
			int64_t d = strikes[j] > spot ? strikes[j] - spot :
			    spot - strikes[j];

			if (d < best) {
				best = d;
				atm = j;
			}
		}
		lo = atm > (size_t)o->strikes ? atm - (size_t)o->strikes : 0;
		hi = atm + (size_t)o->strikes < nstrikes ?
		    atm + (size_t)o->strikes : nstrikes - 1;
		*kp_fmt_fixed(sp, strikes[atm], KP_INSTR_DEC) = 0;
		snprintf(text, sizeof text, "expiry %s atm=%s", k[first].expiry_str,
		    sp);
		comment(s, text);
		for (j = first; j < end; j++)
			if (k[j].strike >= strikes[lo] &&
			    k[j].strike <= strikes[hi])
				emit(s, &k[j]);
	}
	free(strikes);
	if (nexp == 0)
		kp_warn("no options of %s expiring on or after today",
		    o->chain);
	return KP_EXIT_OK;
}
