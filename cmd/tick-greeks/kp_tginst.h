/*
 * kp_tginst.h: line parsers of tick-greeks's instrument inputs, outside
 * input that gets a fuzz target each: one line of instr-sync's NDJSON
 * instrument list, and one line of an underlying map ("NAME TOKEN").
 * The callers keep the file handling (and the line numbers).
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_TGINST_H
#define KP_TGINST_H

#include <stddef.h>
#include <stdint.h>

#include "kp_instr.h"

/* Room for a reason ("column 12: ..."), NUL included. */
#define KP_TGINST_WHY 160

/* A map line's longest name, and longest line (without the newline). */
#define KP_TGMAP_NAME_MAX KP_INSTR_NAME_MAX
#define KP_TGMAP_LINE_MAX 511

/* What the parsers return besides 0 (a row) and -1 (a bad line). */
#define KP_TGINST_SKIP 1

/*
 * One NDJSON line (a trailing "\n" or "\r\n" allowed; no NUL needed)
 * into in: instrument_token (an integer 1..2^32-1, required),
 * tradingsymbol, name, exchange, segment (strings or null, within the
 * kp_instr limits), instrument_type ("CE", "PE", "FUT"; anything else is
 * EQ), strike (a number or a price string, >= 0; absent is 0) and expiry
 * ("YYYY-MM-DD", "" or null: none).  Other members are ignored.
 * Return 0 (in filled; in->line is left 0), KP_TGINST_SKIP for a blank
 * line, or -1 with why saying what is wrong: the JSON error and its
 * column, or the field.
 */
int kp_tginst_ndjson(const char *line, size_t len, struct kp_instr *in,
    char why[KP_TGINST_WHY]);

struct kp_tgmap {
	char name[KP_TGMAP_NAME_MAX + 1];	/* non-empty, no blanks */
	uint32_t token;				/* > 0 */
};

/*
 * One underlying-map line: NAME TOKEN, separated by blanks (spaces,
 * tabs), leading and trailing blanks and a "# comment" after the token
 * allowed, a trailing "\n" or "\r\n" too.  Return 0 (m filled),
 * KP_TGINST_SKIP for a blank or comment line, or -1 with why naming the
 * 1-based byte column of the problem.
 */
int kp_tginst_map(const char *line, size_t len, struct kp_tgmap *m,
    char why[KP_TGINST_WHY]);

#endif
