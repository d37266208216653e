/*
 * send.c: order-exec's sending: the scheduler step, one request at a
 * time, its answer classified; settling unknown outcomes by the order
 * book (GET /orders, by our tag) before anything else is sent; the token
 * hold (a refused access token holds every intent until a new one).
 *
 * Every attempt is journaled (and fsync'd) before its request leaves.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kp_intent.h"
#include "oe.h"

static void
later(struct oe_ctx *oe, struct oe_entry *e, int64_t now)
{
	e->next_ms = now + kp_backoff_next(&e->bo);
	oe->st.retries++;
}

/* Start settling e by the order book before anything else is sent:
 * an unknown outcome for up to the reconcile window, else one look. */
void
oe_settle(struct oe_ctx *oe, struct oe_entry *e, int unknown, int64_t now)
{
	e->state = OE_ST_SENT;
	e->unknown = unknown;
	e->recon_until = now + (unknown ? oe->opt.recon_window_ms : 0);
	e->recon_fails = 0;
	e->next_ms = now;
	kp_backoff_reset(&e->bo);
}

static void
transient(struct oe_ctx *oe, const struct oe_resp *r, int64_t now)
{
	if (r->http == 429) {
		oe->st.http429++;
		oe_limits_drain(&oe->limits, now);
	}
	if (oe_breaker_failure(&oe->breaker, now)) {
		oe->st.breaker_opened++;
		kp_warn("breaker open for %lld ms after %d transient failures"
		    " (last: %s)", oe->opt.br_cooldown_ms, oe->breaker.fails,
		    r->why);
	}
}

static void
br_ok(struct oe_ctx *oe)
{
	if (oe->breaker.state != OE_BR_CLOSED)
		kp_info("breaker closed: a %s request succeeded",
		    oe_breaker_name(oe->breaker.state));
	oe_breaker_success(&oe->breaker);
}

/* token hold --------------------------------------------------------- */

/* The access token file's identity now (zeroed when there is none). */
static void
token_file_stat(struct stat *st)
{
	const char *f = kp_env("KITE_ACCESS_TOKEN_FILE");

	memset(st, 0, sizeof(*st));
	if (f != NULL && *f && stat(f, st) < 0)
		memset(st, 0, sizeof(*st));
}

/* Whether the token file is another file, or was written, since the
 * token was refused. */
int
oe_token_file_changed(const struct oe_ctx *oe)
{
	const struct stat *seen = &oe->token_seen;
	struct stat st;

	token_file_stat(&st);
	return st.st_ino != seen->st_ino ||
	    st.st_dev != seen->st_dev ||
	    st.st_size != seen->st_size ||
	    st.st_mtim.tv_sec != seen->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != seen->st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != seen->st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != seen->st_ctim.tv_nsec;
}

/*
 * The credentials as "api_key:access_token" (registered for redaction),
 * or NULL with err filled.
 */
static char *
load_auth(char err[KP_ERRLEN])
{
	char *key, *token, *auth;
	size_t n;

	if ((key = kp_conf_secret("KITE_API_KEY", "KITE_API_KEY_FILE",
	    err)) == NULL)
		return NULL;
	if ((token = kp_conf_secret("KITE_ACCESS_TOKEN",
	    "KITE_ACCESS_TOKEN_FILE", err)) == NULL) {
		free(key);
		return NULL;
	}
	n = strlen(key) + strlen(token) + 2;
	auth = kp_xmalloc(n);
	snprintf(auth, n, "%s:%s", key, token);
	kp_log_redact(auth);
	memset(token, 0, strlen(token));
	free(token);
	free(key);
	return auth;
}

static void
free_auth(char *auth)
{
	memset(auth, 0, strlen(auth));
	free(auth);
}

/* New credentials; a token hold ends (held intents go, in order). */
void
oe_reload_auth(struct oe_ctx *oe, const char *why)
{
	char err[KP_ERRLEN], *auth;

	if ((auth = load_auth(err)) == NULL) {
		kp_warn("%s: %s; keeping the old credentials", why, err);
		token_file_stat(&oe->token_seen);
		return;
	}
	oe_kite_set_auth(oe->kite, auth);
	free_auth(auth);
	kp_info("%s: credentials reloaded%s", why, oe->token_hold ?
	    "; sending the held intents" : "");
	oe->token_hold = 0;
}

/* The Kite handle, from the environment's credentials and URL. */
void
oe_open_kite(struct oe_ctx *oe)
{
	char err[KP_ERRLEN], *auth, *u;
	const char *url;
	size_t ul;

	if ((auth = load_auth(err)) == NULL)
		kp_die(KP_EXIT_PERM, "%s", err);
	url = kp_env("KITE_API_URL");
	if (url == NULL)
		url = "https://api.kite.trade";
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		kp_die(KP_EXIT_PERM, "KITE_API_URL %s: not an http(s) URL",
		    url);
	/* no trailing '/': paths start with one */
	u = kp_xstrdup(url);
	ul = strlen(u);
	while (ul > 0 && u[ul - 1] == '/')
		u[--ul] = 0;
	oe->kite = oe_kite_new(u, auth, (long)oe->opt.timeout_ms);
	free(u);
	free_auth(auth);
}

/* Kite refused the access token on e's attempt (403 TokenException). */
static void
token_refused(struct oe_ctx *oe, struct oe_entry *e, const struct oe_resp *r)
{
	size_t i;

	/* not processed: held for a new token, not lost */
	oe_journal_rec(oe, "void", e, ",\"why\":\"token\"");
	e->attempts--;
	e->state = OE_ST_QUEUED;
	if (!oe->token_hold)
		kp_warn("id=%s: access token refused (%s); "
		    "holding every intent until the token file "
		    "changes or SIGHUP", e->in.id, r->message);
	oe->token_hold = 1;
	token_file_stat(&oe->token_seen);
	for (i = 0; i < oe->nqueue; i++)
		oe_tell_waiting(oe, oe->queue[i]);
}

/* sending ------------------------------------------------------------ */

/* One order-book look-up for a cancel whose earlier attempt is unknown:
 * an order already CANCELLED means that attempt worked. */
static int
already_cancelled(struct oe_ctx *oe, const struct oe_entry *e)
{
	struct oe_book_order *o;
	struct oe_resp r;
	size_t n, i;
	int yes = 0;

	oe_kite_orders(oe->kite, &o, &n, &r);
	for (i = 0; i < n; i++)
		if (!strcmp(o[i].order_id, e->in.order_id) &&
		    !strcmp(o[i].status, "CANCELLED"))
			yes = 1;
	free(o);
	return yes;
}

/* Send e's request (its attempt already journaled) and wait for Kite's
 * answer in r. */
static void
request(struct oe_ctx *oe, struct oe_entry *e, struct oe_resp *r)
{
	struct kp_buf path, body;
	const char *method;

	kp_buf_init(&path, 512);
	kp_buf_init(&body, 8192);
	kp_buf_addstr(&path, "/orders/");
	kp_buf_addstr(&path, e->in.variety);
	if (e->in.op == KP_OP_PLACE) {
		method = "POST";
	} else {
		kp_buf_addc(&path, '/');
		kp_form_escape(&path, e->in.order_id);
		method = e->in.op == KP_OP_MODIFY ? "PUT" : "DELETE";
	}
	if (e->in.op == KP_OP_CANCEL) {
		if (*e->in.parent_order_id) {
			kp_buf_addstr(&path, "?parent_order_id=");
			kp_form_escape(&path, e->in.parent_order_id);
		}
	} else {
		kp_intent_form(&body, &e->in, e->tag);
	}
	kp_buf_addc(&path, 0);
	kp_buf_addc(&body, 0);
	oe->st.sent++;
	kp_debug("send id=%s attempt=%d %s %s", e->in.id, e->attempts,
	    method, path.p);
	oe_kite_order(oe->kite, method, path.p, body.p, r);
	kp_buf_free(&path);
	kp_buf_free(&body);
}

/* An attempt whose outcome is unknown (timeout, 5xx, lost connection). */
static void
attempt_unknown(struct oe_ctx *oe, struct oe_entry *e,
    const struct oe_resp *r, int64_t now)
{
	transient(oe, r, now);
	oe->st.unknown++;
	if (e->in.op != KP_OP_PLACE) {
		/* modify sets absolute values and a cancel of a
		 * cancelled order is caught above: resend */
		kp_info("retry id=%s attempt=%d: %s (outcome unknown; "
		    "%s is resent)", e->in.id, e->attempts, r->why,
		    kp_intent_op_name(e->in.op));
		if (e->attempts >= oe->opt.attempts)
			oe_finish_dead(oe, e, r->why, 1);
		else
			later(oe, e, now);
		return;
	}
	kp_warn("unknown outcome id=%s tag=%s attempt=%d: %s; "
	    "reading the order book", e->in.id, e->tag, e->attempts,
	    r->why);
	oe_settle(oe, e, 1, now);
}

static void
send_attempt(struct oe_ctx *oe, struct oe_entry *e, int64_t now)
{
	struct oe_resp r;

	e->attempts++;
	oe_journal_rec(oe, "send", e, NULL);
	oe_crash(oe, "presend");
	request(oe, e, &r);
	oe_crash(oe, "sent");
	now = kp_mono_ms();
	switch (r.kind) {
	case OE_K_OK:
		br_ok(oe);
		oe_finish_ok(oe, e, r.order_id, 0, r.children);
		oe_resp_free(&r);
		return;
	case OE_K_FINAL:
		br_ok(oe);
		if (r.http == 403 && !strcmp(r.error_type, "TokenException")) {
			token_refused(oe, e, &r);
			return;
		}
		if (e->in.op == KP_OP_CANCEL && e->attempts > 1 &&
		    already_cancelled(oe, e)) {
			oe_finish_ok(oe, e, e->in.order_id, 1, NULL);
			return;
		}
		oe_finish_rejected(oe, e, &r);
		return;
	case OE_K_NOTSENT:
		transient(oe, &r, now);
		oe_journal_rec(oe, "void", e, NULL);
		e->state = OE_ST_QUEUED;
		kp_info("retry id=%s attempt=%d: %s (not processed)", e->in.id,
		    e->attempts, r.why);
		if (e->attempts >= oe->opt.attempts)
			oe_finish_dead(oe, e, r.why, 0);
		else
			later(oe, e, now);
		return;
	case OE_K_UNKNOWN:
		attempt_unknown(oe, e, &r, now);
		return;
	}
}

/* settling ----------------------------------------------------------- */

/*
 * An autoslice place found in the book: its slices carry its tag and
 * autoslice:<parent>.  The answer names the parent and the slices found
 * (a slice Kite refused may not be in the book).  Return 1 when found.
 */
static int
settle_sliced(struct oe_ctx *oe, struct oe_entry *e,
    const struct oe_book_order *o, size_t n)
{
	struct kp_buf ch;
	const char *parent = NULL;
	size_t i, k = 0;

	kp_buf_init(&ch, OE_JOURNAL_REC_MAX / 4);
	kp_buf_addc(&ch, '[');
	for (i = 0; i < n; i++) {
		if (strcmp(o[i].tag, e->tag) != 0)
			continue;
		if (parent == NULL)
			parent = *o[i].parent ? o[i].parent : o[i].order_id;
		if (k++ > 0)
			kp_buf_addc(&ch, ',');
		kp_buf_addstr(&ch, "{\"order_id\":");
		kp_json_cstr(&ch, o[i].order_id);
		kp_buf_addc(&ch, '}');
	}
	kp_buf_addc(&ch, ']');
	kp_buf_addc(&ch, 0);
	if (parent != NULL) {
		oe->st.reconciled++;
		oe_finish_ok(oe, e, parent, 1, ch.p);
	}
	kp_buf_free(&ch);
	return parent != NULL;
}

/* What the order book says of e, a place being settled. */
static void
settle_by_book(struct oe_ctx *oe, struct oe_entry *e,
    const struct oe_book_order *o, size_t n, int64_t now)
{
	const char *found = NULL;
	int64_t w;
	size_t i;

	if (!strcmp(e->in.autoslice, "true") && settle_sliced(oe, e, o, n))
		return;
	for (i = 0; i < n; i++)
		if (!strcmp(o[i].tag, e->tag)) {
			if (found != NULL)
				kp_warn("id=%s tag=%s: more than one order "
				    "(%s, %s); answering the first", e->in.id,
				    e->tag, found, o[i].order_id);
			else
				found = o[i].order_id;
		}
	if (found != NULL) {
		oe->st.reconciled++;
		oe_finish_ok(oe, e, found, 1, NULL);
		return;
	}
	if (!e->unknown) {
		/* the journal shows no request whose outcome is unknown and
		 * the book agrees: nothing was placed */
		e->state = OE_ST_QUEUED;
		e->next_ms = now;
		return;
	}
	if (now < e->recon_until) {
		/* the book can lag a placement by an unknown time */
		w = (int64_t)kp_backoff_next(&e->bo);
		e->next_ms = now + (w < e->recon_until - now ? w :
		    e->recon_until - now);
		return;
	}
	kp_warn("id=%s tag=%s: not in the order book %lld ms after an "
	    "unknown outcome; not resent: it may yet appear", e->in.id,
	    e->tag, oe->opt.recon_window_ms);
	oe->st.reconciled++;
	oe_finish_dead(oe, e, "outcome unknown and the order not in the "
	    "order book within the reconcile window", 1);
}

/* One order-book read settles every place that is due for a look. */
static void
reconcile(struct oe_ctx *oe, int64_t now)
{
	struct oe_book_order *o;
	struct oe_resp r;
	struct oe_entry *e;
	size_t n, i;

	oe_kite_orders(oe->kite, &o, &n, &r);
	now = kp_mono_ms();
	for (i = 0; i < oe->nqueue; i++) {
		e = oe->queue[i];
		if (e->state != OE_ST_SENT || e->next_ms > now)
			continue;
		if (e->in.op != KP_OP_PLACE) {
			e->state = OE_ST_QUEUED; /* resent: see send_attempt */
			continue;
		}
		if (r.kind == OE_K_OK) {
			e->recon_fails = 0;
			settle_by_book(oe, e, o, n, now);
			if (e->state == OE_ST_DONE)
				i--;	/* finish() took it off the queue */
			continue;
		}
		kp_warn("order book for id=%s: %s", e->in.id, r.why);
		if (++e->recon_fails >= oe->opt.attempts * 2) {
			oe_finish_dead(oe, e, "order book unreadable; the "
			    "order may exist", 1);
			i--;
			continue;
		}
		e->next_ms = now + kp_backoff_next(&e->bo);
	}
	if (r.kind == OE_K_OK)
		br_ok(oe);
	else
		transient(oe, &r, now);
	free(o);
}

/* the scheduler ------------------------------------------------------ */

/* The first entry being settled that is due, or NULL with *wait the
 * milliseconds until one is (-1: none); *recon: any is being settled. */
static struct oe_entry *
due_settle(struct oe_ctx *oe, int64_t now, int64_t *wait, int *recon)
{
	int64_t w;
	size_t i;

	for (i = 0; i < oe->nqueue; i++)
		if (oe->queue[i]->state == OE_ST_SENT) {
			*recon = 1;
			if (oe->queue[i]->next_ms <= now)
				return oe->queue[i];
			w = oe->queue[i]->next_ms - now;
			if (*wait < 0 || w < *wait)
				*wait = w;
		}
	return NULL;
}

/*
 * Do one step of work if one is due; return 0 when something was done,
 * else the milliseconds until the next thing may be due (-1: nothing).
 */
int64_t
oe_step(struct oe_ctx *oe)
{
	int64_t now = kp_mono_ms(), w, wait = -1;
	struct oe_entry *e;
	size_t i;
	int recon = 0;

	if ((e = due_settle(oe, now, &wait, &recon)) != NULL) {
		if ((w = oe_breaker_wait(&oe->breaker, now)) > 0)
			return w;
		if (!oe_breaker_allow(&oe->breaker, now))
			return 50;
		reconcile(oe, now);
		return 0;
	}
	if (recon)		/* nothing is sent while any is unsettled */
		return wait;
	if (oe->token_hold)	/* until a new token: see main */
		return -1;
	for (i = 0; i < oe->nqueue; i++) {
		if (oe->queue[i]->next_ms <= now) {
			e = oe->queue[i];
			break;
		}
		w = oe->queue[i]->next_ms - now;
		if (wait < 0 || w < wait)
			wait = w;
	}
	if (e == NULL)
		return wait;
	if ((w = oe_breaker_wait(&oe->breaker, now)) > 0)
		return w;
	if ((w = oe_limits_wait(&oe->limits, now)) > 0)
		return w;
	if (!oe_breaker_allow(&oe->breaker, now))
		return 50;	/* a half-open probe is out */
	oe_limits_take(&oe->limits, now);
	send_attempt(oe, e, now);
	return 0;
}
