/* utf8.c: unit tests for lib/utf8.c (the streaming UTF-8 validator). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kp_utf8.h"
#include "t.h"
#include "utf8_ref.h"

/* The validator fed s in pieces of `step` bytes (0: all at once). */
static int
fed(const uint8_t *s, size_t n, size_t step, uint64_t *off, const char **why)
{
	struct kp_utf8 u;
	size_t i = 0;
	int rc = 0;

	kp_utf8_init(&u);
	if (step == 0)
		step = n ? n : 1;
	while (i < n && rc == 0) {
		size_t k = n - i < step ? n - i : step;

		rc = kp_utf8_feed(&u, s + i, k);
		i += k;
	}
	/* empty pieces change nothing */
	if (rc == 0)
		rc = kp_utf8_feed(&u, "", 0);
	if (rc == 0)
		rc = kp_utf8_end(&u);
	*off = u.off;
	*why = u.why;
	return rc;
}

struct tcase {
	const char *name;
	const char *s;
	size_t n;		/* 0: strlen */
	int ok;
	long off;		/* where it fails, -1 when it does not */
	const char *why;	/* part of the reason */
};

static const struct tcase cases[] = {
	{ "empty", "", 0, 1, -1, NULL },
	{ "ASCII", "{\"type\":\"message\"}", 0, 1, -1, NULL },
	{ "a NUL byte", "a\0b", 3, 1, -1, NULL },
	{ "2 bytes: U+00E9", "caf\xc3\xa9", 0, 1, -1, NULL },
	{ "2 bytes: U+0080, the first", "\xc2\x80", 0, 1, -1, NULL },
	{ "2 bytes: U+07FF, the last", "\xdf\xbf", 0, 1, -1, NULL },
	{ "3 bytes: U+20AC", "\xe2\x82\xac", 0, 1, -1, NULL },
	{ "3 bytes: U+0800, the first", "\xe0\xa0\x80", 0, 1, -1, NULL },
	{ "3 bytes: U+D7FF, before the surrogates", "\xed\x9f\xbf", 0, 1, -1,
	    NULL },
	{ "3 bytes: U+E000, after the surrogates", "\xee\x80\x80", 0, 1, -1,
	    NULL },
	{ "3 bytes: U+FFFF", "\xef\xbf\xbf", 0, 1, -1, NULL },
	{ "3 bytes: U+FEFF (a BOM is text)", "\xef\xbb\xbf", 0, 1, -1, NULL },
	{ "4 bytes: U+1D11E", "\xf0\x9d\x84\x9e", 0, 1, -1, NULL },
	{ "4 bytes: U+10000, the first", "\xf0\x90\x80\x80", 0, 1, -1, NULL },
	{ "4 bytes: U+10FFFF, the last", "\xf4\x8f\xbf\xbf", 0, 1, -1, NULL },
	{ "Greek kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 0, 1,
	    -1, NULL },
	{ "a lone continuation byte", "ab\x80", 0, 0, 2, "without a lead" },
	{ "a lone 0xBF", "\xbf", 0, 0, 0, "without a lead" },
	{ "overlong NUL (C0 80)", "\xc0\x80", 0, 0, 0, "overlong" },
	{ "overlong C1 BF", "\xc1\xbf", 0, 0, 0, "overlong" },
	{ "overlong 3 bytes (E0 80 80)", "\xe0\x80\x80", 0, 0, 1, "overlong" },
	{ "overlong U+07FF in 3 bytes", "\xe0\x9f\xbf", 0, 0, 1, "overlong" },
	{ "overlong 4 bytes (F0 8F BF BF)", "\xf0\x8f\xbf\xbf", 0, 0, 1,
	    "overlong" },
	{ "surrogate U+D800", "x\xed\xa0\x80", 0, 0, 2, "surrogate" },
	{ "surrogate U+DFFF", "\xed\xbf\xbf", 0, 0, 1, "surrogate" },
	{ "a CESU-8 surrogate pair", "\xed\xa0\xbd\xed\xb2\xa9", 0, 0, 1,
	    "surrogate" },
	{ "U+110000", "\xf4\x90\x80\x80", 0, 0, 1, "above U+10FFFF" },
	{ "F5, a lead above U+10FFFF", "\xf5\x80\x80\x80", 0, 0, 0,
	    "above U+10FFFF" },
	{ "F8, 5-byte form", "\xf8\x88\x80\x80\x80", 0, 0, 0, "never" },
	{ "FE", "\xfe", 0, 0, 0, "never" },
	{ "FF", "ok\xff", 0, 0, 2, "never" },
	{ "2 bytes cut by the end", "ab\xc3", 0, 0, 2, "end of the text" },
	{ "3 bytes cut by the end", "\xe2\x82", 0, 0, 0, "end of the text" },
	{ "4 bytes cut by the end", "a\xf0\x9d\x84", 0, 0, 1,
	    "end of the text" },
	{ "2 bytes cut by ASCII", "\xc3\x41", 0, 0, 1, "cut short" },
	{ "3 bytes cut by ASCII", "\xe2\x28\xa1", 0, 0, 1, "cut short" },
	{ "4 bytes cut by a lead byte", "\xf0\x9d\x84\xc3\xa9", 0, 0, 3,
	    "cut short" },
	{ "after 8 ASCII bytes", "01234567\xed\xa0\x80", 0, 0, 9,
	    "surrogate" },
	{ "after 17 ASCII bytes", "0123456789abcdefg\xff", 0, 0, 17,
	    "never" },
	{ "ASCII after the sequence", "0123456789abcdef\xc3\xa9"
	    "0123456789abcdef", 0, 1, -1, NULL },
};

static void
test_table(void)
{
	size_t i, step;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		size_t n = c->n ? c->n : strlen(c->s);
		const uint8_t *s = (const uint8_t *)c->s;
		int same = 1, rc, whole = kp_utf8_valid(s, n);
		uint64_t off, off1;
		const char *why, *why1;

		rc = fed(s, n, 0, &off, &why);
		T_EQ_INT(whole, c->ok, c->name);
		T_EQ_INT(rc, c->ok ? 0 : -1, "  fed at once");
		T_EQ_INT(ref_valid(s, n), c->ok, "  the reference agrees");
		if (!c->ok) {
			T_EQ_INT(off, c->off, "  at the byte");
			t_ok(why != NULL && strstr(why, c->why) != NULL,
			    "  says: %s", why ? why : "(nothing)");
		}
		/* every way of cutting it in pieces: the same answer */
		for (step = 1; step < n; step++) {
			rc = fed(s, n, step, &off1, &why1);
			if (rc != (c->ok ? 0 : -1) || (!c->ok && (off1 !=
			    off || strcmp(why1, why) != 0)))
				same = 0;
		}
		t_ok(same, "  the same in pieces of any size");
	}
}

/* Every 1-, 2- and 3-byte string, and 4-byte ones on the edges. */
static void
test_exhaustive(void)
{
	static const uint8_t tail[] = { 0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90,
	    0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0, 0xf4, 0xff };
	uint8_t s[4];
	long bad = 0, valid = 0;
	uint32_t a, b, c;
	size_t x, y;

	for (a = 0; a < 256; a++) {
		s[0] = (uint8_t)a;
		bad += kp_utf8_valid(s, 1) != ref_valid(s, 1);
		for (b = 0; b < 256; b++) {
			s[1] = (uint8_t)b;
			bad += kp_utf8_valid(s, 2) != ref_valid(s, 2);
			for (c = 0; c < 256; c++) {
				int v;

				s[2] = (uint8_t)c;
				v = ref_valid(s, 3);
				valid += v;
				bad += kp_utf8_valid(s, 3) != v;
			}
			for (x = 0; x < sizeof(tail); x++)
				for (y = 0; y < sizeof(tail); y++) {
					s[2] = tail[x];
					s[3] = tail[y];
					bad += kp_utf8_valid(s, 4) !=
					    ref_valid(s, 4);
				}
		}
	}
	T_EQ_INT(bad, 0, "every 1-, 2-, 3-byte string as the reference says");
	t_diag("  %ld valid 3-byte strings of 16777216", valid);
	/* each code point, encoded: valid exactly outside the surrogates */
	bad = 0;
	for (a = 0; a <= 0x10ffff; a++) {
		size_t n;
		int v;

		if (a < 0x80) {
			s[0] = (uint8_t)a;
			n = 1;
		} else if (a < 0x800) {
			s[0] = (uint8_t)(0xc0 | a >> 6);
			s[1] = (uint8_t)(0x80 | (a & 0x3f));
			n = 2;
		} else if (a < 0x10000) {
			s[0] = (uint8_t)(0xe0 | a >> 12);
			s[1] = (uint8_t)(0x80 | (a >> 6 & 0x3f));
			s[2] = (uint8_t)(0x80 | (a & 0x3f));
			n = 3;
		} else {
			s[0] = (uint8_t)(0xf0 | a >> 18);
			s[1] = (uint8_t)(0x80 | (a >> 12 & 0x3f));
			s[2] = (uint8_t)(0x80 | (a >> 6 & 0x3f));
			s[3] = (uint8_t)(0x80 | (a & 0x3f));
			n = 4;
		}
		v = kp_utf8_valid(s, n);
		bad += v != !(a >= 0xd800 && a <= 0xdfff);
		/* split after each byte: the state crosses pieces */
		for (x = 1; x < n; x++) {
			struct kp_utf8 u;
			int w;

			kp_utf8_init(&u);
			w = kp_utf8_feed(&u, s, x) == 0 &&
			    kp_utf8_feed(&u, s + x, n - x) == 0 &&
			    kp_utf8_end(&u) == 0;
			bad += w != v;
		}
	}
	T_EQ_INT(bad, 0, "every code point encoded, whole and split: only "
	    "surrogates refused");
}

static void
test_state(void)
{
	struct kp_utf8 u;

	kp_utf8_init(&u);
	T_EQ_INT(kp_utf8_feed(&u, "\xed", 1), 0, "ED alone: fine so far");
	T_EQ_INT(kp_utf8_feed(&u, "\xa0", 1), -1, "ED then A0: a surrogate "
	    "across pieces");
	T_EQ_INT(u.off, 1, "  at byte 1");
	T_EQ_INT(kp_utf8_feed(&u, "abc", 3), -1, "  and it stays failed");
	T_EQ_INT(kp_utf8_end(&u), -1, "  to the end");
	kp_utf8_init(&u);
	T_EQ_INT(kp_utf8_feed(&u, "abc\xe2", 4), 0, "an open sequence");
	T_EQ_INT(kp_utf8_end(&u), -1, "  refused at the end");
	T_EQ_INT(u.off, 3, "  where it began");
	kp_utf8_init(&u);
	T_EQ_INT(kp_utf8_end(&u), 0, "nothing at all is valid");
}

int
main(void)
{
	test_table();
	test_state();
	test_exhaustive();
	return t_done();
}
