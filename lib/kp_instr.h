/*
 * kp_instr.h: a streaming parser of Kite's instruments dump (CSV, RFC
 * 4180, via libcsv) and writers for one instrument as NDJSON or CSV.
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_INSTR_H
#define KP_INSTR_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"

/* Prices (last_price, strike, tick_size) are integers scaled by 10^4. */
#define KP_INSTR_DEC 4
#define KP_INSTR_SCALE 10000

/* Field limits in bytes (without the NUL); longer is a bad row. */
#define KP_INSTR_SYM_MAX 63
#define KP_INSTR_NAME_MAX 255
#define KP_INSTR_SEG_MAX 15
#define KP_INSTR_EXCH_MAX 15
/* Any field, used or not, longer than this makes the row bad; memory
 * stays bounded whatever the input. */
#define KP_INSTR_FIELD_MAX 4096
/* Columns beyond this many in a row are ignored. */
#define KP_INSTR_COLS_MAX 64

/* expiry when the instrument has none (equities, indices). */
#define KP_INSTR_NOEXP INT32_MIN

enum kp_instr_type {
	KP_INSTR_EQ = 0,
	KP_INSTR_FUT = 1,
	KP_INSTR_CE = 2,
	KP_INSTR_PE = 3
};

struct kp_instr {
	uint32_t instrument_token;	/* > 0 */
	uint32_t exchange_token;
	int64_t last_price;		/* x 10^4, >= 0 */
	int64_t strike;			/* x 10^4, >= 0 */
	int64_t tick_size;		/* x 10^4, >= 0 */
	uint32_t lot_size;
	int32_t expiry;			/* days since 1970-01-01, or NOEXP */
	enum kp_instr_type type;
	uint64_t line;			/* line of the input the row starts on */
	char tradingsymbol[KP_INSTR_SYM_MAX + 1];	/* non-empty */
	char name[KP_INSTR_NAME_MAX + 1];		/* may be empty */
	char segment[KP_INSTR_SEG_MAX + 1];		/* [A-Z0-9_-]+ */
	char exchange[KP_INSTR_EXCH_MAX + 1];		/* [A-Z0-9_-]+ */
	char expiry_str[11];		/* "YYYY-MM-DD", or "" */
};

/*
 * Row callback: return 0 to go on, non-zero to stop the parse (feed and
 * finish then return -1 with the error "stopped by the caller").
 */
typedef int (*kp_instr_row_fn)(void *arg, const struct kp_instr *in);
/* Bad-row callback: the line the row starts on and why it is bad.  When
 * NULL, kp_warn("line N: reason") is used. */
typedef void (*kp_instr_bad_fn)(void *arg, uint64_t line, const char *why);

struct kp_instr_parser;

struct kp_instr_counts {
	uint64_t rows;		/* data rows seen (header excluded) */
	uint64_t good;
	uint64_t bad;
	uint64_t bytes;
};

/* Return a parser, or NULL (ENOMEM). */
struct kp_instr_parser *kp_instr_new(kp_instr_row_fn row,
    kp_instr_bad_fn bad, void *arg);

/*
 * Feed the next bytes of the dump (any split).  The first row is the
 * header: columns are found by name (order free, extra ones ignored; a
 * UTF-8 BOM is skipped); a missing or repeated required column is fatal.
 * Return 0, or -1 on a fatal error (kp_instr_error says what); later
 * calls then return -1 at once.
 */
int kp_instr_feed(struct kp_instr_parser *p, const void *buf, size_t n);

/* End of input: the last row without a newline, an unterminated quote
 * (a bad row), an input with no header (fatal).  Return 0 or -1. */
int kp_instr_finish(struct kp_instr_parser *p);

const char *kp_instr_error(const struct kp_instr_parser *p);
void kp_instr_counts(const struct kp_instr_parser *p,
    struct kp_instr_counts *c);
void kp_instr_free(struct kp_instr_parser *p);

/*
 * Parse a whole file ("-" is stdin) or descriptor.  Return 0, or -1 with
 * err filled (I/O error or fatal parse error).  c may be NULL.
 */
int kp_instr_parse_fd(int fd, kp_instr_row_fn row, kp_instr_bad_fn bad,
    void *arg, struct kp_instr_counts *c, char err[KP_ERRLEN]);
int kp_instr_parse_file(const char *path, kp_instr_row_fn row,
    kp_instr_bad_fn bad, void *arg, struct kp_instr_counts *c,
    char err[KP_ERRLEN]);

/* Whether in is the cash row (EQ) of the underlying whose options are
 * named name: its tradingsymbol, or the index's ("NIFTY" is "NIFTY 50",
 * "BANKNIFTY" "NIFTY BANK", ...).  lib/instrname.c. */
int kp_instr_is_underlying(const char *name, const struct kp_instr *in);

/* "EQ", "FUT", "CE", "PE". */
const char *kp_instr_type_name(enum kp_instr_type t);

/* "YYYY-MM-DD" (a real date, years 1900-2999) to days since 1970-01-01;
 * return 0 or -1. */
int kp_instr_date(const char *s, size_t n, int32_t *days);
/* Days since 1970-01-01 to "YYYY-MM-DD" (11 bytes with the NUL). */
void kp_instr_date_str(int32_t days, char out[11]);

/* A price field: "123", "0.05", "17500.0"; digits past the fourth
 * decimal are rounded half up.  Return 0 or -1. */
int kp_instr_price(const char *s, size_t n, int64_t *v);

/* A fixed-point price as a double. */
static inline double
kp_instr_dbl(int64_t v)
{
	return (double)v / KP_INSTR_SCALE;
}

/*
 * One instrument as a JSON object (no newline) with Kite's field names,
 * numbers as numbers, expiry "YYYY-MM-DD" or null.  Return 0 or -1.
 */
int kp_instr_json(struct kp_buf *b, const struct kp_instr *in);

/* The header line (with '\n') of the CSV that kp_instr_csv writes. */
#define KP_INSTR_CSV_HEADER "instrument_token,exchange_token,tradingsymbol," \
	"name,last_price,expiry,strike,tick_size,lot_size,instrument_type," \
	"segment,exchange\n"

/* One instrument as a CSV row in Kite's column order, '\n' included,
 * fields quoted when needed (RFC 4180).  Return 0 or -1. */
int kp_instr_csv(struct kp_buf *b, const struct kp_instr *in);

#endif
