/*
 * pool.c: kite-stream's subscriptions over its pool of connections: each
 * token on the least loaded connection, opening connections as needed;
 * the difference of a new set sent on the live connections; the
 * subscribe and mode messages each connection queues; readiness once all
 * are subscribed.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "ks.h"

#define SUB_CHUNK 1000		/* tokens per subscribe message */

static void
queue_msg(struct ks_conn *c, const char *s, size_t n)
{
	struct ks_msg *m = kp_xmalloc(sizeof(*m) + n);

	m->next = NULL;
	m->len = n;
	memcpy(m->data, s, n);
	*c->qtail = m;
	c->qtail = &m->next;
}

void
ks_queue_clear(struct ks_conn *c)
{
	struct ks_msg *m;

	while ((m = c->q) != NULL) {
		c->q = m->next;
		free(m);
	}
	c->qtail = &c->q;
}

/*
 * Queue {"a":ACTION,"v":[tokens]} (or, for a mode, {"a":"mode",
 * "v":[MODE,[tokens]]}) for every token on connection c that matches
 * (mode < 0: all), in chunks.
 */
static void
queue_tokens(struct ks *l, struct ks_conn *c, const char *action, int mode,
    const uint32_t *only, size_t nonly)
{
	struct kp_buf b;
	size_t i, n = 0, total = nonly ? nonly : l->subs.n;

	kp_buf_init(&b, 16 * SUB_CHUNK + 64);
	for (i = 0; i < total; i++) {
		uint32_t tok;

		if (only != NULL) {
			tok = only[i];
		} else {
			const struct ks_sub *s = &l->subs.v[i];

			if (s->conn != (int8_t)c->id ||
			    (mode >= 0 && s->mode != mode))
				continue;
			tok = s->token;
		}
		if (n == 0) {
			kp_buf_reset(&b);
			if (strcmp(action, "mode") == 0) {
				kp_buf_addstr(&b, "{\"a\":\"mode\",\"v\":[\"");
				kp_buf_addstr(&b, ks_mode_name((unsigned)mode));
				kp_buf_addstr(&b, "\",[");
			} else {
				kp_buf_addstr(&b, "{\"a\":\"");
				kp_buf_addstr(&b, action);
				kp_buf_addstr(&b, "\",\"v\":[");
			}
		} else {
			kp_buf_addc(&b, ',');
		}
		kp_json_u64(&b, tok);
		if (++n == SUB_CHUNK) {
			kp_buf_addstr(&b, strcmp(action, "mode") == 0 ? "]]}" :
			    "]}");
			queue_msg(c, b.p, b.len);
			n = 0;
		}
	}
	if (n > 0) {
		kp_buf_addstr(&b, strcmp(action, "mode") == 0 ? "]]}" : "]}");
		queue_msg(c, b.p, b.len);
	}
	kp_buf_free(&b);
}

/* Everything a fresh connection must send: subscribe, then modes. */
void
ks_queue_all(struct ks *l, struct ks_conn *c)
{
	int m;

	ks_queue_clear(c);
	if (c->ntokens == 0)
		return;
	queue_tokens(l, c, "subscribe", -1, NULL, 0);
	for (m = 0; m < 3; m++)
		queue_tokens(l, c, "mode", m, NULL, 0);
}

/* Readiness: once every wanted connection is up and subscribed. */
void
ks_check_ready(struct ks *l)
{
	unsigned i, n = 0;

	if (l->ready)
		return;

	for (i = 0; i < l->nconns; i++) {
		if (l->c[i].state == KS_IDLE || l->acct[l->c[i].acct].failed)
			continue;
		if (l->c[i].state != KS_SUBSCRIBED)
			return;
		n++;
	}
	l->ready = true;
	kp_info("ready: %u connection(s), %zu instrument(s)", n, l->subs.n);
	if (l->o->ready_fd >= 0 && kp_ready_notify(l->o->ready_fd) < 0)
		kp_warn("unable to notify readiness on fd %d:",
		    l->o->ready_fd);
	kp_ready_sd("READY=1");
}

void
ks_queue_subscribe(struct ks *l, struct ks_conn *c, const uint32_t *toks,
    size_t n)
{
	uint32_t *bym = kp_xmalloc((n ? n : 1) * sizeof(uint32_t));
	size_t i, k;
	int m;

	queue_tokens(l, c, "subscribe", -1, toks, n);
	for (m = 0; m < 3; m++) {
		for (i = k = 0; i < n; i++) {
			long j = ks_subs_find(&l->subs, toks[i]);

			if (j >= 0 && l->subs.v[j].mode == m)
				bym[k++] = toks[i];
		}
		if (k > 0)
			queue_tokens(l, c, "mode", m, bym, k);
	}
	free(bym);
}

void
ks_queue_unsubscribe(struct ks *l, struct ks_conn *c, const uint32_t *toks,
    size_t n)
{
	if (n > 0)
		queue_tokens(l, c, "unsubscribe", -1, toks, n);
}

size_t
ks_pool_acct_load(const struct ks *l, unsigned a)
{
	size_t n = 0;
	unsigned k;

	for (k = 0; k < (unsigned)l->o->max_conns; k++)
		n += l->c[l->acct[a].first + k].ntokens;
	return n;
}

/*
 * fill: each account as full as it may be, in order; balance: the same
 * share for each, but no more than it holds.
 */
void
ks_pool_targets(const struct ks *l, size_t total, size_t *tgt)
{
	size_t cap = (size_t)(l->o->max_conns * l->o->max_tokens), rem = total;
	size_t nopen = 0, share;
	bool capped[KS_ACCT_MAX] = { false }, again = true;
	unsigned a;

	for (a = 0; a < l->nacct; a++) {
		tgt[a] = 0;
		capped[a] = l->acct[a].failed;
		nopen += !capped[a];
	}
	if (!l->o->balance) {
		for (a = 0; a < l->nacct; a++)
			if (!capped[a]) {
				tgt[a] = rem < cap ? rem : cap;
				rem -= tgt[a];
			}
		return;
	}
	while (again && nopen > 0) {	/* those that hold less: full */
		again = false;
		share = (rem + nopen - 1) / nopen;
		for (a = 0; a < l->nacct; a++)
			if (!capped[a] && cap < share) {
				tgt[a] = cap;
				rem -= cap;
				capped[a] = true;
				nopen--;
				again = true;
			}
	}
	for (a = 0; a < l->nacct && nopen > 0; a++)
		if (!capped[a]) {
			share = (rem + nopen - 1) / nopen;
			tgt[a] = share;
			rem -= share;
			nopen--;
		}
}

unsigned
ks_pool_pick(struct ks *l, unsigned a, size_t want)
{
	size_t n = (size_t)l->o->max_tokens;
	unsigned k, nc = (unsigned)((want + n - 1) / n), best = 0, f;

	f = l->acct[a].first;
	if (nc == 0)
		nc = 1;
	if (nc > (unsigned)l->o->max_conns)
		nc = (unsigned)l->o->max_conns;
	for (k = 1; k < nc; k++)
		if (l->c[f + k].ntokens < l->c[f + best].ntokens)
			best = k;
	for (k = 0; k < nc; k++)
		if (l->c[f + k].state == KS_IDLE) {
			l->c[f + k].state = KS_WAIT;
			l->c[f + k].retry_ms = 0;
			l->c[f + k].down_ms = kp_mono_ms();
		}
	return f + best;
}

/* An account for one more token: below its share, or with room. */
static int
pick_acct(const struct ks *l, const size_t *load, const size_t *tgt)
{
	size_t cap = (size_t)(l->o->max_conns * l->o->max_tokens);
	unsigned a;

	for (a = 0; a < l->nacct; a++)
		if (!l->acct[a].failed && load[a] < tgt[a])
			return (int)a;
	for (a = 0; a < l->nacct; a++)
		if (!l->acct[a].failed && load[a] < cap)
			return (int)a;
	return -1;
}

int
ks_pool_assign(struct ks *l)
{
	size_t i, need = 0, total = 0, load[KS_ACCT_MAX], tgt[KS_ACCT_MAX];
	size_t room = 0, cap = (size_t)(l->o->max_conns * l->o->max_tokens);
	unsigned a;

	for (i = 0; i < l->subs.n; i++)
		if (l->subs.v[i].conn < 0)
			need++;
	for (a = 0; a < l->nacct; a++) {
		load[a] = ks_pool_acct_load(l, a);
		if (!l->acct[a].failed) {
			room += cap - load[a];
			total += load[a];
		}
	}
	if (need > room)
		return -1;
	ks_pool_targets(l, total + need, tgt);
	/* the accounts first, then each token on the least loaded of as
	 * many connections as its account needs (opening one never moves
	 * a token) */
	for (i = 0; i < l->subs.n; i++)
		if (l->subs.v[i].conn < 0) {
			a = (unsigned)pick_acct(l, load, tgt);
			load[a]++;
			l->subs.v[i].conn = (int8_t)(-2 - (int)a);
		}
	for (i = 0; i < l->subs.n; i++) {
		struct ks_sub *s = &l->subs.v[i];
		unsigned k;

		if (s->conn >= -1)
			continue;
		a = (unsigned)(-2 - s->conn);
		k = ks_pool_pick(l, a, load[a]);
		s->conn = (int8_t)k;
		l->c[k].ntokens++;
	}
	/* every account keeps a connection, even without tokens: its order
	 * updates come on it, and it stands by for a failover */
	for (a = 0; a < l->nacct; a++)
		if (!l->acct[a].failed)
			(void)ks_pool_pick(l, a, 0);
	return 0;
}

/* What changes on one connection. */
struct diff {
	uint32_t *gone, *added, *moded[3];
	size_t ngone, nadded, nmoded[3];
};

static void
diff_add(uint32_t **v, size_t *n, uint32_t token)
{
	*v = kp_xrealloc(*v, (*n + 1) * sizeof(uint32_t));
	(*v)[(*n)++] = token;
}

/* Log the changes d of connection k, and queue them if it is up. */
static void
diff_send(struct ks *l, unsigned k, const struct diff *d, const char *who)
{
	struct ks_conn *c = &l->c[k];
	size_t nm = 0;
	unsigned m;

	for (m = 0; m < 3; m++)
		nm += d->nmoded[m];
	if (d->ngone + d->nadded + nm > 0)
		kp_info("%s: connection %u: %zu unsubscribed, %zu "
		    "subscribed, %zu mode changes", who, k, d->ngone,
		    d->nadded, nm);
	/* a connection that is not up sends everything on connect */
	if (c->state != KS_UP && c->state != KS_SUBSCRIBED)
		return;
	if (d->ngone > 0)
		queue_tokens(l, c, "unsubscribe", -1, d->gone, d->ngone);
	if (d->nadded > 0)
		queue_tokens(l, c, "subscribe", -1, d->added, d->nadded);
	for (m = 0; m < 3; m++)
		if (d->nmoded[m] > 0)
			queue_tokens(l, c, "mode", (int)m, d->moded[m],
			    d->nmoded[m]);
}

int
ks_pool_apply(struct ks *l, struct ks_subs nw, const char *who)
{
	struct ks_subs old = l->subs;
	struct diff d[KS_MAX_CONNS];
	size_t before[KS_MAX_CONNS], i;
	unsigned k, m;
	int rc = 0;

	memset(d, 0, sizeof(d));
	for (i = 0; i < nw.n; i++)
		nw.v[i].conn = -1;
	/* keep each remaining token on its connection */
	for (k = 0; k < l->nconns; k++)
		before[k] = l->c[k].ntokens;
	for (i = 0; i < old.n; i++) {
		long j = ks_subs_find(&nw, old.v[i].token);
		int8_t cn = old.v[i].conn;

		if (j < 0) {
			if (cn >= 0) {
				diff_add(&d[cn].gone, &d[cn].ngone,
				    old.v[i].token);
				l->c[cn].ntokens--;
			}
			continue;
		}
		nw.v[j].conn = cn;
		if (cn >= 0 && nw.v[j].mode != old.v[i].mode) {
			m = nw.v[j].mode;
			diff_add(&d[cn].moded[m], &d[cn].nmoded[m],
			    nw.v[j].token);
		}
	}
	l->subs = nw;
	if (ks_pool_assign(l) < 0) {
		kp_log(KP_LOG_WARN, "%s: %zu instruments do not fit in "
		    "%lld connections of %lld; the subscriptions were not "
		    "changed", who, nw.n, l->o->max_conns, l->o->max_tokens);
		for (k = 0; k < l->nconns; k++)
			l->c[k].ntokens = before[k];
		l->subs = old;
		ks_subs_free(&nw);
		rc = -1;
		goto out;
	}
	for (i = 0; i < nw.n; i++) {
		int8_t cn = nw.v[i].conn;

		if (ks_subs_find(&old, nw.v[i].token) >= 0)
			continue;
		diff_add(&d[cn].added, &d[cn].nadded, nw.v[i].token);
		m = nw.v[i].mode;
		diff_add(&d[cn].moded[m], &d[cn].nmoded[m], nw.v[i].token);
	}
	for (k = 0; k < l->nconns; k++)
		diff_send(l, k, &d[k], who);
	ks_subs_free(&old);
out:
	for (k = 0; k < KS_MAX_CONNS; k++) {
		free(d[k].gone);
		free(d[k].added);
		for (m = 0; m < 3; m++)
			free(d[k].moded[m]);
	}
	return rc;
}
