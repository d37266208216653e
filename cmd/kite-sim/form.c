/*
 * form.c: x-www-form-urlencoded decoding into a fixed table of pairs.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_form.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) into out (room for n + 1); return the length, or -1. */
static long
decode(const char *s, size_t n, char *out, char *err, size_t errlen,
    size_t at)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi;

			if (i + 2 >= n) {
				snprintf(err, errlen,
				    "truncated %%-escape at byte %zu", at + i);
				return -1;
			}
			hi = hexval((unsigned char)s[i + 1]);
			if (hi < 0 || hexval((unsigned char)s[i + 2]) < 0) {
				snprintf(err, errlen,
				    "bad %%-escape at byte %zu", at + i);
				return -1;
			}
			c = hi * 16 + hexval((unsigned char)s[i + 2]);
			i += 2;
		}
		if (c == 0) {
			snprintf(err, errlen, "NUL byte at byte %zu", at + i);
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

int
kp_form_parse(struct kp_form *f, const char *s, size_t len, char *err,
    size_t errlen)
{
	size_t pos = 0, w = 0;

	memset(f, 0, sizeof(*f));
	if (len > KP_FORM_MAX_LEN) {
		snprintf(err, errlen, "form too long (%zu bytes, max %u)", len,
		    KP_FORM_MAX_LEN);
		return -1;
	}
	/* each pair decodes to at most its own length plus two NULs */
	f->buf = kp_xmalloc(len + 2 * KP_FORM_MAX_PAIRS + 2);
	while (pos < len) {
		const char *seg = s + pos;
		const char *amp = memchr(seg, '&', len - pos);
		size_t n = amp ? (size_t)(amp - seg) : len - pos;
		const char *eq = memchr(seg, '=', n);
		size_t kn = eq ? (size_t)(eq - seg) : n;
		long k, v;

		if (n > 0) {
			if (f->n == KP_FORM_MAX_PAIRS) {
				snprintf(err, errlen, "more than %d pairs",
				    KP_FORM_MAX_PAIRS);
				return -1;
			}
			k = decode(seg, kn, f->buf + w, err, errlen, pos);
			if (k < 0)
				return -1;
			if (k == 0) {
				snprintf(err, errlen, "empty key at byte %zu",
				    pos);
				return -1;
			}
			f->pair[f->n].key = f->buf + w;
			w += (size_t)k + 1;
			if (eq) {
				v = decode(eq + 1, n - kn - 1, f->buf + w, err,
				    errlen, pos + kn + 1);
				if (v < 0)
					return -1;
			} else {
				f->buf[w] = '\0';
				v = 0;
			}
			f->pair[f->n].val = f->buf + w;
			w += (size_t)v + 1;
			f->n++;
		}
		pos += n + 1;
	}
	return 0;
}

void
kp_form_free(struct kp_form *f)
{
	free(f->buf);
	f->buf = NULL;
	f->n = 0;
}

const char *
kp_form_get(const struct kp_form *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->pair[i].key, key) == 0)
			return f->pair[i].val;
	return NULL;
}

size_t
kp_form_count(const struct kp_form *f, const char *key)
{
	size_t i, c = 0;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->pair[i].key, key) == 0)
			c++;
	return c;
}
