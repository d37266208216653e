/*
 * wsframe.c: libFuzzer target for the WebSocket client layer: any bytes
 * as a server's frames, decoded whole and split at a point the first
 * bytes choose, must give the same messages (or the same error), every
 * message within the bound, every text message valid UTF-8, every
 * failure with a close code; and as a response head, whole and fed a byte
 * more at a time, the same answer.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp_wsframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXMSG 4096

/* Decode s[0, n) in two pieces; a digest of what came out. */
static uint64_t
decode(const uint8_t *s, size_t n, size_t split, size_t *count)
{
	struct kp_ws_dec d;
	struct kp_ws_msg m;
	uint8_t *in = malloc(n + 1);
	size_t have = 0, used, need, fed;
	uint64_t h = 1469598103934665603ULL;
	char err[KP_ERRLEN];
	int rc = 0, piece;

	*count = 0;
	kp_ws_dec_init(&d, MAXMSG);
	for (piece = 0; piece < 2 && rc >= 0; piece++) {
		fed = piece == 0 ? split : n - split;
		memcpy(in + have, s + (piece == 0 ? 0 : split), fed);
		have += fed;
		while ((rc = kp_ws_decode(&d, in, have, &used, &need, &m,
		    err)) == 1) {
			if (m.len > MAXMSG || used > have || (m.op >= 8 &&
			    m.len > KP_WS_CONTROL_MAX))
				abort();
			/* text that came out is UTF-8 */
			if (m.op == KP_WS_TEXT && !kp_utf8_valid(m.data,
			    m.len))
				abort();
			h = (h ^ (uint64_t)m.op) * 1099511628211ULL;
			h = (h ^ m.len) * 1099511628211ULL;
			for (size_t k = 0; k < m.len; k++)
				h = (h ^ m.data[k]) * 1099511628211ULL;
			(*count)++;
			memmove(in, in + used, have - used);
			have -= used;
		}
		if (rc == 0) {
			if (used > have || (need > 0 && need <= have - used))
				abort();
			memmove(in, in + used, have - used);
			have -= used;
		}
	}
	if (rc < 0) {
		if (strlen(err) == 0 || strchr(err, '\n') != NULL ||
		    (d.fail_code != KP_WS_CLOSE_PROTOCOL && d.fail_code !=
		    KP_WS_CLOSE_BAD_DATA && d.fail_code != KP_WS_CLOSE_TOO_BIG))
			abort();
		h ^= 0xe77 + (uint64_t)d.fail_code;
	}
	kp_ws_dec_free(&d);
	free(in);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_ws_head h1, h2;
	char err[KP_ERRLEN];
	size_t split, c1, c2, i;
	long r1, r2 = 0;

	if (size < 1)
		return 0;
	split = data[0] % size;
	if (decode(data + 1, size - 1, 0, &c1) != decode(data + 1, size - 1,
	    split, &c2) || c1 != c2)
		abort();
	memset(&h1, 0, sizeof(h1));
	r1 = kp_ws_head_parse(&h1, (const char *)data, size,
	    "dGhlIHNhbXBsZSBub25jZQ==", err);
	if (r1 > (long)size || (r1 > 0 && (h1.status < 100 ||
	    h1.status > 999)))
		abort();
	if (size <= 2048) {
		memset(&h2, 0, sizeof(h2));
		for (i = 1; i <= size && r2 == 0; i++)
			r2 = kp_ws_head_parse(&h2, (const char *)data, i,
			    "dGhlIHNhbXBsZSBub25jZQ==", err);
		if ((r1 == 0) != (r2 == 0) || (r1 > 0 && (r1 != r2 ||
		    h1.status != h2.status)))
			abort();
	}
	return 0;
}
