/*
 * kp_tkreq.h: parse the text messages a Kite ticker client sends
 * (kite-connect.md section 1.2): subscribe, unsubscribe and mode.
 * SPDX-License-Identifier: MIT
 */
#ifndef KP_TKREQ_H
#define KP_TKREQ_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"

enum kp_tkreq_action {
	KP_TKREQ_SUBSCRIBE = 1,		/* {"a":"subscribe","v":[t,...]} */
	KP_TKREQ_UNSUBSCRIBE = 2,	/* {"a":"unsubscribe","v":[t,...]} */
	KP_TKREQ_MODE = 3		/* {"a":"mode","v":[m,[t,...]]} */
};

enum kp_tkreq_mode {
	KP_TKREQ_LTP = 1,
	KP_TKREQ_QUOTE = 2,
	KP_TKREQ_FULL = 3
};

struct kp_tkreq {
	int action;		/* enum kp_tkreq_action */
	int mode;		/* enum kp_tkreq_mode, for KP_TKREQ_MODE */
	uint32_t *tokens;	/* malloc'd; n of them */
	size_t n;
	size_t bad;		/* values that were not tokens (skipped) */
};

/*
 * Parse one message of len bytes (need not be NUL-terminated).  Return
 * 0 with *r filled (free it with kp_tkreq_free), or -1 with err saying
 * what is wrong ("not JSON: ... at column 3", "unknown action 'x'").
 * Values in the token list that are not integers in [0, 2^32) are
 * counted in r->bad and skipped; an empty list is valid.
 */
int kp_tkreq_parse(const char *p, size_t len, struct kp_tkreq *r,
    char err[KP_ERRLEN]);
void kp_tkreq_free(struct kp_tkreq *r);

/* "ltp", "quote", "full" -> enum kp_tkreq_mode, or 0. */
int kp_tkreq_mode(const char *s);

#endif
