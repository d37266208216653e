/*
 * order-exec: order intents (NDJSON, stdin or a Unix socket) to Kite's
 * order endpoints, never placing an order twice; see order-exec(1).
 *
 * One thread, one request in flight.  Every intent is journaled before
 * anything is sent and every attempt is journaled (and fsync'd) before
 * its request leaves; an attempt whose outcome is unknown is settled by
 * the order book (GET /orders, by our tag) before anything else is sent.
 */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "kp_intent.h"
#include "oe.h"

#define PROG "order-exec"
#define USAGE "usage: order-exec -j JOURNAL [-l SOCKET] [options] | " \
    "order-exec -j JOURNAL --status"
#define MAXCONN 64
#define OUT_MAX (1u << 20)
#define NBUCKET 4096

enum { ST_QUEUED = 1, ST_SENT = 2, ST_DONE = 3 };

struct waiter {
	int slot;
	uint64_t gen;
};

struct entry {
	struct kp_intent in;
	char tag[KP_INTENT_TAG_MAX + 1];
	int state;
	int attempts;		/* requests sent (or about to be) */
	int unknown;		/* reconciling an attempt's unknown outcome
				 * (else a restart's look before sending) */
	int64_t recon_until;	/* the last look at the order book */
	int recon_fails;	/* failed GET /orders in a row */
	int64_t next_ms;
	char *result;		/* final answer without its closing '}' */
	int told_waiting;	/* answered "waiting" (a token hold) */
	struct waiter *w;
	size_t nw;
	struct kp_backoff bo;
	struct entry *id_next, *tag_next;
};

struct conn {
	int used;
	int in, out;
	uint64_t gen;
	struct kp_line lr;
	struct kp_buf ob;
	int eof;
	unsigned pending;	/* intents still owed an answer */
};

static struct {
	const char *journal_path, *dead_path, *listen_path;
	long mode;
	int status, fsync_on, notify_fd;
	long long timeout_ms, per_s, per_min, per_day, queue_max, attempts;
	long long br_threshold, br_cooldown_ms, recon_window_ms;
	long long backoff_base_ms, backoff_cap_ms, market_protection;
} opt = {
	.fsync_on = 1, .notify_fd = -1, .mode = 0600,
	.timeout_ms = 7000, .per_s = 10, .per_min = 400, .per_day = 5000,
	.queue_max = 1000, .attempts = 5, .br_threshold = 5,
	.br_cooldown_ms = 5000, .recon_window_ms = 30000,
	.backoff_base_ms = 200, .backoff_cap_ms = 5000,
	.market_protection = -1,
};

static struct entry *by_id[NBUCKET], *by_tag[NBUCKET];
static struct entry **all;	/* in the order accepted */
static size_t nall, capall;
static struct entry **queue;
static size_t nqueue, capqueue;
static struct conn conns[MAXCONN];
static uint64_t gen_next = 1;
static struct oe_journal journal = { .fd = -1 };
static struct oe_limits limits;
static struct oe_breaker breaker;
static struct oe_kite *kite;
static int listen_fd = -1;
static const char *crash_at;
/* Kite refused the access token on an order: nothing is sent until the
 * token file changes or SIGHUP (token_seen: the file when refused). */
static int token_hold;
static struct stat token_seen;

static uint64_t st_intents, st_invalid, st_busy, st_duplicates, st_placed,
    st_modified, st_cancelled, st_rejected, st_dead, st_sent, st_retries,
    st_reconciled, st_unknown, st_http429, st_breaker_opened, st_status;
static const struct kp_stat stats[] = {
	{ "intents", "intent lines read", KP_STAT_COUNTER, &st_intents, NULL },
	{ "invalid", "intents answered invalid", KP_STAT_COUNTER, &st_invalid,
	    NULL },
	{ "busy", "intents refused (queue full, breaker open)",
	    KP_STAT_COUNTER, &st_busy, NULL },
	{ "duplicates", "ids seen before", KP_STAT_COUNTER, &st_duplicates,
	    NULL },
	{ "placed", "orders placed", KP_STAT_COUNTER, &st_placed, NULL },
	{ "modified", "orders modified", KP_STAT_COUNTER, &st_modified, NULL },
	{ "cancelled", "orders cancelled", KP_STAT_COUNTER, &st_cancelled,
	    NULL },
	{ "rejected", "intents Kite refused", KP_STAT_COUNTER, &st_rejected,
	    NULL },
	{ "dead", "intents out of retries", KP_STAT_COUNTER, &st_dead, NULL },
	{ "requests", "order requests sent", KP_STAT_COUNTER, &st_sent, NULL },
	{ "retries", "transient failures retried", KP_STAT_COUNTER,
	    &st_retries, NULL },
	{ "reconciled", "unknown outcomes settled by the order book",
	    KP_STAT_COUNTER, &st_reconciled, NULL },
	{ "unknown", "requests with an unknown outcome", KP_STAT_COUNTER,
	    &st_unknown, NULL },
	{ "http_429", "429 answers", KP_STAT_COUNTER, &st_http429, NULL },
	{ "breaker_opened", "times the breaker opened", KP_STAT_COUNTER,
	    &st_breaker_opened, NULL },
	{ "status", "status reads answered", KP_STAT_COUNTER, &st_status,
	    NULL },
};
#define NSTATS (sizeof(stats) / sizeof(stats[0]))

/* The test-only crash hook (KP_ORDER_EXEC_CRASH_AT): die like kill -9. */
static void
crash(const char *point)
{
	if (crash_at != NULL && strcmp(crash_at, point) == 0) {
		kp_warn("crash hook: SIGKILL at %s", point);
		kill(getpid(), SIGKILL);
		_exit(KP_EXIT_TEMP);
	}
}

static unsigned
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKET;
}

static struct entry *
find_id(const char *id)
{
	struct entry *e;

	for (e = by_id[hash(id)]; e != NULL; e = e->id_next)
		if (!strcmp(e->in.id, id))
			return e;
	return NULL;
}

static struct entry *
find_tag(const char *tag)
{
	struct entry *e;

	for (e = by_tag[hash(tag)]; e != NULL; e = e->tag_next)
		if (!strcmp(e->tag, tag))
			return e;
	return NULL;
}

static struct entry *
entry_new(const struct kp_intent *in, const char *tag)
{
	struct entry *e = kp_xcalloc(1, sizeof(*e));
	unsigned h;

	e->in = *in;
	memcpy(e->tag, tag, strlen(tag) + 1);
	e->state = ST_QUEUED;
	kp_backoff_init(&e->bo, (uint32_t)opt.backoff_base_ms,
	    (uint32_t)opt.backoff_cap_ms, kp_rng_seed_auto() ^ hash(in->id));
	if (nall == capall) {
		capall = capall ? capall * 2 : 256;
		all = kp_xrealloc(all, capall * sizeof(*all));
	}
	all[nall++] = e;
	h = hash(in->id);
	e->id_next = by_id[h];
	by_id[h] = e;
	h = hash(tag);
	e->tag_next = by_tag[h];
	by_tag[h] = e;
	return e;
}

static void
enqueue(struct entry *e)
{
	if (nqueue == capqueue) {
		capqueue = capqueue ? capqueue * 2 : 64;
		queue = kp_xrealloc(queue, capqueue * sizeof(*queue));
	}
	queue[nqueue++] = e;
}

static void
dequeue(struct entry *e)
{
	size_t i;

	for (i = 0; i < nqueue; i++)
		if (queue[i] == e) {
			memmove(queue + i, queue + i + 1,
			    (nqueue - i - 1) * sizeof(*queue));
			nqueue--;
			return;
		}
}

/* journal ------------------------------------------------------------ */

static void
journal_write(struct kp_buf *b)
{
	if (oe_journal_append(&journal, b->p, b->len) < 0)
		kp_die(KP_EXIT_TEMP, "journal %s: cannot append, stopping "
		    "before anything else is sent:", opt.journal_path);
}

static void
journal_rec(const char *t, const struct entry *e, const char *extra)
{
	struct kp_buf b;

	kp_buf_init(&b, OE_JOURNAL_REC_MAX);
	kp_buf_addstr(&b, "{\"t\":\"");
	kp_buf_addstr(&b, t);
	kp_buf_addstr(&b, "\",\"id\":");
	kp_json_cstr(&b, e->in.id);
	if (!strcmp(t, "accept")) {
		kp_buf_addstr(&b, ",\"tag\":\"");
		kp_buf_addstr(&b, e->tag);
		kp_buf_addstr(&b, "\",\"intent\":");
		kp_intent_json(&b, &e->in);
	} else {
		kp_buf_addstr(&b, ",\"n\":");
		kp_json_i64(&b, e->attempts);
	}
	if (extra != NULL)
		kp_buf_addstr(&b, extra);
	kp_buf_addc(&b, '}');
	journal_write(&b);
	kp_buf_free(&b);
}

/* Replay: rebuild the table from the records, in order. */
static int
replay_rec(void *arg, uint64_t lineno, const char *json, size_t len)
{
	json_t *r = json_loadb(json, len, 0, NULL), *v;
	const char *t, *id;
	struct entry *e;
	int rc = -1;

	(void)arg;
	if (r == NULL)
		return -1;
	t = json_string_value(json_object_get(r, "t"));
	id = json_string_value(json_object_get(r, "id"));
	if (t == NULL || id == NULL)
		goto out;
	e = find_id(id);
	if (!strcmp(t, "accept")) {
		struct kp_intent in;
		char err[KP_ERRLEN], *s;
		const char *tag = json_string_value(json_object_get(r, "tag"));

		s = json_dumps(json_object_get(r, "intent"), JSON_COMPACT);
		if (e != NULL || tag == NULL || s == NULL ||
		    kp_intent_parse(s, strlen(s), &in, err) < 0) {
			free(s);
			goto out;
		}
		free(s);
		entry_new(&in, tag);
		rc = 0;
		goto out;
	}
	if (e == NULL)
		goto out;
	v = json_object_get(r, "n");
	if (json_is_integer(v))
		e->attempts = (int)json_integer_value(v);
	if (!strcmp(t, "send")) {
		e->state = ST_SENT;
	} else if (!strcmp(t, "void")) {
		e->state = ST_QUEUED;
	} else if (!strcmp(t, "done")) {
		char *s = json_dumps(json_object_get(r, "result"),
		    JSON_COMPACT);
		size_t n = s ? strlen(s) : 0;

		if (n < 2 || s[n - 1] != '}') {
			free(s);
			goto out;
		}
		s[n - 1] = 0;
		free(e->result);
		e->result = s;
		e->state = ST_DONE;
	} else {
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		kp_warn("journal record %llu: not understood",
		    (unsigned long long)lineno);
	json_decref(r);
	return rc;
}

/* clients ------------------------------------------------------------ */

static void
conn_close(int slot)
{
	struct conn *c = &conns[slot];

	if (!c->used)
		return;
	if (c->in != 0)
		close(c->in);
	kp_line_free(&c->lr);
	kp_buf_free(&c->ob);
	c->used = 0;
	c->gen = 0;
}

static void
conn_flush(int slot)
{
	struct conn *c = &conns[slot];
	ssize_t w;

	while (c->ob.len > 0) {
		w = write(c->out, c->ob.p, c->ob.len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			kp_warn("client %d: write:", slot);
			c->ob.len = 0;
			c->eof = 1;
			return;
		}
		memmove(c->ob.p, c->ob.p + w, c->ob.len - (size_t)w);
		c->ob.len -= (size_t)w;
	}
}

static void
send_line(int slot, uint64_t gen, const char *s, size_t n)
{
	struct conn *c = &conns[slot];

	if (!c->used || c->gen != gen)
		return;		/* the client left; the journal remembers */
	if (kp_buf_add(&c->ob, s, n) < 0 || kp_buf_addc(&c->ob, '\n') < 0) {
		kp_warn("client %d: not reading its answers; closed", slot);
		c->ob.len = 0;
		c->eof = 1;
		return;
	}
	conn_flush(slot);
}

/* Answer every waiter of a finished entry. */
static void
answer_waiters(struct entry *e)
{
	struct kp_buf b;
	size_t i;

	kp_buf_init(&b, OUT_MAX);
	kp_buf_addstr(&b, e->result);
	kp_buf_addc(&b, '}');
	for (i = 0; i < e->nw; i++) {
		struct conn *c = &conns[e->w[i].slot];

		if (c->used && c->gen == e->w[i].gen && c->pending > 0)
			c->pending--;
		send_line(e->w[i].slot, e->w[i].gen, b.p, b.len);
	}
	free(e->w);
	e->w = NULL;
	e->nw = 0;
	kp_buf_free(&b);
}

static void
add_waiter(struct entry *e, int slot)
{
	e->w = kp_xrealloc(e->w, (e->nw + 1) * sizeof(*e->w));
	e->w[e->nw].slot = slot;
	e->w[e->nw].gen = conns[slot].gen;
	e->nw++;
	conns[slot].pending++;
}

static void
res_field(struct kp_buf *b, const char *k, const char *v)
{
	kp_buf_addstr(b, ",\"");
	kp_buf_addstr(b, k);
	kp_buf_addstr(b, "\":");
	kp_json_cstr(b, v);
}

/* Tell e's waiters, once, that it is held for a new access token. */
static void
tell_waiting(struct entry *e)
{
	static const char why[] = "Kite refused the access token; held, "
	    "with every intent after it, until the token file changes or "
	    "SIGHUP";
	struct kp_buf b;
	size_t i;

	if (e->told_waiting || e->state == ST_DONE)
		return;
	e->told_waiting = 1;
	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"id\":");
	kp_json_cstr(&b, e->in.id);
	kp_buf_addstr(&b, ",\"result\":\"waiting\"");
	res_field(&b, "reason", why);
	kp_buf_addc(&b, '}');
	for (i = 0; i < e->nw; i++)
		send_line(e->w[i].slot, e->w[i].gen, b.p, b.len);
	kp_buf_free(&b);
}

/* The access token file's identity now (zeroed when there is none). */
static void
token_file_stat(struct stat *st)
{
	const char *f = kp_env("KITE_ACCESS_TOKEN_FILE");

	memset(st, 0, sizeof(*st));
	if (f != NULL && *f && stat(f, st) < 0)
		memset(st, 0, sizeof(*st));
}

/* results ------------------------------------------------------------ */

/* Finish e with a result: journal it, then answer. */
static void
finish(struct entry *e, struct kp_buf *res)
{
	struct kp_buf b;

	kp_buf_init(&b, OE_JOURNAL_REC_MAX);
	kp_buf_addstr(&b, ",\"result\":");
	kp_buf_add(&b, res->p, res->len);
	kp_buf_addc(&b, '}');
	kp_buf_addc(&b, 0);
	journal_rec("done", e, b.p);
	kp_buf_free(&b);
	crash("done");
	free(e->result);
	e->result = kp_xmalloc(res->len + 1);
	memcpy(e->result, res->p, res->len);
	e->result[res->len] = 0;
	e->state = ST_DONE;
	dequeue(e);
	answer_waiters(e);
}

static void
res_start(struct kp_buf *b, const struct entry *e, const char *result)
{
	kp_buf_init(b, OE_JOURNAL_REC_MAX / 2);
	kp_buf_addstr(b, "{\"id\":");
	kp_json_cstr(b, e->in.id);
	kp_buf_addstr(b, ",\"result\":\"");
	kp_buf_addstr(b, result);
	kp_buf_addstr(b, "\"");
}

static void
finish_ok(struct entry *e, const char *order_id, int reconciled,
    const char *children)
{
	static const char *const names[] = { "", "placed", "modified",
		"cancelled" };
	struct kp_buf b;

	res_start(&b, e, names[e->in.op]);
	res_field(&b, "order_id", order_id);
	if (e->in.op == KP_OP_PLACE)
		res_field(&b, "tag", e->tag);
	if (children != NULL) {
		kp_buf_addstr(&b, ",\"children\":");
		kp_buf_addstr(&b, children);
	}
	if (reconciled)
		kp_buf_addstr(&b, ",\"reconciled\":true");
	kp_info("%s id=%s order_id=%s attempts=%d%s", names[e->in.op],
	    e->in.id, order_id, e->attempts, reconciled ?
	    " reconciled=1" : "");
	if (e->in.op == KP_OP_PLACE)
		st_placed++;
	else if (e->in.op == KP_OP_MODIFY)
		st_modified++;
	else
		st_cancelled++;
	finish(e, &b);
	kp_buf_free(&b);
}

static void
finish_rejected(struct entry *e, const struct oe_resp *r)
{
	struct kp_buf b;

	res_start(&b, e, "rejected");
	res_field(&b, "error_type", r->error_type);
	res_field(&b, "message", r->message);
	kp_buf_addstr(&b, ",\"http\":");
	kp_json_i64(&b, r->http);
	kp_info("rejected id=%s error_type=%s http=%ld", e->in.id,
	    r->error_type, r->http);
	st_rejected++;
	finish(e, &b);
	kp_buf_free(&b);
}

/* Out of retries: a dead letter, then the answer.  maybe_placed: the
 * last attempt's outcome is unknown (the order book could not be read). */
static void
finish_dead(struct entry *e, const char *why, int maybe_placed)
{
	struct kp_buf b, d;
	int fd;

	res_start(&b, e, "dead");
	res_field(&b, "reason", why);
	kp_buf_addstr(&b, ",\"attempts\":");
	kp_json_i64(&b, e->attempts);
	if (e->in.op == KP_OP_PLACE) {
		res_field(&b, "tag", e->tag);
		kp_buf_addstr(&b, maybe_placed ? ",\"maybe_placed\":true" :
		    ",\"maybe_placed\":false");
	}
	kp_buf_init(&d, OE_JOURNAL_REC_MAX * 2);
	kp_buf_addstr(&d, "{\"type\":\"dead\",\"time\":");
	kp_json_fixed(&d, kp_time_us() / 1000, 3);
	kp_buf_addstr(&d, ",\"answer\":");
	kp_buf_add(&d, b.p, b.len);
	kp_buf_addstr(&d, "},\"intent\":");
	kp_intent_json(&d, &e->in);
	kp_buf_addstr(&d, "}\n");
	fd = open(opt.dead_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600);
	if (fd < 0 || write(fd, d.p, d.len) != (ssize_t)d.len ||
	    (opt.fsync_on && fdatasync(fd) < 0))
		kp_warn("dead letters %s: cannot append:", opt.dead_path);
	if (fd >= 0)
		close(fd);
	kp_buf_free(&d);
	kp_warn("dead id=%s attempts=%d reason=%s", e->in.id, e->attempts,
	    why);
	st_dead++;
	finish(e, &b);
	kp_buf_free(&b);
}

/* sending ------------------------------------------------------------ */

static void
later(struct entry *e, int64_t now)
{
	e->next_ms = now + kp_backoff_next(&e->bo);
	st_retries++;
}

/* Start settling e by the order book before anything else is sent:
 * an unknown outcome for up to the reconcile window, else one look. */
static void
settle(struct entry *e, int unknown, int64_t now)
{
	e->state = ST_SENT;
	e->unknown = unknown;
	e->recon_until = now + (unknown ? opt.recon_window_ms : 0);
	e->recon_fails = 0;
	e->next_ms = now;
	kp_backoff_reset(&e->bo);
}

static void
transient(const struct oe_resp *r, int64_t now)
{
	if (r->http == 429) {
		st_http429++;
		oe_limits_drain(&limits, now);
	}
	if (oe_breaker_failure(&breaker, now)) {
		st_breaker_opened++;
		kp_warn("breaker open for %lld ms after %d transient failures"
		    " (last: %s)", opt.br_cooldown_ms, breaker.fails, r->why);
	}
}

static void
br_ok(void)
{
	if (breaker.state != OE_BR_CLOSED)
		kp_info("breaker closed: a %s request succeeded",
		    oe_breaker_name(breaker.state));
	oe_breaker_success(&breaker);
}

/* One order-book look-up for a cancel whose earlier attempt is unknown:
 * an order already CANCELLED means that attempt worked. */
static int
already_cancelled(const struct entry *e)
{
	struct oe_book_order *o;
	struct oe_resp r;
	size_t n, i;
	int yes = 0;

	oe_kite_orders(kite, &o, &n, &r);
	for (i = 0; i < n; i++)
		if (!strcmp(o[i].order_id, e->in.order_id) &&
		    !strcmp(o[i].status, "CANCELLED"))
			yes = 1;
	free(o);
	return yes;
}

static void
send_attempt(struct entry *e, int64_t now)
{
	struct kp_buf path, body;
	struct oe_resp r;
	const char *method;

	e->attempts++;
	journal_rec("send", e, NULL);
	crash("presend");
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
	st_sent++;
	kp_debug("send id=%s attempt=%d %s %s", e->in.id, e->attempts,
	    method, path.p);
	oe_kite_order(kite, method, path.p, body.p, &r);
	kp_buf_free(&path);
	kp_buf_free(&body);
	crash("sent");
	now = kp_mono_ms();
	switch (r.kind) {
	case OE_K_OK:
		br_ok();
		finish_ok(e, r.order_id, 0, r.children);
		oe_resp_free(&r);
		return;
	case OE_K_FINAL:
		br_ok();
		if (r.http == 403 && !strcmp(r.error_type, "TokenException")) {
			/* not processed: held for a new token, not lost */
			journal_rec("void", e, ",\"why\":\"token\"");
			e->attempts--;
			e->state = ST_QUEUED;
			if (!token_hold)
				kp_warn("id=%s: access token refused (%s); "
				    "holding every intent until the token file "
				    "changes or SIGHUP", e->in.id, r.message);
			token_hold = 1;
			token_file_stat(&token_seen);
			for (size_t i = 0; i < nqueue; i++)
				tell_waiting(queue[i]);
			return;
		}
		if (e->in.op == KP_OP_CANCEL && e->attempts > 1 &&
		    already_cancelled(e)) {
			finish_ok(e, e->in.order_id, 1, NULL);
			return;
		}
		finish_rejected(e, &r);
		return;
	case OE_K_NOTSENT:
		transient(&r, now);
		journal_rec("void", e, NULL);
		e->state = ST_QUEUED;
		kp_info("retry id=%s attempt=%d: %s (not processed)", e->in.id,
		    e->attempts, r.why);
		if (e->attempts >= opt.attempts)
			finish_dead(e, r.why, 0);
		else
			later(e, now);
		return;
	case OE_K_UNKNOWN:
		transient(&r, now);
		st_unknown++;
		if (e->in.op != KP_OP_PLACE) {
			/* modify sets absolute values and a cancel of a
			 * cancelled order is caught above: resend */
			kp_info("retry id=%s attempt=%d: %s (outcome unknown; "
			    "%s is resent)", e->in.id, e->attempts, r.why,
			    kp_intent_op_name(e->in.op));
			if (e->attempts >= opt.attempts)
				finish_dead(e, r.why, 1);
			else
				later(e, now);
			return;
		}
		kp_warn("unknown outcome id=%s tag=%s attempt=%d: %s; "
		    "reading the order book", e->in.id, e->tag, e->attempts,
		    r.why);
		settle(e, 1, now);
		return;
	}
}

/*
 * An autoslice place found in the book: its slices carry its tag and
 * autoslice:<parent>.  The answer names the parent and the slices found
 * (a slice Kite refused may not be in the book).  Return 1 when found.
 */
static int
settle_sliced(struct entry *e, const struct oe_book_order *o, size_t n)
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
		st_reconciled++;
		finish_ok(e, parent, 1, ch.p);
	}
	kp_buf_free(&ch);
	return parent != NULL;
}

/* What the order book says of e, a place being settled. */
static void
settle_by_book(struct entry *e, const struct oe_book_order *o, size_t n,
    int64_t now)
{
	const char *found = NULL;
	int64_t w;
	size_t i;

	if (!strcmp(e->in.autoslice, "true") && settle_sliced(e, o, n))
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
		st_reconciled++;
		finish_ok(e, found, 1, NULL);
		return;
	}
	if (!e->unknown) {
		/* the journal shows no request whose outcome is unknown and
		 * the book agrees: nothing was placed */
		e->state = ST_QUEUED;
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
	    e->tag, opt.recon_window_ms);
	st_reconciled++;
	finish_dead(e, "outcome unknown and the order not in the order book "
	    "within the reconcile window", 1);
}

/* One order-book read settles every place that is due for a look. */
static void
reconcile(int64_t now)
{
	struct oe_book_order *o;
	struct oe_resp r;
	struct entry *e;
	size_t n, i;

	oe_kite_orders(kite, &o, &n, &r);
	now = kp_mono_ms();
	for (i = 0; i < nqueue; i++) {
		e = queue[i];
		if (e->state != ST_SENT || e->next_ms > now)
			continue;
		if (e->in.op != KP_OP_PLACE) {
			e->state = ST_QUEUED;	/* resent: see send_attempt */
			continue;
		}
		if (r.kind == OE_K_OK) {
			e->recon_fails = 0;
			settle_by_book(e, o, n, now);
			if (e->state == ST_DONE)
				i--;	/* finish() took it off the queue */
			continue;
		}
		kp_warn("order book for id=%s: %s", e->in.id, r.why);
		if (++e->recon_fails >= opt.attempts * 2) {
			finish_dead(e, "order book unreadable; the order may "
			    "exist", 1);
			i--;
			continue;
		}
		e->next_ms = now + kp_backoff_next(&e->bo);
	}
	if (r.kind == OE_K_OK)
		br_ok();
	else
		transient(&r, now);
	free(o);
}

/*
 * Do one step of work if one is due; return 0 when something was done,
 * else the milliseconds until the next thing may be due (-1: nothing).
 */
static int64_t
step(void)
{
	int64_t now = kp_mono_ms(), w, wait = -1;
	struct entry *e = NULL;
	size_t i;
	int recon = 0;

	for (i = 0; i < nqueue; i++)
		if (queue[i]->state == ST_SENT) {
			recon = 1;
			if (queue[i]->next_ms <= now) {
				e = queue[i];
				break;
			}
			w = queue[i]->next_ms - now;
			if (wait < 0 || w < wait)
				wait = w;
		}
	if (e != NULL) {
		if ((w = oe_breaker_wait(&breaker, now)) > 0)
			return w;
		if (!oe_breaker_allow(&breaker, now))
			return 50;
		reconcile(now);
		return 0;
	}
	if (recon)		/* nothing is sent while any is unsettled */
		return wait;
	if (token_hold)		/* until a new token: see main */
		return -1;
	for (i = 0; i < nqueue; i++) {
		if (queue[i]->next_ms <= now) {
			e = queue[i];
			break;
		}
		w = queue[i]->next_ms - now;
		if (wait < 0 || w < wait)
			wait = w;
	}
	if (e == NULL)
		return wait;
	if ((w = oe_breaker_wait(&breaker, now)) > 0)
		return w;
	if ((w = oe_limits_wait(&limits, now)) > 0)
		return w;
	if (!oe_breaker_allow(&breaker, now))
		return 50;	/* a half-open probe is out */
	oe_limits_take(&limits, now);
	send_attempt(e, now);
	return 0;
}

/* intents ------------------------------------------------------------ */

static void
answer_now(int slot, const char *id, const char *result, const char *k,
    const char *v, uint64_t lineno)
{
	struct kp_buf b;

	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"id\":");
	if (id != NULL && *id)
		kp_json_cstr(&b, id);
	else
		kp_buf_addstr(&b, "null");
	kp_buf_addstr(&b, ",\"result\":\"");
	kp_buf_addstr(&b, result);
	kp_buf_addc(&b, '"');
	if (k != NULL)
		res_field(&b, k, v);
	if (lineno > 0) {
		kp_buf_addstr(&b, ",\"line\":");
		kp_json_u64(&b, lineno);
	}
	kp_buf_addc(&b, '}');
	send_line(slot, conns[slot].gen, b.p, b.len);
	kp_buf_free(&b);
}

static size_t
unfinished(void)
{
	return nqueue;
}

static void
intent_line(int slot, const char *line, size_t len, uint64_t lineno)
{
	struct kp_intent in;
	char err[KP_ERRLEN], tag[KP_INTENT_TAG_MAX + 1];
	struct entry *e;
	unsigned salt;

	st_intents++;
	if (kp_intent_parse(line, len, &in, err) < 0) {
		st_invalid++;
		kp_warn("client %d line %llu: invalid intent: %s", slot,
		    (unsigned long long)lineno, err);
		answer_now(slot, in.id, "invalid", "error", err, lineno);
		return;
	}
	if (in.op == KP_OP_STATUS) {
		/* a read: answered now, never journaled or remembered */
		struct kp_buf b;

		st_status++;
		kp_buf_init(&b, OUT_MAX);
		oe_status_answer(kite, &in, &b);
		send_line(slot, conns[slot].gen, b.p, b.len);
		kp_buf_free(&b);
		return;
	}
	/* Kite refuses MARKET and SL-M without market protection */
	if (in.op != KP_OP_CANCEL && !*in.market_protection &&
	    kp_intent_needs_protection(in.order_type))
		snprintf(in.market_protection, sizeof(in.market_protection),
		    "%lld", opt.market_protection);
	if ((e = find_id(in.id)) != NULL) {
		st_duplicates++;
		kp_info("duplicate id=%s: %s", in.id, e->state == ST_DONE ?
		    "answered from the journal" : "answered when done");
		add_waiter(e, slot);
		if (e->state == ST_DONE)
			answer_waiters(e);
		return;
	}
	if (unfinished() >= (size_t)opt.queue_max) {
		st_busy++;
		answer_now(slot, in.id, "busy", "reason", "queue full", 0);
		return;
	}
	if (oe_breaker_state(&breaker, kp_mono_ms()) == OE_BR_OPEN) {
		st_busy++;
		answer_now(slot, in.id, "busy", "reason", "breaker open", 0);
		return;
	}
	for (salt = 0;; salt++) {
		kp_intent_tag(in.id, salt, tag);
		if (find_tag(tag) == NULL)
			break;
		kp_warn("id=%s: tag %s taken by id=%s; trying the next salt",
		    in.id, tag, find_tag(tag)->in.id);
	}
	e = entry_new(&in, tag);
	journal_rec("accept", e, NULL);
	crash("accepted");
	e->next_ms = 0;
	enqueue(e);
	add_waiter(e, slot);
	if (token_hold)
		tell_waiting(e);
}

static void
conn_read(int slot)
{
	struct conn *c = &conns[slot];
	char *line;
	size_t len;
	int st;

	for (;;) {
		st = kp_line_next(&c->lr, &line, &len);
		if (st == KP_LINE_OK) {
			if (len > 0)
				intent_line(slot, line, len, c->lr.lineno);
		} else if (st == KP_LINE_TOOLONG) {
			st_intents++;
			st_invalid++;
			kp_warn("client %d line %llu: longer than %d bytes",
			    slot, (unsigned long long)c->lr.lineno,
			    KP_INTENT_LINE_MAX);
			answer_now(slot, NULL, "invalid", "error",
			    "line too long", c->lr.lineno);
		} else if (st == KP_LINE_AGAIN) {
			return;
		} else if (st == KP_LINE_ERR && errno == EINTR) {
			return;
		} else {
			if (st == KP_LINE_ERR)
				kp_warn("client %d: read:", slot);
			c->eof = 1;
			return;
		}
	}
}

static int
conn_open(int in, int out)
{
	int i;

	for (i = 0; i < MAXCONN; i++)
		if (!conns[i].used)
			break;
	if (i == MAXCONN)
		return -1;
	memset(&conns[i], 0, sizeof(conns[i]));
	conns[i].used = 1;
	conns[i].in = in;
	conns[i].out = out;
	conns[i].gen = gen_next++;
	kp_buf_init(&conns[i].ob, OUT_MAX);
	if (kp_line_init(&conns[i].lr, in, KP_INTENT_LINE_MAX) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	return i;
}

static void
do_accept(void)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	int fd, slot;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			kp_warn("accept:");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
		cr.uid = (uid_t)-1, cr.pid = 0;
	if ((slot = conn_open(fd, fd)) < 0) {
		kp_warn("too many clients; refused uid=%ld", (long)cr.uid);
		close(fd);
		return;
	}
	kp_info("client %d connected uid=%ld pid=%ld", slot, (long)cr.uid,
	    (long)cr.pid);
}

static void
do_listen(void)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t um;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(opt.listen_path) >= sizeof(sa.sun_path))
		kp_die(KP_EXIT_PERM, "-l %s: path too long", opt.listen_path);
	memcpy(sa.sun_path, opt.listen_path, strlen(opt.listen_path));
	if (lstat(opt.listen_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(opt.listen_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (listen_fd < 0)
		kp_die(KP_EXIT_TEMP, "socket:");
	um = umask(077);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		kp_die(KP_EXIT_TEMP, "bind %s:", opt.listen_path);
	umask(um);
	if (chmod(opt.listen_path, (mode_t)opt.mode) < 0 ||
	    listen(listen_fd, 64) < 0)
		kp_die(KP_EXIT_TEMP, "listen %s:", opt.listen_path);
}

/* --status ----------------------------------------------------------- */

static int
print_status(void)
{
	char err[KP_ERRLEN], *line = NULL;
	uint64_t cut;
	size_t i, total = 0, done = 0, queued = 0, unknown = 0, cap = 0;
	struct entry *e;
	FILE *f;
	ssize_t n;

	if (oe_journal_open(NULL, opt.journal_path, 0, 1, replay_rec, NULL,
	    &cut, err) < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	for (i = 0; i < nall; i++) {
		e = all[i];
		total++;
		if (e->state == ST_DONE)
			done++;
		else if (e->state == ST_SENT)
			unknown++;
		else
			queued++;
	}
	{
		struct kp_buf p;

		kp_buf_init(&p, 16384);
		kp_json_cstr(&p, opt.journal_path);
		kp_buf_addc(&p, 0);
		printf("{\"type\":\"journal\",\"path\":%s,\"intents\":%zu,"
		    "\"done\":%zu,\"queued\":%zu,\"unknown\":%zu,"
		    "\"torn_bytes\":%llu}\n", p.p ? p.p : "null", total, done,
		    queued, unknown, (unsigned long long)cut);
		kp_buf_free(&p);
	}
	for (i = 0; i < nall; i++) {
		e = all[i];
		if (e->state == ST_DONE)
			continue;
		printf("{\"type\":\"pending\",\"id\":\"%s\",\"op\":\"%s\","
		    "\"tag\":\"%s\",\"attempts\":%d,\"state\":\"%s\"}\n",
		    e->in.id, kp_intent_op_name(e->in.op), e->tag,
		    e->attempts, e->state == ST_SENT ? "unknown" : "queued");
	}
	if ((f = fopen(opt.dead_path, "r")) != NULL) {
		while ((n = getline(&line, &cap, f)) > 0)
			fwrite(line, 1, (size_t)n, stdout);
		free(line);
		fclose(f);
	}
	return fflush(stdout) == 0 ? KP_EXIT_OK : KP_EXIT_TEMP;
}

/* main --------------------------------------------------------------- */

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
static void
reload_auth(const char *why)
{
	char err[KP_ERRLEN], *auth;

	if ((auth = load_auth(err)) == NULL) {
		kp_warn("%s: %s; keeping the old credentials", why, err);
		token_file_stat(&token_seen);
		return;
	}
	oe_kite_set_auth(kite, auth);
	free_auth(auth);
	kp_info("%s: credentials reloaded%s", why, token_hold ?
	    "; sending the held intents" : "");
	token_hold = 0;
}

/* Whether the token file is another file, or was written, since the
 * token was refused. */
static int
token_file_changed(void)
{
	struct stat st;

	token_file_stat(&st);
	return st.st_ino != token_seen.st_ino ||
	    st.st_dev != token_seen.st_dev ||
	    st.st_size != token_seen.st_size ||
	    st.st_mtim.tv_sec != token_seen.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != token_seen.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != token_seen.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != token_seen.st_ctim.tv_nsec;
}

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Send order intents (NDJSON on stdin and on -l SOCKET) to Kite, "
	    "never twice.\n\n"
	    "  -j FILE        the write-ahead journal (required)\n"
	    "  -D FILE        dead letters (default JOURNAL.dead)\n"
	    "  -l PATH        also take intents on this Unix socket\n"
	    "  -m MODE        the socket's mode (default 0600)\n"
	    "  -t DURATION    HTTP timeout (default 7s)\n"
	    "  -a N           attempts per intent (default 5)\n"
	    "  -Q N           unfinished intents at most (default 1000)\n"
	    "  --per-second N, --per-minute N, --per-day N   order limits "
	    "(10, 400, 5000; 0 none)\n"
	    "  --breaker N    transient failures in a row that open it (5)\n"
	    "  --breaker-cooldown DURATION (5s)\n"
	    "  --reconcile-window DURATION   how long an unknown outcome is "
	    "looked for in\n"
	    "                 the order book before it is dead, maybe placed "
	    "(30s)\n"
	    "  --backoff-base DURATION (200ms), --backoff-cap DURATION (5s)\n"
	    "  --market-protection N   for MARKET and SL-M intents without "
	    "one:\n"
	    "                 -1 automatic (default) or a percentage 1-100\n"
	    "  --no-fsync     do not fsync the journal (tests only)\n"
	    "  --status       print the journal's state and dead letters\n"
	    "  -d FD          readiness notification fd\n"
	    "  -q, -v, -h     quieter, louder, this help\n\n"
	    "Environment: KITE_API_KEY, KITE_ACCESS_TOKEN or "
	    "KITE_ACCESS_TOKEN_FILE, KITE_API_URL.\n"
	    "Exit: 0 ok, 1 some intents invalid, 100 usage or "
	    "configuration, 111 system error.\n"
	    "See order-exec(1).\n", f);
}

static void
parse_args(int argc, char **argv)
{
	enum { O_PS = 256, O_PM, O_PD, O_BR, O_BRC, O_RW, O_BB, O_BC, O_MP,
		O_NOFSYNC, O_STATUS };
	static const struct option lopts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "dead-letters", required_argument, NULL, 'D' },
		{ "listen", required_argument, NULL, 'l' },
		{ "mode", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "attempts", required_argument, NULL, 'a' },
		{ "queue", required_argument, NULL, 'Q' },
		{ "per-second", required_argument, NULL, O_PS },
		{ "per-minute", required_argument, NULL, O_PM },
		{ "per-day", required_argument, NULL, O_PD },
		{ "breaker", required_argument, NULL, O_BR },
		{ "breaker-cooldown", required_argument, NULL, O_BRC },
		{ "reconcile-window", required_argument, NULL, O_RW },
		{ "backoff-base", required_argument, NULL, O_BB },
		{ "backoff-cap", required_argument, NULL, O_BC },
		{ "market-protection", required_argument, NULL, O_MP },
		{ "no-fsync", no_argument, NULL, O_NOFSYNC },
		{ "status", no_argument, NULL, O_STATUS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, level = KP_LOG_INFO;
	char *end;

	while ((c = getopt_long(argc, argv, "+j:D:l:m:t:a:Q:d:qvh", lopts,
	    NULL)) != -1) {
		switch (c) {
		case 'j': opt.journal_path = optarg; break;
		case 'D': opt.dead_path = optarg; break;
		case 'l': opt.listen_path = optarg; break;
		case 'm':
			opt.mode = strtol(optarg, &end, 8);
			if (*optarg == 0 || *end != 0 || opt.mode < 0 ||
			    opt.mode > 0777)
				kp_die(KP_EXIT_PERM, "-m %s: not an octal mode",
				    optarg);
			break;
		case 't':
			opt.timeout_ms = kp_opt_duration_ms("-t", optarg, 100,
			    600000);
			break;
		case 'a': opt.attempts = kp_opt_ll("-a", optarg, 1, 100); break;
		case 'Q':
			opt.queue_max = kp_opt_ll("-Q", optarg, 1, 1000000);
			break;
		case 'd':
			opt.notify_fd = (int)kp_opt_ll("-d", optarg, 3, 1024);
			break;
		case O_PS:
			opt.per_s = kp_opt_ll("--per-second", optarg, 0,
			    OE_WINDOW_MAX);
			break;
		case O_PM:
			opt.per_min = kp_opt_ll("--per-minute", optarg, 0,
			    OE_WINDOW_MAX);
			break;
		case O_PD:
			opt.per_day = kp_opt_ll("--per-day", optarg, 0,
			    OE_WINDOW_MAX);
			break;
		case O_BR:
			opt.br_threshold = kp_opt_ll("--breaker", optarg, 1,
			    1000);
			break;
		case O_BRC:
			opt.br_cooldown_ms = kp_opt_duration_ms(
			    "--breaker-cooldown", optarg, 10, 3600000);
			break;
		case O_RW:
			opt.recon_window_ms = kp_opt_duration_ms(
			    "--reconcile-window", optarg, 0, 3600000);
			break;
		case O_BB:
			opt.backoff_base_ms = kp_opt_duration_ms(
			    "--backoff-base", optarg, 1, 600000);
			break;
		case O_BC:
			opt.backoff_cap_ms = kp_opt_duration_ms(
			    "--backoff-cap", optarg, 1, 3600000);
			break;
		case O_MP:
			opt.market_protection = kp_opt_ll(
			    "--market-protection", optarg, -1, 100);
			if (opt.market_protection == 0)
				kp_die(KP_EXIT_PERM, "--market-protection 0: "
				    "Kite refuses MARKET and SL-M orders "
				    "without protection; -1 or 1-100");
			break;
		case O_NOFSYNC: opt.fsync_on = 0; break;
		case O_STATUS: opt.status = 1; break;
		case 'q': level--; break;
		case 'v': level++; break;
		case 'h': usage(stdout); exit(KP_EXIT_OK);
		default: usage(stderr); exit(KP_EXIT_PERM);
		}
	}
	if (optind != argc || opt.journal_path == NULL) {
		if (optind != argc)
			kp_log(KP_LOG_FATAL, "unexpected argument '%s'",
			    argv[optind]);
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	kp_log_set_level(level < KP_LOG_FATAL ? KP_LOG_FATAL : level);
}

static char *
dead_default(const char *journal_path)
{
	size_t n = strlen(journal_path);
	char *s = kp_xmalloc(n + 6);

	memcpy(s, journal_path, n);
	memcpy(s + n, ".dead", 6);
	return s;
}

int
main(int argc, char **argv)
{
	char err[KP_ERRLEN], *auth, *dead = NULL;
	const char *url;
	struct pollfd pfd[MAXCONN + 2];
	int slot[MAXCONN + 2];
	int sigfd, i, np, stdin_slot, stdin_flags;
	uint64_t cut;
	size_t n, pending_replay = 0, unknown_replay = 0;
	int64_t wait;

	kp_log_init(PROG);
	kp_fds_ensure();
	parse_args(argc, argv);
	if (opt.dead_path == NULL)
		opt.dead_path = dead = dead_default(opt.journal_path);
	if (opt.status) {
		i = print_status();
		free(dead);
		return i;
	}
	crash_at = kp_env("KP_ORDER_EXEC_CRASH_AT");
	if ((auth = load_auth(err)) == NULL)
		kp_die(KP_EXIT_PERM, "%s", err);
	url = kp_env("KITE_API_URL");
	if (url == NULL)
		url = "https://api.kite.trade";
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		kp_die(KP_EXIT_PERM, "KITE_API_URL %s: not an http(s) URL", url);
	{
		/* no trailing '/': paths start with one */
		char *u = kp_xstrdup(url);
		size_t ul = strlen(u);

		while (ul > 0 && u[ul - 1] == '/')
			u[--ul] = 0;
		kite = oe_kite_new(u, auth, (long)opt.timeout_ms);
		free(u);
	}
	free_auth(auth);
	if ((sigfd = kp_sig_init()) < 0)
		kp_die(KP_EXIT_TEMP, "signals:");
	i = oe_journal_open(&journal, opt.journal_path, opt.fsync_on, 0,
	    replay_rec, NULL, &cut, err);
	if (i == -2)
		kp_die(KP_EXIT_TEMP, "%s", err);
	if (i < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	if (cut > 0)
		kp_warn("journal %s: cut a torn last record (%llu bytes)",
		    opt.journal_path, (unsigned long long)cut);
	for (n = 0; n < nall; n++) {
		struct entry *e = all[n];

		if (e->state == ST_DONE)
			continue;
		enqueue(e);
		pending_replay++;
		if (e->state == ST_SENT)
			unknown_replay++;
		/* whatever its last record says, a place is looked for in
		 * the order book before it is sent again */
		if (e->in.op == KP_OP_PLACE)
			settle(e, e->state == ST_SENT, kp_mono_ms());
	}
	kp_info("journal %s: %llu records, %zu unfinished intents, %zu with "
	    "an unknown outcome (all places are looked for in the order "
	    "book before anything is sent)", opt.journal_path,
	    (unsigned long long)journal.records, pending_replay,
	    unknown_replay);
	oe_limits_init(&limits, (long)opt.per_s, (long)opt.per_min,
	    (long)opt.per_day);
	oe_breaker_init(&breaker, (int)opt.br_threshold, opt.br_cooldown_ms);
	if (opt.listen_path != NULL)
		do_listen();
	/* stdin's file description may be shared: its flags go back at exit */
	stdin_flags = fcntl(0, F_GETFL);
	if (stdin_flags >= 0)
		fcntl(0, F_SETFL, stdin_flags | O_NONBLOCK);
	stdin_slot = conn_open(0, 1);
	if (opt.notify_fd >= 0 && kp_ready_notify(opt.notify_fd) < 0)
		kp_warn("readiness notification:");
	else if (opt.notify_fd < 0)
		kp_ready_notify(-1);

	for (;;) {
		if (kp_sig_take(SIGUSR1))
			kp_stats_log(PROG, stats, NSTATS);
		if (kp_sig_take(SIGHUP))
			reload_auth("SIGHUP");
		else if (token_hold && token_file_changed())
			reload_auth("token file changed");
		if (kp_sig_stopping())
			break;
		/* close clients that are gone and owed nothing */
		for (i = 0; i < MAXCONN; i++) {
			struct conn *c = &conns[i];

			if (c->used && c->eof && c->pending == 0 &&
			    c->ob.len == 0 && i != stdin_slot) {
				kp_info("client %d closed", i);
				conn_close(i);
			}
		}
		if (conns[stdin_slot].eof && conns[stdin_slot].pending == 0 &&
		    opt.listen_path == NULL && nqueue == 0)
			break;
		wait = step();
		if (wait == 0)
			wait = 0;
		else if (wait < 0 || wait > 1000)
			wait = 1000;
		np = 0;
		pfd[np].fd = sigfd;
		pfd[np].events = POLLIN;
		slot[np++] = -1;
		if (listen_fd >= 0) {
			pfd[np].fd = listen_fd;
			pfd[np].events = POLLIN;
			slot[np++] = -2;
		}
		for (i = 0; i < MAXCONN; i++) {
			struct conn *c = &conns[i];

			if (!c->used)
				continue;
			pfd[np].fd = c->in;
			pfd[np].events = 0;
			if (!c->eof)
				pfd[np].events |= POLLIN;
			if (c->ob.len > 0 && c->out == c->in)
				pfd[np].events |= POLLOUT;
			if (pfd[np].events == 0)
				continue;
			slot[np++] = i;
		}
		if (poll(pfd, (nfds_t)np, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			kp_die(KP_EXIT_TEMP, "poll:");
		}
		for (i = 0; i < np; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (slot[i] == -1)
				kp_sig_drain();
			else if (slot[i] == -2)
				do_accept();
			else {
				if (pfd[i].revents & POLLOUT)
					conn_flush(slot[i]);
				if (pfd[i].revents & (POLLIN | POLLHUP |
				    POLLERR))
					conn_read(slot[i]);
			}
		}
		if (conns[stdin_slot].ob.len > 0)
			conn_flush(stdin_slot);
	}
	for (i = 0; i < MAXCONN; i++)
		if (conns[i].used) {
			conn_flush(i);
			conn_close(i);
		}
	if (stdin_flags >= 0)
		fcntl(0, F_SETFL, stdin_flags);
	if (nqueue > 0)
		kp_info("stopping with %zu unfinished intents in the journal; "
		    "they go on at the next start", nqueue);
	kp_stats_log(PROG, stats, NSTATS);
	oe_journal_close(&journal);
	oe_limits_free(&limits);
	oe_kite_free(kite);
	if (listen_fd >= 0)
		unlink(opt.listen_path);
	free(dead);
	return st_invalid > 0 ? KP_EXIT_REJECTED : KP_EXIT_OK;
}
