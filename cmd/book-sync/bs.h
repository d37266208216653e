/*
 * bs.h: the parts of book-sync and how they meet.
 * SPDX-License-Identifier: MIT
 *
 *   main.c   options, credentials, the run: fetch everything, then print
 *            NDJSON or hand the set to db.c; --follow's loop
 *   fetch.c  GET {KITE_API_URL}/... with libcurl into a bounded buffer,
 *            retries with backoff on network errors, 429 and 5xx
 *   rec.c    Kite's JSON (envelopes, records, kite-stream order lines)
 *            to records: checked, written back compactly with exact
 *            numbers; fuzzed (fuzz/bookrec.c)
 *   db.c     the schema and its migrations, the one-transaction sync,
 *            the book_runs row, --follow's order upserts
 *
 * Data flows one way: main.c -> fetch.c, rec.c -> db.c.
 */
#ifndef BOOK_SYNC_H
#define BOOK_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "kp.h"

#define BS_PROG "book-sync"
#define BS_BODY_MAX (64u << 20)		/* largest answer read */
#define BS_LINE_MAX (1u << 20)		/* largest --follow line */

/* What a run fetches, one endpoint each (margins: both segments). */
enum bs_kind {
	BS_ORDER, BS_TRADE, BS_POS_NET, BS_POS_DAY, BS_HOLDING, BS_MARGIN,
	BS_NKIND
};

/*
 * The records of one run, per kind: `arr` a JSON array of the records
 * (an object keyed by segment for margins), `lines` the NDJSON output
 * lines; n good records, rejected the ones refused (logged).
 */
struct bs_set {
	struct kp_buf arr[BS_NKIND];
	struct kp_buf lines;
	size_t n[BS_NKIND];
	size_t rejected;
};

/* rec.c ---------------------------------------------------------------- */

/* The "type" of a kind's NDJSON lines ("order", "position", ...). */
const char *bs_type(enum bs_kind k);
void bs_set_init(struct bs_set *s);
void bs_set_free(struct bs_set *s);
/*
 * Add the records of one answer (the whole body, Kite's envelope) of
 * endpoint k (BS_POS_NET takes /portfolio/positions and fills both net
 * and day).  A bad record is logged and counted; 0, or -1 with err when
 * the body itself is unusable (not JSON, not a success envelope, data
 * of the wrong shape).
 */
int bs_set_body(struct bs_set *s, enum bs_kind k, const char *body,
    size_t len, char err[KP_ERRLEN]);
/* Close the arrays (NUL-terminated, for libpq). */
void bs_set_finish(struct bs_set *s);
/*
 * One record v of kind k, checked (key fields are non-empty strings of
 * at most 128 bytes, the numeric fields numbers or null) and appended to
 * out as compact JSON (members in order, integers and decimals exactly
 * as read back).  0, or -1 with err (out unchanged).
 */
struct json_t;
int bs_rec_map(enum bs_kind k, struct json_t *v, struct kp_buf *out,
    char err[KP_ERRLEN]);
/*
 * One kite-stream line: 1 with the order (postback fields user_id,
 * unfilled_quantity, app_id and checksum dropped, so that it reads as
 * in /orders) in out and its order_id in id; 0 for a line of another
 * type; -1 with err for a bad line.
 */
int bs_stream_line(const char *line, size_t len, struct kp_buf *out,
    char id[129], char err[KP_ERRLEN]);

/* fetch.c -------------------------------------------------------------- */

struct bs_fetch;
struct bs_fetch *bs_fetch_new(const char *base, const char *auth,
    long timeout_ms, int retries);
void bs_fetch_free(struct bs_fetch *f);
/*
 * GET base+path into body (reset first).  0 on HTTP 200;
 * KP_EXIT_PERM for a refusal (4xx but 429); KP_EXIT_TEMP when network
 * errors, 429 or 5xx outlast the retries (logged).
 */
int bs_fetch_get(struct bs_fetch *f, const char *path, struct kp_buf *body);

/* db.c ----------------------------------------------------------------- */

struct bs_counts {
	long long inserted, updated, deleted;
};

/*
 * The sync: connect (conninfo, or DATABASE_URL/PG*), migrate, then one
 * transaction.  KP_EXIT_OK, KP_EXIT_PERM (schema newer than this
 * program), KP_EXIT_TEMP (database).
 */
int bs_db_sync(const char *conninfo, const struct bs_set *s,
    long long started_us, struct bs_counts *c);

struct bs_db;
/* --follow: connect and migrate, or NULL (logged) with *code set. */
struct bs_db *bs_db_open(const char *conninfo, int *code);
/* Upsert one order from the stream: 1 changed, 0 unchanged, -1 error. */
int bs_db_order(struct bs_db *d, const char *id, const struct kp_buf *data);
/* The follow run's book_runs row (its counts into *out); 0 or -1. */
int bs_db_follow_done(struct bs_db *d, long long started_us,
    long long orders, long long bad, struct bs_counts *out);
void bs_db_close(struct bs_db *d);

#endif
