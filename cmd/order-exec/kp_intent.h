/* kp_intent.h: order intents (order-exec's NDJSON input), parsed and
 * validated before anything is sent to Kite. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_INTENT_H
#define KP_INTENT_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"

#define KP_INTENT_ID_MAX 64	/* client id: [A-Za-z0-9_.:-]{1,64} */
#define KP_INTENT_TAG_MAX 20	/* Kite: alphanumeric, at most 20 */
#define KP_INTENT_LINE_MAX 4096	/* longest intent line accepted */

enum kp_intent_op {
	KP_OP_PLACE = 1,
	KP_OP_MODIFY = 2,
	KP_OP_CANCEL = 3,
	KP_OP_STATUS = 4	/* read an order's history and trades */
};

/*
 * One validated intent.  Strings are NUL-terminated and empty when
 * absent; numbers are kept as the decimal text that goes on the wire
 * (prices exactly as given, never re-rounded).  has_* say which optional
 * fields were present.
 */
struct kp_intent {
	char id[KP_INTENT_ID_MAX + 1];
	int op;				/* enum kp_intent_op */
	char variety[12];		/* regular amo co iceberg auction */
	char order_id[33];		/* modify, cancel */
	char parent_order_id[33];	/* cancel/modify of a CO leg */
	char exchange[8];
	char tradingsymbol[48];
	char transaction_type[8];	/* BUY SELL */
	char product[8];		/* CNC NRML MIS MTF */
	char order_type[8];		/* MARKET LIMIT SL SL-M */
	char validity[8];		/* DAY IOC TTL */
	char quantity[24];
	char price[24];
	char trigger_price[24];
	char disclosed_quantity[24];
	char validity_ttl[24];
	char market_protection[8];
	char iceberg_legs[4];
	char iceberg_quantity[24];
	char auction_number[16];
	char autoslice[8];		/* "true" or "false"; empty: absent */
};

/*
 * Parse and validate one NDJSON line (len bytes, need not be
 * NUL-terminated).  Unknown fields are errors (a misspelt "quantiy" must
 * never become a default).  Return 0, or -1 with err filled ("quantity:
 * must be a positive integer") and, when the line had a usable "id",
 * in->id set (else in->id empty) so the answer can name it.
 */
int kp_intent_parse(const char *line, size_t len, struct kp_intent *in,
    char err[KP_ERRLEN]);

/* Whether the order type needs market protection (MARKET, SL-M). */
int kp_intent_needs_protection(const char *order_type);

/* "place", "modify", "cancel", "status" */
const char *kp_intent_op_name(int op);

/* Whether s is a valid client id. */
int kp_intent_id_ok(const char *s, size_t len);

/*
 * The Kite tag for an id: "kp" and 13 base-32 digits of a 64-bit hash of
 * the id and `salt` (0 first; a collision with another id's tag is
 * resolved by the caller with salt 1, 2, ...).  Always 15 characters,
 * [0-9a-v], NUL-terminated.
 */
void kp_intent_tag(const char *id, unsigned salt,
    char tag[KP_INTENT_TAG_MAX + 1]);

/* Append the intent as one JSON object (no newline); 0 or -1 ENOBUFS. */
int kp_intent_json(struct kp_buf *b, const struct kp_intent *in);

/*
 * Append the request body (application/x-www-form-urlencoded) Kite
 * expects for the intent; tag (may be NULL) is added to a place.
 * 0 or -1 ENOBUFS.
 */
int kp_intent_form(struct kp_buf *b, const struct kp_intent *in,
    const char *tag);

/* Append s percent-encoded for a form or a query (RFC 3986 unreserved
 * characters kept). */
int kp_form_escape(struct kp_buf *b, const char *s);

#endif
