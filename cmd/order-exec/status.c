/*
 * status.c: the "status" op, a read of one order: its history (GET
 * /orders/{id}, an array of the order's states, oldest first) and its
 * fills (GET /orders/{id}/trades), summed up in one answer line so that a
 * strategy can confirm what was filled.  Never journaled, never
 * remembered: each status intent reads Kite afresh.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "kp_intent.h"
#include "oe.h"

/* A number as Kite gave it (an integer, or a price printed without float
 * noise); null when absent. */
static void
num(struct kp_buf *b, const char *key, json_t *v)
{
	kp_buf_addstr(b, ",\"");
	kp_buf_addstr(b, key);
	kp_buf_addstr(b, "\":");
	if (json_is_integer(v))
		kp_json_i64(b, json_integer_value(v));
	else if (json_is_real(v))
		kp_json_double(b, json_real_value(v));
	else
		kp_buf_addstr(b, "null");
}

static void
str(struct kp_buf *b, const char *key, json_t *v)
{
	kp_buf_addstr(b, ",\"");
	kp_buf_addstr(b, key);
	kp_buf_addstr(b, "\":");
	if (json_is_string(v))
		kp_json_cstr(b, json_string_value(v));
	else
		kp_buf_addstr(b, "null");
}

static void
failed(struct kp_buf *b, const struct oe_resp *r)
{
	kp_buf_addstr(b, r->kind == OE_K_FINAL ? "\"rejected\"" :
	    "\"busy\"");
	if (r->kind == OE_K_FINAL) {
		kp_buf_addstr(b, ",\"error_type\":");
		kp_json_cstr(b, r->error_type);
		kp_buf_addstr(b, ",\"message\":");
		kp_json_cstr(b, r->message);
		kp_buf_addstr(b, ",\"http\":");
		kp_json_i64(b, r->http);
	} else {
		kp_buf_addstr(b, ",\"reason\":");
		kp_json_cstr(b, r->why);
	}
}

/* The history's last state and the list of states it went through. */
static void
history(struct kp_buf *b, json_t *hist)
{
	json_t *last = json_array_get(hist, json_array_size(hist) - 1), *h;
	size_t i;

	str(b, "state", json_object_get(last, "status"));
	str(b, "status_message", json_object_get(last, "status_message"));
	num(b, "quantity", json_object_get(last, "quantity"));
	num(b, "filled_quantity", json_object_get(last, "filled_quantity"));
	num(b, "pending_quantity", json_object_get(last,
	    "pending_quantity"));
	num(b, "cancelled_quantity", json_object_get(last,
	    "cancelled_quantity"));
	num(b, "average_price", json_object_get(last, "average_price"));
	kp_buf_addstr(b, ",\"states\":[");
	json_array_foreach(hist, i, h) {
		if (i > 0)
			kp_buf_addc(b, ',');
		if (json_is_string(json_object_get(h, "status")))
			kp_json_cstr(b, json_string_value(json_object_get(h,
			    "status")));
		else
			kp_buf_addstr(b, "null");
	}
	kp_buf_addc(b, ']');
}

/* The fills, and their quantities added up. */
static void
trades(struct kp_buf *b, json_t *tr)
{
	json_t *t, *q;
	size_t i;
	long long sum = 0;

	kp_buf_addstr(b, ",\"trades\":[");
	json_array_foreach(tr, i, t) {
		if (i > 0)
			kp_buf_addc(b, ',');
		kp_buf_addc(b, '{');
		kp_buf_addstr(b, "\"trade_id\":");
		if (json_is_string(json_object_get(t, "trade_id")))
			kp_json_cstr(b, json_string_value(json_object_get(t,
			    "trade_id")));
		else
			kp_buf_addstr(b, "null");
		q = json_object_get(t, "quantity");
		num(b, "quantity", q);
		num(b, "average_price", json_object_get(t, "average_price"));
		str(b, "fill_timestamp", json_object_get(t, "fill_timestamp"));
		kp_buf_addc(b, '}');
		if (json_is_integer(q))
			sum += json_integer_value(q);
	}
	kp_buf_addstr(b, "],\"traded_quantity\":");
	kp_json_i64(b, sum);
}

void
oe_status_answer(struct oe_kite *k, const struct kp_intent *in,
    struct kp_buf *b)
{
	struct kp_buf path;
	struct oe_resp r;
	json_t *hist = NULL, *tr = NULL;

	kp_buf_init(&path, 256);
	kp_buf_addstr(b, "{\"id\":");
	kp_json_cstr(b, in->id);
	kp_buf_addstr(b, ",\"result\":");
	kp_buf_addstr(&path, "/orders/");
	kp_form_escape(&path, in->order_id);
	kp_buf_addc(&path, 0);
	hist = oe_kite_get(k, path.p, &r);
	if (hist != NULL && (!json_is_array(hist) ||
	    json_array_size(hist) == 0)) {
		r.kind = OE_K_UNKNOWN;
		snprintf(r.why, sizeof(r.why), "an empty order history");
	}
	if (r.kind == OE_K_OK) {
		path.len--;
		kp_buf_addstr(&path, "/trades");
		kp_buf_addc(&path, 0);
		tr = oe_kite_get(k, path.p, &r);
	}
	if (r.kind != OE_K_OK || !json_is_array(tr)) {
		if (r.kind == OE_K_OK) {
			r.kind = OE_K_UNKNOWN;
			snprintf(r.why, sizeof(r.why), "trades: not a list");
		}
		failed(b, &r);
	} else {
		kp_buf_addstr(b, "\"status\",\"order_id\":");
		kp_json_cstr(b, in->order_id);
		history(b, hist);
		trades(b, tr);
	}
	kp_buf_addc(b, '}');
	json_decref(hist);
	json_decref(tr);
	kp_buf_free(&path);
}
