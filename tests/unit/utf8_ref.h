/*
 * utf8_ref.h: a UTF-8 reference for lib/utf8.c's unit test and fuzz
 * target, written the other way round from the validator.
 */
/* SPDX-License-Identifier: MIT */
#ifndef UTF8_REF_H
#define UTF8_REF_H

#include <stddef.h>
#include <stdint.h>

/*
 * A reference written the other way round: decode a code point from its
 * lead byte's length, then judge the value (RFC 3629 section 3 and 4).
 * Return 1 when s[0, n) is valid.
 */
static inline int
ref_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len, k;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1fu;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0fu;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07u;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000))
			return 0;	/* overlong */
		if (cp >= 0xd800 && cp <= 0xdfff)
			return 0;	/* surrogate */
		if (cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

#endif
