/*
 * acct.c: kite-stream's accounts.  Without -A there is one, KITE_API_KEY
 * with its access token, as always.  With -A FILE, one a line ("NAME
 * API_KEY TOKEN_FILE", the key or "@FILE" holding it), each with -C
 * connections of -N instruments, the instruments spread over them by
 * --spread (pool.c).  An account fails when its token is refused (403)
 * or a connection of its instruments stays down past -F: they move to
 * accounts with room, each batch a "moved" status line, those that fit
 * nowhere named in an "unplaced" one.  Once all its connections are up
 * again (its token file rewritten, SIGHUP), it takes its share back:
 * the new connection subscribes first, the old one unsubscribes once
 * that is done (make before break).  See kite-stream(1).
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ks.h"

#define RECOVER_MS 1000		/* all up this long: an account is back */
#define UNSUB_HOLD_MS 1000	/* the new connection's ticks, before the
				 * old one unsubscribes */

/* Credentials ------------------------------------------------------- */

static int
load_token(struct ks_acct *a, bool quiet)
{
	char err[KP_ERRLEN], *t;

	if (a->token_file != NULL && a->name[0] != '\0')
		t = kp_conf_secret_file(a->token_file, err);
	else
		t = kp_conf_secret("KITE_ACCESS_TOKEN",
		    "KITE_ACCESS_TOKEN_FILE", err);
	if (t == NULL) {
		if (!quiet)
			kp_log(KP_LOG_WARN, "%s%saccess token: %s", a->name,
			    a->name[0] ? ": " : "", err);
		return -1;
	}
	free(a->token);
	a->token = t;
	if (a->token_file != NULL)
		(void)stat(a->token_file, &a->token_st);
	return 0;
}

static bool
token_file_changed(const struct ks_acct *a)
{
	struct stat st;

	if (a->token_file == NULL || stat(a->token_file, &st) < 0)
		return false;
	return st.st_mtim.tv_sec != a->token_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != a->token_st.st_mtim.tv_nsec ||
	    st.st_ino != a->token_st.st_ino || st.st_size !=
	    a->token_st.st_size;
}

void
ks_acct_tokens(struct ks *l, bool hup)
{
	unsigned a, k;

	for (a = 0; a < l->nacct; a++) {
		struct ks_acct *ac = &l->acct[a];

		if (!hup && !token_file_changed(ac))
			continue;
		if (!hup)
			kp_info("%s changed: reloading the access token",
			    ac->token_file);
		if (load_token(ac, false) < 0)
			continue;
		/* new credentials: its refused connections try again now */
		for (k = 0; k < l->nconns; k++)
			if (l->c[k].acct == a && l->c[k].state == KS_REFUSED) {
				l->c[k].state = KS_WAIT;
				l->c[k].retry_ms = kp_mono_ms();
			}
	}
}

/* The accounts file ------------------------------------------------- */

static bool
good_name(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-");

	return n > 0 && s[n] == '\0' && n < sizeof(((struct ks_acct *)0)->name);
}

/* One line's words; 0, or -1 with err. */
static int
acct_line(struct ks *l, char **w, char *err, size_t el)
{
	struct ks_acct *a = &l->acct[l->nacct];
	char e2[KP_ERRLEN];
	unsigned k;

	if (w[0] == NULL || w[1] == NULL || w[2] == NULL || w[3] != NULL)
		return snprintf(err, el, "want NAME API_KEY TOKEN_FILE"), -1;
	if (!good_name(w[0]))
		return snprintf(err, el, "bad account name"), -1;
	for (k = 0; k < l->nacct; k++)
		if (strcmp(l->acct[k].name, w[0]) == 0)
			return snprintf(err, el, "account %s twice", w[0]), -1;
	if (l->nacct == KS_ACCT_MAX || (l->nacct + 1) *
	    (unsigned)l->o->max_conns > KS_MAX_CONNS)
		return snprintf(err, el, "more than %u accounts of -C %lld "
		    "connections", KS_MAX_CONNS / (unsigned)l->o->max_conns,
		    l->o->max_conns), -1;
	snprintf(a->name, sizeof(a->name), "%s", w[0]);
	if (w[1][0] == '@') {
		a->api_key = kp_conf_secret_file(w[1] + 1, e2);
		if (a->api_key == NULL)
			return snprintf(err, el, "API key: %s", e2), -1;
	} else {
		a->api_key = kp_xstrdup(w[1]);
	}
	a->token_file = kp_xstrdup(w[2]);
	if (load_token(a, true) < 0) {
		char *t = kp_conf_secret_file(w[2], e2);	/* the reason */

		free(t);
		free(a->api_key);
		free(a->token_file);
		a->api_key = a->token_file = NULL;
		return snprintf(err, el, "access token: %s", e2), -1;
	}
	l->nacct++;
	return 0;
}

static int
acct_file(struct ks *l, const char *path)
{
	char line[1024], err[KP_ERRLEN + 64], *w[4], *save;
	FILE *f = fopen(path, "r");
	unsigned n = 0, i;

	if (f == NULL) {
		kp_log(KP_LOG_FATAL, "unable to open %s:", path);
		return KP_EXIT_PERM;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		line[strcspn(line, "#")] = '\0';
		w[0] = strtok_r(line, " \t\r\n", &save);
		if (w[0] == NULL)
			continue;
		for (i = 1; i < 4; i++)
			w[i] = strtok_r(NULL, " \t\r\n", &save);
		if (acct_line(l, w, err, sizeof(err)) < 0) {
			kp_log(KP_LOG_FATAL, "%s line %u: %s", path, n, err);
			fclose(f);
			return KP_EXIT_PERM;
		}
	}
	fclose(f);
	if (l->nacct == 0) {
		kp_log(KP_LOG_FATAL, "%s: no account", path);
		return KP_EXIT_PERM;
	}
	return KP_EXIT_OK;
}

int
ks_acct_load(struct ks *l)
{
	const char *key;
	unsigned a, k, nc = (unsigned)l->o->max_conns;
	int code;

	if (l->o->accounts_path != NULL) {
		l->multi = true;
		code = acct_file(l, l->o->accounts_path);
		if (code != KP_EXIT_OK)
			return code;
	} else {
		key = kp_env("KITE_API_KEY");
		if (key == NULL || *key == '\0')
			kp_die(KP_EXIT_PERM, "KITE_API_KEY is not set");
		l->acct[0].api_key = kp_xstrdup(key);
		if (kp_env("KITE_ACCESS_TOKEN") == NULL &&
		    kp_env("KITE_ACCESS_TOKEN_FILE") != NULL)
			l->acct[0].token_file =
			    kp_xstrdup(kp_env("KITE_ACCESS_TOKEN_FILE"));
		l->nacct = 1;
		if (load_token(&l->acct[0], false) < 0)
			return KP_EXIT_PERM;
	}
	for (a = 0; a < l->nacct; a++) {
		l->acct[a].first = a * nc;
		for (k = 0; k < nc; k++)
			l->c[a * nc + k].acct = a;
	}
	l->nconns = l->nacct * nc;
	return KP_EXIT_OK;
}

void
ks_acct_free(struct ks *l)
{
	unsigned a;

	for (a = 0; a < l->nacct; a++) {
		free(l->acct[a].api_key);
		free(l->acct[a].token);
		free(l->acct[a].token_file);
	}
}

/* Moves ------------------------------------------------------------- */

/* Tokens moving from connection f to connection t. */
struct moves {
	uint32_t *v[KS_MAX_CONNS][KS_MAX_CONNS];
	size_t n[KS_MAX_CONNS][KS_MAX_CONNS];
};

static void
tok_list(struct kp_buf *b, const uint32_t *v, size_t n)
{
	size_t i;

	kp_buf_addstr(b, ",\"instruments\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_addc(b, ',');
		kp_json_u64(b, v[i]);
	}
	kp_buf_addc(b, ']');
}

/* A status line about the instruments v[0..n): b holds its first
 * fields; count, reason and the list follow.  b is freed. */
static void
batch_status(struct ks *l, int conn, const char *event, struct kp_buf *b,
    const uint32_t *v, size_t n, const char *why)
{
	kp_buf_addstr(b, ",\"count\":");
	kp_json_u64(b, n);
	kp_buf_addstr(b, ",\"reason\":");
	kp_json_cstr(b, why);
	tok_list(b, v, n);
	kp_buf_addc(b, '\0');
	ks_status_line(l, conn, event, b->p);
	kp_buf_free(b);
}

/* One batch moved from f to t: subscribed on t, unsubscribed on f once
 * t is subscribed (or at once when f is down). */
static void
move_batch(struct ks *l, unsigned f, unsigned t, const uint32_t *v,
    size_t n, const char *why)
{
	struct ks_conn *cf = &l->c[f], *ct = &l->c[t];
	struct kp_buf b;

	if (ct->state == KS_UP || ct->state == KS_SUBSCRIBED)
		ks_queue_subscribe(l, ct, v, n);
	if (cf->state == KS_UP || cf->state == KS_SUBSCRIBED) {
		cf->unsub = kp_xrealloc(cf->unsub, (cf->nunsub + n) *
		    sizeof(uint32_t));
		memcpy(cf->unsub + cf->nunsub, v, n * sizeof(uint32_t));
		cf->nunsub += n;
		cf->unsub_to |= 1u << t;
		cf->unsub_at_ms = 0;
	}
	kp_info("%zu instrument(s) moved from account %s connection %u to "
	    "account %s connection %u: %s", n, l->acct[cf->acct].name, f,
	    l->acct[ct->acct].name, t, why);
	kp_buf_init(&b, 1024 + 16 * n);
	kp_buf_addstr(&b, "\"from_connection\":");
	kp_json_u64(&b, f);
	kp_buf_addstr(&b, ",\"from_account\":");
	kp_json_cstr(&b, l->acct[cf->acct].name);
	batch_status(l, (int)t, "moved", &b, v, n, why);
}

/* The instruments of failed account a that fit nowhere: named. */
static void
unplaced(struct ks *l, unsigned a, const char *why)
{
	uint32_t *v = NULL;
	size_t i, n = 0;
	struct kp_buf b;

	for (i = 0; i < l->subs.n; i++)
		if (l->subs.v[i].conn >= 0 &&
		    l->c[l->subs.v[i].conn].acct == a) {
			v = kp_xrealloc(v, (n + 1) * sizeof(uint32_t));
			v[n++] = l->subs.v[i].token;
		}
	if (n > 0) {
		kp_warn("account %s: %zu instrument(s) fit on no other "
		    "account; they wait for it", l->acct[a].name, n);
		kp_buf_init(&b, 1024 + 16 * n);
		kp_buf_addstr(&b, "\"account\":");
		kp_json_cstr(&b, l->acct[a].name);
		batch_status(l, -1, "unplaced", &b, v, n, why);
	}
	free(v);
}

/* Which tokens go where: each account's surplus over its share to those
 * below theirs (or with room). */
static void
plan(struct ks *l, struct moves *mv)
{
	size_t load[KS_ACCT_MAX], tgt[KS_ACCT_MAX], fin[KS_ACCT_MAX];
	size_t cap = (size_t)(l->o->max_conns * l->o->max_tokens), i;
	int8_t *to = kp_xmalloc(l->subs.n ? l->subs.n : 1);
	unsigned a, b;

	for (a = 0; a < l->nacct; a++)
		load[a] = ks_pool_acct_load(l, a);
	ks_pool_targets(l, l->subs.n, tgt);
	memcpy(fin, load, sizeof(fin));
	/* from the last token back: the same ones move each time */
	for (i = l->subs.n; i-- > 0;) {
		int8_t k = l->subs.v[i].conn;

		to[i] = -1;
		if (k < 0)
			continue;
		a = l->c[k].acct;
		if (fin[a] <= tgt[a])
			continue;
		for (b = 0; b < l->nacct; b++)
			if (!l->acct[b].failed && fin[b] < tgt[b])
				break;
		if (b == l->nacct && l->acct[a].failed)
			for (b = 0; b < l->nacct; b++)
				if (!l->acct[b].failed && fin[b] < cap)
					break;
		if (b == l->nacct)
			continue;
		fin[a]--;
		fin[b]++;
		to[i] = (int8_t)b;
	}
	for (i = 0; i < l->subs.n; i++) {
		struct ks_sub *s = &l->subs.v[i];
		unsigned f, t;

		if (to[i] < 0)
			continue;
		f = (unsigned)s->conn;
		t = ks_pool_pick(l, (unsigned)to[i], fin[(unsigned)to[i]]);
		l->c[f].ntokens--;
		l->c[t].ntokens++;
		s->conn = (int8_t)t;
		mv->v[f][t] = kp_xrealloc(mv->v[f][t], (mv->n[f][t] + 1) *
		    sizeof(uint32_t));
		mv->v[f][t][mv->n[f][t]++] = s->token;
	}
	free(to);
}

/* Connections left without tokens go idle, but each account's first. */
static void
retire_empty(struct ks *l)
{
	unsigned k;

	for (k = 0; k < l->nconns; k++) {
		struct ks_conn *c = &l->c[k];

		if (c->ntokens > 0 || c->state == KS_IDLE || k ==
		    l->acct[c->acct].first || c->nunsub > 0)
			continue;
		if (c->fd >= 0 && c->ph == KS_P_WS) {
			c->retire = true;
			ks_conn_close(c, "no instruments left");
		} else {
			ks_conn_drop(c);
			ks_queue_clear(c);
			c->state = KS_IDLE;
			c->down_ms = 0;
		}
	}
}

static void
rebalance(struct ks *l, const char *why)
{
	struct moves *mv = kp_xcalloc(1, sizeof(*mv));
	unsigned f, t, a;

	plan(l, mv);
	for (f = 0; f < l->nconns; f++)
		for (t = 0; t < l->nconns; t++)
			if (mv->n[f][t] > 0) {
				move_batch(l, f, t, mv->v[f][t], mv->n[f][t],
				    why);
				free(mv->v[f][t]);
			}
	free(mv);
	for (a = 0; a < l->nacct; a++)
		if (l->acct[a].failed)
			unplaced(l, a, why);
	retire_empty(l);
}

/* Failure and recovery ---------------------------------------------- */

static void
acct_status(struct ks *l, unsigned a, const char *state, const char *why)
{
	struct kp_buf b;

	kp_buf_init(&b, 1024);
	kp_buf_addstr(&b, "\"account\":");
	kp_json_cstr(&b, l->acct[a].name);
	kp_buf_addstr(&b, ",\"state\":");
	kp_json_cstr(&b, state);
	kp_buf_addstr(&b, ",\"reason\":");
	kp_json_cstr(&b, why);
	kp_buf_addc(&b, '\0');
	ks_status_line(l, -1, "account", b.p);
	kp_buf_free(&b);
}

static void
acct_fail(struct ks *l, unsigned a, const char *why)
{
	struct ks_acct *ac = &l->acct[a];
	unsigned k;

	kp_warn("account %s failed: %s; moving its instruments", ac->name,
	    why);
	ac->failed = true;
	ac->ok_since_ms = 0;
	acct_status(l, a, "failed", why);
	rebalance(l, why);
	/* a connection up without instruments reconnects later, to find
	 * out whether the account is back; one with instruments that fit
	 * nowhere else keeps them */
	for (k = ac->first; k < ac->first + (unsigned)l->o->max_conns; k++)
		if ((l->c[k].state == KS_UP || l->c[k].state ==
		    KS_SUBSCRIBED) && l->c[k].ntokens == 0)
			ks_conn_close(&l->c[k], "account failed");
}

/* Why account a is to fail now, or NULL. */
static const char *
acct_failing(struct ks *l, unsigned a, int64_t now, char *why, size_t wl)
{
	unsigned k, f = l->acct[a].first;

	for (k = f; k < f + (unsigned)l->o->max_conns; k++) {
		const struct ks_conn *c = &l->c[k];

		if (c->state == KS_REFUSED)
			return "credentials refused (HTTP 403)";
		if (c->state != KS_IDLE && c->ntokens > 0 && c->down_ms > 0 &&
		    now - c->down_ms > l->o->failover_ms) {
			snprintf(why, wl, "connection %u down for %lld ms", k,
			    (long long)(now - c->down_ms));
			return why;
		}
	}
	return NULL;
}

/* All of failed account a's connections subscribed for RECOVER_MS. */
static bool
acct_back(struct ks *l, unsigned a, int64_t now)
{
	struct ks_acct *ac = &l->acct[a];
	unsigned k, up = 0;

	for (k = ac->first; k < ac->first + (unsigned)l->o->max_conns; k++) {
		if (l->c[k].state == KS_IDLE)
			continue;
		if (l->c[k].state != KS_SUBSCRIBED || l->c[k].closing) {
			ac->ok_since_ms = 0;
			return false;
		}
		up++;
	}
	if (up == 0)
		return false;
	if (ac->ok_since_ms == 0)
		ac->ok_since_ms = now;
	return now - ac->ok_since_ms >= RECOVER_MS;
}

/* Unsubscribe what moved away from c, once its new connections are
 * subscribed and had UNSUB_HOLD_MS to start. */
static void
unsub_due(struct ks *l, struct ks_conn *c, int64_t now)
{
	size_t i, n = 0;
	unsigned k;

	if (c->state != KS_UP && c->state != KS_SUBSCRIBED) {
		c->nunsub = 0;
		return;
	}
	for (k = 0; k < l->nconns; k++)
		if ((c->unsub_to & (1u << k)) && (l->c[k].state !=
		    KS_SUBSCRIBED || l->c[k].q != NULL))
			return;
	if (c->unsub_at_ms == 0)
		c->unsub_at_ms = now + UNSUB_HOLD_MS;
	if (now < c->unsub_at_ms)
		return;
	for (i = 0; i < c->nunsub; i++) {	/* not those back on c */
		long j = ks_subs_find(&l->subs, c->unsub[i]);

		if (j < 0 || l->subs.v[j].conn != (int8_t)c->id)
			c->unsub[n++] = c->unsub[i];
	}
	ks_queue_unsubscribe(l, c, c->unsub, n);
	kp_info("connection %u: %zu moved instrument(s) unsubscribed", c->id,
	    n);
	c->nunsub = 0;
	c->unsub_to = 0;
}

void
ks_acct_watch(struct ks *l, int64_t now)
{
	char why[128];
	const char *w;
	unsigned a, k;
	bool any = false;

	for (k = 0; k < l->nconns; k++)
		if (l->c[k].nunsub > 0) {
			unsub_due(l, &l->c[k], now);
			any = true;
		}
	if (any)
		retire_empty(l);
	if (!l->multi)
		return;
	for (a = 0; a < l->nacct; a++) {
		if (!l->acct[a].failed) {
			w = acct_failing(l, a, now, why, sizeof(why));
			if (w != NULL)
				acct_fail(l, a, w);
		} else if (acct_back(l, a, now)) {
			kp_info("account %s is back: rebalancing",
			    l->acct[a].name);
			l->acct[a].failed = false;
			acct_status(l, a, "restored", "connections up");
			rebalance(l, "account restored");
		}
	}
}
