/*
 * conn.c: one of kite-stream's ticker WebSocket connections (our own
 * RFC 6455 client, lib/wsframe.c, over dial.c's transport): connect, the
 * upgrade, its subscriptions sent, frames read and answered, messages
 * handed to emit.c, a close frame of ours or the server's, a socket
 * lingering until the server closes it, and after a loss a reconnect
 * with backoff and jitter, or a patient wait for new credentials.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ks.h"

#define RX_MAX (4u << 20)	/* the longest message */
#define RX_READ 65536		/* bytes asked for by each read */
#define CLOSE_MS 2000		/* for our close frame to go out */

/* Close the transport, keeping the connection's plan. */
void
ks_conn_drop(struct ks_conn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->ai != NULL) {
		freeaddrinfo(c->ai);
		c->ai = c->ai_next = NULL;
	}
	c->ph = KS_P_NONE;
	c->want_r = c->want_w = false;
	c->rxoff = c->rxlen = 0;
	if (c->rxcap > 4 * RX_READ) {	/* a long message is not kept */
		free(c->rx);
		c->rx = NULL;
		c->rxcap = 0;
	}
	kp_buf_reset(&c->tx);
	c->txoff = 0;
	kp_ws_dec_reset(&c->dec);
}

/*
 * Our close frame is out (or the server's answered): keep c's socket
 * until the server closes it or until; c forgets it.
 */
static void
linger_add(struct ks *l, struct ks_conn *c, int64_t until)
{
	unsigned k;

	if (c->fd < 0 || c->ph != KS_P_WS)
		return;
	for (k = 0; k < KS_MAX_CONNS && l->lg[k].fd >= 0; k++)
		;
	if (k == KS_MAX_CONNS)
		return;		/* closed at once instead */
	(void)shutdown(c->fd, SHUT_WR);
	l->lg[k].fd = c->fd;
	l->lg[k].until_ms = until;
	c->fd = -1;		/* the TLS object does not close it */
}

/* Read and drop what came; closed at the end, an error, or done. */
void
ks_linger_io(struct ks_linger *g, bool done)
{
	uint8_t sink[16384];
	ssize_t n = 0;
	int k;

	for (k = 0; k < 16 && !done; k++) {
		n = recv(g->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	if (done || n == 0 || (n < 0 && errno != EAGAIN && errno !=
	    EWOULDBLOCK)) {
		close(g->fd);
		g->fd = -1;
	}
}

/*
 * Credentials refused: name where the token came from (never the token)
 * and what brings a new one.  The environment of a running process does
 * not change, so a token from KITE_ACCESS_TOKEN takes a restart.
 */
static void
refused_log(const struct ks *l, const struct ks_conn *c)
{
	const struct ks_acct *a = &l->acct[c->acct];

	if (l->multi)
		kp_warn("%s: credentials refused (HTTP 403) for account %s "
		    "(its access token in %s); waiting for a new one (the "
		    "file changes, or SIGHUP)", c->name, a->name,
		    a->token_file);
	else if (a->token_file != NULL)
		kp_warn("%s: credentials refused (HTTP 403) for the access "
		    "token in %s; waiting for a new one (the file changes, or "
		    "SIGHUP)", c->name, a->token_file);
	else
		kp_warn("%s: credentials refused (HTTP 403) for the access "
		    "token in KITE_ACCESS_TOKEN; waiting (restart with a new "
		    "one, or give it in KITE_ACCESS_TOKEN_FILE to renew "
		    "without a restart)", c->name);
}

/* The connection is gone: say so and plan what comes next. */
void
ks_conn_lost(struct ks *l, struct ks_conn *c, const char *why, int http)
{
	char extra[256];
	struct kp_buf b;
	int64_t delay;

	ks_conn_drop(c);
	ks_queue_clear(c);
	c->nunsub = 0;
	c->unsub_to = 0;
	if (l->stopping)
		return;
	l->e->st.disconnects++;
	if (c->down_ms == 0)
		c->down_ms = kp_mono_ms();
	kp_buf_init(&b, 256);
	kp_json_cstr(&b, why);
	snprintf(extra, sizeof(extra), "\"reason\":%.*s", (int)b.len, b.p);
	kp_buf_free(&b);
	if (c->retire) {	/* its instruments went elsewhere */
		c->retire = false;
		c->state = KS_IDLE;
		c->down_ms = 0;
		ks_status_line(l, (int)c->id, "disconnected", extra);
		return;
	}
	if (http == 403) {
		if (c->state != KS_REFUSED)
			l->e->st.refused++;
		c->state = KS_REFUSED;
		/* one line for all connections, not one per attempt */
		if (c->id == l->acct[c->acct].first ||
		    l->c[l->acct[c->acct].first].state != KS_REFUSED)
			refused_log(l, c);
		ks_status_line(l, (int)c->id, "disconnected", extra);
		return;
	}
	delay = kp_backoff_next(&c->bo);
	c->state = KS_WAIT;
	c->retry_ms = kp_mono_ms() + delay;
	kp_warn("connection %u: %s; reconnecting in %lld ms", c->id, why,
	    (long long)delay);
	ks_status_line(l, (int)c->id, "disconnected", extra);
}

/* A failure: before the upgrade, "unable to connect"; ours if closing. */
void
ks_conn_fail(struct ks *l, struct ks_conn *c, const char *what)
{
	char why[320];

	if (c->close_why != NULL)
		snprintf(why, sizeof(why), "%s", c->close_why);
	else if (c->state == KS_CONNECTING)
		snprintf(why, sizeof(why), "unable to connect: %s", what);
	else
		snprintf(why, sizeof(why), "%s", what);
	ks_conn_lost(l, c, why, 0);
}

/*
 * What an SSL_* call that returned r means: -1 wait (want_r/want_w
 * set), 0 the peer closed, -2 an error described in why.
 */
static int
conn_frame(struct ks_conn *c, int op, const void *p, size_t n)
{
	uint8_t mask[4], *o;
	char err[KP_ERRLEN];

	o = (uint8_t *)kp_buf_room(&c->tx, n + KP_WS_HDR_MAX);
	if (o == NULL) {
		kp_warn("connection %u: more than %zu bytes waiting to be "
		    "sent", c->id, c->tx.max);
		return -1;
	}
	if (kp_ws_random(mask, sizeof(mask), err) < 0)
		kp_die(KP_EXIT_TEMP, "%s", err);
	c->tx.len += kp_ws_encode(o, op, p, n, mask);
	return 0;
}

/*
 * Write what is pending (queued text messages become frames first).
 * Return 0, or -1 when the connection was lost.
 */
static int
conn_flush(struct ks *l, struct ks_conn *c)
{
	char why[300];
	struct ks_msg *m;

	while (c->ph == KS_P_WS && !c->closing && (m = c->q) != NULL) {
		if (conn_frame(c, KP_WS_TEXT, m->data, m->len) < 0)
			break;
		c->q = m->next;
		if (c->q == NULL)
			c->qtail = &c->q;
		free(m);
	}
	while (c->txoff < c->tx.len) {
		ssize_t n = ks_dial_rw(c, c->tx.p + c->txoff, c->tx.len -
		    c->txoff, true, why, sizeof(why));

		if (n == -1)
			return 0;
		if (n < 0) {
			ks_conn_fail(l, c, why);
			return -1;
		}
		c->txoff += (size_t)n;
	}
	kp_buf_reset(&c->tx);
	c->txoff = 0;
	if (c->closing) {
		/* our close frame is out: done */
		linger_add(l, c, c->deadline_ms);
		ks_conn_fail(l, c, "closed");
		return -1;
	}
	if (c->ph == KS_P_WS && c->q == NULL && c->state == KS_UP) {
		char extra[64];

		c->state = KS_SUBSCRIBED;
		c->down_ms = 0;
		snprintf(extra, sizeof(extra), "\"count\":%zu", c->ntokens);
		ks_status_line(l, (int)c->id, "subscribed", extra);
		ks_check_ready(l);
	}
	return 0;
}

/* The transport is up: send the upgrade request. */
static void
conn_upgrade(struct ks *l, struct ks_conn *c)
{
	char target[sizeof(l->path) + 1024], err[KP_ERRLEN];
	uint8_t raw[16];

	if (c->ai != NULL) {
		freeaddrinfo(c->ai);
		c->ai = c->ai_next = NULL;
	}
	if (kp_ws_random(raw, sizeof(raw), err) < 0)
		kp_die(KP_EXIT_TEMP, "%s", err);
	kp_ws_key(raw, c->key);
	/* the access token is in the target: never logged */
	snprintf(target, sizeof(target), "%s%capi_key=%s&access_token=%s",
	    l->path, strchr(l->path, '?') ? '&' : '?',
	    l->acct[c->acct].api_key, l->acct[c->acct].token);
	kp_buf_reset(&c->tx);
	c->txoff = 0;
	if (kp_ws_request(&c->tx, l->host_hdr, l->port == (l->tls ? 443 : 80) ?
	    0 : l->port, target, c->key, err) < 0) {
		ks_conn_fail(l, c, err);
		return;
	}
	memset(&c->head, 0, sizeof(c->head));
	c->ph = KS_P_HTTP;
	(void)conn_flush(l, c);
}

void
ks_conn_lookups(struct ks *l)
{
	struct ks_lookup *q;
	char why[300];

	while ((q = ks_dial_lookup_next(l)) != NULL) {
		struct ks_conn *c = &l->c[q->conn];

		c->dns = NULL;
		if (c->state == KS_CONNECTING && c->ph == KS_P_DNS &&
		    !l->stopping) {
			if (ks_dial_addrs(l, c, q->rc, q->err, q->res, why,
			    sizeof(why)) < 0)
				ks_conn_fail(l, c, why);
		} else if (q->rc == 0) {
			freeaddrinfo(q->res);
		}
		free(q);
	}
}

void
ks_conn_start(struct ks *l, struct ks_conn *c)
{
	char why[300];

	c->state = KS_CONNECTING;
	c->closing = false;
	c->close_why = NULL;
	c->close_code = 0;
	c->attempts++;
	c->last_ms = kp_mono_ms();
	c->deadline_ms = c->last_ms + l->o->connect_ms;
	if (c->ever_up)
		l->e->st.reconnects++;
	kp_debug("connection %u: connecting to %s:%d (attempt %llu)", c->id,
	    l->host_hdr, l->port, (unsigned long long)c->attempts);
	if (ks_dial_start(l, c, why, sizeof(why)) < 0)
		ks_conn_fail(l, c, why);
}

static void
on_message(struct ks *l, struct ks_conn *c, bool bin, const uint8_t *p,
    size_t len)
{
	struct ks_emit *e = l->e;
	int64_t now = kp_time_us();

	c->last_ms = kp_mono_ms();
	ks_emit_time(e, now);
	if (l->cap_fd >= 0 && kp_cap_write(l->cap_fd, bin ? KP_CAP_BINARY :
	    KP_CAP_TEXT, c->id, now, p, len) < 0)
		kp_warn("unable to write to %s:", l->o->write_path);
	e->where = c->name;
	if (bin)
		ks_emit_binary(e, p, len);
	else
		ks_emit_text(e, (const char *)p, len);
	e->where = "";
	/* written once the loop has served every ready socket: one write
	 * for the messages that arrived together */
}

static void
on_established(struct ks *l, struct ks_conn *c)
{
	c->state = KS_UP;
	c->ever_up = true;
	c->last_ms = kp_mono_ms();
	kp_backoff_reset(&c->bo);
	l->e->st.connects++;
	kp_info("connection %u: connected", c->id);
	ks_status_line(l, (int)c->id, "connected", NULL);
	ks_queue_all(l, c);
}

/*
 * Fail the connection (RFC 6455 section 7.1.7): a close frame with code,
 * written if the socket takes it now; the connection is lost at once, and
 * nothing more the server sent is acted on (its socket lingers, what
 * comes is dropped, until the server closes it).
 */
static void
conn_abort(struct ks *l, struct ks_conn *c, int code, const char *why)
{
	uint8_t cc[2];
	char err[KP_ERRLEN];

	if (!c->closing && c->ph == KS_P_WS) {
		cc[0] = (uint8_t)(code >> 8);
		cc[1] = (uint8_t)code;
		if (conn_frame(c, KP_WS_CLOSE, cc, sizeof(cc)) == 0 &&
		    ks_dial_rw(c, c->tx.p + c->txoff, c->tx.len - c->txoff,
		    true, err, sizeof(err)) == (ssize_t)(c->tx.len -
		    c->txoff))
			linger_add(l, c, kp_mono_ms() + CLOSE_MS);
	}
	ks_conn_fail(l, c, why);
}

/* Frames read: act on them.  0, or -1 when the connection was lost. */
static int
conn_frames(struct ks *l, struct ks_conn *c)
{
	struct kp_ws_msg m;
	char err[KP_ERRLEN], why[KP_ERRLEN + 64];
	size_t used;
	int rc;

	for (;;) {
		rc = kp_ws_decode(&c->dec, c->rx + c->rxoff, c->rxlen -
		    c->rxoff, &used, NULL, &m, err);
		c->rxoff += used;
		if (rc == 0)
			break;
		if (rc < 0) {
			l->e->st.protocol_errors++;
			if (c->dec.fail_code == KP_WS_CLOSE_BAD_DATA)
				l->e->st.invalid_utf8++;
			snprintf(why, sizeof(why), "protocol error: %s (closed "
			    "with code %d)", err, c->dec.fail_code);
			conn_abort(l, c, c->dec.fail_code, why);
			return -1;
		}
		switch (m.op) {
		case KP_WS_TEXT:
		case KP_WS_BINARY:
			on_message(l, c, m.op == KP_WS_BINARY, m.data, m.len);
			break;
		case KP_WS_PING:
			if (!c->closing && conn_frame(c, KP_WS_PONG, m.data,
			    m.len) == 0 && conn_flush(l, c) < 0)
				return -1;
			break;
		case KP_WS_CLOSE:
			c->close_code = m.close_code == 1005 ? 0 :
			    m.close_code;
			if (!c->closing) {
				/* the answer, best effort */
				(void)conn_frame(c, KP_WS_CLOSE, m.data,
				    m.len >= 2 ? 2 : 0);
				if (ks_dial_rw(c, c->tx.p + c->txoff,
				    c->tx.len - c->txoff, true, err,
				    sizeof(err)) == (ssize_t)(c->tx.len -
				    c->txoff))
					linger_add(l, c, kp_mono_ms() +
					    CLOSE_MS);
			}
			snprintf(why, sizeof(why), "closed by the server "
			    "(code %d)", c->close_code ? c->close_code : 1005);
			ks_conn_fail(l, c, why);
			return -1;
		default:	/* a pong */
			break;
		}
	}
	if (c->rxoff == c->rxlen)
		c->rxoff = c->rxlen = 0;
	return 0;
}

/* Bytes read: the response head, then frames.  0, or -1 when lost. */
static int
conn_input(struct ks *l, struct ks_conn *c)
{
	char err[KP_ERRLEN], why[64];
	long r;

	if (c->ph == KS_P_HTTP) {
		r = kp_ws_head_parse(&c->head, (const char *)c->rx + c->rxoff,
		    c->rxlen - c->rxoff, c->key, err);
		if (r == 0)
			return 0;
		if (r < 0) {
			ks_conn_fail(l, c, err);
			return -1;
		}
		if (c->head.status != 101) {
			snprintf(why, sizeof(why), "upgrade refused: HTTP %d",
			    c->head.status);
			ks_conn_lost(l, c, why, c->head.status);
			return -1;
		}
		c->rxoff += (size_t)r;
		c->ph = KS_P_WS;
		on_established(l, c);
		if (conn_flush(l, c) < 0)
			return -1;
	}
	return conn_frames(l, c);
}

/* Read what there is (one read when it comes short: all there was). */
static void
conn_read(struct ks *l, struct ks_conn *c)
{
	char why[300];

	for (;;) {
		size_t room;
		ssize_t n;

		if (c->rxoff > 0 && c->rxcap - c->rxlen < RX_READ) {
			memmove(c->rx, c->rx + c->rxoff, c->rxlen - c->rxoff);
			c->rxlen -= c->rxoff;
			c->rxoff = 0;
		}
		if (c->rxcap - c->rxlen < RX_READ) {
			/* a long frame coming: grow by half at least */
			size_t cap = c->rxlen + RX_READ;

			if (cap < c->rxcap + c->rxcap / 2)
				cap = c->rxcap + c->rxcap / 2;
			c->rx = kp_xrealloc(c->rx, cap);
			c->rxcap = cap;
		}
		room = c->rxcap - c->rxlen;
		n = ks_dial_rw(c, c->rx + c->rxlen, room, false, why,
		    sizeof(why));
		if (n == -1)
			return;
		if (n == 0) {
			if (c->ph == KS_P_WS)
				snprintf(why, sizeof(why), "closed by the "
				    "server (code 1006)");
			else
				snprintf(why, sizeof(why), "closed by the "
				    "server before the upgrade");
		}
		if (n <= 0) {
			ks_conn_fail(l, c, why);
			return;
		}
		c->rxlen += (size_t)n;
		if (conn_input(l, c) < 0)
			return;
		if (c->ssl == NULL && (size_t)n < room)
			return;
	}
}

/* The socket of a connect or a TLS handshake is ready: go on. */
static void
conn_dial(struct ks *l, struct ks_conn *c)
{
	char why[300];
	int r = ks_dial_step(l, c, why, sizeof(why));

	if (r < 0)
		ks_conn_fail(l, c, why);
	else if (r > 0)
		conn_upgrade(l, c);
}

/* The socket is ready for what poll was asked. */
void
ks_conn_io(struct ks *l, struct ks_conn *c, short rev)
{
	switch (c->ph) {
	case KS_P_TCP:
	case KS_P_TLS:
		conn_dial(l, c);
		return;
	case KS_P_NONE:
		return;
	default:
		break;
	}
	if ((c->txoff < c->tx.len || (c->q != NULL && !c->closing)) &&
	    conn_flush(l, c) < 0)
		return;
	if (rev & (POLLIN | POLLHUP | POLLERR) || c->ssl != NULL)
		conn_read(l, c);
}

/* What to poll the socket of c for. */
short
ks_conn_events(const struct ks_conn *c)
{
	switch (c->ph) {
	case KS_P_TCP:
		return POLLOUT;
	case KS_P_TLS:
		return c->want_w ? POLLOUT : POLLIN;
	default:
		return (short)(POLLIN | (c->txoff < c->tx.len || c->want_w ||
		    (c->ph == KS_P_WS && c->q != NULL && !c->closing) ?
		    POLLOUT : 0));
	}
}

/* Close c ourselves: a close frame, then the socket. */
void
ks_conn_close(struct ks_conn *c, const char *why)
{
	static const uint8_t away[2] = { 1001 >> 8, 1001 & 0xff };

	if (c->fd < 0 || c->closing)
		return;
	c->close_why = why;
	if (c->ph != KS_P_WS) {
		ks_conn_fail(c->l, c, why);
		return;
	}
	c->closing = true;
	ks_queue_clear(c);
	/* a peer that takes nothing is cut off anyway */
	c->deadline_ms = kp_mono_ms() + CLOSE_MS;
	if (conn_frame(c, KP_WS_CLOSE, away, sizeof(away)) < 0) {
		ks_conn_fail(c->l, c, why);
		return;
	}
	(void)conn_flush(c->l, c);
}

/* Readiness: once every wanted connection is up and subscribed. */

void
ks_conn_init(struct ks *l, struct ks_conn *c, unsigned id)
{
	c->l = l;
	c->id = id;
	snprintf(c->name, sizeof(c->name), "connection %u", id);
	c->fd = -1;
	c->qtail = &c->q;
	kp_ws_dec_init(&c->dec, RX_MAX);
	/* subscriptions for a whole pool fit many times */
	kp_buf_init(&c->tx, 64u << 20);
	kp_backoff_init(&c->bo, (uint32_t)l->o->backoff_ms,
	    (uint32_t)l->o->backoff_max_ms, kp_rng_seed_auto() + id);
}

void
ks_conn_free(struct ks_conn *c)
{
	ks_queue_clear(c);
	free(c->unsub);
	free(c->rx);
	kp_buf_free(&c->tx);
	kp_ws_dec_free(&c->dec);
}
