/*
 * live.c: kite-stream's live client.  A pool of ticker WebSocket
 * connections (our own WebSocket client, lib/wsframe.c, over plain
 * sockets or OpenSSL, in one poll(2) loop), each with its share of the
 * subscriptions,
 * a watchdog, reconnects with backoff and jitter, resubscription, a
 * patient answer to refused credentials, status lines for every gap, and
 * output that never blocks the sockets: past a bound, ticks are conflated
 * to the latest per instrument.  See kite-stream(1).
 */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kp_tkreq.h"
#include "kp_wsframe.h"
#include "kp_wsurl.h"
#include "ks.h"

#define MAX_CONNS 16
#define RX_MAX (4u << 20)	/* the longest message */
#define RX_READ 65536		/* bytes asked for by each read */
#define CLOSE_MS 2000		/* for our close frame to go out */
#define PERIOD_MS 50		/* housekeeping every 50 ms */
#define SUB_CHUNK 1000		/* tokens per subscribe message */

enum conn_state {
	C_IDLE,			/* not wanted (no tokens, not the first) */
	C_WAIT,			/* waiting to (re)connect at retry_ms */
	C_CONNECTING,
	C_UP,			/* connected, subscriptions being sent */
	C_SUBSCRIBED,		/* everything sent */
	C_REFUSED		/* 403: waiting for new credentials */
};

struct msg {
	struct msg *next;
	size_t len;
	char data[];
};

/* Where a connection's transport is. */
enum conn_phase {
	P_NONE,			/* no socket */
	P_DNS,			/* the host name being looked up */
	P_TCP,			/* connect(2) in progress */
	P_TLS,			/* TLS handshake */
	P_HTTP,			/* upgrade request out, response head awaited */
	P_WS			/* WebSocket frames */
};

struct conn {
	struct live *l;
	unsigned id;
	char name[24];			/* "connection 1", for warnings */
	enum conn_state state;
	enum conn_phase ph;
	int fd;				/* -1 without a socket */
	SSL *ssl;
	bool want_r, want_w;		/* TLS: what SSL_* is waiting for */
	struct addrinfo *ai, *ai_next;	/* addresses being tried */
	struct lookup *dns;		/* a name lookup running, or NULL */
	int64_t deadline_ms;		/* connect, or our close, must end */
	char key[KP_WS_KEY_LEN + 1];
	struct kp_ws_head head;
	struct kp_ws_dec dec;
	uint8_t *rx;			/* bytes read, not yet decoded */
	size_t rxoff, rxlen, rxcap;
	struct kp_buf tx;		/* bytes to write */
	size_t txoff;
	struct kp_backoff bo;
	int64_t retry_ms;
	int64_t last_ms;		/* last message (or connect) */
	uint64_t attempts;
	bool ever_up;
	bool closing;			/* our close frame is going out */
	const char *close_why;		/* our reason, for the status line */
	int close_code;
	size_t ntokens;			/* tokens assigned */
	struct msg *q, **qtail;		/* text messages to send */
};

struct centry {
	uint32_t token;
	uint32_t order;			/* index in the order list + 1; 0 free */
	struct kp_tick t;
	char ts[KP_FMT_ROOM];
	uint8_t tslen;
};

/*
 * A name lookup runs getaddrinfo(3) on a thread of its own, so that a
 * resolver that never answers stops neither the loop nor the other
 * connections: the connect timeout counts while it runs, and a
 * connection gives up on it as on a slow connect.  When done, the thread
 * writes the lookup's address to a pipe the loop polls, and the loop
 * takes it from there.  A connection has at most one lookup running: a
 * new attempt while the last one still runs waits for that one.
 */
struct lookup {
	char host[256], port[16];
	unsigned conn;
	int wfd;			/* the pipe to the loop */
	int rc, err;			/* getaddrinfo's answer, errno */
	struct addrinfo *res;
};

struct ks_conflate {
	size_t hiwater;
	struct centry *tab;
	size_t mask;
	uint32_t *order;		/* slots in arrival order */
	size_t n;
	uint64_t replaced;		/* ticks lost since the last report */
};

#define CTL_MAX_CLIENTS 16
#define CTL_LINE_MAX (1u << 20)

struct ctl_client {
	int fd;
	struct kp_line lr;
};

/*
 * A socket whose close frame went out: the server is to close the TCP
 * connection (RFC 6455 section 7.1.1).  Until it does, or until a
 * deadline, what it sends is read and dropped: closed at once, the socket
 * would answer the server's next bytes with a reset, and the server might
 * never read our close frame and its code.
 */
struct lingerer {
	int fd;				/* -1: a free slot */
	int64_t until_ms;
};

struct live {
	struct ks_emit *e;
	struct lingerer lg[MAX_CONNS];
	int ctl_fd;
	struct ctl_client ctl[CTL_MAX_CLIENTS];
	const struct ks_opts *o;
	SSL_CTX *tls_ctx;		/* wss:// only */
	int sig_fd;
	int dns_fd[2];			/* lookups done: read end, write end */
	bool numeric_host;		/* an IP address: no lookup */
	bool out_wait;			/* output waiting for the reader */
	int64_t next_period_ms;
	struct conn c[MAX_CONNS];
	unsigned nconns;
	struct ks_subs subs;
	char *api_key;
	char *token;
	char host[KP_WSURL_HOST_MAX];	/* to resolve, and for TLS: no [] */
	char host_hdr[KP_WSURL_HOST_MAX + 2];	/* Host header: [v6] */
	char path[KP_WSURL_PATH_MAX];
	int port;
	bool tls;
	struct stat token_st;		/* of KITE_ACCESS_TOKEN_FILE */
	const char *token_file;
	bool ready;
	bool stopping;
	int cap_fd;
	int64_t next_sec_ms;
	struct ks_conflate cf;
	int code;
};

/* Output ---------------------------------------------------------- */

/*
 * Write what the consumer takes now, never waiting.  What is left is
 * written as soon as stdout takes more (the loop polls it), so a burst
 * larger than the pipe does not wait for the next message or the
 * housekeeping timer.
 */
static void
flush_nb(struct live *l)
{
	l->out_wait = kp_out_flush_nowait(&l->e->out) < 0 &&
	    l->e->out.len > 0 && kp_out_error(&l->e->out) == 0;
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

static void status_line(struct live *l, int conn, const char *event,
    const char *extra);

/* Once the output drained below half its bound, write the held ticks. */
static void
conflate_drain(struct live *l, bool force)
{
	struct ks_conflate *cf = &l->cf;
	struct ks_emit *e = l->e;
	char extra[64];
	size_t k;

	if (cf->n == 0 || (!force && e->out.len > cf->hiwater / 2))
		return;
	if (cf->replaced > 0) {
		snprintf(extra, sizeof(extra), "\"count\":%llu",
		    (unsigned long long)cf->replaced);
		e->st.conflated += cf->replaced;
		kp_warn("output fell behind: %llu ticks conflated",
		    (unsigned long long)cf->replaced);
		cf->replaced = 0;
		status_line(l, -1, "conflated", extra);
	}
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

/*
 * A status line (kitepipe-ticks(5)): into the output, never dropped, and
 * into the capture.  conn < 0: not about one connection.
 */
static void
status_line(struct live *l, int conn, const char *event, const char *extra)
{
	struct ks_emit *e = l->e;
	struct kp_buf b;
	int64_t now = kp_time_us();

	kp_buf_init(&b, 1024);
	kp_buf_addstr(&b, "{\"type\":\"status\",\"program\":\"kite-stream\","
	    "\"event\":");
	kp_json_cstr(&b, event);
	if (conn >= 0) {
		kp_buf_addstr(&b, ",\"connection\":");
		kp_json_i64(&b, conn);
	}
	if (extra != NULL && *extra != '\0') {
		kp_buf_addc(&b, ',');
		kp_buf_addstr(&b, extra);
	}
	kp_buf_addstr(&b, ",\"receive_timestamp\":");
	kp_json_fixed(&b, now, 6);
	kp_buf_addc(&b, '}');
	if (l->cap_fd >= 0 && kp_cap_write(l->cap_fd, KP_CAP_STATUS,
	    conn < 0 ? 0 : (unsigned)conn, now, b.p, b.len) < 0)
		kp_warn("unable to write to %s:", l->o->write_path);
	ks_emit_time(e, now);
	ks_emit_status(e, b.p, b.len);
	kp_buf_free(&b);
	flush_nb(l);
}

/* Sending ----------------------------------------------------------- */

static void
queue_msg(struct conn *c, const char *s, size_t n)
{
	struct msg *m = kp_xmalloc(sizeof(*m) + n);

	m->next = NULL;
	m->len = n;
	memcpy(m->data, s, n);
	*c->qtail = m;
	c->qtail = &m->next;
}

static void
queue_clear(struct conn *c)
{
	struct msg *m;

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
queue_tokens(struct live *l, struct conn *c, const char *action, int mode,
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
static void
queue_all(struct live *l, struct conn *c)
{
	int m;

	queue_clear(c);
	if (c->ntokens == 0)
		return;
	queue_tokens(l, c, "subscribe", -1, NULL, 0);
	for (m = 0; m < 3; m++)
		queue_tokens(l, c, "mode", m, NULL, 0);
}

/* Connections ------------------------------------------------------- */

static void check_ready(struct live *l);

/* Close the transport, keeping the connection's plan. */
static void
conn_drop(struct conn *c)
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
	c->ph = P_NONE;
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
linger_add(struct live *l, struct conn *c, int64_t until)
{
	unsigned k;

	if (c->fd < 0 || c->ph != P_WS)
		return;
	for (k = 0; k < MAX_CONNS && l->lg[k].fd >= 0; k++)
		;
	if (k == MAX_CONNS)
		return;		/* closed at once instead */
	(void)shutdown(c->fd, SHUT_WR);
	l->lg[k].fd = c->fd;
	l->lg[k].until_ms = until;
	c->fd = -1;		/* the TLS object does not close it */
}

/* Read and drop what came; closed at the end, an error, or done. */
static void
linger_io(struct lingerer *g, bool done)
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
refused_log(const struct live *l, const struct conn *c)
{
	if (l->token_file != NULL)
		kp_warn("%s: credentials refused (HTTP 403) for the access "
		    "token in %s; waiting for a new one (the file changes, or "
		    "SIGHUP)", c->name, l->token_file);
	else
		kp_warn("%s: credentials refused (HTTP 403) for the access "
		    "token in KITE_ACCESS_TOKEN; waiting (restart with a new "
		    "one, or give it in KITE_ACCESS_TOKEN_FILE to renew "
		    "without a restart)", c->name);
}

/* The connection is gone: say so and plan what comes next. */
static void
conn_lost(struct live *l, struct conn *c, const char *why, int http)
{
	char extra[256];
	struct kp_buf b;
	int64_t delay;

	conn_drop(c);
	queue_clear(c);
	if (l->stopping)
		return;
	l->e->st.disconnects++;
	kp_buf_init(&b, 256);
	kp_json_cstr(&b, why);
	snprintf(extra, sizeof(extra), "\"reason\":%.*s", (int)b.len, b.p);
	kp_buf_free(&b);
	if (http == 403) {
		if (c->state != C_REFUSED)
			l->e->st.refused++;
		c->state = C_REFUSED;
		/* one line for all connections, not one per attempt */
		if (c->id == 0 || l->c[0].state != C_REFUSED)
			refused_log(l, c);
		status_line(l, (int)c->id, "disconnected", extra);
		return;
	}
	delay = kp_backoff_next(&c->bo);
	c->state = C_WAIT;
	c->retry_ms = kp_mono_ms() + delay;
	kp_warn("connection %u: %s; reconnecting in %lld ms", c->id, why,
	    (long long)delay);
	status_line(l, (int)c->id, "disconnected", extra);
}

/* A failure: before the upgrade, "unable to connect"; ours if closing. */
static void
conn_fail(struct live *l, struct conn *c, const char *what)
{
	char why[320];

	if (c->close_why != NULL)
		snprintf(why, sizeof(why), "%s", c->close_why);
	else if (c->state == C_CONNECTING)
		snprintf(why, sizeof(why), "unable to connect: %s", what);
	else
		snprintf(why, sizeof(why), "%s", what);
	conn_lost(l, c, why, 0);
}

/*
 * What an SSL_* call that returned r means: -1 wait (want_r/want_w
 * set), 0 the peer closed, -2 an error described in why.
 */
static int
tls_result(struct conn *c, int r, const char *what, char *why, size_t wl)
{
	int e = SSL_get_error(c->ssl, r), saved = errno;
	unsigned long q;
	long v;
	const char *s;

	c->want_r = c->want_w = false;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want_r = true;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want_w = true;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (saved == 0)
				return 0;
			snprintf(why, wl, "%s: %s", what, strerror(saved));
			return -2;
		}
		break;
	default:
		break;
	}
	q = ERR_get_error();
	v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK)
		snprintf(why, wl, "TLS: certificate verification failed: %s",
		    X509_verify_cert_error_string(v));
	else if (q != 0 && (s = ERR_reason_error_string(q)) != NULL)
		snprintf(why, wl, "TLS %s: %s", what, s);
	else
		snprintf(why, wl, "TLS %s: error %d", what, e);
	ERR_clear_error();
	return -2;
}

/*
 * Read (wr false) or write: >0 bytes, 0 at the end (reading), -1 nothing
 * now, -2 an error described in why.
 */
static ssize_t
conn_rw(struct conn *c, void *p, size_t n, bool wr, char *why, size_t wl)
{
	ssize_t r;

	if (n > 1u << 30)
		n = 1u << 30;
	if (c->ssl != NULL) {
		int k;

		ERR_clear_error();
		errno = 0;
		k = wr ? SSL_write(c->ssl, p, (int)n) : SSL_read(c->ssl, p,
		    (int)n);
		if (k > 0)
			return k;
		k = tls_result(c, k, wr ? "write" : "read", why, wl);
		if (k == 0 && wr) {
			snprintf(why, wl, "closed by the server (code 1006)");
			return -2;
		}
		return k;
	}
	do
		r = wr ? send(c->fd, p, n, MSG_NOSIGNAL) : recv(c->fd, p, n,
		    0);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -1;
	snprintf(why, wl, "%s: %s", wr ? "write" : "read", strerror(errno));
	return -2;
}

/* Append one frame to what is to be written; 0, or -1. */
static int
conn_frame(struct conn *c, int op, const void *p, size_t n)
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
conn_flush(struct live *l, struct conn *c)
{
	char why[300];
	struct msg *m;

	while (c->ph == P_WS && !c->closing && (m = c->q) != NULL) {
		if (conn_frame(c, KP_WS_TEXT, m->data, m->len) < 0)
			break;
		c->q = m->next;
		if (c->q == NULL)
			c->qtail = &c->q;
		free(m);
	}
	while (c->txoff < c->tx.len) {
		ssize_t n = conn_rw(c, c->tx.p + c->txoff, c->tx.len -
		    c->txoff, true, why, sizeof(why));

		if (n == -1)
			return 0;
		if (n < 0) {
			conn_fail(l, c, why);
			return -1;
		}
		c->txoff += (size_t)n;
	}
	kp_buf_reset(&c->tx);
	c->txoff = 0;
	if (c->closing) {
		/* our close frame is out: done */
		linger_add(l, c, c->deadline_ms);
		conn_fail(l, c, "closed");
		return -1;
	}
	if (c->ph == P_WS && c->q == NULL && c->state == C_UP) {
		char extra[64];

		c->state = C_SUBSCRIBED;
		snprintf(extra, sizeof(extra), "\"count\":%zu", c->ntokens);
		status_line(l, (int)c->id, "subscribed", extra);
		check_ready(l);
	}
	return 0;
}

/* The transport is up: send the upgrade request. */
static void
conn_upgrade(struct live *l, struct conn *c)
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
	    l->path, strchr(l->path, '?') ? '&' : '?', l->api_key, l->token);
	kp_buf_reset(&c->tx);
	c->txoff = 0;
	if (kp_ws_request(&c->tx, l->host_hdr, l->port == (l->tls ? 443 : 80) ?
	    0 : l->port, target, c->key, err) < 0) {
		conn_fail(l, c, err);
		return;
	}
	memset(&c->head, 0, sizeof(c->head));
	c->ph = P_HTTP;
	(void)conn_flush(l, c);
}

static void
tls_step(struct live *l, struct conn *c)
{
	char why[300];
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_connect(c->ssl);
	if (r == 1) {
		c->want_r = c->want_w = false;
		conn_upgrade(l, c);
		return;
	}
	r = tls_result(c, r, "handshake", why, sizeof(why));
	if (r == -1)
		return;
	conn_fail(l, c, r == 0 ? "TLS handshake: closed by the server" :
	    why);
}

static void
tls_start(struct live *l, struct conn *c)
{
	struct in_addr a4;
	struct in6_addr a6;

	c->ssl = SSL_new(l->tls_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		conn_fail(l, c, "TLS: out of memory");
		return;
	}
	if (inet_pton(AF_INET, l->host, &a4) == 1 ||
	    inet_pton(AF_INET6, l->host, &a6) == 1) {
		(void)X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
		    l->host);
	} else if (SSL_set_tlsext_host_name(c->ssl, l->host) != 1 ||
	    SSL_set1_host(c->ssl, l->host) != 1) {
		conn_fail(l, c, "TLS: unable to set the host name");
		return;
	}
	c->ph = P_TLS;
	tls_step(l, c);
}

/* Start connect(2) to the next address; 0, or -1 with why. */
static int
tcp_next(struct conn *c, char *why, size_t wl)
{
	struct addrinfo *a;
	int fd, one = 1;

	while ((a = c->ai_next) != NULL) {
		c->ai_next = a->ai_next;
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			snprintf(why, wl, "socket: %s", strerror(errno));
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->fd = fd;
			c->ph = P_TCP;
			return 0;
		}
		snprintf(why, wl, "connect: %s", strerror(errno));
		close(fd);
	}
	return -1;
}

/* connect(2) finished, one way or the other. */
static void
tcp_done(struct live *l, struct conn *c)
{
	char why[300];
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS)
		return;
	if (err != 0) {
		snprintf(why, sizeof(why), "connect: %s", strerror(err));
		close(c->fd);
		c->fd = -1;
		if (tcp_next(c, why, sizeof(why)) < 0)
			conn_fail(l, c, why);
		return;
	}
	if (l->tls_ctx != NULL)
		tls_start(l, c);
	else
		conn_upgrade(l, c);
}

static void *
lookup_run(void *arg)
{
	struct lookup *q = arg;
	struct addrinfo hints;
	ssize_t n;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	errno = 0;
	q->rc = getaddrinfo(q->host, q->port, &hints, &q->res);
	q->err = errno;
	/* a pointer is less than PIPE_BUF: written whole */
	do
		n = write(q->wfd, &q, sizeof(q));
	while (n < 0 && errno == EINTR);
	return NULL;
}

/* Start looking up the host for c on a thread; 0, or -1 with why. */
static int
lookup_start(struct live *l, struct conn *c, char *why, size_t wl)
{
	struct lookup *q = kp_xcalloc(1, sizeof(*q));
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int r;

	snprintf(q->host, sizeof(q->host), "%s", l->host);
	snprintf(q->port, sizeof(q->port), "%d", l->port);
	q->conn = c->id;
	q->wfd = l->dns_fd[1];
	/* signals are the loop's: the thread blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_attr_init(&a);
	if (r == 0) {
		(void)pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		r = pthread_create(&t, &a, lookup_run, q);
		pthread_attr_destroy(&a);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(q);
		snprintf(why, wl, "unable to start a name lookup: %s",
		    strerror(r));
		return -1;
	}
	c->dns = q;
	return 0;
}

/* Addresses (or not) for c: try them. */
static void
conn_addrs(struct live *l, struct conn *c, int rc, int err,
    struct addrinfo *res)
{
	char why[300];

	if (rc != 0) {
		snprintf(why, sizeof(why), "%s: %s", l->host,
		    rc == EAI_SYSTEM ? strerror(err) : gai_strerror(rc));
		conn_fail(l, c, why);
		return;
	}
	c->ai = c->ai_next = res;
	snprintf(why, sizeof(why), "%s: no address", l->host);
	if (tcp_next(c, why, sizeof(why)) < 0)
		conn_fail(l, c, why);
}

/* Lookups done: each goes on, if its connection still waits for it. */
static void
lookup_done(struct live *l)
{
	struct lookup *q;
	ssize_t n;

	while ((n = read(l->dns_fd[0], &q, sizeof(q))) == (ssize_t)sizeof(q)) {
		struct conn *c = &l->c[q->conn];

		c->dns = NULL;
		if (c->state == C_CONNECTING && c->ph == P_DNS && !l->stopping)
			conn_addrs(l, c, q->rc, q->err, q->res);
		else if (q->rc == 0)
			freeaddrinfo(q->res);
		free(q);
	}
}

static void
conn_start(struct live *l, struct conn *c)
{
	struct addrinfo hints, *res = NULL;
	char port[16], why[300];
	int r;

	c->state = C_CONNECTING;
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
	if (!l->numeric_host) {
		/* the connect timeout counts from now (periodic) */
		c->ph = P_DNS;
		if (c->dns == NULL && lookup_start(l, c, why, sizeof(why)) < 0)
			conn_fail(l, c, why);
		return;
	}
	/* an IP address: no resolver involved */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%d", l->port);
	r = getaddrinfo(l->host, port, &hints, &res);
	conn_addrs(l, c, r, errno, r == 0 ? res : NULL);
}

static void
on_message(struct live *l, struct conn *c, bool bin, const uint8_t *p,
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
on_established(struct live *l, struct conn *c)
{
	c->state = C_UP;
	c->ever_up = true;
	c->last_ms = kp_mono_ms();
	kp_backoff_reset(&c->bo);
	l->e->st.connects++;
	kp_info("connection %u: connected", c->id);
	status_line(l, (int)c->id, "connected", NULL);
	queue_all(l, c);
}

/*
 * Fail the connection (RFC 6455 section 7.1.7): a close frame with code,
 * written if the socket takes it now; the connection is lost at once, and
 * nothing more the server sent is acted on (its socket lingers, what
 * comes is dropped, until the server closes it).
 */
static void
conn_abort(struct live *l, struct conn *c, int code, const char *why)
{
	uint8_t cc[2];
	char err[KP_ERRLEN];

	if (!c->closing && c->ph == P_WS) {
		cc[0] = (uint8_t)(code >> 8);
		cc[1] = (uint8_t)code;
		if (conn_frame(c, KP_WS_CLOSE, cc, sizeof(cc)) == 0 &&
		    conn_rw(c, c->tx.p + c->txoff, c->tx.len - c->txoff, true,
		    err, sizeof(err)) == (ssize_t)(c->tx.len - c->txoff))
			linger_add(l, c, kp_mono_ms() + CLOSE_MS);
	}
	conn_fail(l, c, why);
}

/* Frames read: act on them.  0, or -1 when the connection was lost. */
static int
conn_frames(struct live *l, struct conn *c)
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
				if (conn_rw(c, c->tx.p + c->txoff,
				    c->tx.len - c->txoff, true, err,
				    sizeof(err)) == (ssize_t)(c->tx.len -
				    c->txoff))
					linger_add(l, c, kp_mono_ms() +
					    CLOSE_MS);
			}
			snprintf(why, sizeof(why), "closed by the server "
			    "(code %d)", c->close_code ? c->close_code : 1005);
			conn_fail(l, c, why);
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
conn_input(struct live *l, struct conn *c)
{
	char err[KP_ERRLEN], why[64];
	long r;

	if (c->ph == P_HTTP) {
		r = kp_ws_head_parse(&c->head, (const char *)c->rx + c->rxoff,
		    c->rxlen - c->rxoff, c->key, err);
		if (r == 0)
			return 0;
		if (r < 0) {
			conn_fail(l, c, err);
			return -1;
		}
		if (c->head.status != 101) {
			snprintf(why, sizeof(why), "upgrade refused: HTTP %d",
			    c->head.status);
			conn_lost(l, c, why, c->head.status);
			return -1;
		}
		c->rxoff += (size_t)r;
		c->ph = P_WS;
		on_established(l, c);
		if (conn_flush(l, c) < 0)
			return -1;
	}
	return conn_frames(l, c);
}

/* Read what there is (one read when it comes short: all there was). */
static void
conn_read(struct live *l, struct conn *c)
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
		n = conn_rw(c, c->rx + c->rxlen, room, false, why,
		    sizeof(why));
		if (n == -1)
			return;
		if (n == 0) {
			if (c->ph == P_WS)
				snprintf(why, sizeof(why), "closed by the "
				    "server (code 1006)");
			else
				snprintf(why, sizeof(why), "closed by the "
				    "server before the upgrade");
		}
		if (n <= 0) {
			conn_fail(l, c, why);
			return;
		}
		c->rxlen += (size_t)n;
		if (conn_input(l, c) < 0)
			return;
		if (c->ssl == NULL && (size_t)n < room)
			return;
	}
}

/* The socket is ready for what poll was asked. */
static void
conn_io(struct live *l, struct conn *c, short rev)
{
	switch (c->ph) {
	case P_TCP:
		tcp_done(l, c);
		return;
	case P_TLS:
		tls_step(l, c);
		return;
	case P_NONE:
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
static short
conn_events(const struct conn *c)
{
	switch (c->ph) {
	case P_TCP:
		return POLLOUT;
	case P_TLS:
		return c->want_w ? POLLOUT : POLLIN;
	default:
		return (short)(POLLIN | (c->txoff < c->tx.len || c->want_w ||
		    (c->ph == P_WS && c->q != NULL && !c->closing) ?
		    POLLOUT : 0));
	}
}

/* Close c ourselves: a close frame, then the socket. */
static void
conn_close(struct conn *c, const char *why)
{
	static const uint8_t away[2] = { 1001 >> 8, 1001 & 0xff };

	if (c->fd < 0 || c->closing)
		return;
	c->close_why = why;
	if (c->ph != P_WS) {
		conn_fail(c->l, c, why);
		return;
	}
	c->closing = true;
	queue_clear(c);
	/* a peer that takes nothing is cut off anyway */
	c->deadline_ms = kp_mono_ms() + CLOSE_MS;
	if (conn_frame(c, KP_WS_CLOSE, away, sizeof(away)) < 0) {
		conn_fail(c->l, c, why);
		return;
	}
	(void)conn_flush(c->l, c);
}

/* Readiness: once every wanted connection is up and subscribed. */
static void
check_ready(struct live *l)
{
	unsigned i;

	if (l->ready)
		return;
	for (i = 0; i < l->nconns; i++)
		if (l->c[i].state != C_IDLE && l->c[i].state != C_SUBSCRIBED)
			return;
	l->ready = true;
	kp_info("ready: %u connection(s), %zu instrument(s)", l->nconns,
	    l->subs.n);
	if (l->o->ready_fd >= 0 && kp_ready_notify(l->o->ready_fd) < 0)
		kp_warn("unable to notify readiness on fd %d:",
		    l->o->ready_fd);
	kp_ready_sd("READY=1");
}

/* Subscriptions ----------------------------------------------------- */

/*
 * Put every token without a connection on the least loaded one, opening
 * connections as needed.  Return -1 (nothing assigned) when they do not
 * fit.
 */
static int
assign(struct live *l)
{
	size_t i, need = 0, room = 0;
	unsigned k, nc;

	for (i = 0; i < l->subs.n; i++)
		if (l->subs.v[i].conn < 0)
			need++;
	for (k = 0; k < (unsigned)l->o->max_conns; k++)
		room += (size_t)l->o->max_tokens - (k < l->nconns ?
		    l->c[k].ntokens : 0);
	if (need > room)
		return -1;
	/* as many connections as the tokens need, each as full as the
	 * others (opening a connection never moves a token) */
	nc = l->nconns;
	{
		size_t total = need;

		for (k = 0; k < l->nconns; k++)
			total += l->c[k].ntokens;
		while ((size_t)nc * (size_t)l->o->max_tokens < total)
			nc++;
	}
	for (i = 0; i < l->subs.n; i++) {
		struct ks_sub *s = &l->subs.v[i];
		unsigned best = MAX_CONNS;

		if (s->conn >= 0)
			continue;
		for (k = 0; k < nc; k++)
			if (l->c[k].ntokens < (size_t)l->o->max_tokens &&
			    (best == MAX_CONNS ||
			    l->c[k].ntokens < l->c[best].ntokens))
				best = k;
		s->conn = (int8_t)best;
		l->c[best].ntokens++;
	}
	if (nc == 0)
		nc = 1;		/* one connection even without tokens:
				 * order updates come on it */
	for (k = l->nconns; k < nc; k++)
		l->c[k].state = C_WAIT;
	l->nconns = nc;
	return 0;
}

static int
load_subs(const struct ks_opts *o, struct ks_subs *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	if (o->subs_path != NULL && ks_subs_file(s, o->subs_path,
	    o->default_mode) < 0)
		return -1;
	for (i = 0; i < o->ntokens; i++)
		if (ks_subs_arg(s, o->tokens[i], o->default_mode) < 0)
			return -1;
	return 0;
}

/*
 * Make nw (sorted, owned by us from now on) the subscriptions, sending
 * only the difference on the live connections.  Return 0, or -1 when nw
 * does not fit (nothing changed).  who names the caller in logs.
 */
static int
apply_subs(struct live *l, struct ks_subs nw, const char *who)
{
	struct ks_subs old = l->subs;
	uint32_t *gone[MAX_CONNS] = { 0 }, *added[MAX_CONNS] = { 0 };
	size_t ngone[MAX_CONNS] = { 0 }, nadded[MAX_CONNS] = { 0 }, i;
	uint32_t *moded[MAX_CONNS][3] = { { 0 } };
	size_t nmoded[MAX_CONNS][3] = { { 0 } };
	unsigned k, m;
	size_t before[MAX_CONNS];
	int rc = 0;

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
				gone[cn] = kp_xrealloc(gone[cn], (ngone[cn] +
				    1) * sizeof(uint32_t));
				gone[cn][ngone[cn]++] = old.v[i].token;
				l->c[cn].ntokens--;
			}
			continue;
		}
		nw.v[j].conn = cn;
		if (cn >= 0 && nw.v[j].mode != old.v[i].mode) {
			m = nw.v[j].mode;
			moded[cn][m] = kp_xrealloc(moded[cn][m],
			    (nmoded[cn][m] + 1) * sizeof(uint32_t));
			moded[cn][m][nmoded[cn][m]++] = nw.v[j].token;
		}
	}
	l->subs = nw;
	if (assign(l) < 0) {
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
		added[cn] = kp_xrealloc(added[cn], (nadded[cn] + 1) *
		    sizeof(uint32_t));
		added[cn][nadded[cn]++] = nw.v[i].token;
		m = nw.v[i].mode;
		moded[cn][m] = kp_xrealloc(moded[cn][m], (nmoded[cn][m] + 1) *
		    sizeof(uint32_t));
		moded[cn][m][nmoded[cn][m]++] = nw.v[i].token;
	}
	for (k = 0; k < l->nconns; k++) {
		struct conn *c = &l->c[k];
		size_t nm = 0;

		for (m = 0; m < 3; m++)
			nm += nmoded[k][m];
		if (ngone[k] + nadded[k] + nm > 0)
			kp_info("%s: connection %u: %zu unsubscribed, %zu "
			    "subscribed, %zu mode changes", who, k, ngone[k],
			    nadded[k], nm);
		/* a connection that is not up sends everything on connect */
		if (c->state != C_UP && c->state != C_SUBSCRIBED)
			continue;
		if (ngone[k] > 0)
			queue_tokens(l, c, "unsubscribe", -1, gone[k],
			    ngone[k]);
		if (nadded[k] > 0)
			queue_tokens(l, c, "subscribe", -1, added[k],
			    nadded[k]);
		for (m = 0; m < 3; m++)
			if (nmoded[k][m] > 0)
				queue_tokens(l, c, "mode", (int)m, moded[k][m],
				    nmoded[k][m]);
	}
	ks_subs_free(&old);
out:
	for (k = 0; k < MAX_CONNS; k++) {
		free(gone[k]);
		free(added[k]);
		for (m = 0; m < 3; m++)
			free(moded[k][m]);
	}
	return rc;
}

/* SIGHUP: apply only the difference with the subscription file. */
static void
reload_subs(struct live *l)
{
	struct ks_subs nw;

	if (load_subs(l->o, &nw) < 0) {
		kp_warn("SIGHUP: the subscriptions were not changed");
		ks_subs_free(&nw);
		return;
	}
	(void)apply_subs(l, nw, "SIGHUP");
}

/* The control socket ----------------------------------------------- */

static void
ctl_open(struct live *l, const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		kp_die(KP_EXIT_PERM, "-c %s: path too long", path);
	strcpy(sa.sun_path, path);
	/* a socket left by an earlier run is replaced; anything else not */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			kp_die(KP_EXIT_PERM, "-c %s: exists and is not a "
			    "socket", path);
		(void)unlink(path);
	}
	l->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (l->ctl_fd < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: socket:", path);
	old = umask(077);
	if (bind(l->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: bind:", path);
	umask(old);
	if (chmod(path, 0600) < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: chmod:", path);
	if (listen(l->ctl_fd, 8) < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: listen:", path);
}

static void
ctl_answer(struct ctl_client *cc, struct kp_buf *b)
{
	size_t done = 0;

	kp_buf_addc(b, '\n');
	while (done < b->len) {
		ssize_t n = write(cc->fd, b->p + done, b->len - done);

		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;	/* a client that does not read loses answers */
	}
}

static void
ctl_error(struct ctl_client *cc, const char *why)
{
	struct kp_buf b;

	kp_buf_init(&b, 512);
	kp_buf_addstr(&b, "{\"ok\":false,\"error\":");
	kp_json_cstr(&b, why);
	kp_buf_addc(&b, '}');
	ctl_answer(cc, &b);
	kp_buf_free(&b);
}

/*
 * One control line, in Kite's own shapes: {"a":"subscribe","v":[...]},
 * {"a":"unsubscribe","v":[...]}, {"a":"mode","v":["full",[...]]}, read
 * by the ticker-request parser kite-sim uses too (lib/tkreq.c, fuzzed).
 * Unlike a ticker, a value that is not a token refuses the whole line.
 */
static void
ctl_line(struct live *l, struct ctl_client *cc, const char *line, size_t len)
{
	static const char *const names[] = { "", "subscribe", "unsubscribe",
	    "mode" };
	struct kp_tkreq rq;
	char err[KP_ERRLEN], why[200];
	const char *a;
	size_t i;
	struct ks_subs nw;
	unsigned mode = l->o->default_mode;
	struct kp_buf b;

	if (kp_tkreq_parse(line, len, &rq, err) < 0) {
		ctl_error(cc, err);
		return;
	}
	a = names[rq.action];
	if (rq.bad > 0 || rq.n > KS_SUBS_MAX) {
		ctl_error(cc, "\"v\": expected an array of instrument tokens");
		goto out;
	}
	for (i = 0; i < rq.n; i++)
		if (rq.tokens[i] == 0) {
			ctl_error(cc, "\"v\": 0 is not an instrument token");
			goto out;
		}
	if (rq.action == KP_TKREQ_MODE)
		mode = rq.mode == KP_TKREQ_LTP ? 0 :
		    rq.mode == KP_TKREQ_QUOTE ? 1 : 2;
	memset(&nw, 0, sizeof(nw));
	for (i = 0; i < l->subs.n; i++)
		ks_subs_put(&nw, l->subs.v[i].token, l->subs.v[i].mode);
	if (rq.action == KP_TKREQ_UNSUBSCRIBE) {
		size_t k = 0;

		ks_subs_sort(&nw);
		for (i = 0; i < nw.n; i++) {
			size_t t;
			bool drop = false;

			for (t = 0; t < rq.n && !drop; t++)
				drop = rq.tokens[t] == nw.v[i].token;
			if (!drop)
				nw.v[k++] = nw.v[i];
		}
		nw.n = k;
	} else {
		for (i = 0; i < rq.n; i++) {
			long at = ks_subs_find(&l->subs, rq.tokens[i]);

			/* subscribe keeps a subscribed token's mode */
			ks_subs_put(&nw, rq.tokens[i],
			    rq.action == KP_TKREQ_SUBSCRIBE && at >= 0 ?
			    l->subs.v[at].mode : mode);
		}
		ks_subs_sort(&nw);
	}
	if (apply_subs(l, nw, "control") < 0) {
		snprintf(why, sizeof(why), "%s: more instruments than %lld "
		    "connections of %lld hold; nothing changed", a,
		    l->o->max_conns, l->o->max_tokens);
		ctl_error(cc, why);
		goto out;
	}
	kp_buf_init(&b, 256);
	kp_buf_addstr(&b, "{\"ok\":true,\"a\":");
	kp_json_cstr(&b, a);
	kp_buf_addstr(&b, ",\"count\":");
	kp_json_u64(&b, rq.n);
	kp_buf_addstr(&b, ",\"total\":");
	kp_json_u64(&b, l->subs.n);
	kp_buf_addc(&b, '}');
	ctl_answer(cc, &b);
	kp_buf_free(&b);
out:
	kp_tkreq_free(&rq);
}

static void
ctl_close(struct ctl_client *cc)
{
	kp_line_free(&cc->lr);
	close(cc->fd);
	cc->fd = -1;
}

/* Accept and serve what is ready, never waiting. */
static void
ctl_poll(struct live *l)
{
	unsigned k;
	int fd;

	if (l->ctl_fd < 0)
		return;
	while ((fd = accept(l->ctl_fd, NULL, NULL)) >= 0) {
		if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			close(fd);
			continue;
		}
		for (k = 0; k < CTL_MAX_CLIENTS && l->ctl[k].fd >= 0; k++)
			;
		if (k == CTL_MAX_CLIENTS ||
		    kp_line_init(&l->ctl[k].lr, fd, CTL_LINE_MAX) < 0) {
			kp_warn("control: more than %d clients; one refused",
			    CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		l->ctl[k].fd = fd;
	}
	for (k = 0; k < CTL_MAX_CLIENTS; k++) {
		struct ctl_client *cc = &l->ctl[k];
		char *line;
		size_t len;
		int rc;

		while (cc->fd >= 0) {
			rc = kp_line_next(&cc->lr, &line, &len);
			if (rc == KP_LINE_OK) {
				if (len > 0)
					ctl_line(l, cc, line, len);
			} else if (rc == KP_LINE_TOOLONG) {
				ctl_error(cc, "line too long");
			} else if (rc == KP_LINE_AGAIN) {
				break;
			} else {
				ctl_close(cc);
			}
		}
	}
}

/* Credentials ------------------------------------------------------- */

static int
load_token(struct live *l, bool quiet)
{
	char err[KP_ERRLEN], *t;

	t = kp_conf_secret("KITE_ACCESS_TOKEN", "KITE_ACCESS_TOKEN_FILE", err);
	if (t == NULL) {
		if (!quiet)
			kp_log(KP_LOG_WARN, "access token: %s", err);
		return -1;
	}
	free(l->token);
	l->token = t;
	if (l->token_file != NULL)
		(void)stat(l->token_file, &l->token_st);
	return 0;
}

static bool
token_file_changed(struct live *l)
{
	struct stat st;

	if (l->token_file == NULL || stat(l->token_file, &st) < 0)
		return false;
	return st.st_mtim.tv_sec != l->token_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != l->token_st.st_mtim.tv_nsec ||
	    st.st_ino != l->token_st.st_ino || st.st_size !=
	    l->token_st.st_size;
}

/* New credentials: every refused connection tries again now. */
static void
retry_refused(struct live *l)
{
	unsigned k;

	for (k = 0; k < l->nconns; k++)
		if (l->c[k].state == C_REFUSED) {
			l->c[k].state = C_WAIT;
			l->c[k].retry_ms = kp_mono_ms();
		}
}

/* Housekeeping ------------------------------------------------------ */

static void
stats(struct live *l)
{
	int64_t now = kp_mono_ms(), oldest = 0;
	unsigned k;

	for (k = 0; k < l->nconns; k++)
		if (l->c[k].state >= C_UP && now - l->c[k].last_ms > oldest)
			oldest = now - l->c[k].last_ms;
	l->e->st.last_msg_age_ms = (uint64_t)oldest;
	ks_emit_stats(l->e);
}

static void
stop(struct live *l)
{
	unsigned k;

	if (l->stopping)
		return;
	l->stopping = true;
	kp_info("stopping");
	for (k = 0; k < l->nconns; k++)
		conn_close(&l->c[k], "stopping");
}

static bool
any_open(const struct live *l)
{
	unsigned k;

	for (k = 0; k < l->nconns; k++)
		if (l->c[k].fd >= 0)
			return true;
	for (k = 0; k < MAX_CONNS; k++)
		if (l->lg[k].fd >= 0)
			return true;	/* bounded by its deadline */
	return false;
}

static void
periodic(struct live *l)
{
	int64_t now = kp_mono_ms();
	unsigned k;

	if (kp_sig_stopping())
		stop(l);
	if (kp_sig_take(SIGUSR1) || kp_sig_take(SIGALRM))
		stats(l);
	if (!l->stopping && kp_sig_take(SIGHUP)) {
		kp_info("SIGHUP: reloading");
		if (load_token(l, false) == 0)
			retry_refused(l);
		reload_subs(l);
	}
	if (!l->stopping && now >= l->next_sec_ms) {
		l->next_sec_ms = now + 1000;
		if (token_file_changed(l)) {
			kp_info("%s changed: reloading the access token",
			    l->token_file);
			if (load_token(l, false) == 0)
				retry_refused(l);
		}
	}
	/* our close frames had their time */
	for (k = 0; k < l->nconns; k++)
		if (l->c[k].fd >= 0 && l->c[k].closing &&
		    now >= l->c[k].deadline_ms)
			conn_fail(l, &l->c[k], l->c[k].close_why);
	for (k = 0; k < l->nconns && !l->stopping; k++) {
		struct conn *c = &l->c[k];

		if ((c->fd >= 0 || c->ph == P_DNS) &&
		    c->state == C_CONNECTING && now >= c->deadline_ms) {
			char why[sizeof(l->host) + 128];

			if (c->ph == P_DNS) {
				l->e->st.dns_timeouts++;
				snprintf(why, sizeof(why), "unable to connect: "
				    "looking up %s timed out after %lld ms",
				    l->host, l->o->connect_ms);
			} else {
				snprintf(why, sizeof(why), "unable to connect: "
				    "timed out after %lld ms", l->o->connect_ms);
			}
			conn_lost(l, c, why, 0);
		} else if (c->state == C_WAIT && now >= c->retry_ms) {
			conn_start(l, c);
		} else if ((c->state == C_UP || c->state == C_SUBSCRIBED) &&
		    now - c->last_ms > l->o->watchdog_ms && !c->closing) {
			char extra[64];

			l->e->st.stale++;
			snprintf(extra, sizeof(extra), "\"silent_ms\":%lld",
			    (long long)(now - c->last_ms));
			kp_warn("connection %u: no message for %lld ms; "
			    "reconnecting", k, (long long)(now - c->last_ms));
			status_line(l, (int)k, "stale", extra);
			conn_close(c, "watchdog: no message");
		}
	}
	if (!l->stopping)
		ctl_poll(l);
	flush_nb(l);
	conflate_drain(l, false);
	flush_nb(l);
	if (kp_out_error(&l->e->out) != 0) {
		if (kp_out_error(&l->e->out) != EPIPE) {
			errno = kp_out_error(&l->e->out);
			kp_log(KP_LOG_WARN, "unable to write to stdout:");
			l->code = KP_EXIT_TEMP;
		}
		stop(l);
	}
}

/* Setup ------------------------------------------------------------- */

static void
parse_url(struct live *l, const char *url)
{
	struct kp_wsurl u;
	char err[KP_ERRLEN];

	if (kp_wsurl_parse(url, &u, err) < 0)
		kp_die(KP_EXIT_PERM, "KITE_WS_URL: %s", err);
	l->tls = u.tls;
	l->port = u.port;
	l->numeric_host = u.ip;
	memcpy(l->host, u.host, sizeof(l->host));
	memcpy(l->host_hdr, u.host_hdr, sizeof(l->host_hdr));
	memcpy(l->path, u.path, sizeof(l->path));
}

/* One turn: wait for the sockets (or the next housekeeping), serve them. */
static int
serve(struct live *l)
{
	struct pollfd pf[2 * MAX_CONNS + 3];
	struct conn *pc[2 * MAX_CONNS + 3];
	int64_t now = kp_mono_ms();
	unsigned k, n = 0, i;
	int r, timeout;

	if (now >= l->next_period_ms) {
		periodic(l);
		l->next_period_ms = now + PERIOD_MS;
	}
	if (l->stopping && !any_open(l))
		return 1;
	for (k = 0; k < MAX_CONNS; k++)
		if (l->lg[k].fd >= 0) {
			if (now >= l->lg[k].until_ms) {
				linger_io(&l->lg[k], true);
				continue;
			}
			pf[n].fd = l->lg[k].fd;
			pf[n].events = POLLIN;
			pc[n++] = NULL;
		}
	for (k = 0; k < l->nconns; k++)
		if (l->c[k].fd >= 0) {
			pf[n].fd = l->c[k].fd;
			pf[n].events = conn_events(&l->c[k]);
			pc[n++] = &l->c[k];
		}
	if (l->sig_fd >= 0) {
		pf[n].fd = l->sig_fd;
		pf[n].events = POLLIN;
		pc[n++] = NULL;
	}
	pf[n].fd = l->dns_fd[0];
	pf[n].events = POLLIN;
	pc[n++] = NULL;
	if (l->out_wait) {
		pf[n].fd = 1;
		pf[n].events = POLLOUT;
		pc[n++] = NULL;
	}
	timeout = (int)(l->next_period_ms - now);
	r = poll(pf, n, timeout < 0 ? 0 : timeout);
	if (r < 0 && errno != EINTR) {
		kp_log(KP_LOG_WARN, "poll:");
		l->code = KP_EXIT_TEMP;
		return 1;
	}
	for (i = 0; r > 0 && i < n; i++) {
		if (pf[i].revents == 0)
			continue;
		if (pc[i] != NULL && pc[i]->fd == pf[i].fd)
			conn_io(l, pc[i], pf[i].revents);
		else if (pf[i].fd == l->sig_fd) {
			kp_sig_drain();
			l->next_period_ms = 0;	/* now */
		} else if (pf[i].fd == l->dns_fd[0]) {
			lookup_done(l);
		} else if (pf[i].fd != 1) {
			for (k = 0; k < MAX_CONNS; k++)
				if (l->lg[k].fd == pf[i].fd)
					linger_io(&l->lg[k], false);
		}
	}
	flush_nb(l);
	return 0;
}

static SSL_CTX *
tls_context(void)
{
	SSL_CTX *x = SSL_CTX_new(TLS_client_method());

	if (x == NULL || SSL_CTX_set_min_proto_version(x, TLS1_2_VERSION) !=
	    1 || SSL_CTX_set_default_verify_paths(x) != 1)
		kp_die(KP_EXIT_TEMP, "unable to set up TLS (OpenSSL: %s)",
		    ERR_reason_error_string(ERR_get_error()) ?
		    ERR_reason_error_string(ERR_get_error()) : "error");
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(x, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(x, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return x;
}

int
ks_live(struct ks_emit *e, const struct ks_opts *o)
{
	static struct live l;
	const char *url, *key;
	char err[KP_ERRLEN];
	unsigned k;
	uint64_t cut = 0;
	size_t tab;
	int fl;

	memset(&l, 0, sizeof(l));
	l.e = e;
	l.o = o;
	l.cap_fd = -1;
	l.ctl_fd = -1;
	for (k = 0; k < CTL_MAX_CLIENTS; k++)
		l.ctl[k].fd = -1;
	for (k = 0; k < MAX_CONNS; k++)
		l.lg[k].fd = -1;
	l.code = KP_EXIT_OK;
	url = kp_env("KITE_WS_URL");
	parse_url(&l, url != NULL ? url : "wss://ws.kite.trade");
	key = kp_env("KITE_API_KEY");
	if (key == NULL || *key == '\0')
		kp_die(KP_EXIT_PERM, "KITE_API_KEY is not set");
	l.api_key = kp_xstrdup(key);
	l.token_file = kp_env("KITE_ACCESS_TOKEN_FILE");
	if (kp_env("KITE_ACCESS_TOKEN") != NULL)
		l.token_file = NULL;
	if (load_token(&l, false) < 0)
		return KP_EXIT_PERM;
	if (load_subs(o, &l.subs) < 0)
		return KP_EXIT_PERM;
	for (size_t i = 0; i < l.subs.n; i++)
		l.subs.v[i].conn = -1;
	if (assign(&l) < 0) {
		kp_log(KP_LOG_FATAL, "%zu instruments do not fit in %lld "
		    "connections of %lld (Kite allows 3 of 3000 per API "
		    "key); subscribe fewer", l.subs.n, o->max_conns,
		    o->max_tokens);
		ks_subs_free(&l.subs);
		return KP_EXIT_PERM;
	}
	if (o->write_path != NULL) {
		l.cap_fd = kp_cap_open_append(o->write_path, &cut, err);
		if (l.cap_fd < 0)
			kp_die(KP_EXIT_PERM, "%s", err);
		if (cut > 0)
			kp_warn("%s: cut %llu bytes of a truncated last "
			    "record", o->write_path, (unsigned long long)cut);
	}
	if (o->control_path != NULL)
		ctl_open(&l, o->control_path);
	/* the conflation table: twice the instruments we may hold */
	for (tab = 1024; tab < 2 * (size_t)(o->max_conns * o->max_tokens) +
	    2; tab *= 2)
		;
	l.cf.tab = kp_xcalloc(tab, sizeof(l.cf.tab[0]));
	l.cf.order = kp_xcalloc(tab, sizeof(l.cf.order[0]));
	l.cf.mask = tab - 1;
	l.cf.hiwater = (size_t)o->out_max;
	e->cf = &l.cf;
	kp_out_free(&e->out);
	/* ticks stop at out_max; text and status lines have the rest */
	kp_out_init(&e->out, 1, (size_t)o->out_max + (1u << 20));
	fl = fcntl(1, F_GETFL);
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl | O_NONBLOCK);

	if (l.tls)
		l.tls_ctx = tls_context();
	/*
	 * Never closed: a lookup still running when we return writes to it
	 * at its end, and must not find the number reused by another file.
	 */
	if (pipe(l.dns_fd) < 0)
		kp_die(KP_EXIT_TEMP, "pipe:");
	for (k = 0; k < 2; k++)
		if (fcntl(l.dns_fd[k], F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(l.dns_fd[k], F_SETFD, FD_CLOEXEC) < 0)
			kp_die(KP_EXIT_TEMP, "pipe:");
	l.sig_fd = kp_sig_init();
	for (k = 0; k < MAX_CONNS; k++) {
		l.c[k].l = &l;
		l.c[k].id = k;
		snprintf(l.c[k].name, sizeof(l.c[k].name), "connection %u", k);
		l.c[k].fd = -1;
		l.c[k].qtail = &l.c[k].q;
		kp_ws_dec_init(&l.c[k].dec, RX_MAX);
		/* subscriptions for a whole pool fit many times */
		kp_buf_init(&l.c[k].tx, 64u << 20);
		kp_backoff_init(&l.c[k].bo, (uint32_t)o->backoff_ms,
		    (uint32_t)o->backoff_max_ms, kp_rng_seed_auto() + k);
	}
	kp_info("%zu instrument(s) over %u connection(s) to %s:%d",
	    l.subs.n, l.nconns, l.host_hdr, l.port);
	while (serve(&l) == 0)
		;
	for (k = 0; k < MAX_CONNS; k++) {
		conn_drop(&l.c[k]);
		if (l.lg[k].fd >= 0)
			linger_io(&l.lg[k], true);
	}
	if (l.tls_ctx != NULL)
		SSL_CTX_free(l.tls_ctx);
	conflate_drain(&l, true);
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl);
	kp_out_flush(&e->out);
	if (l.cap_fd >= 0 && close(l.cap_fd) < 0)
		kp_warn("unable to close %s:", o->write_path);
	for (k = 0; k < MAX_CONNS; k++) {
		queue_clear(&l.c[k]);
		free(l.c[k].rx);
		kp_buf_free(&l.c[k].tx);
		kp_ws_dec_free(&l.c[k].dec);
	}
	for (k = 0; k < CTL_MAX_CLIENTS; k++)
		if (l.ctl[k].fd >= 0)
			ctl_close(&l.ctl[k]);
	if (l.ctl_fd >= 0) {
		close(l.ctl_fd);
		(void)unlink(o->control_path);
	}
	free(l.cf.tab);
	free(l.cf.order);
	e->cf = NULL;
	ks_subs_free(&l.subs);
	free(l.api_key);
	free(l.token);
	return l.code;
}
