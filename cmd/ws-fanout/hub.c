/*
 * hub.c: instruments, clients and their send queues.  A tick becomes one
 * refcounted message that every subscriber's queue points to.  A queue
 * past the soft depth conflates: a new tick replaces the queued one of the
 * same instrument.  A client that stays past the soft depth for slow_ms,
 * or reaches the hard depth, is closed with WF_CLOSE_SLOW.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kp_wsmsg.h"
#include "wf.h"

struct wf_msg *
wf_msg_new(uint32_t token, const char *a, size_t alen, const char *b,
    size_t blen, const char *c, size_t clen)
{
	struct wf_msg *m;

	m = kp_xmalloc(sizeof(*m) + LWS_PRE + alen + blen + clen);
	m->refs = 1;
	m->token = token;
	m->len = alen + blen + clen;
	m->hdr[0] = 0x81;		/* FIN, text */
	if (m->len < 126) {
		m->hdr[1] = (unsigned char)m->len;
		m->hl = 2;
	} else if (m->len <= 65535) {
		m->hdr[1] = 126;
		m->hdr[2] = (unsigned char)(m->len >> 8);
		m->hdr[3] = (unsigned char)m->len;
		m->hl = 4;
	} else {
		m->hl = 0;
	}
	memcpy(m->buf + LWS_PRE, a, alen);
	if (blen > 0)
		memcpy(m->buf + LWS_PRE + alen, b, blen);
	if (clen > 0)
		memcpy(m->buf + LWS_PRE + alen + blen, c, clen);
	return m;
}

void
wf_msg_unref(struct wf_msg *m)
{
	if (m != NULL && --m->refs == 0)
		free(m);
}

struct wf_inst *
wf_inst_get(struct wf *w, uint32_t token, int create)
{
	struct wf_inst **h = &w->inst[(token * 2654435761u) % WF_HASH], *in;

	for (in = *h; in != NULL; in = in->next)
		if (in->token == token)
			return in;
	if (!create || w->st.instruments >= WF_INST_MAX)
		return NULL;
	in = kp_xcalloc(1, sizeof(*in));
	in->token = token;
	in->next = *h;
	*h = in;
	w->st.instruments++;
	return in;
}

static const char tick_pre[] = "{\"type\":\"tick\",\"data\":";

/* Wrap a tick line, make it the instrument's latest, send it to all. */
static void
inst_publish(struct wf *w, struct wf_inst *in, const char *line, size_t len)
{
	struct wf_msg *m;
	size_t i;

	m = wf_msg_new(in->token, tick_pre, sizeof(tick_pre) - 1, line, len,
	    "}", 1);
	wf_msg_unref(in->last);
	in->last = m;
	for (i = 0; i < in->nsubs; i++)
		wf_client_push(w, in->subs[i], m);
}

void
wf_tick_line(struct wf *w, const char *line, size_t len, uint64_t lineno,
    const char *where)
{
	char err[KP_ERRLEN];
	struct wf_inst *in;
	uint32_t token;
	int r;

	w->st.lines++;
	r = kp_wsmsg_tick_token(line, len, &token, err);
	if (r < 0) {
		w->st.bad_lines++;
		kp_warn("%s line %llu: %s; skipped", where,
		    (unsigned long long)lineno, err);
		return;
	}
	in = r == 1 ? wf_inst_get(w, token, w->o->use_stdin) : NULL;
	if (in == NULL || (!w->o->use_stdin && in->nsubs == 0)) {
		w->st.skipped++;
		return;
	}
	w->st.ticks_in++;
	inst_publish(w, in, line, len);
}

/* A last value from Redis: used only when nothing newer is known. */
void
wf_snapshot_line(struct wf *w, const char *line, size_t len)
{
	char err[KP_ERRLEN];
	struct wf_inst *in;
	uint32_t token;

	if (kp_wsmsg_tick_token(line, len, &token, err) != 1) {
		w->st.bad_lines++;
		kp_warn("redis last-value hash: %s; skipped", err);
		return;
	}
	in = wf_inst_get(w, token, 0);
	if (in == NULL || in->nsubs == 0)
		return;
	in->snap_pending = 0;
	if (in->last != NULL)
		return;
	w->st.snapshots++;
	inst_publish(w, in, line, len);
}

/* IP accounting, for the connections-per-address limit. */
static struct wf_ipcount **
ip_slot(struct wf *w, const char *ip)
{
	unsigned h = 5381;
	const char *p;

	for (p = ip; *p != 0; p++)
		h = h * 33 + (unsigned char)*p;
	return &w->ips[h % 256];
}

int
wf_ip_acquire(struct wf *w, const char *ip)
{
	struct wf_ipcount **h = ip_slot(w, ip), *e;

	for (e = *h; e != NULL; e = e->next)
		if (strcmp(e->ip, ip) == 0)
			break;
	if (e == NULL) {
		e = kp_xcalloc(1, sizeof(*e));
		snprintf(e->ip, sizeof(e->ip), "%s", ip);
		e->next = *h;
		*h = e;
	}
	if (e->n >= (uint32_t)w->o->max_conn_ip)
		return -1;
	e->n++;
	return 0;
}

void
wf_ip_release(struct wf *w, const char *ip)
{
	struct wf_ipcount **h = ip_slot(w, ip), *e;

	for (; *h != NULL; h = &(*h)->next) {
		e = *h;
		if (strcmp(e->ip, ip) != 0)
			continue;
		if (--e->n == 0) {
			*h = e->next;
			free(e);
		}
		return;
	}
}

struct wf_client *
wf_client_new(struct wf *w, struct lws *wsi, const char *ip, const char *sub)
{
	struct wf_client *c = kp_xcalloc(1, sizeof(*c));

	c->wsi = wsi;
	c->id = ++w->next_id;
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	snprintf(c->sub, sizeof(c->sub), "%s", sub);
	c->qcap = 16;
	c->q = kp_xcalloc(c->qcap, sizeof(*c->q));
	c->bucket = (double)w->o->max_rate;
	c->bucket_ms = kp_mono_ms();
	c->next = w->clients;
	if (w->clients != NULL)
		w->clients->prev = c;
	w->clients = c;
	w->st.clients++;
	w->st.connections_total++;
	return c;
}

static void
queue_clear(struct wf_client *c)
{
	while (c->qlen > 0) {
		wf_msg_unref(c->q[c->qhead]);
		c->qhead = (c->qhead + 1) & (c->qcap - 1);
		c->qlen--;
	}
}

static int
has_sub(const struct wf_client *c, uint32_t token)
{
	size_t i;

	for (i = 0; i < c->nsubs; i++)
		if (c->subs[i] == token)
			return 1;
	return 0;
}

static void
inst_drop_sub(struct wf *w, struct wf_inst *in, struct wf_client *c)
{
	size_t i;

	for (i = 0; i < in->nsubs; i++) {
		if (in->subs[i] == c) {
			in->subs[i] = in->subs[--in->nsubs];
			break;
		}
	}
	if (in->nsubs == 0 && !w->o->use_stdin) {
		/* Redis: stop listening; a later snapshot comes from
		 * the hash, never from this now stale value. */
		wf_redis_unwant(w, in);
		wf_msg_unref(in->last);
		in->last = NULL;
	}
}

static void
client_unsub(struct wf *w, struct wf_client *c, uint32_t token)
{
	struct wf_inst *in = wf_inst_get(w, token, 0);
	size_t i;

	for (i = 0; i < c->nsubs; i++) {
		if (c->subs[i] == token) {
			c->subs[i] = c->subs[--c->nsubs];
			break;
		}
	}
	if (in != NULL)
		inst_drop_sub(w, in, c);
}

void
wf_client_free(struct wf *w, struct wf_client *c)
{
	while (c->nsubs > 0)
		client_unsub(w, c, c->subs[c->nsubs - 1]);
	queue_clear(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->st.clients--;
	free(c->subs);
	free(c->q);
	free(c->rx);
	free(c);
}

void
wf_client_close(struct wf *w, struct wf_client *c, int why)
{
	if (c->closing)
		return;
	c->closing = why;
	if (why == WF_CLOSING_SLOW)
		w->st.slow_closed++;
	else
		w->st.policy_closed++;
	queue_clear(c);
	lws_callback_on_writable(c->wsi);
	/* A peer that never reads never takes the close frame either. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 10);
}

static void
queue_grow(struct wf_client *c)
{
	struct wf_msg **q = kp_xcalloc(c->qcap * 2, sizeof(*q));
	size_t i;

	for (i = 0; i < c->qlen; i++)
		q[i] = c->q[(c->qhead + i) % c->qcap];
	free(c->q);
	c->q = q;
	c->qhead = 0;
	c->qcap *= 2;
}

/*
 * Replace the newest queued tick of m's instrument with m; 1 if done.
 * The newest, so that no older tick of it is sent after m (and with K
 * instruments the search from the tail ends within about K entries).
 * qcap is a power of two.
 */
static int
conflate(struct wf_client *c, struct wf_msg *m)
{
	size_t i, k;

	if (m->token == 0)
		return 0;
	for (i = c->qlen; i-- > 0;) {
		k = (c->qhead + i) & (c->qcap - 1);
		if (c->q[k]->token == m->token) {
			wf_msg_unref(c->q[k]);
			c->q[k] = m;
			m->refs++;
			return 1;
		}
	}
	return 0;
}

void
wf_client_push(struct wf *w, struct wf_client *c, struct wf_msg *m)
{
	if (c->closing)
		return;
	if (c->qlen >= (size_t)w->o->queue) {
		if (c->behind_ms == 0)
			c->behind_ms = kp_mono_ms();
		if (conflate(c, m)) {
			c->conflated++;
			w->st.conflated++;
			return;
		}
		if (c->qlen >= (size_t)w->o->queue_hard) {
			kp_info("client %llu from %s fell behind (%zu queued);"
			    " closing with %d", (unsigned long long)c->id,
			    c->ip, c->qlen, WF_CLOSE_SLOW);
			wf_client_close(w, c, WF_CLOSING_SLOW);
			return;
		}
	}
	if (c->qlen == c->qcap)
		queue_grow(c);
	c->q[(c->qhead + c->qlen) & (c->qcap - 1)] = m;
	m->refs++;
	if (c->qlen++ == 0)
		lws_callback_on_writable(c->wsi);
}

void
wf_client_send_text(struct wf *w, struct wf_client *c, const char *s,
    size_t n)
{
	struct wf_msg *m = wf_msg_new(0, s, n, NULL, 0, NULL, 0);

	wf_client_push(w, c, m);
	wf_msg_unref(m);
}

void
wf_client_error(struct wf *w, struct wf_client *c, const char *msg)
{
	struct kp_buf b;

	w->st.client_errors++;
	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"type\":\"error\",\"message\":");
	kp_json_cstr(&b, msg);
	kp_buf_addc(&b, '}');
	wf_client_send_text(w, c, b.p, b.len);
	kp_buf_free(&b);
}

static const struct {
	int code;
	const char *reason;
} close_why[] = {
	[WF_CLOSING_SLOW] = { WF_CLOSE_SLOW, "too slow: send queue overflow" },
	[WF_CLOSING_POLICY] = { WF_CLOSE_POLICY, "policy: message rate" },
	[WF_CLOSING_BIG] = { LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
	    "message too large" },
};

/* Take the head message off c's queue, counted as sent. */
static void
queue_pop(struct wf *w, struct wf_client *c)
{
	struct wf_msg *m = c->q[c->qhead];

	c->q[c->qhead] = NULL;
	c->qhead = (c->qhead + 1) & (c->qcap - 1);
	c->qlen--;
	c->sent++;
	w->st.msgs_sent++;
	wf_msg_unref(m);
}

/*
 * Without extensions (no permessage-deflate) and without TLS, frames are
 * plain bytes on the socket: copy the queued messages' frames (each
 * header made once per message) into one buffer and send(2) it, instead
 * of one lws_write (and one poll(2) for lws_send_pipe_choked) each.  One
 * contiguous buffer, not an iovec per header and payload: the kernel's
 * copy per iovec segment cost more than this copy.  A frame the socket
 * took only part of is handed on to lws_write, which sends the rest (or
 * keeps it and sends it first when the socket is writable again), so
 * frames never interleave with what lws itself sends.  Return 1 when the
 * socket is full, 0 when the queue is empty or its head is too big for
 * this path, -1 on error.
 */
#define WF_BATCH (1 << 17)
static int
write_plain(struct wf *w, struct wf_client *c)
{
	static unsigned char buf[LWS_PRE + WF_BATCH];
	unsigned char *p, *end = buf + LWS_PRE + WF_BATCH;
	struct wf_msg *m;
	size_t n, fl, off;
	ssize_t r;
	int fd = lws_get_socket_fd(c->wsi);

	while (c->qlen > 0) {
		p = buf + LWS_PRE;
		for (n = 0; n < c->qlen; n++) {
			m = c->q[(c->qhead + n) & (c->qcap - 1)];
			if (m->hl == 0 || (size_t)(end - p) < m->hl + m->len)
				break;
			memcpy(p, m->hdr, m->hl);
			memcpy(p + m->hl, m->buf + LWS_PRE, m->len);
			p += m->hl + m->len;
		}
		if (n == 0)
			return 0;
		r = send(fd, buf + LWS_PRE, (size_t)(p - buf - LWS_PRE),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 1;
			kp_debug("client %llu: send: %s",
			    (unsigned long long)c->id, strerror(errno));
			return -1;
		}
		for (off = 0; off < (size_t)r; off += fl) {
			m = c->q[c->qhead];
			fl = m->hl + m->len;
			if ((size_t)r - off < fl) {
				/* the rest of this frame, by lws */
				size_t rest = fl - ((size_t)r - off);

				memmove(buf + LWS_PRE, buf + LWS_PRE + r, rest);
				if (lws_write(c->wsi, buf + LWS_PRE, rest,
				    LWS_WRITE_RAW) < (int)rest)
					return -1;
				queue_pop(w, c);
				return 1;
			}
			queue_pop(w, c);
		}
	}
	return 0;
}

/* Write what the socket takes; return -1 to close the connection. */
int
wf_client_writable(struct wf *w, struct wf_client *c)
{
	struct wf_msg *m;
	int n = 0, full = 0;

	if (c->closing) {
		kp_debug("client %llu: closing with %d",
		    (unsigned long long)c->id, close_why[c->closing].code);
		lws_close_reason(c->wsi,
		    (enum lws_close_status)close_why[c->closing].code,
		    (unsigned char *)(uintptr_t)close_why[c->closing].reason,
		    strlen(close_why[c->closing].reason));
		return -1;
	}
	if (!c->ext && !lws_is_ssl(c->wsi) && !lws_partial_buffered(c->wsi)) {
		full = write_plain(w, c);
		if (full < 0)
			return -1;
	}
	while (!full && c->qlen > 0 && n++ < 64 &&
	    !lws_send_pipe_choked(c->wsi)) {
		m = c->q[c->qhead];
		if (lws_write(c->wsi, m->buf + LWS_PRE, m->len,
		    LWS_WRITE_TEXT) < (int)m->len)
			return -1;
		queue_pop(w, c);
	}
	if (c->qlen <= (size_t)w->o->queue / 2)
		c->behind_ms = 0;
	if (c->qlen > 0)
		lws_callback_on_writable(c->wsi);
	return 0;
}

void
wf_check_slow(struct wf *w)
{
	int64_t now = kp_mono_ms();
	struct wf_client *c;

	for (c = w->clients; c != NULL; c = c->next) {
		if (c->closing || c->behind_ms == 0 ||
		    now - c->behind_ms < w->o->slow_ms)
			continue;
		kp_info("client %llu from %s behind for %lld ms (%llu "
		    "conflated); closing with %d", (unsigned long long)c->id,
		    c->ip, (long long)(now - c->behind_ms),
		    (unsigned long long)c->conflated, WF_CLOSE_SLOW);
		wf_client_close(w, c, WF_CLOSING_SLOW);
	}
}

/* {"type":TYPE,"tokens":[...],"total":N} to c. */
static void
reply_tokens(struct wf *w, struct wf_client *c, const char *type,
    const uint32_t *t, size_t n)
{
	struct kp_buf b;
	size_t i;

	kp_buf_init(&b, 256 + 12 * n);
	kp_buf_addstr(&b, "{\"type\":\"");
	kp_buf_addstr(&b, type);
	kp_buf_addstr(&b, "\",\"tokens\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_addc(&b, ',');
		kp_json_u64(&b, t[i]);
	}
	kp_buf_addstr(&b, "],\"total\":");
	kp_json_u64(&b, c->nsubs);
	kp_buf_addc(&b, '}');
	wf_client_send_text(w, c, b.p, b.len);
	kp_buf_free(&b);
}

/* Subscribe c to tokens; reply, then send what is known of each. */
static void
client_subscribe(struct wf *w, struct wf_client *c, const uint32_t *tok,
    size_t n)
{
	uint32_t *done = kp_xmalloc((n + 1) * sizeof(*done));
	uint32_t *fetch = kp_xmalloc((n + 1) * sizeof(*fetch));
	size_t i, nd = 0, nf = 0, limited = 0;
	struct wf_inst *in;

	for (i = 0; i < n; i++) {
		if (has_sub(c, tok[i]))
			continue;
		if (c->nsubs >= (size_t)w->o->max_subs) {
			limited = 1;
			break;
		}
		in = wf_inst_get(w, tok[i], 1);
		if (in == NULL) {
			limited = 1;
			break;
		}
		if (c->nsubs == c->capsubs) {
			c->capsubs = c->capsubs ? c->capsubs * 2 : 8;
			c->subs = kp_xrealloc(c->subs,
			    c->capsubs * sizeof(*c->subs));
		}
		c->subs[c->nsubs++] = tok[i];
		if (in->nsubs == in->capsubs) {
			in->capsubs = in->capsubs ? in->capsubs * 2 : 4;
			in->subs = kp_xrealloc(in->subs,
			    in->capsubs * sizeof(*in->subs));
		}
		in->subs[in->nsubs++] = c;
		if (in->nsubs == 1 && !w->o->use_stdin)
			wf_redis_want(w, in);
		done[nd++] = tok[i];
	}
	reply_tokens(w, c, "subscribed", done, nd);
	if (limited) {
		char msg[128];

		snprintf(msg, sizeof(msg), "subscription limit reached "
		    "(at most %lld per client)", w->o->max_subs);
		wf_client_error(w, c, msg);
	}
	for (i = 0; i < nd; i++) {
		in = wf_inst_get(w, done[i], 0);
		if (in->last != NULL)
			wf_client_push(w, c, in->last);
		else if (!w->o->use_stdin && !in->snap_pending) {
			in->snap_pending = 1;
			fetch[nf++] = done[i];
		}
	}
	if (nf > 0)
		wf_redis_snapshot(w, fetch, nf);
	free(done);
	free(fetch);
}

static void
client_unsubscribe(struct wf *w, struct wf_client *c, const uint32_t *tok,
    size_t n)
{
	uint32_t *done = kp_xmalloc((n + 1) * sizeof(*done));
	size_t i, nd = 0;

	for (i = 0; i < n; i++) {
		if (!has_sub(c, tok[i]))
			continue;
		client_unsub(w, c, tok[i]);
		done[nd++] = tok[i];
	}
	reply_tokens(w, c, "unsubscribed", done, nd);
	free(done);
}

/* Token bucket: max_rate messages per second, bursts of max_rate. */
static int
rate_ok(struct wf *w, struct wf_client *c)
{
	int64_t now = kp_mono_ms();
	double cap = (double)w->o->max_rate;

	c->bucket += (double)(now - c->bucket_ms) * cap / 1000.0;
	c->bucket_ms = now;
	if (c->bucket > cap)
		c->bucket = cap;
	if (c->bucket < 1.0)
		return 0;
	c->bucket -= 1.0;
	return 1;
}

void
wf_client_message(struct wf *w, struct wf_client *c, const char *buf,
    size_t len)
{
	static uint32_t tok[WF_MAX_TOKENS_MSG];
	char err[KP_ERRLEN];
	struct kp_wsmsg m;

	if (c->closing)
		return;
	if (!rate_ok(w, c)) {
		wf_client_error(w, c, "rate limit exceeded; message ignored");
		return;
	}
	if (kp_wsmsg_parse(buf, len, tok, WF_MAX_TOKENS_MSG, &m, err) < 0) {
		wf_client_error(w, c, err);
		return;
	}
	switch (m.action) {
	case KP_WSMSG_PING:
		wf_client_send_text(w, c, "{\"type\":\"pong\"}", 15);
		break;
	case KP_WSMSG_SUBSCRIBE:
		client_subscribe(w, c, tok, m.ntokens);
		break;
	case KP_WSMSG_UNSUBSCRIBE:
		client_unsubscribe(w, c, tok, m.ntokens);
		break;
	}
}

static void
gauges(struct wf *w)
{
	struct wf_client *c;

	w->st.subscriptions = w->st.queued = w->st.queue_max = 0;
	for (c = w->clients; c != NULL; c = c->next) {
		w->st.subscriptions += c->nsubs;
		w->st.queued += c->qlen;
		if (c->qlen > w->st.queue_max)
			w->st.queue_max = c->qlen;
	}
	w->st.redis_connected = (uint64_t)wf_redis_state(w);
}

#define CTR(f, h) { #f, h, KP_STAT_COUNTER, &st->f, NULL }
#define GAU(f, h) { #f, h, KP_STAT_GAUGE, &st->f, NULL }

static size_t
stat_table(struct wf *w, struct kp_stat *t)
{
	const struct wf_stats *st = &w->st;
	const struct kp_stat all[] = {
		GAU(clients, "connected WebSocket clients"),
		GAU(subscriptions, "subscriptions over all clients"),
		GAU(instruments, "instruments known"),
		GAU(queued, "messages queued over all clients"),
		GAU(queue_max, "deepest client send queue"),
		CTR(connections_total, "WebSocket connections accepted"),
		CTR(lines, "input lines read"),
		CTR(bad_lines, "input lines that were not JSON objects"),
		CTR(skipped, "input lines without an instrument token"),
		CTR(ticks_in, "ticks taken in"),
		CTR(msgs_sent, "messages sent to clients"),
		CTR(conflated, "queued ticks replaced by newer ones"),
		CTR(slow_closed, "clients closed for falling behind"),
		CTR(policy_closed, "clients closed for policy"),
		CTR(auth_ok, "connections authenticated"),
		CTR(auth_refused, "connections refused by authentication"),
		CTR(conn_refused_ip, "connections refused by the per-IP "
		    "limit"),
		CTR(client_errors, "error messages sent to clients"),
		CTR(http_requests, "HTTP requests served"),
		GAU(redis_connected, "1 when the Redis source is connected"),
		CTR(redis_reconnects, "Redis connections made after the "
		    "first"),
		CTR(redis_messages, "messages received from Redis"),
		CTR(snapshots, "last values read from the Redis hash"),
	};

	memcpy(t, all, sizeof(all));
	return sizeof(all) / sizeof(all[0]);
}

int
wf_stats_json(struct wf *w, struct kp_buf *b)
{
	struct kp_stat t[32];
	size_t n;

	gauges(w);
	n = stat_table(w, t);
	return kp_stats_json(b, WF_PROG, t, n);
}

int
wf_stats_prom(struct wf *w, struct kp_buf *b)
{
	struct kp_stat t[32];
	size_t n;

	gauges(w);
	n = stat_table(w, t);
	/* the library's names: one _total on a counter, never two */
	return kp_stats_prom_text(b, WF_PROG, t, n);
}
