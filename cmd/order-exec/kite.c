/*
 * kite.c: Kite's order endpoints over libcurl (one easy handle, kept
 * alive), and what each answer means for an order that must never be
 * placed twice (kite-connect.md 2.3-2.4):
 *   - no connection made (refused, DNS): not sent, retry;
 *   - 429: rate limited, not processed, retry;
 *   - 5xx, a timeout, a connection lost after sending, an unreadable
 *     body, or a 4xx whose message says the request timed out: the order
 *     may exist, so the order book decides;
 *   - any other error envelope: final, with Kite's error_type.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "oe.h"

#define RESP_MAX (64u << 20)

struct oe_kite {
	CURL *h;
	char *base;
	struct curl_slist *hdrs;
	long timeout_ms;
	struct kp_buf body;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct kp_buf *b = arg;

	if (kp_buf_add(b, p, size * n) < 0)
		return 0;
	return size * n;
}

struct oe_kite *
oe_kite_new(const char *base, const char *auth, long timeout_ms)
{
	struct oe_kite *k = kp_xcalloc(1, sizeof(*k));

	curl_global_init(CURL_GLOBAL_DEFAULT);
	k->h = curl_easy_init();
	if (k->h == NULL)
		kp_die(KP_EXIT_TEMP, "curl_easy_init failed");
	k->base = kp_xstrdup(base);
	k->timeout_ms = timeout_ms;
	oe_kite_set_auth(k, auth);
	kp_buf_init(&k->body, RESP_MAX);
	return k;
}

void
oe_kite_set_auth(struct oe_kite *k, const char *auth)
{
	struct kp_buf h;

	curl_slist_free_all(k->hdrs);
	k->hdrs = NULL;
	kp_buf_init(&h, 8192);
	kp_buf_addstr(&h, "Authorization: token ");
	kp_buf_addstr(&h, auth);
	kp_buf_addc(&h, 0);
	k->hdrs = curl_slist_append(k->hdrs, "X-Kite-Version: 3");
	k->hdrs = curl_slist_append(k->hdrs, h.p);
	/* no "Expect: 100-continue" round trip on POST */
	k->hdrs = curl_slist_append(k->hdrs, "Expect:");
	memset(h.p, 0, h.len);
	kp_buf_free(&h);
}

void
oe_kite_free(struct oe_kite *k)
{
	if (k == NULL)
		return;
	curl_easy_cleanup(k->h);
	curl_slist_free_all(k->hdrs);
	free(k->base);
	kp_buf_free(&k->body);
	free(k);
	curl_global_cleanup();
}

/* Whether s mentions "timed out" in any case (Kite's ambiguous 400). */
static int
says_timed_out(const char *s)
{
	static const char w[] = "timed out";
	size_t i;

	for (; *s; s++) {
		for (i = 0; w[i] && s[i] && (s[i] | 0x20) == w[i]; i++)
			;
		if (w[i] == 0)
			return 1;
	}
	return 0;
}

static void
copy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

/* Perform the request set up on k->h; fill r->http or the curl error. */
static json_t *
perform(struct oe_kite *k, const char *method, const char *path,
    const char *body, struct oe_resp *r)
{
	struct kp_buf url;
	json_t *root = NULL, *v;
	CURLcode cc;
	long code = 0;

	memset(r, 0, sizeof(*r));
	kp_buf_reset(&k->body);
	kp_buf_init(&url, 4096);
	kp_buf_addstr(&url, k->base);
	kp_buf_addstr(&url, path);
	kp_buf_addc(&url, 0);
	curl_easy_reset(k->h);
	curl_easy_setopt(k->h, CURLOPT_URL, url.p);
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, k->hdrs);
	curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, k->timeout_ms);
	curl_easy_setopt(k->h, CURLOPT_CONNECTTIMEOUT_MS, k->timeout_ms);
	curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->h, CURLOPT_WRITEDATA, &k->body);
	curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k->h, CURLOPT_USERAGENT, OE_USER_AGENT);
	k->errbuf[0] = 0;
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, body ? body : "");
	}
	cc = curl_easy_perform(k->h);
	kp_buf_free(&url);
	if (cc != CURLE_OK) {
		/* refused or unresolvable: nothing reached Kite */
		r->kind = (cc == CURLE_COULDNT_CONNECT ||
		    cc == CURLE_COULDNT_RESOLVE_HOST ||
		    cc == CURLE_COULDNT_RESOLVE_PROXY) ? OE_K_NOTSENT :
		    OE_K_UNKNOWN;
		snprintf(r->why, sizeof(r->why), "%.120s",
		    k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc));
		return NULL;
	}
	curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &code);
	r->http = code;
	root = json_loadb(k->body.p ? k->body.p : "", k->body.len, 0, NULL);
	if (root != NULL && json_is_object(root)) {
		v = json_object_get(root, "error_type");
		copy(r->error_type, sizeof(r->error_type),
		    json_string_value(v));
		v = json_object_get(root, "message");
		copy(r->message, sizeof(r->message), json_string_value(v));
	}
	if (code == 429) {
		r->kind = OE_K_NOTSENT;
		snprintf(r->why, sizeof(r->why), "HTTP 429");
	} else if (code >= 500) {
		r->kind = OE_K_UNKNOWN;
		snprintf(r->why, sizeof(r->why), "HTTP %ld", code);
	} else if (code == 200 && root != NULL && json_is_object(root) &&
	    !strcmp(json_string_value(json_object_get(root, "status")) ?
	    json_string_value(json_object_get(root, "status")) : "",
	    "success")) {
		r->kind = OE_K_OK;
		return root;
	} else if (code >= 400 && code < 500 && *r->error_type &&
	    !says_timed_out(r->message) &&
	    strcmp(r->error_type, "NetworkException") != 0 &&
	    strcmp(r->error_type, "DataException") != 0) {
		r->kind = OE_K_FINAL;
		snprintf(r->why, sizeof(r->why), "HTTP %ld %s", code,
		    r->error_type);
	} else {
		r->kind = OE_K_UNKNOWN;
		snprintf(r->why, sizeof(r->why), "HTTP %ld%s%.80s", code,
		    *r->message ? ": " : " (unreadable answer)", r->message);
	}
	json_decref(root);
	return NULL;
}

void
oe_resp_free(struct oe_resp *r)
{
	free(r->children);
	r->children = NULL;
}

/*
 * An autoslice answer's children (kite-connect.md 2.3, the MOCK
 * autoslice_response.json): each {"order_id"} or {"error":{code,
 * error_type, message}}, kept as a compact JSON array of {"order_id"}
 * and {"error_type","message","http"}.
 */
static char *
children_json(json_t *ch)
{
	json_t *out = json_array(), *c, *e, *o;
	size_t i;
	char *s;

	json_array_foreach(ch, i, c) {
		o = json_object();
		if (json_is_string(json_object_get(c, "order_id"))) {
			json_object_set(o, "order_id",
			    json_object_get(c, "order_id"));
		} else {
			e = json_object_get(c, "error");
			json_object_set_new(o, "error_type", json_string(
			    json_string_value(json_object_get(e,
			    "error_type")) ? json_string_value(
			    json_object_get(e, "error_type")) :
			    "GeneralException"));
			json_object_set_new(o, "message", json_string(
			    json_string_value(json_object_get(e,
			    "message")) ? json_string_value(
			    json_object_get(e, "message")) : ""));
			if (json_is_integer(json_object_get(e, "code")))
				json_object_set(o, "http",
				    json_object_get(e, "code"));
		}
		json_array_append_new(out, o);
	}
	s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

void
oe_kite_order(struct oe_kite *k, const char *method, const char *path,
    const char *body, struct oe_resp *r)
{
	json_t *root = perform(k, method, path, body, r), *oid, *ch;

	if (root == NULL)
		return;
	ch = json_object_get(json_object_get(root, "data"), "children");
	if (json_is_array(ch))
		r->children = children_json(ch);
	oid = json_object_get(json_object_get(root, "data"), "order_id");
	if (json_is_string(oid))
		copy(r->order_id, sizeof(r->order_id), json_string_value(oid));
	else if (json_is_integer(oid))
		snprintf(r->order_id, sizeof(r->order_id), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(oid));
	else {
		r->kind = OE_K_UNKNOWN;
		snprintf(r->why, sizeof(r->why), "success without order_id");
	}
	json_decref(root);
}

void
oe_kite_orders(struct oe_kite *k, struct oe_book_order **out, size_t *n,
    struct oe_resp *r)
{
	json_t *root = perform(k, "GET", "/orders", NULL, r), *data, *o, *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (root == NULL) {
		if (r->kind == OE_K_FINAL || r->kind == OE_K_OK)
			r->kind = OE_K_UNKNOWN;
		return;
	}
	data = json_object_get(root, "data");
	if (!json_is_array(data)) {
		r->kind = OE_K_UNKNOWN;
		snprintf(r->why, sizeof(r->why), "GET /orders: no data array");
		json_decref(root);
		return;
	}
	*out = kp_xcalloc(json_array_size(data) + 1, sizeof(**out));
	json_array_foreach(data, i, o) {
		struct oe_book_order *b = &(*out)[*n];

		v = json_object_get(o, "order_id");
		if (json_is_string(v))
			copy(b->order_id, sizeof(b->order_id),
			    json_string_value(v));
		else if (json_is_integer(v))
			snprintf(b->order_id, sizeof(b->order_id),
			    "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			continue;
		copy(b->status, sizeof(b->status),
		    json_string_value(json_object_get(o, "status")));
		copy(b->tag, sizeof(b->tag),
		    json_string_value(json_object_get(o, "tag")));
		{
			/* tags[] holds ours too, beside system tags such as
			 * autoslice:<parent order> */
			json_t *t;
			size_t j;
			const char *s;

			json_array_foreach(json_object_get(o, "tags"), j, t) {
				if ((s = json_string_value(t)) == NULL)
					continue;
				if (!*b->tag && !strncmp(s, "kp", 2))
					copy(b->tag, sizeof(b->tag), s);
				if (!strncmp(s, "autoslice:", 10))
					copy(b->parent, sizeof(b->parent),
					    s + 10);
			}
		}
		(*n)++;
	}
	json_decref(root);
}

struct json_t *
oe_kite_get(struct oe_kite *k, const char *path, struct oe_resp *r)
{
	json_t *root = perform(k, "GET", path, NULL, r), *data;

	if (root == NULL)
		return NULL;
	data = json_incref(json_object_get(root, "data"));
	json_decref(root);
	if (data == NULL) {
		r->kind = OE_K_UNKNOWN;
		snprintf(r->why, sizeof(r->why), "GET %.80s: no data", path);
	}
	return data;
}
