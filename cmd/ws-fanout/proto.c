/*
 * proto.c: the one listening port: HTTP (/health, /stats, /metrics, the
 * page, /chain) and the WebSocket protocol "kitepipe".
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wf.h"

/* The peer's address, without the "::ffff:" of IPv4-mapped ones. */
void
wf_peer(struct lws *wsi, char *ip, size_t size)
{
	char buf[64];

	if (lws_get_peer_simple(wsi, buf, sizeof(buf)) == NULL)
		snprintf(buf, sizeof(buf), "?");
	snprintf(ip, size, "%s", strncmp(buf, "::ffff:", 7) == 0 ? buf + 7 :
	    buf);
}

struct wf *
wf_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* Send status, content type and headers; the body follows on writable. */
static int
http_begin(struct lws *wsi, struct wf_conn *pc, unsigned status,
    const char *ctype, const char *body, size_t len, char *owned)
{
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start;
	unsigned char *end = hdr + sizeof(hdr) - 1;
	static const char nostore[] = "no-store";

	pc->body = body;
	pc->body_len = len;
	pc->body_off = 0;
	pc->body_owned = owned;
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
	    (const unsigned char *)nostore, sizeof(nostore) - 1, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int
http_body(struct lws *wsi, struct wf_conn *pc)
{
	unsigned char buf[LWS_PRE + 16384];
	size_t n = pc->body_len - pc->body_off;
	int final;

	if (n > sizeof(buf) - LWS_PRE)
		n = sizeof(buf) - LWS_PRE;
	final = pc->body_off + n == pc->body_len;
	if (n > 0)
		memcpy(buf + LWS_PRE, pc->body + pc->body_off, n);
	if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL :
	    LWS_WRITE_HTTP) != (int)n)
		return -1;
	pc->body_off += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	free(pc->body_owned);
	pc->body_owned = NULL;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
http_request(struct wf *w, struct lws *wsi, struct wf_conn *pc,
    const char *uri)
{
	struct kp_buf b;
	int down;

	w->st.http_requests++;
	if (strcmp(uri, "/") == 0 || strcmp(uri, "/index.html") == 0)
		return http_begin(wsi, pc, 200, "text/html; charset=utf-8",
		    wf_page_html, wf_page_html_len, NULL);
	if (strcmp(uri, "/chain") == 0) {
		if (w->chain == NULL)
			return http_begin(wsi, pc, 404, "text/plain",
			    "no --chain file given\n", 22, NULL);
		return http_begin(wsi, pc, 200, "application/x-ndjson",
		    w->chain, w->chain_len, NULL);
	}
	kp_buf_init(&b, 1 << 20);
	if (strcmp(uri, "/health") == 0) {
		down = !w->o->use_stdin && !wf_redis_state(w);
		kp_buf_addstr(&b, down ? "{\"status\":\"degraded\"," :
		    "{\"status\":\"ok\",");
		kp_buf_addstr(&b, "\"source\":");
		kp_buf_addstr(&b, w->o->use_stdin ? "\"stdin\"" :
		    down ? "\"redis down\"" : "\"redis\"");
		kp_buf_addstr(&b, ",\"clients\":");
		kp_json_u64(&b, w->st.clients);
		kp_buf_addstr(&b, "}\n");
		return http_begin(wsi, pc, down ? 503 : 200,
		    "application/json", b.p, b.len, b.p);
	}
	if (strcmp(uri, "/stats") == 0) {
		wf_stats_json(w, &b);
		return http_begin(wsi, pc, 200, "application/json", b.p,
		    b.len, b.p);
	}
	if (strcmp(uri, "/metrics") == 0) {
		wf_stats_prom(w, &b);
		return http_begin(wsi, pc, 200,
		    "text/plain; version=0.0.4", b.p, b.len, b.p);
	}
	kp_buf_free(&b);
	return http_begin(wsi, pc, 404, "text/plain", "not found\n", 10,
	    NULL);
}

/* The upgrade request: connection limits, then the token. */
static int
ws_filter(struct wf *w, struct lws *wsi, struct wf_conn *pc)
{
	struct wf_ipcount *e;
	char ip[64] = "?", sub[KP_JWT_SUB_MAX];
	unsigned h = 5381;
	const char *p;

	wf_peer(wsi, ip, sizeof(ip));
	if (w->st.clients >= (uint64_t)w->o->max_clients) {
		w->st.conn_refused_ip++;
		kp_warn("refused a connection from %s: %llu clients already",
		    ip, (unsigned long long)w->st.clients);
		return -1;
	}
	for (p = ip; *p != 0; p++)
		h = h * 33 + (unsigned char)*p;
	for (e = w->ips[h % 256]; e != NULL; e = e->next) {
		if (strcmp(e->ip, ip) == 0 &&
		    e->n >= (uint32_t)w->o->max_conn_ip) {
			w->st.conn_refused_ip++;
			kp_warn("refused a connection from %s: %u "
			    "connections from there already", ip, e->n);
			return -1;
		}
	}
	if (wf_auth_check(w, wsi, sub) < 0)
		return -1;
	if (pc != NULL) {
		snprintf(pc->sub, sizeof(pc->sub), "%s", sub);
		snprintf(pc->ip, sizeof(pc->ip), "%s", ip);
	}
	return 0;
}

static void
ws_established(struct wf *w, struct lws *wsi, struct wf_conn *pc)
{
	struct kp_buf b;

	if (pc->ip[0] == 0)
		wf_peer(wsi, pc->ip, sizeof(pc->ip));
	if (wf_ip_acquire(w, pc->ip) == 0)
		pc->ip_counted = 1;
	if (w->o->sndbuf > 0) {
		int sz = (int)w->o->sndbuf;

		if (setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF,
		    &sz, sizeof(sz)) < 0)
			kp_warn("unable to set SO_SNDBUF:");
	}
	pc->c = wf_client_new(w, wsi, pc->ip, pc->sub);
	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"type\":\"connected\",\"client_id\":");
	kp_json_u64(&b, pc->c->id);
	kp_buf_addstr(&b, ",\"sub\":");
	kp_json_cstr(&b, pc->sub);
	kp_buf_addstr(&b, ",\"source\":");
	kp_buf_addstr(&b, w->o->use_stdin ? "\"stdin\"" : "\"redis\"");
	kp_buf_addstr(&b, ",\"limits\":{\"subscriptions\":");
	kp_json_i64(&b, w->o->max_subs);
	kp_buf_addstr(&b, ",\"message_bytes\":");
	kp_json_i64(&b, w->o->max_msg);
	kp_buf_addstr(&b, ",\"messages_per_second\":");
	kp_json_i64(&b, w->o->max_rate);
	kp_buf_addstr(&b, "}}");
	wf_client_send_text(w, pc->c, b.p, b.len);
	kp_buf_free(&b);
	kp_debug("client %llu connected from %s sub=%s",
	    (unsigned long long)pc->c->id, pc->ip, pc->sub);
}

static void
ws_receive(struct wf *w, struct lws *wsi, struct wf_client *c,
    const void *in, size_t len)
{
	if (c->closing)
		return;
	if (c->rxlen + len > (size_t)w->o->max_msg) {
		kp_info("client %llu from %s sent a message over %lld bytes;"
		    " closing", (unsigned long long)c->id, c->ip,
		    w->o->max_msg);
		wf_client_close(w, c, WF_CLOSING_BIG);
		return;
	}
	if (c->rx == NULL)
		c->rx = kp_xmalloc((size_t)w->o->max_msg + 1);
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (!lws_is_final_fragment(wsi) ||
	    lws_remaining_packet_payload(wsi) > 0)
		return;
	wf_client_message(w, c, (const char *)c->rx, c->rxlen);
	c->rxlen = 0;
}

static int
callback_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct wf_conn *pc = user;
	struct wf *w = wf_of(wsi);

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return http_request(w, wsi, pc, in);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pc == NULL || pc->body == NULL)
			return -1;
		return http_body(wsi, pc);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pc != NULL) {
			free(pc->body_owned);
			pc->body_owned = NULL;
		}
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(w, wsi, pc) < 0 ? 1 : 0;
	case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
		/* frames are then the extension's: no batched writes */
		if (pc != NULL)
			pc->ext = 1;
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		ws_established(w, wsi, pc);
		pc->c->ext = pc->ext;
		break;
	case LWS_CALLBACK_RECEIVE:
		if (pc->c != NULL)
			ws_receive(w, wsi, pc->c, in, len);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pc->c == NULL)
			return -1;
		return wf_client_writable(w, pc->c);
	case LWS_CALLBACK_CLOSED:
		if (pc->c != NULL) {
			kp_debug("client %llu closed",
			    (unsigned long long)pc->c->id);
			wf_client_free(w, pc->c);
			pc->c = NULL;
		}
		if (pc->ip_counted) {
			wf_ip_release(w, pc->ip);
			pc->ip_counted = 0;
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols wf_protocols[] = {
	{ WF_SUBPROTOCOL, callback_ws, sizeof(struct wf_conn), 4096, 0, NULL,
	    0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};
