/* kp_wsmsg.h: ws-fanout's client messages and tick lines, parsed. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_WSMSG_H
#define KP_WSMSG_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"

enum kp_wsmsg_action {
	KP_WSMSG_SUBSCRIBE = 1,
	KP_WSMSG_UNSUBSCRIBE,
	KP_WSMSG_PING
};

struct kp_wsmsg {
	enum kp_wsmsg_action action;
	size_t ntokens;		/* tokens stored in the caller's array */
};

/*
 * Parse a client message: {"action":"subscribe","tokens":[...]},
 * {"action":"unsubscribe","tokens":[...]} or {"action":"ping"}.  Tokens
 * are integers in [1, 2^32 - 1] (strings of digits are accepted too);
 * subscribe and unsubscribe need a non-empty "tokens" array of at most
 * cap entries, stored in tokens[] in order (duplicates kept).  Other
 * members are ignored.  Return 0, or -1 with err (a short line meant for
 * the client: it never quotes more than 32 bytes of the input).
 */
int kp_wsmsg_parse(const char *buf, size_t len, uint32_t *tokens,
    size_t cap, struct kp_wsmsg *m, char err[KP_ERRLEN]);

/*
 * Look at one NDJSON input line; line[len] must be a NUL byte (as
 * kp_line_next and hiredis leave it), and a NUL before it makes the line
 * invalid.  Return 1 with *token set when it is a JSON object with an
 * integer "instrument_token" in [1, 2^32 - 1] at its top level (the last
 * one when repeated), 0 when it is a JSON object without one (a status
 * line, an order update), -1 with err when it is not a JSON object.
 * Valid JSON is what jansson's json_loadb accepts (lib/tickscan.c);
 * nothing is allocated.
 */
int kp_wsmsg_tick_token(const char *line, size_t len, uint32_t *token,
    char err[KP_ERRLEN]);

#endif
