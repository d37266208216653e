/*
 * intent.c: order intents for order-exec, parsed with jansson and checked
 * field by field against Kite's order parameters (kite-connect.md 2.3)
 * before anything can be sent.  Strict: unknown fields, wrong types,
 * values outside Kite's enumerations and combinations Kite would refuse
 * (a LIMIT without a price, a TTL without validity_ttl) are errors.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "kp.h"
#include "kp_intent.h"

enum fkind {
	F_ENUM,		/* one of a list of words */
	F_INT,		/* integer in [lo, hi] (JSON number or string) */
	F_PRICE,	/* decimal >= 0 (JSON number or string) */
	F_PCT,		/* -1, or a decimal 0-100 with at most 2 places */
	F_WORD,		/* charset-restricted string */
	F_BOOL		/* true or false (JSON or string), kept as text */
};

#define OPS_ALL ((1u << KP_OP_PLACE) | (1u << KP_OP_MODIFY) | \
    (1u << KP_OP_CANCEL))
#define OP_P (1u << KP_OP_PLACE)
#define OP_M (1u << KP_OP_MODIFY)
#define OP_C (1u << KP_OP_CANCEL)
#define OP_S (1u << KP_OP_STATUS)

struct field {
	const char *name;
	size_t off, size;
	enum fkind kind;
	unsigned ops;			/* where the field is allowed */
	const char *const *words;	/* F_ENUM */
	long long lo, hi;		/* F_INT */
	const char *charset;		/* F_WORD; NULL: alphanumeric */
};

static const char *const varieties[] = { "regular", "amo", "co", "iceberg",
	"auction", NULL };
static const char *const exchanges[] = { "NSE", "BSE", "NFO", "BFO", "CDS",
	"BCD", "MCX", NULL };
static const char *const txtypes[] = { "BUY", "SELL", NULL };
static const char *const products[] = { "CNC", "NRML", "MIS", "MTF", NULL };
static const char *const otypes[] = { "MARKET", "LIMIT", "SL", "SL-M",
	NULL };
static const char *const validities[] = { "DAY", "IOC", "TTL", NULL };
static const char *const bools[] = { "true", "false", NULL };

#define OFF(f) offsetof(struct kp_intent, f), \
    sizeof(((struct kp_intent *)0)->f)

static const struct field fields[] = {
	{ "variety", OFF(variety), F_ENUM, OPS_ALL, varieties, 0, 0, NULL },
	{ "order_id", OFF(order_id), F_WORD, OP_M | OP_C | OP_S, NULL, 0, 0,
	    NULL },
	{ "parent_order_id", OFF(parent_order_id), F_WORD, OP_M | OP_C,
	    NULL, 0, 0, NULL },
	{ "exchange", OFF(exchange), F_ENUM, OP_P, exchanges, 0, 0, NULL },
	{ "tradingsymbol", OFF(tradingsymbol), F_WORD, OP_P, NULL, 0, 0,
	    "&_.-" },
	{ "transaction_type", OFF(transaction_type), F_ENUM, OP_P, txtypes,
	    0, 0, NULL },
	{ "product", OFF(product), F_ENUM, OP_P, products, 0, 0, NULL },
	{ "order_type", OFF(order_type), F_ENUM, OP_P | OP_M, otypes, 0, 0,
	    NULL },
	{ "validity", OFF(validity), F_ENUM, OP_P | OP_M, validities, 0, 0,
	    NULL },
	{ "quantity", OFF(quantity), F_INT, OP_P | OP_M, NULL, 1,
	    100000000, NULL },
	{ "price", OFF(price), F_PRICE, OP_P | OP_M, NULL, 0, 0, NULL },
	{ "trigger_price", OFF(trigger_price), F_PRICE, OP_P | OP_M, NULL,
	    0, 0, NULL },
	{ "disclosed_quantity", OFF(disclosed_quantity), F_INT, OP_P | OP_M,
	    NULL, 0, 100000000, NULL },
	{ "validity_ttl", OFF(validity_ttl), F_INT, OP_P | OP_M, NULL, 1,
	    1440, NULL },
	{ "market_protection", OFF(market_protection), F_PCT, OP_P | OP_M,
	    NULL, -1, 100, NULL },
	{ "iceberg_legs", OFF(iceberg_legs), F_INT, OP_P, NULL, 2, 10, NULL },
	{ "iceberg_quantity", OFF(iceberg_quantity), F_INT, OP_P, NULL, 1,
	    100000000, NULL },
	{ "auction_number", OFF(auction_number), F_WORD, OP_P, NULL, 0, 0,
	    NULL },
	{ "autoslice", OFF(autoslice), F_BOOL, OP_P, bools, 0, 0, NULL },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

const char *
kp_intent_op_name(int op)
{
	switch (op) {
	case KP_OP_PLACE: return "place";
	case KP_OP_MODIFY: return "modify";
	case KP_OP_CANCEL: return "cancel";
	case KP_OP_STATUS: return "status";
	}
	return "?";
}

static int
alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

int
kp_intent_id_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > KP_INTENT_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!alnum((unsigned char)s[i]) &&
		    strchr("_.:-", s[i]) == NULL)
			return 0;
	return 1;
}

static int
word_ok(const char *s, const char *extra)
{
	if (*s == 0)
		return 0;
	for (; *s; s++)
		if (!alnum((unsigned char)*s) &&
		    (extra == NULL || strchr(extra, *s) == NULL))
			return 0;
	return 1;
}

/* A non-negative decimal with at most 8 places, no exponent. */
static int
price_ok(const char *s)
{
	int digits = 0, frac = -1;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			digits++;
			if (frac >= 0 && ++frac > 8)
				return 0;
		} else if (*s == '.' && frac < 0) {
			frac = 0;
		} else {
			return 0;
		}
	}
	return digits > 0 && frac != 0;
}

/*
 * market_protection (kite-connect.md 2.3): -1 (automatic) or a percentage
 * from 0 to 100.  Not only whole ones: GO sends a float64, JAVA a double,
 * and MOCK orders.json records "mktp:2.00"; at most two places, as that
 * tag shows them.  Whole numbers are normalized ("05" is "5"), decimals
 * kept as given, like prices.
 */
static int
pct_ok(char *s, size_t size)
{
	const char *dot = strchr(s, '.');
	long long n;

	if (kp_num_ll(s, -1, 100, &n) == 0) {
		snprintf(s, size, "%lld", n);
		return 1;
	}
	if (dot == NULL || strlen(dot + 1) > 2 || !price_ok(s))
		return 0;
	n = 0;
	for (; *s != '.'; s++)
		if ((n = n * 10 + (*s - '0')) > 100)
			return 0;
	for (s++; n == 100 && *s; s++)
		if (*s != '0')
			return 0;
	return 1;
}

/* Whether a validated price is zero. */
static int
price_zero(const char *s)
{
	for (; *s; s++)
		if (*s != '0' && *s != '.')
			return 0;
	return 1;
}

/* What a field's bad value gets: what the field takes. */
static void
take_err(const struct field *f, char err[KP_ERRLEN])
{
	size_t i;

	switch (f->kind) {
	case F_ENUM:
	case F_BOOL: {
		size_t n = 0;

		n += (size_t)snprintf(err, KP_ERRLEN, "%s: must be one of",
		    f->name);
		for (i = 0; f->words[i] != NULL && n < KP_ERRLEN; i++)
			n += (size_t)snprintf(err + n, KP_ERRLEN - n, " %s",
			    f->words[i]);
		break;
	}
	case F_INT:
		snprintf(err, KP_ERRLEN, "%s: must be an integer in "
		    "[%lld, %lld]", f->name, f->lo, f->hi);
		break;
	case F_PRICE:
		snprintf(err, KP_ERRLEN, "%s: must be a decimal >= 0 with at "
		    "most 8 places", f->name);
		break;
	case F_PCT:
		snprintf(err, KP_ERRLEN, "%s: must be -1 (automatic) or a "
		    "percentage from 0 to 100 with at most 2 places", f->name);
		break;
	case F_WORD:
		snprintf(err, KP_ERRLEN, "%s: must be 1-%zu characters "
		    "[A-Za-z0-9%s]", f->name, f->size - 1,
		    f->charset ? f->charset : "");
		break;
	}
}

/* The field's JSON value as text into dst; -1 with err on a bad value. */
static int
take(const struct field *f, json_t *v, char *dst, char err[KP_ERRLEN])
{
	char tmp[64];
	const char *s;
	size_t i;

	if (json_is_string(v)) {
		s = json_string_value(v);
		if (json_string_length(v) >= sizeof(tmp) ||
		    strlen(s) != json_string_length(v))
			goto bad;
		memcpy(tmp, s, json_string_length(v) + 1);
	} else if (json_is_boolean(v) && f->kind == F_BOOL) {
		memcpy(tmp, json_is_true(v) ? "true" : "false",
		    json_is_true(v) ? 5 : 6);
	} else if (json_is_integer(v) && (f->kind == F_INT ||
	    f->kind == F_PRICE || f->kind == F_PCT)) {
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	} else if (json_is_real(v) && (f->kind == F_PRICE ||
	    f->kind == F_PCT)) {
		struct kp_buf b;

		kp_buf_init(&b, sizeof(tmp) - 1);
		if (kp_json_double(&b, json_real_value(v)) < 0 ||
		    b.len >= sizeof(tmp)) {
			kp_buf_free(&b);
			goto bad;
		}
		memcpy(tmp, b.p, b.len);
		tmp[b.len] = 0;
		kp_buf_free(&b);
	} else {
		goto bad;
	}
	switch (f->kind) {
	case F_ENUM:
	case F_BOOL:
		for (i = 0; f->words[i] != NULL; i++)
			if (strcmp(tmp, f->words[i]) == 0)
				break;
		if (f->words[i] == NULL)
			goto bad;
		break;
	case F_INT: {
		long long n;

		if (kp_num_ll(tmp, f->lo, f->hi, &n) < 0)
			goto bad;
		snprintf(tmp, sizeof(tmp), "%lld", n);
		break;
	}
	case F_PRICE:
		if (!price_ok(tmp))
			goto bad;
		break;
	case F_PCT:
		if (!pct_ok(tmp, sizeof(tmp)))
			goto bad;
		break;
	case F_WORD:
		if (!word_ok(tmp, f->charset))
			goto bad;
		break;
	}
	if (strlen(tmp) >= f->size)
		goto bad;
	memcpy(dst, tmp, strlen(tmp) + 1);
	return 0;
bad:
	take_err(f, err);
	return -1;
}

static int
fail(char err[KP_ERRLEN], const char *msg)
{
	snprintf(err, KP_ERRLEN, "%s", msg);
	return -1;
}

/* Kite refuses MARKET and SL-M orders with market protection 0 (none):
 * -1 (automatic) or a percentage. */
static int
check_protection(const struct kp_intent *in, char err[KP_ERRLEN])
{
	if (*in->market_protection && price_zero(in->market_protection))
		return fail(err, "market_protection: 0 (none) is refused by "
		    "Kite for MARKET and SL-M orders; give -1 (automatic) or "
		    "a percentage 1-100");
	return 0;
}

/* Combinations Kite refuses, checked after every field is read. */
static int
check_place(const struct kp_intent *in, char err[KP_ERRLEN])
{
	const char *ot = in->order_type;
	int limit = !strcmp(ot, "LIMIT"), sl = !strcmp(ot, "SL");
	int market = !strcmp(ot, "MARKET"), slm = !strcmp(ot, "SL-M");
	int co = !strcmp(in->variety, "co");
	long long q = 0, d = 0;

	if (!*in->exchange || !*in->tradingsymbol || !*in->transaction_type ||
	    !*in->quantity || !*in->product || !*ot)
		return fail(err, "place needs exchange, tradingsymbol, "
		    "transaction_type, quantity, product and order_type");
	if ((limit || sl) && (!*in->price || price_zero(in->price)))
		return fail(err, "price: required (> 0) for LIMIT and SL");
	if ((market || slm) && *in->price && !price_zero(in->price))
		return fail(err, "price: not allowed for MARKET and SL-M");
	if (co) {
		/* a cover order: a MARKET or LIMIT entry and its stop-loss
		 * leg's trigger price, in one request */
		if (sl || slm)
			return fail(err, "order_type: MARKET or LIMIT for a "
			    "cover order (variety co)");
		if (!*in->trigger_price || price_zero(in->trigger_price))
			return fail(err, "trigger_price: required (> 0) for a "
			    "cover order (its stop-loss leg)");
	} else if ((sl || slm) && (!*in->trigger_price ||
	    price_zero(in->trigger_price))) {
		return fail(err, "trigger_price: required (> 0) for SL and "
		    "SL-M");
	} else if ((limit || market) && *in->trigger_price &&
	    !price_zero(in->trigger_price)) {
		return fail(err, "trigger_price: only for SL and SL-M (and "
		    "cover orders)");
	}
	if (*in->market_protection && !market && !slm)
		return fail(err, "market_protection: only for MARKET and "
		    "SL-M");
	if (check_protection(in, err) < 0)
		return -1;
	if (*in->disclosed_quantity) {
		kp_num_ll(in->quantity, 0, 100000000, &q);
		kp_num_ll(in->disclosed_quantity, 0, 100000000, &d);
		if (d > q)
			return fail(err, "disclosed_quantity: more than "
			    "quantity");
	}
	if (!strcmp(in->variety, "iceberg") != (*in->iceberg_legs != 0) ||
	    (*in->iceberg_legs != 0) != (*in->iceberg_quantity != 0))
		return fail(err, "iceberg_legs and iceberg_quantity: "
		    "required with variety iceberg, and only there");
	if (!strcmp(in->variety, "auction") != (*in->auction_number != 0))
		return fail(err, "auction_number: required with variety "
		    "auction, and only there");
	return 0;
}

int
kp_intent_parse(const char *line, size_t len, struct kp_intent *in,
    char err[KP_ERRLEN])
{
	json_error_t je;
	json_t *root, *v;
	const char *key, *s;
	size_t i;
	int rc = -1;

	memset(in, 0, sizeof(*in));
	err[0] = 0;
	if (len > KP_INTENT_LINE_MAX)
		return fail(err, "line too long");
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, KP_ERRLEN, "bad JSON at column %d: %s",
		    je.column, je.text);
		return -1;
	}
	if (!json_is_object(root)) {
		fail(err, "not a JSON object");
		goto out;
	}
	v = json_object_get(root, "id");
	if (v == NULL || !json_is_string(v) ||
	    !kp_intent_id_ok(json_string_value(v), json_string_length(v))) {
		fail(err, "id: required, 1-64 characters [A-Za-z0-9_.:-]");
		goto out;
	}
	memcpy(in->id, json_string_value(v), json_string_length(v) + 1);
	v = json_object_get(root, "op");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (!strcmp(s, "place"))
		in->op = KP_OP_PLACE;
	else if (!strcmp(s, "modify"))
		in->op = KP_OP_MODIFY;
	else if (!strcmp(s, "cancel"))
		in->op = KP_OP_CANCEL;
	else if (!strcmp(s, "status"))
		in->op = KP_OP_STATUS;
	else {
		fail(err, "op: must be place, modify, cancel or status");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (!strcmp(key, "id") || !strcmp(key, "op"))
			continue;
		for (i = 0; i < NFIELDS; i++)
			if (!strcmp(key, fields[i].name))
				break;
		if (i == NFIELDS) {
			if (!strcmp(key, "tag"))
				fail(err, "tag: set by order-exec, not by "
				    "intents (it is derived from the id)");
			else
				snprintf(err, KP_ERRLEN, "%.64s: unknown "
				    "field", key);
			goto out;
		}
		if (!(fields[i].ops & (1u << in->op))) {
			snprintf(err, KP_ERRLEN, "%s: not allowed for %s",
			    fields[i].name, kp_intent_op_name(in->op));
			goto out;
		}
		if (take(&fields[i], v, (char *)in + fields[i].off, err) < 0)
			goto out;
	}
	if (!*in->variety && in->op != KP_OP_STATUS) {
		fail(err, "variety: required");
		goto out;
	}
	if (in->op == KP_OP_PLACE) {
		if (!*in->validity)
			memcpy(in->validity, "DAY", 4);
		if (check_place(in, err) < 0)
			goto out;
	} else if (!*in->order_id) {
		snprintf(err, KP_ERRLEN, "order_id: required for %s",
		    kp_intent_op_name(in->op));
		goto out;
	} else if (in->op == KP_OP_MODIFY && !*in->quantity && !*in->price &&
	    !*in->trigger_price && !*in->order_type && !*in->validity &&
	    !*in->disclosed_quantity) {
		fail(err, "modify: nothing to change");
		goto out;
	} else if (in->op == KP_OP_MODIFY && check_protection(in, err) < 0) {
		goto out;
	}
	if ((*in->validity_ttl != 0) != !strcmp(in->validity, "TTL")) {
		fail(err, "validity_ttl: required with validity TTL, and "
		    "only there");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc < 0 && err[0] == 0)
		fail(err, "invalid");
	return rc;
}

void
kp_intent_tag(const char *id, unsigned salt, char tag[KP_INTENT_TAG_MAX + 1])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	int i;

	for (; *id; id++) {
		h ^= (unsigned char)*id;
		h *= 0x100000001b3ULL;
	}
	for (i = 0; i < 4; i++) {
		h ^= (salt >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	/* a final mix so that near ids spread over every digit */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	tag[0] = 'k';
	tag[1] = 'p';
	for (i = 0; i < 13; i++) {
		tag[2 + i] = digits[h & 31];
		h >>= 5;
	}
	tag[15] = 0;
}

int
kp_intent_json(struct kp_buf *b, const struct kp_intent *in)
{
	size_t i;
	int r = 0;

	r |= kp_buf_addstr(b, "{\"id\":");
	r |= kp_json_cstr(b, in->id);
	r |= kp_buf_addstr(b, ",\"op\":\"");
	r |= kp_buf_addstr(b, kp_intent_op_name(in->op));
	r |= kp_buf_addc(b, '"');
	for (i = 0; i < NFIELDS; i++) {
		const char *v = (const char *)in + fields[i].off;

		if (*v == 0)
			continue;
		r |= kp_buf_addstr(b, ",\"");
		r |= kp_buf_addstr(b, fields[i].name);
		r |= kp_buf_addstr(b, "\":");
		r |= kp_json_cstr(b, v);
	}
	r |= kp_buf_addc(b, '}');
	return r ? -1 : 0;
}

int
kp_form_escape(struct kp_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			r |= kp_buf_addc(b, (char)c);
		} else {
			r |= kp_buf_addc(b, '%');
			r |= kp_buf_addc(b, hex[c >> 4]);
			r |= kp_buf_addc(b, hex[c & 15]);
		}
	}
	return r ? -1 : 0;
}

int
kp_intent_form(struct kp_buf *b, const struct kp_intent *in, const char *tag)
{
	size_t i;
	int r = 0, first = 1;

	for (i = 0; i < NFIELDS; i++) {
		const char *v = (const char *)in + fields[i].off;

		/* variety and order_id go in the path */
		if (*v == 0 || fields[i].off == offsetof(struct kp_intent,
		    variety) || fields[i].off == offsetof(struct kp_intent,
		    order_id))
			continue;
		if (in->op == KP_OP_CANCEL && fields[i].off !=
		    offsetof(struct kp_intent, parent_order_id))
			continue;
		if (!first)
			r |= kp_buf_addc(b, '&');
		first = 0;
		r |= kp_buf_addstr(b, fields[i].name);
		r |= kp_buf_addc(b, '=');
		r |= kp_form_escape(b, v);
	}
	if (tag != NULL && in->op == KP_OP_PLACE) {
		if (!first)
			r |= kp_buf_addc(b, '&');
		r |= kp_buf_addstr(b, "tag=");
		r |= kp_form_escape(b, tag);
	}
	return r ? -1 : 0;
}

int
kp_intent_needs_protection(const char *order_type)
{
	return !strcmp(order_type, "MARKET") || !strcmp(order_type, "SL-M");
}
