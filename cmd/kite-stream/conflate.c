/*
 * conflate.c: kite-stream's conflation, beside emit.c.  While the
 * consumer is behind, ticks wait in a table, the latest per instrument,
 * until the output drains; the live client (status.c) says how many were
 * replaced and has the held ones written.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "ks.h"

struct centry {
	uint32_t token;
	uint32_t order;		/* index in the order list + 1; 0 free */
	struct kp_tick t;
	char ts[KP_FMT_ROOM];
	uint8_t tslen;
};

struct ks_conflate {
	size_t hiwater;
	struct centry *tab;
	size_t mask;
	uint32_t *order;		/* slots in arrival order */
	size_t n;
	uint64_t replaced;		/* ticks lost since the last report */
};

void
ks_conflate_init(struct ks_emit *e, size_t ninstr, size_t hiwater)
{
	struct ks_conflate *cf = kp_xcalloc(1, sizeof(*cf));
	size_t tab;

	/* the table: twice the instruments we may hold */
	for (tab = 1024; tab < 2 * ninstr + 2; tab *= 2)
		;
	cf->tab = kp_xcalloc(tab, sizeof(cf->tab[0]));
	cf->order = kp_xcalloc(tab, sizeof(cf->order[0]));
	cf->mask = tab - 1;
	cf->hiwater = hiwater;
	e->cf = cf;
}

void
ks_conflate_free(struct ks_emit *e)
{
	if (e->cf == NULL)
		return;
	free(e->cf->tab);
	free(e->cf->order);
	free(e->cf);
	e->cf = NULL;
}

int
ks_conflate_active(struct ks_emit *e)
{
	return e->cf->n > 0 || e->out.len >= e->cf->hiwater;
}

void
ks_conflate_put(struct ks_emit *e, const struct kp_tick *t)
{
	struct ks_conflate *cf = e->cf;
	size_t i = (t->token * 2654435761u) & cf->mask;

	while (cf->tab[i].order != 0 && cf->tab[i].token != t->token)
		i = (i + 1) & cf->mask;
	if (cf->tab[i].order != 0) {
		cf->replaced++;
	} else {
		if (cf->n > cf->mask / 2) {
			/* more instruments than the table holds: the
			 * output buffer takes it (never reached with
			 * the subscription limits) */
			char *p = kp_out_room(&e->out, KP_TICK_JSON_MAX);

			if (p != NULL)
				kp_out_commit(&e->out, (size_t)
				    (kp_tick_json_ts(p, t, e->ts, e->tslen) -
				    p));
			return;
		}
		cf->tab[i].token = t->token;
		cf->order[cf->n++] = (uint32_t)i;
		cf->tab[i].order = (uint32_t)cf->n;
	}
	cf->tab[i].t = *t;
	memcpy(cf->tab[i].ts, e->ts, e->tslen);
	cf->tab[i].tslen = (uint8_t)e->tslen;
}

bool
ks_conflate_due(struct ks_emit *e, bool force)
{
	struct ks_conflate *cf = e->cf;

	return cf->n > 0 && (force || e->out.len <= cf->hiwater / 2);
}

uint64_t
ks_conflate_take_lost(struct ks_emit *e)
{
	uint64_t n = e->cf->replaced;

	e->st.conflated += n;
	e->cf->replaced = 0;
	return n;
}

void
ks_conflate_flush(struct ks_emit *e)
{
	struct ks_conflate *cf = e->cf;
	size_t k;

	for (k = 0; k < cf->n; k++) {
		struct centry *c = &cf->tab[cf->order[k]];
		char *p = kp_out_room(&e->out, KP_TICK_JSON_MAX);

		if (p != NULL) {
			kp_out_commit(&e->out, (size_t)(kp_tick_json_ts(p,
			    &c->t, c->ts, c->tslen) - p));
			e->st.lines_out++;
		}
		c->order = 0;
	}
	cf->n = 0;
}
