/* json.c: a capped byte buffer and a JSON writer with exact decimals. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "fmt.h"

void
kp_buf_init(struct kp_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
kp_buf_free(struct kp_buf *b)
{
	free(b->p);
	kp_buf_init(b, b->max);
}

void
kp_buf_reset(struct kp_buf *b)
{
	b->len = 0;
}

char *
kp_buf_room(struct kp_buf *b, size_t n)
{
	size_t want, ncap;
	char *np;

	if (n > b->max || b->len > b->max - n) {
		errno = ENOBUFS;
		return NULL;
	}
	want = b->len + n;
	if (want <= b->cap)
		return b->p + b->len;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	np = realloc(b->p, ncap);
	if (np == NULL)
		return NULL;
	b->p = np;
	b->cap = ncap;
	return b->p + b->len;
}

int
kp_buf_add(struct kp_buf *b, const void *s, size_t n)
{
	char *p;

	if (n == 0)
		return 0;
	p = kp_buf_room(b, n);
	if (p == NULL)
		return -1;
	memcpy(p, s, n);
	b->len += n;
	return 0;
}

int
kp_buf_addstr(struct kp_buf *b, const char *s)
{
	return kp_buf_add(b, s, strlen(s));
}

int
kp_buf_addc(struct kp_buf *b, char c)
{
	return kp_buf_add(b, &c, 1);
}

char *
kp_fmt_u64(char *p, uint64_t v)
{
	return fmt_u64(p, v);
}

char *
kp_fmt_i64(char *p, int64_t v)
{
	return fmt_i64(p, v);
}

char *
kp_fmt_fixed(char *p, int64_t v, unsigned dec)
{
	return fmt_fixed(p, v, dec);
}

char *
kp_fmt_fixed_all(char *p, int64_t v, unsigned dec)
{
	return fmt_fixed_all(p, v, dec);
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if the
 * bytes there are not one: overlong forms, surrogates and code points
 * past U+10FFFF are invalid (RFC 3629).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = c & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Append the escape for a byte below 0x20, '"' or '\\'. */
static int
json_escape_byte(struct kp_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', '0', '0', 0, 0 };

	switch (c) {
	case '"': return kp_buf_add(b, "\\\"", 2);
	case '\\': return kp_buf_add(b, "\\\\", 2);
	case '\b': return kp_buf_add(b, "\\b", 2);
	case '\f': return kp_buf_add(b, "\\f", 2);
	case '\n': return kp_buf_add(b, "\\n", 2);
	case '\r': return kp_buf_add(b, "\\r", 2);
	case '\t': return kp_buf_add(b, "\\t", 2);
	default:
		e[4] = hex[c >> 4];
		e[5] = hex[c & 15];
		return kp_buf_add(b, e, 6);
	}
}

int
kp_json_str(struct kp_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, u;
	size_t old = b->len;

	if (kp_buf_addc(b, '"') < 0)
		return -1;
	while (i < n) {
		unsigned char c = s[i];
		int r = 0;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (kp_buf_add(b, s + run, i - run) < 0)
			goto fail;
		u = c < 0x80 ? 1 : utf8_len(s + i, n - i);
		if (c < 0x80) {
			r = json_escape_byte(b, c);
			i++;
		} else if (u == 0) {
			r = kp_buf_add(b, "\\ufffd", 6);
			i++;
		} else if (u == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			r = kp_buf_add(b, s[i + 2] == 0xa8 ? "\\u2028" :
			    "\\u2029", 6);
			i += 3;
		} else {
			r = kp_buf_add(b, s + i, u);
			i += u;
		}
		if (r < 0)
			goto fail;
		run = i;
	}
	if (kp_buf_add(b, s + run, i - run) < 0 || kp_buf_addc(b, '"') < 0)
		goto fail;
	return 0;
fail:
	b->len = old;
	return -1;
}

int
kp_json_cstr(struct kp_buf *b, const char *s)
{
	return kp_json_str(b, s, strlen(s));
}

int
kp_json_i64(struct kp_buf *b, int64_t v)
{
	char *p = kp_buf_room(b, KP_FMT_ROOM);

	if (p == NULL)
		return -1;
	b->len = (size_t)(kp_fmt_i64(p, v) - b->p);
	return 0;
}

int
kp_json_u64(struct kp_buf *b, uint64_t v)
{
	char *p = kp_buf_room(b, KP_FMT_ROOM);

	if (p == NULL)
		return -1;
	b->len = (size_t)(kp_fmt_u64(p, v) - b->p);
	return 0;
}

int
kp_json_fixed(struct kp_buf *b, int64_t v, unsigned dec)
{
	char *p = kp_buf_room(b, KP_FMT_ROOM);

	if (p == NULL)
		return -1;
	b->len = (size_t)(kp_fmt_fixed(p, v, dec) - b->p);
	return 0;
}

int
kp_json_double(struct kp_buf *b, double v)
{
	char tmp[32];
	int prec, n = 0;

	if (!isfinite(v))
		return kp_buf_add(b, "null", 4);
	for (prec = 1; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return kp_buf_add(b, tmp, (size_t)n);
}
