/*
 * kp_utf8.h: a streaming UTF-8 validator (RFC 3629, as RFC 6455 section
 * 8.1 asks of a WebSocket text message): bytes may come in any number of
 * pieces (a message's fragments), a sequence split between two of them
 * included.  Refused: bytes 0xC0, 0xC1 and 0xF5 to 0xFF, continuation
 * bytes without a lead, overlong encodings, surrogates (U+D800 to
 * U+DFFF), code points above U+10FFFF, and sequences cut short.
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_UTF8_H
#define KP_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct kp_utf8 {
	uint8_t state;		/* internal: what the next byte must be */
	uint64_t off;		/* bytes accepted so far */
	uint64_t lead;		/* internal: where the open sequence began */
	const char *why;	/* after a failure: what was wrong */
};

void kp_utf8_init(struct kp_utf8 *u);

/*
 * Check the next n bytes of the text.  Return 0 when they are valid so
 * far (a sequence may still be open), or -1 with u->off the offset in the
 * whole text of the first byte that cannot be there and u->why a short
 * phrase ("a surrogate (U+D800 to U+DFFF)").  After -1, u stays failed.
 */
int kp_utf8_feed(struct kp_utf8 *u, const void *p, size_t n);

/*
 * The text ends here: 0 when it is valid (no sequence open), else -1 with
 * u->off and u->why set as above.
 */
int kp_utf8_end(struct kp_utf8 *u);

/* Whether p[0, n) is whole, valid UTF-8: 1 or 0. */
int kp_utf8_valid(const void *p, size_t n);

#endif
