/*
 * kp_simctl.h: parse one kite-sim control command ("stall on",
 * "http-429 0.2", "ambiguous 3 2000", "message TEXT", ...), as it comes
 * from the control socket or POST /sim/control.
 * SPDX-License-Identifier: MIT
 */
#ifndef KP_SIMCTL_H
#define KP_SIMCTL_H

#include <stdbool.h>
#include <stdint.h>

enum kp_simctl_cmd {
	KP_SIMCTL_STATUS = 1,
	KP_SIMCTL_DROP,			/* close every ticker connection now */
	KP_SIMCTL_DROP_AFTER_MS,	/* n */
	KP_SIMCTL_DROP_AFTER_MSGS,	/* n */
	KP_SIMCTL_STALL,		/* on */
	KP_SIMCTL_MALFORMED,		/* p */
	KP_SIMCTL_REFUSE_AUTH,		/* on */
	KP_SIMCTL_HTTP_429,		/* p */
	KP_SIMCTL_HTTP_5XX,		/* p */
	KP_SIMCTL_DELAY_MS,		/* n */
	KP_SIMCTL_AMBIGUOUS,		/* n (-1: all), n2 ms (-1: never) */
	KP_SIMCTL_CLEAR,
	KP_SIMCTL_MESSAGE,		/* text: the rest of the line */
	KP_SIMCTL_BOOK_LAG_MS,		/* n */
	KP_SIMCTL_CHILD_MARGIN_FAIL,	/* n (0: off) */
	KP_SIMCTL_FREEZE_QTY,		/* word (name), n (0: none) */
	KP_SIMCTL_DUMP_CUT,		/* n bytes (0: off) */
	KP_SIMCTL_DUMP_CORRUPT,		/* on */
	KP_SIMCTL_REVOKE,		/* word (an API key) */
	KP_SIMCTL_RESTORE,		/* word (an API key) */
	KP_SIMCTL_MOVE,			/* word (underlying), x rupees */
	KP_SIMCTL_TREND			/* word (underlying), x rupees/s */
};

/* The largest index level "move" takes and the largest "trend" rate. */
#define KP_SIMCTL_MAX_PRICE 1e7
#define KP_SIMCTL_MAX_TREND 1e5

/* The largest count or number of milliseconds a command takes. */
#define KP_SIMCTL_MAX_MS (86400000LL * 365)

struct kp_simctl {
	int cmd;		/* enum kp_simctl_cmd */
	int64_t n, n2;
	double p;		/* a probability, 0 to 1 */
	double x;		/* MOVE: a level > 0; TREND: a signed rate */
	bool on;
	const char *text;	/* KP_SIMCTL_MESSAGE: points into the line */
	char word[64];		/* FREEZE_QTY, MOVE, TREND: the name;
				 * REVOKE, RESTORE: the API key */
};

/*
 * Parse a NUL-terminated line (a trailing CR/LF is ignored).  Return 0
 * with *c filled, or -1 (an unknown command, a missing or bad value, or
 * a line of more than 255 bytes that is not a message).
 */
int kp_simctl_parse(const char *line, struct kp_simctl *c);

#endif
