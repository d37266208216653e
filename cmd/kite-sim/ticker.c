/*
 * ticker.c: kite-sim's ticker WebSocket (kite-connect.md section 1).
 *
 * Every connection holds its subscriptions (instrument index -> mode).
 * A timer at --rate marks every subscribed connection "tick due"; the
 * writeable callback then builds one binary message of all its
 * instruments in their modes with lib's encoder, so a slow client is
 * conflated (it gets the newest prices, never a backlog).  Text messages
 * (order updates, errors) wait in a bounded queue.  A housekeeping timer
 * (10/s while anyone is connected) sends heartbeats and applies the drop
 * faults.  Nothing runs while nobody is connected.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kp_tkreq.h"
#include "simx.h"

#define TXT_Q 1024		/* text messages waiting per connection */
#define RX_MAX (1u << 20)	/* a client's text message, bytes */
#define HOUSE_US 100000		/* housekeeping period */

/* modes as enum kp_tkreq_mode; 0: not subscribed */
enum { M_NONE = 0, M_LTP = KP_TKREQ_LTP, M_QUOTE = KP_TKREQ_QUOTE,
	M_FULL = KP_TKREQ_FULL };

struct tk_text {
	size_t len;
	unsigned char *p;	/* LWS_PRE + len, text at p + LWS_PRE */
};

struct tk_conn {
	struct sim_ticker *tk;
	struct lws *wsi;
	struct tk_conn *next, *prev;
	uint8_t *mode;		/* per instrument index */
	uint32_t *subs;		/* instrument indices, subscription order */
	size_t nsubs;
	int64_t t0_ms, last_send_ms;
	uint64_t msgs;		/* data messages sent */
	unsigned slice;		/* --spread: the share of subs sent next */
	bool tick_due, hb_due, closing;
	int acct;		/* the account it authenticated as */
	struct tk_text q[TXT_Q];
	size_t qhead, qlen;
	size_t qoff;		/* --text-frame: bytes of q[qhead] sent */
	struct kp_buf rx;
	bool rx_skip;		/* the message grew past RX_MAX */
	unsigned char *buf;	/* LWS_PRE + message */
	size_t bufcap;
	/* replay */
	size_t rp;
	int64_t rp_t0_us;	/* monotonic start of this pass */
	bool rp_done;
};

struct rp_rec {
	unsigned kind;
	int64_t recv_us;
	size_t off, len;	/* in rp_data */
};

struct sim_ticker {
	struct sim *s;
	struct tk_conn *conns;
	int nconns;
	int filter_acct;	/* the upgrade just let through */
	lws_sorted_usec_list_t tick_sul, house_sul;
	struct sim_tk_stats st;
	int64_t drop_t0_ms;	/* when the drop-after fault was armed */
	int64_t drop_after_ms;	/* the value it was armed with */
	/* replay */
	uint8_t *rp_data;
	struct rp_rec *rp;
	size_t nrp;
};

static struct lws_context *
ctx(const struct sim_ticker *tk)
{
	return tk->s->lws_context;
}

static int64_t
mono_ms(void)
{
	return kp_mono_ms();
}

static bool
any_due(const struct sim_ticker *tk)
{
	const struct tk_conn *c;

	for (c = tk->conns; c != NULL; c = c->next)
		if (tk->rp != NULL ? !c->rp_done : c->nsubs > 0)
			return true;
	return false;
}

static void tick_cb(lws_sorted_usec_list_t *sul);
static void house_cb(lws_sorted_usec_list_t *sul);

static lws_usec_t
tick_period(const struct sim_ticker *tk)
{
	double hz = tk->s->conf.tick_hz;

	if (tk->rp != NULL)
		return 5000;
	hz *= simx.spread > 1 ? simx.spread : 1;
	return hz >= 1e6 ? 1 : (lws_usec_t)(1e6 / hz);
}

static void
arm_tick(struct sim_ticker *tk)
{
	if (!any_due(tk))
		return;
	if (tk->tick_sul.list.owner == NULL)
		lws_sul_schedule(ctx(tk), 0, &tk->tick_sul, tick_cb,
		    tick_period(tk));
}

static void
want_write(struct tk_conn *c)
{
	lws_callback_on_writable(c->wsi);
}

static bool
rp_due(const struct sim_ticker *tk, const struct tk_conn *c)
{
	int64_t el;

	if (c->rp_done || c->rp >= tk->nrp)
		return false;
	if (simx.replay_speed <= 0)
		return true;
	el = kp_mono_ns() / 1000 - c->rp_t0_us;
	return (double)(tk->rp[c->rp].recv_us - tk->rp[0].recv_us) /
	    simx.replay_speed <= (double)el;
}

static void
tick_cb(lws_sorted_usec_list_t *sul)
{
	struct sim_ticker *tk = lws_container_of(sul, struct sim_ticker,
	    tick_sul);
	struct sim *s = tk->s;
	struct tk_conn *c;

	sim_market_step(s);
	sim_rest_on_market(s);
	for (c = tk->conns; c != NULL; c = c->next) {
		if (tk->rp != NULL ? !rp_due(tk, c) : c->nsubs == 0)
			continue;
		c->tick_due = true;
		if (!s->faults.stall)
			want_write(c);
	}
	arm_tick(tk);
}

static void
house_cb(lws_sorted_usec_list_t *sul)
{
	struct sim_ticker *tk = lws_container_of(sul, struct sim_ticker,
	    house_sul);
	const struct sim_faults *f = &tk->s->faults;
	int64_t now = mono_ms();
	struct tk_conn *c;

	if (f->drop_after_ms != tk->drop_after_ms) {
		tk->drop_after_ms = f->drop_after_ms;
		tk->drop_t0_ms = now;
	}
	for (c = tk->conns; c != NULL; c = c->next) {
		int64_t t0 = c->t0_ms > tk->drop_t0_ms ? c->t0_ms :
		    tk->drop_t0_ms;

		if (f->drop_after_ms > 0 && now - t0 >= f->drop_after_ms)
			c->closing = true;
		if (now - c->last_send_ms >= 1000)
			c->hb_due = true;
		if (c->closing || (c->hb_due && !f->stall))
			want_write(c);
	}
	if (tk->conns != NULL)
		lws_sul_schedule(ctx(tk), 0, &tk->house_sul, house_cb,
		    HOUSE_US);
}

#define RP_MAX_BYTES (1ull << 30)

/* Read a whole capture into memory for --replay; 0 or -1 (logged). */
static int
load_replay(struct sim_ticker *tk, const char *path)
{
	struct kp_cap_reader r;
	struct kp_cap_rec rec;
	char err[KP_ERRLEN];
	size_t cap = 0, bytes = 0, rcap = 0;
	int fd, rc;

	fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kp_log(KP_LOG_FATAL, "unable to open %s:", path);
		return -1;
	}
	if (kp_cap_reader_init(&r, fd) < 0) {
		kp_log(KP_LOG_FATAL, "unable to read %s:", path);
		return -1;
	}
	for (;;) {
		do
			rc = kp_cap_next(&r, &rec, err);
		while (rc == KP_CAP_ERROR && errno == EINTR);
		if (rc != KP_CAP_OK)
			break;
		if (bytes + rec.len > RP_MAX_BYTES) {
			kp_log(KP_LOG_FATAL, "%s: larger than 1 GiB", path);
			rc = KP_CAP_CORRUPT;
			break;
		}
		if (tk->nrp == rcap) {
			rcap = rcap ? 2 * rcap : 1024;
			tk->rp = kp_xrealloc(tk->rp, rcap * sizeof(tk->rp[0]));
		}
		while (bytes + rec.len > cap) {
			cap = cap ? 2 * cap : 1 << 20;
			tk->rp_data = kp_xrealloc(tk->rp_data, cap);
		}
		memcpy(tk->rp_data + bytes, rec.data, rec.len);
		tk->rp[tk->nrp].kind = rec.kind;
		tk->rp[tk->nrp].recv_us = rec.recv_us;
		tk->rp[tk->nrp].off = bytes;
		tk->rp[tk->nrp++].len = rec.len;
		bytes += rec.len;
	}
	kp_cap_reader_free(&r);
	if (fd != 0)
		close(fd);
	if (rc == KP_CAP_TRUNCATED)
		kp_warn("%s: %s; replaying the records before it", path, err);
	else if (rc == KP_CAP_CORRUPT)
		kp_log(KP_LOG_FATAL, "%s: %s", path, err);
	else if (rc == KP_CAP_ERROR)
		kp_log(KP_LOG_FATAL, "unable to read %s:", path);
	if (rc == KP_CAP_CORRUPT || rc == KP_CAP_ERROR)
		return -1;
	if (tk->nrp == 0) {
		kp_log(KP_LOG_FATAL, "%s: no records to replay", path);
		return -1;
	}
	kp_info("replay loaded path=%s records=%zu bytes=%zu", path, tk->nrp,
	    bytes);
	return 0;
}

int
sim_ticker_init(struct sim *s)
{
	struct sim_ticker *tk = kp_xcalloc(1, sizeof(*tk));

	tk->s = s;
	s->ticker = tk;
	if (simx.replay_path != NULL)
		return load_replay(tk, simx.replay_path);
	return 0;
}

void
sim_ticker_free(struct sim *s)
{
	struct sim_ticker *tk = s->ticker;

	if (tk == NULL)
		return;
	lws_sul_cancel(&tk->tick_sul);
	lws_sul_cancel(&tk->house_sul);
	free(tk->rp_data);
	free(tk->rp);
	free(tk);
	s->ticker = NULL;
}

void
sim_ticker_stats(const struct sim *s, struct sim_tk_stats *st)
{
	const struct tk_conn *c;

	*st = s->ticker->st;
	st->conns = (uint64_t)s->ticker->nconns;
	st->subs = 0;
	for (c = s->ticker->conns; c != NULL; c = c->next)
		st->subs += c->nsubs;
}

void
sim_ticker_faults_changed(struct sim *s)
{
	struct tk_conn *c;

	if (s->faults.stall)
		return;
	for (c = s->ticker->conns; c != NULL; c = c->next)
		want_write(c);
}

void
sim_ticker_drop_all(struct sim *s)
{
	struct tk_conn *c;

	for (c = s->ticker->conns; c != NULL; c = c->next) {
		c->closing = true;
		want_write(c);
	}
}

void
sim_ticker_drop_account(struct sim *s, int a)
{
	struct tk_conn *c;

	for (c = s->ticker->conns; c != NULL; c = c->next)
		if (c->acct == a) {
			c->closing = true;
			want_write(c);
		}
}

void
sim_ticker_account_json(struct sim *s, int a, struct kp_buf *b)
{
	const struct tk_conn *c;
	uint64_t n = 0;

	for (c = s->ticker->conns; c != NULL; c = c->next)
		n += c->acct == a;
	sim_kv_u64(b, ",\"connections\":", n);
	kp_buf_addstr(b, ",\"subscriptions\":[");
	n = 0;
	for (c = s->ticker->conns; c != NULL; c = c->next)
		if (c->acct == a) {
			if (n++ > 0)
				kp_buf_addc(b, ',');
			kp_json_u64(b, c->nsubs);
		}
	kp_buf_addc(b, ']');
}

/* Queue a text message; false when the queue is full. */
static bool
enqueue(struct tk_conn *c, const char *p, size_t len)
{
	struct tk_text *t;

	if (c->qlen == TXT_Q) {
		c->tk->st.dropped++;
		return false;
	}
	t = &c->q[(c->qhead + c->qlen++) % TXT_Q];
	t->p = kp_xmalloc(LWS_PRE + len);
	memcpy(t->p + LWS_PRE, p, len);
	t->len = len;
	if (!c->tk->s->faults.stall)
		want_write(c);
	return true;
}

static void
send_error(struct tk_conn *c, const char *msg)
{
	struct kp_buf b;

	c->tk->st.bad_requests++;
	kp_buf_init(&b, 4096);
	if (kp_buf_addstr(&b, "{\"type\":\"error\",\"data\":") == 0 &&
	    kp_json_cstr(&b, msg) == 0 && kp_buf_addc(&b, '}') == 0)
		enqueue(c, b.p, b.len);
	kp_buf_free(&b);
	kp_debug("ticker: bad request: %s", msg);
}

void
sim_ticker_text(struct sim *s, const char *api_key, const char *json,
    size_t len)
{
	struct tk_conn *c;

	(void)api_key;	/* every connection was authenticated with it */
	if (s->ticker == NULL)
		return;
	for (c = s->ticker->conns; c != NULL; c = c->next)
		if (!enqueue(c, json, len))
			kp_warn("ticker: text queue full; message dropped");
}

/* Apply a parsed request to the connection's subscriptions. */
static void
apply(struct tk_conn *c, const struct kp_tkreq *rq)
{
	const struct sim *s = c->tk->s;
	size_t i, j, excess = 0;
	const char *act = rq->action == KP_TKREQ_SUBSCRIBE ? "subscribe" :
	    rq->action == KP_TKREQ_UNSUBSCRIBE ? "unsubscribe" : "mode";
	char msg[160];

	for (i = 0; i < rq->n; i++) {
		long idx = sim_find(s, rq->tokens[i]);

		if (idx < 0)
			continue;	/* unknown tokens are ignored */
		if (rq->action == KP_TKREQ_SUBSCRIBE) {
			if (c->mode[idx] != M_NONE)
				continue;
			if (c->nsubs >= (size_t)s->conf.max_tokens) {
				excess++;
				continue;
			}
			c->mode[idx] = M_QUOTE;
			c->subs[c->nsubs++] = (uint32_t)idx;
		} else if (rq->action == KP_TKREQ_UNSUBSCRIBE) {
			c->mode[idx] = M_NONE;
		} else if (c->mode[idx] != M_NONE) {
			c->mode[idx] = (uint8_t)rq->mode;
		}
	}
	if (rq->action == KP_TKREQ_UNSUBSCRIBE) {
		for (i = j = 0; i < c->nsubs; i++)
			if (c->mode[c->subs[i]] != M_NONE)
				c->subs[j++] = c->subs[i];
		c->nsubs = j;
	}
	if (rq->bad > 0) {
		snprintf(msg, sizeof(msg), "%s: %zu values are not instrument "
		    "tokens; ignored", act, rq->bad);
		send_error(c, msg);
	}
	if (excess > 0) {
		snprintf(msg, sizeof(msg), "subscribe: at most %d instruments "
		    "per connection; %zu tokens ignored", s->conf.max_tokens,
		    excess);
		send_error(c, msg);
		kp_warn("ticker: subscription limit reached limit=%d "
		    "ignored=%zu", s->conf.max_tokens, excess);
	}
	if (c->nsubs > 0 && rq->action != KP_TKREQ_UNSUBSCRIBE) {
		c->tick_due = true;
		if (!s->faults.stall)
			want_write(c);
	}
	arm_tick(c->tk);
}

/* One client text message. */
static void
request(struct tk_conn *c, const char *p, size_t len)
{
	struct kp_tkreq rq;
	char err[KP_ERRLEN], msg[KP_ERRLEN + 32];

	if (kp_tkreq_parse(p, len, &rq, err) < 0) {
		snprintf(msg, sizeof(msg), "invalid message: %s", err);
		send_error(c, msg);
		return;
	}
	apply(c, &rq);
	kp_tkreq_free(&rq);
}

/* The query argument name (with '=') of the upgrade request, or "". */
static void
urlarg(struct lws *wsi, const char *name, char *out, size_t size)
{
	char buf[512];
	size_t n = strlen(name);
	int i, len;

	out[0] = '\0';
	for (i = 0; i < 32; i++) {
		len = lws_hdr_copy_fragment(wsi, buf, sizeof(buf),
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (len < 0)
			return;
		if ((size_t)len >= n && memcmp(buf, name, n) == 0) {
			snprintf(out, size, "%s", buf + n);
			return;
		}
	}
}

static int
refuse(struct sim_ticker *tk, struct lws *wsi, unsigned status,
    const char *why)
{
	tk->st.refused++;
	kp_info("ticker: upgrade refused status=%u reason=%s", status, why);
	lws_return_http_status(wsi, status, why);
	return -1;
}

static int
filter(struct sim_ticker *tk, struct lws *wsi)
{
	const struct sim_conf *conf = &tk->s->conf;
	const struct tk_conn *c;
	char key[256], token[512];
	long a;
	int n = 0;

	urlarg(wsi, "api_key=", key, sizeof(key));
	urlarg(wsi, "access_token=", token, sizeof(token));
	if (tk->s->faults.refuse_auth)
		return refuse(tk, wsi, 403, "refused (fault)");
	a = sim_account_auth(tk->s, key, token);
	if (a < 0)
		return refuse(tk, wsi, 403, "invalid api_key or access_token");
	if (tk->s->acct[a].revoked)
		return refuse(tk, wsi, 403, "access token revoked");
	for (c = tk->conns; c != NULL; c = c->next)
		n += c->acct == a;
	if (n >= conf->max_conns)
		return refuse(tk, wsi, 429, "too many connections");
	tk->filter_acct = (int)a;
	return 0;
}

static struct tk_conn *
conn_new(struct sim_ticker *tk, struct lws *wsi)
{
	struct tk_conn *c = kp_xcalloc(1, sizeof(*c));

	c->tk = tk;
	c->wsi = wsi;
	c->acct = tk->filter_acct;
	c->mode = kp_xcalloc(tk->s->n_instr ? tk->s->n_instr : 1, 1);
	c->subs = kp_xcalloc(tk->s->n_instr ? tk->s->n_instr : 1,
	    sizeof(c->subs[0]));
	c->t0_ms = c->last_send_ms = mono_ms();
	c->rp_t0_us = kp_mono_ns() / 1000;
	kp_buf_init(&c->rx, RX_MAX);
	c->next = tk->conns;
	if (tk->conns != NULL)
		tk->conns->prev = c;
	tk->conns = c;
	if (tk->nconns++ == 0)
		lws_sul_schedule(ctx(tk), 0, &tk->house_sul, house_cb,
		    HOUSE_US);
	tk->st.conns_total++;
	arm_tick(tk);
	return c;
}

static void
conn_free(struct tk_conn *c)
{
	struct sim_ticker *tk = c->tk;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		tk->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (--tk->nconns == 0) {
		lws_sul_cancel(&tk->house_sul);
		lws_sul_cancel(&tk->tick_sul);
	}
	while (c->qlen > 0) {
		free(c->q[c->qhead].p);
		c->qhead = (c->qhead + 1) % TXT_Q;
		c->qlen--;
	}
	kp_buf_free(&c->rx);
	free(c->mode);
	free(c->subs);
	free(c->buf);
	free(c);
}

static unsigned
kind_of(int mode, bool index)
{
	if (mode == M_LTP)
		return KP_TICK_LTP;
	if (mode == M_QUOTE)
		return index ? KP_TICK_INDEX_QUOTE : KP_TICK_QUOTE;
	return index ? KP_TICK_INDEX_FULL : KP_TICK_FULL;
}

/* Corrupt a message in one of three ways (the "malformed" fault). */
static size_t
corrupt(struct sim *s, unsigned char *m, size_t len)
{
	switch (kp_rng_below(&s->rng, 3)) {
	case 0:			/* first packet's length past the end */
		if (len >= 4) {
			m[2] = 0xff;
			m[3] = 0xff;
		}
		return len;
	case 1:			/* a count larger than the packets */
		m[0] = 0xff;
		return len;
	default:		/* cut mid-packet */
		return len > 6 ? len - 5 : len;
	}
}

/* One frame (lws_write's protocol and flags); 0, or -1 to close. */
static int
write_frame(struct tk_conn *c, unsigned char *p, size_t len, int flags)
{
	int n = lws_write(c->wsi, p, len, (enum lws_write_protocol)flags);

	if (n < (int)len)
		return -1;
	c->last_send_ms = mono_ms();
	c->hb_due = false;
	c->tk->st.bytes += len;
	return 0;
}

static int
write_msg(struct tk_conn *c, unsigned char *p, size_t len, bool bin)
{
	return write_frame(c, p, len, bin ? LWS_WRITE_BINARY :
	    LWS_WRITE_TEXT);
}

/*
 * The next frame of the first queued text message: all of it, or with
 * --text-frame the next piece (a data frame of another message cannot
 * come between the pieces, so the rest waits until this one is out).
 * The LWS_PRE bytes before a piece were sent already: lws may use them.
 */
static int
send_text(struct tk_conn *c)
{
	struct tk_text *t = &c->q[c->qhead];
	size_t n = t->len - c->qoff;
	int flags = c->qoff == 0 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
	int rc;

	if (simx.text_frame > 0 && n > simx.text_frame) {
		n = simx.text_frame;
		flags |= LWS_WRITE_NO_FIN;
	}
	rc = write_frame(c, t->p + LWS_PRE + c->qoff, n, flags);
	c->qoff += n;
	if (c->qoff < t->len)
		return rc;
	free(t->p);
	c->qhead = (c->qhead + 1) % TXT_Q;
	c->qlen--;
	c->qoff = 0;
	c->tk->st.texts++;
	c->msgs++;
	return rc;
}

static int
send_ticks(struct tk_conn *c)
{
	struct sim *s = c->tk->s;
	struct kp_codec_msg m;
	struct kp_tick t;
	size_t need = LWS_PRE + 2 + c->nsubs * 186, i, len, step = 1;
	uint32_t stamp = 0;

	/* --spread N: every Nth instrument, a different share each time */
	if (simx.spread > 1) {
		step = (size_t)simx.spread;
		c->slice = (c->slice + 1) % (unsigned)simx.spread;
	}

	if (c->bufcap < need) {
		free(c->buf);
		c->buf = kp_xmalloc(need);
		c->bufcap = need;
	}
	sim_market_step(s);
	if (simx.latency_stamp)
		stamp = (uint32_t)kp_time_us();
	kp_codec_msg_init(&m, c->buf + LWS_PRE, need - LWS_PRE);
	for (i = step > 1 ? c->slice : 0; i < c->nsubs; i += step) {
		size_t idx = c->subs[i];

		sim_quote(s, idx, &t);
		t.kind = (uint8_t)kind_of(c->mode[idx], s->instr[idx].is_index);
		if (simx.latency_stamp)
			t.last_traded_quantity = stamp;
		if (kp_codec_msg_add(&m, &t) < 0)
			break;
	}
	len = kp_codec_msg_finish(&m);
	if (s->faults.malformed_p > 0 &&
	    kp_rng_double(&s->rng) < s->faults.malformed_p) {
		len = corrupt(s, c->buf + LWS_PRE, len);
		c->tk->st.malformed++;
	}
	c->tk->st.ticks += m.count;
	c->tk->st.msgs++;
	c->msgs++;
	return write_msg(c, c->buf + LWS_PRE, len, true);
}

static int
send_replay(struct tk_conn *c)
{
	struct sim_ticker *tk = c->tk;
	const struct rp_rec *r;
	size_t need;

	while (c->rp < tk->nrp && tk->rp[c->rp].kind == KP_CAP_STATUS)
		c->rp++;
	if (c->rp >= tk->nrp)
		goto end;
	r = &tk->rp[c->rp++];
	need = LWS_PRE + r->len;
	if (c->bufcap < need) {
		free(c->buf);
		c->buf = kp_xmalloc(need);
		c->bufcap = need;
	}
	memcpy(c->buf + LWS_PRE, tk->rp_data + r->off, r->len);
	tk->st.msgs++;
	c->msgs++;
	if (write_msg(c, c->buf + LWS_PRE, r->len, r->kind == KP_CAP_BINARY))
		return -1;
	if (c->rp < tk->nrp)
		return 0;
end:
	if (simx.replay_loop) {
		c->rp = 0;
		c->rp_t0_us = kp_mono_ns() / 1000;
	} else if (!c->rp_done) {
		c->rp_done = true;
		kp_info("replay finished for a connection records=%zu",
		    tk->nrp);
	}
	return 0;
}

/* Abruptly close: no close frame, as a dropped TCP connection (1006). */
static int
hang_up(struct tk_conn *c)
{
	c->tk->st.dropped++;
	kp_info("ticker: dropping a connection (fault)");
	shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR);
	return -1;
}

static int
writeable(struct tk_conn *c)
{
	struct sim *s = c->tk->s;
	const struct sim_faults *f = &s->faults;
	int rc = 0;
	unsigned char hb[LWS_PRE + 1];

	if (c->closing)
		return hang_up(c);
	if (f->stall)
		return 0;
	if (c->qlen > 0) {
		rc = send_text(c);
	} else if (c->tick_due) {
		c->tick_due = false;
		if (c->tk->rp != NULL) {
			rc = send_replay(c);
			if (rp_due(c->tk, c))
				c->tick_due = true;
		} else if (c->nsubs > 0) {
			rc = send_ticks(c);
			if (s->conf.flat_out)
				c->tick_due = true;
		}
	} else if (c->hb_due) {
		hb[LWS_PRE] = 0;
		rc = write_msg(c, hb + LWS_PRE, 1, true);
		c->tk->st.heartbeats++;
	}
	if (rc < 0)
		return -1;
	if (f->drop_after_msgs > 0 && c->msgs >= (uint64_t)f->drop_after_msgs)
		c->closing = true;
	if (c->closing || c->qlen > 0 || c->tick_due)
		want_write(c);
	return 0;
}

static int
receive(struct tk_conn *c, struct lws *wsi, const void *in, size_t len)
{
	if (lws_frame_is_binary(wsi)) {
		if (lws_is_final_fragment(wsi))
			send_error(c, "binary messages are not requests");
		return 0;
	}
	if (!c->rx_skip && kp_buf_add(&c->rx, in, len) < 0)
		c->rx_skip = true;
	if (!lws_is_final_fragment(wsi))
		return 0;
	if (c->rx_skip)
		send_error(c, "invalid message: longer than 1 MiB");
	else
		request(c, c->rx.p != NULL ? c->rx.p : "", c->rx.len);
	c->rx_skip = false;
	kp_buf_reset(&c->rx);
	return 0;
}

int
sim_ticker_cb(struct sim *s, struct lws *wsi,
    enum lws_callback_reasons reason, void **user, void *in, size_t len)
{
	struct sim_ticker *tk = s->ticker;
	struct tk_conn *c = user != NULL ? *user : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return filter(tk, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		*user = conn_new(tk, wsi);
		kp_info("ticker: connection established conns=%d",
		    tk->nconns);
		if (simx.bad_utf8 > 0) {
			static const char bad[] = "{\"type\":\"message\","
			    "\"data\":\"not UTF-8: \xed\xa0\x80 (a "
			    "surrogate)\"}";

			simx.bad_utf8--;
			kp_info("ticker: sending text that is not UTF-8 "
			    "(fault)");
			enqueue(*user, bad, sizeof(bad) - 1);
		}
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		kp_info("ticker: the client closed the connection code=%d",
		    len >= 2 ? ((const uint8_t *)in)[0] << 8 |
		    ((const uint8_t *)in)[1] : 1005);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return c != NULL ? receive(c, wsi, in, len) : 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c != NULL ? writeable(c) : 0;
	case LWS_CALLBACK_CLOSED:
		if (c != NULL) {
			conn_free(c);
			*user = NULL;
			kp_info("ticker: connection closed conns=%d",
			    tk->nconns);
		}
		return 0;
	default:
		return 0;
	}
}
