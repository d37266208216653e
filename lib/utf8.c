/*
 * utf8.c: a streaming UTF-8 validator.  A state says what the next byte
 * must be; the second byte of E0, ED, F0 and F4 sequences has its own
 * narrower range (that is where overlongs, surrogates and code points
 * above U+10FFFF are caught).  Runs of ASCII are skipped 8 bytes at a
 * time.  See kp_utf8.h.
 */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_utf8.h"

enum {
	S_ACCEPT,		/* between sequences */
	S_CONT1,		/* 1 more continuation byte, 80..BF */
	S_CONT2,		/* 2 more */
	S_CONT3,		/* 3 more */
	S_E0,			/* after E0: A0..BF, then 1 more */
	S_ED,			/* after ED: 80..9F, then 1 more */
	S_F0,			/* after F0: 90..BF, then 2 more */
	S_F4,			/* after F4: 80..8F, then 2 more */
	S_FAIL
};

/* For each state but S_ACCEPT: the range the byte must be in, and then. */
static const struct {
	uint8_t lo, hi, next;
} want[S_FAIL] = {
	[S_CONT1] = { 0x80, 0xbf, S_ACCEPT },
	[S_CONT2] = { 0x80, 0xbf, S_CONT1 },
	[S_CONT3] = { 0x80, 0xbf, S_CONT2 },
	[S_E0] = { 0xa0, 0xbf, S_CONT1 },
	[S_ED] = { 0x80, 0x9f, S_CONT1 },
	[S_F0] = { 0x90, 0xbf, S_CONT2 },
	[S_F4] = { 0x80, 0x8f, S_CONT2 },
};

/* The state after a lead byte b >= 0x80, or S_FAIL. */
static uint8_t
lead(uint8_t b)
{
	if (b >= 0xc2 && b <= 0xdf)
		return S_CONT1;
	if (b == 0xe0)
		return S_E0;
	if (b == 0xed)
		return S_ED;
	if (b >= 0xe1 && b <= 0xef)
		return S_CONT2;
	if (b == 0xf0)
		return S_F0;
	if (b >= 0xf1 && b <= 0xf3)
		return S_CONT3;
	if (b == 0xf4)
		return S_F4;
	return S_FAIL;
}

/* What is wrong with byte b in state s. */
static const char *
why(uint8_t s, uint8_t b)
{
	if (s == S_ACCEPT) {
		if (b >= 0x80 && b <= 0xbf)
			return "a continuation byte without a lead byte";
		if (b == 0xc0 || b == 0xc1)
			return "an overlong encoding";
		if (b >= 0xf5 && b <= 0xf7)
			return "a code point above U+10FFFF";
		return "a byte that is never in UTF-8 (0xF8 to 0xFF)";
	}
	if (b >= 0x80 && b <= 0xbf) {
		if (s == S_E0 || s == S_F0)
			return "an overlong encoding";
		if (s == S_ED)
			return "a surrogate (U+D800 to U+DFFF)";
		return "a code point above U+10FFFF";
	}
	return "a sequence cut short (a continuation byte was due)";
}

void
kp_utf8_init(struct kp_utf8 *u)
{
	u->state = S_ACCEPT;
	u->off = 0;
	u->lead = 0;
	u->why = NULL;
}

int
kp_utf8_feed(struct kp_utf8 *u, const void *p, size_t n)
{
	const uint8_t *s = p;
	uint8_t st = u->state;
	size_t i = 0;

	if (st == S_FAIL)
		return -1;
	while (i < n) {
		uint8_t b;

		if (st == S_ACCEPT) {
			uint64_t w;

			while (n - i >= 8) {
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			while (i < n && s[i] < 0x80)
				i++;
			if (i == n)
				break;
			b = s[i];
			st = lead(b);
			u->lead = u->off + i;
			if (st == S_FAIL) {
				u->why = why(S_ACCEPT, b);
				goto fail;
			}
			i++;
			continue;
		}
		b = s[i];
		if (b < want[st].lo || b > want[st].hi) {
			u->why = why(st, b);
			goto fail;
		}
		st = want[st].next;
		i++;
	}
	u->state = st;
	u->off += n;
	return 0;
fail:
	u->state = S_FAIL;
	u->off += i;
	return -1;
}

int
kp_utf8_end(struct kp_utf8 *u)
{
	if (u->state == S_FAIL)
		return -1;
	if (u->state == S_ACCEPT)
		return 0;
	u->state = S_FAIL;
	u->off = u->lead;
	u->why = "a sequence cut short by the end of the text";
	return -1;
}

int
kp_utf8_valid(const void *p, size_t n)
{
	struct kp_utf8 u;

	kp_utf8_init(&u);
	return kp_utf8_feed(&u, p, n) == 0 && kp_utf8_end(&u) == 0;
}
