/* kp_linescan.h: the one scanner of NDJSON lines (lib/linescan.c). */
/* SPDX-License-Identifier: MIT */
#ifndef KP_LINESCAN_H
#define KP_LINESCAN_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"

/*
 * One pass over one line, with no tree and no allocation: the line is
 * checked to be one JSON value (RFC 8259), and the top-level members a
 * field table names are picked on the way, each as a span of the line
 * (and, when asked, a number's value).  Keys are compared decoded (a key
 * written with escapes matches); when a key repeats, the last one counts.
 *
 * How strict the check is depends on the flags:
 *
 *   0               syntax only: an object, at most KP_JSCAN_DEPTH nested
 *                   values, \u escapes checked for syntax only, bytes of
 *                   0x80 and up and numbers not checked
 *   KP_LS_JANSSON   what jansson's json_loadb(line, len, 0) accepts: an
 *                   object or an array, UTF-8 strings without \u0000, no
 *                   lone surrogates, integers within int64, no real that
 *                   overflows a double, at most KP_LS_MAX_DEPTH nested
 *                   values (but any NUL byte is an error, where jansson
 *                   lets one pass right after a number or literal)
 *   KP_LS_STRICT    as 0, and the line is UTF-8 (lib/utf8.c), every number
 *                   at any depth is within a double's range (one too small
 *                   rounds to 0 and passes)
 *   KP_LS_QUICK     as 0, but once every wanted member is found the rest
 *                   of the line is only checked to end in '}' (after
 *                   blanks): a line damaged after them can pass, and a key
 *                   repeated after them is not seen
 *
 * and what is picked on them:
 *
 *   KP_LS_VALUES    a picked number's value too (nkind, i64, num)
 *   KP_LS_BEST      also the tick's best prices, depth.buy[0].price and
 *                   depth.sell[0].price, as numbers in v[t->n] and
 *                   v[t->n + 1] (absent unless numbers; a later "depth",
 *                   "buy" or "sell" replaces an earlier one's); the table
 *                   must not name "depth"; implies KP_LS_VALUES
 *   KP_LS_SLOW      the general scanner alone, without the fast path for
 *                   plain tick lines (for tests: both must agree)
 *   KP_LS_SEEN      v[] is not cleared first: r->seen tells which entries
 *                   were filled (bit k: v[k]), the others are not to be
 *                   read (for callers that copy out only what was found)
 *   KP_LS_COLS      (kp_linescan_cols, with KP_LS_VALUES and KP_LS_SEEN,
 *                   not KP_LS_QUICK; kind[] zeroed by the caller) a picked
 *                   number goes straight into the caller's columns
 *                   instead of v[k]: kind[k] KP_JN_INT or KP_JN_REAL,
 *                   num[k], i64[k]; a value that is not a number sets
 *                   kind[k] to 0 and goes to v[k] (bit k of r->seen).  So
 *                   the member's last value is the number when kind[k] is
 *                   not 0, else v[k] when bit k is set, else absent
 */
#define KP_JFIELDS_MAX 32
#define KP_JFIELD_NAME_MAX 64
#define KP_JSCAN_DEPTH 64
#define KP_LS_MAX_DEPTH 2048

enum {
	KP_LS_JANSSON = 1,
	KP_LS_STRICT = 2,
	KP_LS_QUICK = 4,
	KP_LS_VALUES = 8,
	KP_LS_BEST = 16,
	KP_LS_SLOW = 32,
	KP_LS_SEEN = 64,
	KP_LS_COLS = 128
};

/*
 * The members wanted: at most KP_JFIELDS_MAX, each 1..64 bytes, added
 * with kp_jfields_add after kp_jfields_init (a key is then found by its
 * length and a compare or two).
 */
struct kp_jfields {
	size_t n;
	uint8_t bylen[64];	/* 1 + the first name of k bytes, or 0 */
	uint8_t next[KP_JFIELDS_MAX];	/* 1 + the next of its length, or 0 */
	struct {
		size_t len;
		char name[KP_JFIELD_NAME_MAX + 1];
	} f[KP_JFIELDS_MAX];
	/*
	 * the first name of k bytes, 8 <= k < 64: its first and last 8
	 * bytes, and for k > 16 the 8 at byte 8
	 */
	uint64_t head[64][3];
};

enum kp_jtype {
	KP_J_ABSENT = 0,
	KP_J_STRING,		/* p, len: the contents, still escaped */
	KP_J_NUMBER,		/* p, len: the number as written */
	KP_J_TRUE,
	KP_J_FALSE,
	KP_J_NULL,
	KP_J_OBJECT,		/* p, len: the whole value */
	KP_J_ARRAY
};

enum { KP_JN_INT = 1, KP_JN_REAL };

struct kp_jval {
	const char *p;
	uint32_t len;
	uint8_t type;		/* enum kp_jtype */
	uint8_t escaped;	/* a string holding backslashes */
	uint8_t nkind;		/* KP_LS_VALUES, a number: KP_JN_* */
	int64_t i64;		/* KP_JN_INT: the exact value */
	double num;		/* KP_JN_INT and KP_JN_REAL: the value */
};

/* The outcome of a scan beyond the values. */
struct kp_lsres {
	int top;		/* '{' or '[' */
	const char *why;	/* on error: what */
	size_t col;		/* and where (1-based byte column) */
	uint64_t seen;		/* KP_LS_SEEN: bit k, v[k] was filled */
};

/* KP_LS_COLS: where picked numbers go, indexed as v[]. */
struct kp_jcols {
	unsigned char *kind;
	double *num;
	int64_t *i64;
};

void kp_jfields_init(struct kp_jfields *t);

/* Add a name (or find it); return its index, or -1 (table full, bad
 * length). */
int kp_jfields_add(struct kp_jfields *t, const char *name, size_t len);

/*
 * Scan s[0, n); s[n] must be a NUL (as kp_line_next and hiredis leave
 * it).  Fill v[0, t->n) (and two more with KP_LS_BEST).  Return 0, or -1
 * with r->why and r->col set (the wording of jansson's family with
 * KP_LS_JANSSON, else "expected ':'", "not a JSON object", ...).
 */
int kp_linescan(const char *s, size_t n, const struct kp_jfields *t,
    struct kp_jval *v, unsigned flags, struct kp_lsres *r);

/* The same, with KP_LS_COLS: picked numbers into c. */
int kp_linescan_cols(const char *s, size_t n, const struct kp_jfields *t,
    struct kp_jval *v, const struct kp_jcols *c, unsigned flags,
    struct kp_lsres *r);

/*
 * kp_linescan with flags 0, KP_LS_QUICK or KP_LS_STRICT, and an error
 * written as "byte 17: expected ':'" (a line over 4 GiB is refused).
 */
int kp_jscan(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN]);
int kp_jscan_quick(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN]);
int kp_jscan_strict(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN]);

/*
 * Decode a JSON string's contents (escapes included, as scanned) into
 * out, at most cap bytes.  \uXXXX becomes UTF-8; a lone surrogate
 * becomes U+FFFD.  Return the length, or -1 when it does not fit.
 */
long kp_json_unescape(const char *p, size_t len, char *out, size_t cap);

#endif
