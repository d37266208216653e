/*
 * rec.c: Kite's JSON to book-sync's records.  Bodies are parsed by
 * jansson (size bounded by fetch.c, depth by jansson and by DEPTH_MAX
 * here); each record is checked against its kind's spec and written back
 * compactly by our own writer: members in Kite's order, integers as
 * integers, other numbers in the shortest form that reads back exactly
 * (kp_json_double), so a price of 1850.05 stays "1850.05" and a record
 * fetched twice is byte-identical.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bs.h"
#include "kp_dtoa.h"

#define DEPTH_MAX 16
#define KEY_MAX 128

/*
 * Per kind: the key fields (non-empty strings) and the numeric fields
 * (number or null when present; "a.b" is member b of object a).
 */
struct spec {
	const char *type;
	const char *keys[4];
	const char *nums[16];
};

static const struct spec specs[BS_NKIND] = {
	[BS_ORDER] = { "order", { "order_id" },
	    { "quantity", "filled_quantity", "pending_quantity",
	    "cancelled_quantity", "price", "trigger_price", "average_price",
	    "instrument_token" } },
	[BS_TRADE] = { "trade", { "trade_id", "order_id" },
	    { "quantity", "average_price", "instrument_token" } },
	[BS_POS_NET] = { "position", { "exchange", "tradingsymbol", "product" },
	    { "quantity", "overnight_quantity", "average_price", "last_price",
	    "close_price", "value", "pnl", "m2m", "realised", "unrealised",
	    "buy_quantity", "buy_value", "sell_quantity", "sell_value",
	    "instrument_token" } },
	[BS_POS_DAY] = { "position", { "exchange", "tradingsymbol", "product" },
	    { "quantity", "overnight_quantity", "average_price", "last_price",
	    "close_price", "value", "pnl", "m2m", "realised", "unrealised",
	    "buy_quantity", "buy_value", "sell_quantity", "sell_value",
	    "instrument_token" } },
	[BS_HOLDING] = { "holding", { "exchange", "tradingsymbol" },
	    { "quantity", "t1_quantity", "average_price", "last_price",
	    "close_price", "pnl", "day_change", "instrument_token" } },
	[BS_MARGIN] = { "margins", { NULL },
	    { "net", "available.cash", "available.opening_balance",
	    "available.live_balance", "utilised.debits",
	    "utilised.m2m_realised", "utilised.m2m_unrealised" } },
};

const char *
bs_type(enum bs_kind k)
{
	return specs[k].type;
}

void
bs_set_init(struct bs_set *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < BS_NKIND; i++)
		kp_buf_init(&s->arr[i], 2 * (size_t)BS_BODY_MAX);
	kp_buf_init(&s->lines, 4 * (size_t)BS_BODY_MAX);
}

void
bs_set_free(struct bs_set *s)
{
	size_t i;

	for (i = 0; i < BS_NKIND; i++)
		kp_buf_free(&s->arr[i]);
	kp_buf_free(&s->lines);
}

/* v as compact JSON; -1 when too deep or out of room. */
static int
put(struct kp_buf *b, json_t *v, int depth)
{
	const char *k;
	char *p;
	json_t *x;
	size_t i;
	int first = 1;

	if (depth > DEPTH_MAX)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		kp_buf_addc(b, '{');
		json_object_foreach(v, k, x) {
			if (!first)
				kp_buf_addc(b, ',');
			first = 0;
			kp_json_cstr(b, k);
			kp_buf_addc(b, ':');
			if (put(b, x, depth + 1) < 0)
				return -1;
		}
		return kp_buf_addc(b, '}');
	case JSON_ARRAY:
		kp_buf_addc(b, '[');
		json_array_foreach(v, i, x) {
			if (i > 0)
				kp_buf_addc(b, ',');
			if (put(b, x, depth + 1) < 0)
				return -1;
		}
		return kp_buf_addc(b, ']');
	case JSON_STRING:
		return kp_json_str(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		return kp_json_i64(b, json_integer_value(v));
	case JSON_REAL:
		/* plain notation where it fits (not %g's 1.85e+03) */
		if ((p = kp_buf_room(b, KP_DTOA_ROOM)) == NULL)
			return -1;
		/* -0 as 0: "-0" would read back as the integer 0 */
		b->len += (size_t)(kp_dtoa(p, json_real_value(v) == 0 ? 0 :
		    json_real_value(v)) - p);
		return 0;
	case JSON_TRUE:
		return kp_buf_addstr(b, "true");
	case JSON_FALSE:
		return kp_buf_addstr(b, "false");
	default:
		return kp_buf_addstr(b, "null");
	}
}

/* Member "a" or "a.b" of o, or NULL. */
static json_t *
member(json_t *o, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];

	if (dot == NULL)
		return json_object_get(o, path);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - path), path);
	return json_object_get(json_object_get(o, head), dot + 1);
}

int
bs_rec_map(enum bs_kind k, json_t *v, struct kp_buf *out,
    char err[KP_ERRLEN])
{
	const struct spec *sp = &specs[k];
	size_t i, before = out->len;
	json_t *x;

	if (!json_is_object(v)) {
		snprintf(err, KP_ERRLEN, "%s: not an object", sp->type);
		return -1;
	}
	for (i = 0; i < 4 && sp->keys[i]; i++) {
		x = json_object_get(v, sp->keys[i]);
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    json_string_length(x) > KEY_MAX) {
			snprintf(err, KP_ERRLEN, "%s: %s is not a string of 1 "
			    "to %d bytes", sp->type, sp->keys[i], KEY_MAX);
			return -1;
		}
	}
	for (i = 0; i < 16 && sp->nums[i]; i++) {
		x = member(v, sp->nums[i]);
		if (x != NULL && !json_is_number(x) && !json_is_null(x)) {
			snprintf(err, KP_ERRLEN, "%s: %s is not a number",
			    sp->type, sp->nums[i]);
			return -1;
		}
	}
	if (put(out, v, 0) < 0) {
		out->len = before;
		snprintf(err, KP_ERRLEN, "%s: nested too deep or too big",
		    sp->type);
		return -1;
	}
	return 0;
}

/* A record's key fields, for a log line. */
static void
describe(enum bs_kind k, json_t *v, char *d, size_t n)
{
	json_t *x = json_is_object(v) && specs[k].keys[0] ?
	    json_object_get(v, specs[k].keys[0]) : NULL;

	snprintf(d, n, "%.64s", json_is_string(x) ? json_string_value(x) :
	    "?");
}

/* One record into the set: the array element and the NDJSON line. */
static void
add(struct bs_set *s, enum bs_kind k, json_t *v, const char *seg,
    size_t idx)
{
	struct kp_buf *a = &s->arr[k];
	char err[KP_ERRLEN], d[80];
	size_t at = a->len, dat;

	if (seg) {
		kp_buf_addc(a, s->n[k] ? ',' : '{');
		kp_json_cstr(a, seg);
		kp_buf_addc(a, ':');
	} else {
		kp_buf_addc(a, s->n[k] ? ',' : '[');
	}
	dat = a->len;
	if (bs_rec_map(k, v, a, err) < 0) {
		a->len = at;
		describe(k, v, d, sizeof(d));
		kp_warn("rejected %s %zu (%s): %s", specs[k].type, idx + 1, d,
		    err);
		s->rejected++;
		return;
	}
	kp_buf_addstr(&s->lines, "{\"type\":");
	kp_json_cstr(&s->lines, specs[k].type);
	if (k == BS_POS_NET || k == BS_POS_DAY)
		kp_buf_addstr(&s->lines, k == BS_POS_NET ?
		    ",\"kind\":\"net\"" : ",\"kind\":\"day\"");
	if (seg) {
		kp_buf_addstr(&s->lines, ",\"segment\":");
		kp_json_cstr(&s->lines, seg);
	}
	kp_buf_addstr(&s->lines, ",\"data\":");
	kp_buf_add(&s->lines, a->p + dat, a->len - dat);
	kp_buf_addstr(&s->lines, "}\n");
	s->n[k]++;
}

static int
add_list(struct bs_set *s, enum bs_kind k, json_t *arr, char err[KP_ERRLEN])
{
	json_t *v;
	size_t i;

	if (!json_is_array(arr)) {
		snprintf(err, KP_ERRLEN, "%s list: data is not an array",
		    specs[k].type);
		return -1;
	}
	json_array_foreach(arr, i, v)
		add(s, k, v, NULL, i);
	return 0;
}

int
bs_set_body(struct bs_set *s, enum bs_kind k, const char *body, size_t len,
    char err[KP_ERRLEN])
{
	json_error_t je;
	json_t *root, *data, *v;
	const char *seg;
	size_t i = 0;
	int rc = 0;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, KP_ERRLEN, "not JSON: %s (at %d)", je.text,
		    je.position);
		return -1;
	}
	data = json_object_get(root, "data");
	if (!json_is_string(json_object_get(root, "status")) ||
	    strcmp(json_string_value(json_object_get(root, "status")),
	    "success") != 0 || data == NULL) {
		snprintf(err, KP_ERRLEN, "not a success envelope");
		json_decref(root);
		return -1;
	}
	if (k == BS_POS_NET || k == BS_POS_DAY) {
		rc = add_list(s, BS_POS_NET, json_object_get(data, "net"),
		    err);
		if (rc == 0)
			rc = add_list(s, BS_POS_DAY,
			    json_object_get(data, "day"), err);
	} else if (k == BS_MARGIN) {
		if (!json_is_object(data)) {
			snprintf(err, KP_ERRLEN, "margins: data is not an "
			    "object");
			rc = -1;
		} else {
			json_object_foreach(data, seg, v) {
				if (strlen(seg) == 0 || strlen(seg) > 32) {
					kp_warn("rejected margins %zu: bad "
					    "segment name", i + 1);
					s->rejected++;
				} else {
					add(s, k, v, seg, i);
				}
				i++;
			}
		}
	} else {
		rc = add_list(s, k, data, err);
	}
	json_decref(root);
	return rc;
}

int
bs_stream_line(const char *line, size_t len, struct kp_buf *out,
    char id[129], char err[KP_ERRLEN])
{
	static const char *const drop[] = {
		"user_id", "unfilled_quantity", "app_id", "checksum"
	};
	json_error_t je;
	json_t *root, *type, *data;
	size_t i;
	int rc;

	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, KP_ERRLEN, "not JSON: %s (at %d)", je.text,
		    je.position);
		return -1;
	}
	type = json_object_get(root, "type");
	if (!json_is_string(type) ||
	    strcmp(json_string_value(type), "order") != 0) {
		json_decref(root);
		return 0;
	}
	data = json_object_get(root, "data");
	if (json_is_object(data))
		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			json_object_del(data, drop[i]);
	rc = bs_rec_map(BS_ORDER, data, out, err) < 0 ? -1 : 1;
	if (rc == 1)
		snprintf(id, 129, "%s", json_string_value(
		    json_object_get(data, "order_id")));
	json_decref(root);
	return rc;
}

void
bs_set_finish(struct bs_set *s)
{
	size_t i;

	for (i = 0; i < BS_NKIND; i++) {
		if (s->n[i] == 0)
			kp_buf_addstr(&s->arr[i], i == BS_MARGIN ? "{}" : "[]");
		else
			kp_buf_addc(&s->arr[i], i == BS_MARGIN ? '}' : ']');
		kp_buf_addc(&s->arr[i], '\0');
		s->arr[i].len--;
	}
}
