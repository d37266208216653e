/*
 * http.c: kite-sim's lws protocol callback.  WebSocket reasons go to
 * ticker.c; every plain HTTP request is collected (headers and a bounded
 * body) into a struct sim_req and answered by rest.c, or here for paths
 * under /sim/.  Answers may be delayed (an lws timer) or held until the
 * client goes away.
 */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simx.h"

#define BODY_MAX (1u << 20)
#define CHUNK 16384

struct http_sess {
	struct lws *wsi;
	struct sim *s;
	lws_sorted_usec_list_t sul;
	char method[8];
	char *path, *query, *auth, *kver, *ctype, *inm, *ims;
	bool gzip, too_big, answered, holding;
	struct kp_buf body;
	struct sim_resp resp;
	size_t sent;		/* body bytes written */
	bool head_sent;
	char hn[SIM_RESP_MAX_HEADERS][48];
	char *hv[SIM_RESP_MAX_HEADERS];
};

/* The per-session slot lws allocates for the protocol. */
struct sess {
	void *tk;			/* ticker.c's connection */
	struct http_sess *h;		/* &hs once HTTP was seen */
	struct http_sess hs;
};

size_t
sim_http_sess_size(void)
{
	return sizeof(struct sess);
}

static char *
hdr(struct lws *wsi, enum lws_token_indexes t)
{
	int n = lws_hdr_total_length(wsi, t);
	char *p;

	if (n <= 0)
		return NULL;
	p = kp_xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, p, n + 1, t) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static char *
custom_hdr(struct lws *wsi, const char *name)
{
	int n = lws_hdr_custom_length(wsi, name, (int)strlen(name));
	char *p;

	if (n < 0)
		return NULL;
	p = kp_xmalloc((size_t)n + 1);
	if (lws_hdr_custom_copy(wsi, p, n + 1, name, (int)strlen(name)) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* Percent-encode what is not unreserved (lws hands args decoded). */
static void
enc(struct kp_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~') {
			kp_buf_addc(b, (char)c);
		} else {
			kp_buf_addc(b, '%');
			kp_buf_addc(b, hex[c >> 4]);
			kp_buf_addc(b, hex[c & 15]);
		}
	}
}

/* The query string rebuilt from lws's decoded fragments. */
static char *
query(struct lws *wsi)
{
	struct kp_buf b;
	char frag[4096];
	int i, n;

	kp_buf_init(&b, 64 * 1024);
	for (i = 0; i < 256; i++) {
		const char *eq;

		n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (i > 0)
			kp_buf_addc(&b, '&');
		eq = memchr(frag, '=', (size_t)n);
		if (eq == NULL) {
			enc(&b, frag, (size_t)n);
			continue;
		}
		enc(&b, frag, (size_t)(eq - frag));
		kp_buf_addc(&b, '=');
		enc(&b, eq + 1, (size_t)(n - (eq + 1 - frag)));
	}
	kp_buf_addc(&b, '\0');
	if (b.p == NULL)
		return kp_xstrdup("");
	return b.p;
}

static void
req_free(struct http_sess *h)
{
	struct lws *wsi = h->wsi;
	struct sim *s = h->s;
	int i;

	lws_sul_cancel(&h->sul);
	free(h->path);
	free(h->query);
	free(h->auth);
	free(h->kver);
	free(h->ctype);
	free(h->inm);
	free(h->ims);
	kp_buf_free(&h->body);
	free(h->resp.body);
	for (i = 0; i < SIM_RESP_MAX_HEADERS; i++)
		free(h->hv[i]);
	memset(h, 0, sizeof(*h));
	h->wsi = wsi;
	h->s = s;
}

static const char *
method_name(int m)
{
	switch (m) {
	case LWSHUMETH_GET: return "GET";
	case LWSHUMETH_POST: return "POST";
	case LWSHUMETH_OPTIONS: return "OPTIONS";
	case LWSHUMETH_PUT: return "PUT";
	case LWSHUMETH_PATCH: return "PATCH";
	case LWSHUMETH_DELETE: return "DELETE";
	case LWSHUMETH_HEAD: return "HEAD";
	default: return "OTHER";
	}
}

static void
set_text(struct sim_resp *r, int status, const char *ctype, const char *s,
    size_t n)
{
	r->status = status;
	r->content_type = ctype;
	r->body = kp_xmalloc(n + 1);
	memcpy(r->body, s, n);
	r->body_len = n;
}

static void
wake_cb(lws_sorted_usec_list_t *sul)
{
	struct http_sess *h = lws_container_of(sul, struct http_sess, sul);

	lws_callback_on_writable(h->wsi);
}

/* The universe as NDJSON, for tests (rest.c serves Kite's CSV). */
static void
instruments(const struct sim *s, struct kp_buf *b)
{
	size_t i;

	for (i = 0; i < s->n_instr; i++) {
		const struct sim_instr *in = &s->instr[i];

		sim_kv_u64(b, "{\"instrument_token\":", in->token);
		sim_kv_str(b, ",\"tradingsymbol\":", in->tradingsymbol);
		sim_kv_str(b, ",\"name\":", in->name);
		sim_kv_str(b, ",\"segment\":", in->segment);
		sim_kv_str(b, ",\"instrument_type\":", in->instrument_type);
		sim_kv_i64(b, ",\"expiry_day\":", in->expiry_day);
		kp_buf_addstr(b, ",\"strike\":");
		kp_json_fixed(b, in->strike, 2);
		sim_kv_i64(b, ",\"lot_size\":", in->lot_size);
		sim_kv_dbl(b, ",\"t\":", sim_market_t(s, i));
		kp_buf_addstr(b, "}\n");
	}
}

/* Our own endpoints: /sim/smile, /sim/state, POST /sim/control. */
static void
sim_path(struct http_sess *h, const struct sim_req *rq, struct sim_resp *r)
{
	struct kp_buf b;
	char want[1200];

	kp_buf_init(&b, 16u << 20);
	sim_market_step(h->s);
	if (strcmp(rq->path, "/sim/smile") == 0 &&
	    strcmp(rq->method, "GET") == 0) {
		sim_market_json(h->s, &b);
		set_text(r, 200, "application/json", b.p, b.len);
	} else if (strcmp(rq->path, "/sim/state") == 0 &&
	    strcmp(rq->method, "GET") == 0) {
		sim_control(h->s, "status", &b);
		set_text(r, 200, "application/json", b.p + 3, b.len - 3);
	} else if (strcmp(rq->path, "/sim/instruments") == 0 &&
	    strcmp(rq->method, "GET") == 0) {
		instruments(h->s, &b);
		set_text(r, 200, "application/x-ndjson", b.p, b.len);
	} else if (strcmp(rq->path, "/sim/control") == 0 &&
	    strcmp(rq->method, "POST") == 0) {
		snprintf(want, sizeof(want), "token %s:%s",
		    h->s->conf.api_key, h->s->conf.access_token);
		if (rq->authorization == NULL ||
		    strcmp(rq->authorization, want) != 0) {
			set_text(r, 403, "text/plain", "error: forbidden\n", 17);
		} else {
			char line[512];
			size_t n = rq->body_len < sizeof(line) - 1 ?
			    rq->body_len : sizeof(line) - 1;
			int rc;

			memcpy(line, rq->body ? rq->body : "", n);
			line[n] = '\0';
			line[strcspn(line, "\r\n")] = '\0';
			rc = sim_control(h->s, line, &b);
			kp_buf_addc(&b, '\n');
			set_text(r, rc == 0 ? 200 : 400, "text/plain", b.p,
			    b.len);
		}
	} else {
		set_text(r, 404, "text/plain", "error: no such /sim/ path\n",
		    26);
	}
	kp_buf_free(&b);
}

static const char too_big[] = "{\"status\":\"error\",\"message\":"
    "\"request body too large\",\"error_type\":\"InputException\"}";

static void
dispatch(struct http_sess *h)
{
	struct sim_req rq;
	struct sim_resp *r = &h->resp;
	int i;

	memset(&rq, 0, sizeof(rq));
	rq.method = h->method;
	rq.path = h->path;
	rq.query = h->query;
	rq.authorization = h->auth;
	rq.kite_version = h->kver;
	rq.content_type = h->ctype;
	rq.if_none_match = h->inm;
	rq.if_modified_since = h->ims;
	rq.accept_gzip = h->gzip;
	rq.body = h->body.p;
	rq.body_len = h->body.len;
	memset(r, 0, sizeof(*r));
	if (h->too_big)
		set_text(r, 413, "application/json", too_big, strlen(too_big));
	else if (strncmp(h->path, "/sim/", 5) == 0)
		sim_path(h, &rq, r);
	else
		sim_rest_handle(h->s, &rq, r);
	/* copy what rest.c owns only until its next call */
	for (i = 0; i < r->nheaders && i < SIM_RESP_MAX_HEADERS; i++) {
		size_t k, n = strlen(r->hname[i]);

		if (n > sizeof(h->hn[i]) - 2)
			n = sizeof(h->hn[i]) - 2;
		for (k = 0; k < n; k++)
			h->hn[i][k] = (char)tolower((unsigned char)
			    r->hname[i][k]);
		h->hn[i][n] = ':';
		h->hn[i][n + 1] = '\0';
		h->hv[i] = kp_xstrdup(r->hvalue[i]);
	}
	kp_debug("http: %s %s status=%d delay_ms=%lld", h->method, h->path,
	    r->status, (long long)r->delay_ms);
	h->answered = true;
	if (r->delay_ms < 0) {
		h->holding = true;
		lws_set_timeout(h->wsi, NO_PENDING_TIMEOUT, 0);
	} else if (r->delay_ms > 0) {
		lws_set_timeout(h->wsi, NO_PENDING_TIMEOUT, 0);
		lws_sul_schedule(lws_get_context(h->wsi), 0, &h->sul, wake_cb,
		    (lws_usec_t)r->delay_ms * 1000);
	} else {
		lws_callback_on_writable(h->wsi);
	}
}

static int
begin(struct sim *s, struct sess *ss, struct lws *wsi, const char *path)
{
	struct http_sess *h;
	char *uri, *cl;
	int m, ulen;
	long long n = 0;

	ss->h = &ss->hs;
	h = ss->h;
	req_free(h);
	h->wsi = wsi;
	h->s = s;
	m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	snprintf(h->method, sizeof(h->method), "%s", method_name(m));
	h->path = kp_xstrdup(path != NULL && path[0] ? path : "/");
	h->query = query(wsi);
	h->auth = hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	h->kver = custom_hdr(wsi, "x-kite-version:");
	h->ctype = hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	h->inm = hdr(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
	h->ims = hdr(wsi, WSI_TOKEN_HTTP_IF_MODIFIED_SINCE);
	cl = hdr(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
	h->gzip = cl != NULL && strstr(cl, "gzip") != NULL;
	free(cl);
	kp_buf_init(&h->body, BODY_MAX);
	cl = hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	if (cl != NULL && kp_num_ll(cl, 0, 1LL << 40, &n) < 0)
		n = 0;
	free(cl);
	if (n > (long long)BODY_MAX)
		h->too_big = true;
	if (n == 0)
		dispatch(h);
	return 0;
}

static int
write_head(struct http_sess *h)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start;
	unsigned char *end = buf + sizeof(buf) - 1;
	const struct sim_resp *r = &h->resp;
	int i;

	if (lws_add_http_common_headers(h->wsi, (unsigned)r->status,
	    r->content_type ? r->content_type : "application/json",
	    r->body_len, &p, end))
		return -1;
	for (i = 0; i < r->nheaders && i < SIM_RESP_MAX_HEADERS; i++)
		if (lws_add_http_header_by_name(h->wsi,
		    (const unsigned char *)h->hn[i],
		    (const unsigned char *)h->hv[i], (int)strlen(h->hv[i]),
		    &p, end))
			return -1;
	if (lws_finalize_write_http_header(h->wsi, start, &p, end))
		return -1;
	h->head_sent = true;
	return 0;
}

static int
writeable(struct http_sess *h)
{
	const struct sim_resp *r = &h->resp;
	unsigned char *buf;
	size_t n;
	int rc;

	if (!h->answered || h->holding || h->sul.list.owner != NULL)
		return 0;
	if (!h->head_sent) {
		if (write_head(h) < 0)
			return -1;
		if (r->body_len > 0) {
			lws_callback_on_writable(h->wsi);
			return 0;
		}
	} else {
		n = r->body_len - h->sent;
		if (n > CHUNK)
			n = CHUNK;
		buf = kp_xmalloc(LWS_PRE + n);
		memcpy(buf + LWS_PRE, r->body + h->sent, n);
		rc = lws_write(h->wsi, buf + LWS_PRE, n,
		    h->sent + n == r->body_len ? LWS_WRITE_HTTP_FINAL :
		    LWS_WRITE_HTTP);
		free(buf);
		if (rc < (int)n)
			return -1;
		h->sent += n;
		if (h->sent < r->body_len) {
			lws_callback_on_writable(h->wsi);
			return 0;
		}
	}
	req_free(h);
	if (lws_http_transaction_completed(h->wsi))
		return -1;
	return 0;
}

int
sim_http_cb(struct sim *s, struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct sess *ss = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
	case LWS_CALLBACK_CLOSED:
		return sim_ticker_cb(s, wsi, reason,
		    ss != NULL ? &ss->tk : NULL, in, len);
	case LWS_CALLBACK_HTTP:
		return begin(s, ss, wsi, in);
	case LWS_CALLBACK_HTTP_BODY:
		if (ss->h != NULL && !ss->h->too_big &&
		    kp_buf_add(&ss->h->body, in, len) < 0)
			ss->h->too_big = true;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (ss->h != NULL && !ss->h->answered)
			dispatch(ss->h);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return ss->h != NULL ? writeable(ss->h) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (ss != NULL && ss->h != NULL) {
			req_free(ss->h);
			ss->h = NULL;
		}
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
