/*
 * restx.h: what rest.c, orders.c and hist.c share (the REST half of
 * kite-sim; main.c, market.c and ticker.c never see it).
 * SPDX-License-Identifier: MIT
 */
#ifndef KITE_SIM_RESTX_H
#define KITE_SIM_RESTX_H

#include "kp_form.h"
#include "sim.h"

#define REST_BODY_MAX (32u << 20)	/* largest answer we build */
#define IST_S 19800			/* +05:30 */
#define SIM_USER_ID "KS1234"		/* the simulated user */

/* Answers (rest.c).  Each sets status, content type and a malloc'd body. */
void rest_ok(struct sim_resp *r, struct kp_buf *data);
void rest_err(struct sim_resp *r, int status, const char *type,
    const char *fmt, ...) KP_PRINTF(4, 5);
/*
 * JSON members for orders.c and book.c: "k": then the value and ',';
 * rest_jstr writes null for NULL or "", rest_jrupees paise as rupees;
 * rest_jclose replaces a trailing ',' by '}'.
 */
void rest_jkey(struct kp_buf *b, const char *k);
void rest_jstr(struct kp_buf *b, const char *k, const char *v);
void rest_jint(struct kp_buf *b, const char *k, int64_t v);
void rest_jrupees(struct kp_buf *b, const char *k, int64_t paise);
void rest_jclose(struct kp_buf *b);
/* "yyyy-mm-dd hh:mm:ss" IST of epoch seconds into out[20]. */
void rest_ist(char out[20], int64_t epoch_s);
/* Lowercase hex SHA-256 of s into out[65]; 0 or -1. */
int rest_sha256_hex(const char *s, size_t n, char out[65]);
/* Index of the universe's instrument exchange:tradingsymbol, or -1. */
long rest_find_symbol(const struct sim *s, const char *exchange,
    const char *symbol);

/*
 * The circuit limits of instrument ix, paise on its tick: 20% around the
 * previous close (the last price when there is none).
 */
int64_t rest_band(const struct sim *s, size_t ix, bool upper);

/* orders.c */
struct rest_orders;
struct rest_orders *orders_new(void);
void orders_free(struct rest_orders *o);
/* POST/PUT/DELETE /orders/..., GET /orders..., GET /trades */
void orders_handle(struct sim *s, struct rest_orders *o,
    const struct sim_req *req, const struct kp_form *form,
    struct sim_resp *r);
void orders_on_market(struct sim *s, struct rest_orders *o);
/* How many orders the book holds. */
int64_t orders_count(const struct rest_orders *o);

/* One paper fill (a row of /trades), for book.c. */
struct rest_fill {
	long ix;			/* into s->instr */
	uint32_t token;
	const char *exchange, *symbol, *product;
	bool buy;
	int64_t qty, price;		/* price in paise */
};
/* How many fills the book holds; fill i of them into *f. */
size_t orders_nfills(const struct rest_orders *o);
void orders_fill(const struct rest_orders *o, size_t i,
    struct rest_fill *f);

/* book.c: GET /portfolio/positions, /portfolio/holdings, /user/margins
 * and /user/margins/{segment}, derived from the fills (what: "positions",
 * "holdings", "margins"; segment NULL or "equity"/"commodity") */
void book_handle(struct sim *s, struct rest_orders *o, const char *what,
    const char *segment, struct sim_resp *r);

/* quote.c: GET /quote (what NULL), /quote/ohlc, /quote/ltp */
void quote_handle(struct sim *s, const char *what, const struct kp_form *q,
    struct sim_resp *r);

/* hist.c: GET /instruments/historical/{token}/{interval} */
struct hist;
/* Snapshot the universe's prices now (the start) as the anchors. */
struct hist *hist_new(const struct sim *s);
void hist_free(struct hist *h);
void hist_handle(struct sim *s, struct hist *h, const char *token,
    const char *interval, const struct kp_form *q, struct sim_resp *r);

#endif
