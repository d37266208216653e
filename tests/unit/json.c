/* json.c: the capped buffer, exact decimals and JSON string escaping. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "kp.h"
#include "t.h"

static const char *
fixed(int64_t v, unsigned dec, int all)
{
	static char buf[64];
	char *e = all ? kp_fmt_fixed_all(buf, v, dec) :
	    kp_fmt_fixed(buf, v, dec);

	*e = 0;
	return buf;
}

static void
test_numbers(void)
{
	char buf[32], *e;

	e = kp_fmt_u64(buf, 0);
	*e = 0;
	T_EQ_STR(buf, "0", "u64 0");
	e = kp_fmt_u64(buf, UINT64_MAX);
	*e = 0;
	T_EQ_STR(buf, "18446744073709551615", "u64 max");
	e = kp_fmt_i64(buf, INT64_MIN);
	*e = 0;
	T_EQ_STR(buf, "-9223372036854775808", "i64 min");
	e = kp_fmt_u64(buf, 1000000);
	*e = 0;
	T_EQ_STR(buf, "1000000", "u64 with inner zeros");
	T_EQ_STR(fixed(157370, 2, 0), "1573.7", "1573.70 trimmed");
	T_EQ_STR(fixed(157500, 2, 0), "1575", "1575.00 trimmed to integer");
	T_EQ_STR(fixed(590, 2, 0), "5.9", "5.9 exactly, never 5.9000000001");
	T_EQ_STR(fixed(-5, 2, 0), "-0.05", "negative below one");
	T_EQ_STR(fixed(0, 2, 0), "0", "zero");
	T_EQ_STR(fixed(834512345, 7, 0), "83.4512345", "CDS 1e7");
	T_EQ_STR(fixed(10000001, 7, 0), "1.0000001", "inner zeros kept");
	T_EQ_STR(fixed(INT32_MIN, 2, 0), "-21474836.48", "int32 min");
	T_EQ_STR(fixed(1700000000000001, 6, 1), "1700000000.000001",
	    "microseconds kept whole");
	T_EQ_STR(fixed(1700000000000000, 6, 1), "1700000000.000000",
	    "fixed_all keeps zeros");
	T_EQ_STR(fixed(-1, 6, 1), "-0.000001", "fixed_all negative");
}

/* Every 2-decimal value in a range reads back exactly as v/100. */
/* A slow reference for kp_fmt_fixed: printf, then trim the zeros. */
static void
fixed_ref(char *buf, size_t size, uint64_t v, unsigned dec)
{
	uint64_t d = 1;
	unsigned i;
	size_t n;

	for (i = 0; i < dec; i++)
		d *= 10;
	snprintf(buf, size, "%llu.%0*llu", (unsigned long long)(v / d),
	    (int)dec, (unsigned long long)(v % d));
	n = strlen(buf);
	while (buf[n - 1] == '0')
		buf[--n] = 0;
	if (buf[n - 1] == '.')
		buf[--n] = 0;
}

/* The fast paths against snprintf: every power of ten and its
 * neighbours, and a million random values of every magnitude. */
static void
test_u64_vs_printf(void)
{
	char got[64], want[32], *e;
	struct kp_rng r;
	uint64_t v, p10 = 1;
	int i, ok = 1, k;

	for (i = 0; i < 20 && ok; i++, p10 *= 10) {
		for (k = -1; k <= 1; k++) {
			v = p10 + (uint64_t)(int64_t)k;
			e = kp_fmt_u64(got, v);
			*e = 0;
			snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
			if (strcmp(got, want) != 0)
				ok = 0;
		}
	}
	t_ok(ok, "u64: powers of ten and neighbours");
	kp_rng_seed(&r, 99);
	for (i = 0; i < 1000000 && ok; i++) {
		v = kp_rng_u64(&r) >> kp_rng_below(&r, 64);
		e = kp_fmt_u64(got, v);
		*e = 0;
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		if (strcmp(got, want) != 0) {
			t_diag("  %s != %s", got, want);
			ok = 0;
		}
		e = kp_fmt_fixed(got, (int64_t)(v >> 1), 7);
		*e = 0;
		fixed_ref(want, sizeof(want), v >> 1, 7);
		if (strcmp(got, want) != 0) {
			t_diag("  fixed: %s != %s", got, want);
			ok = 0;
		}
	}
	t_ok(ok, "u64 and fixed(7): 1e6 random values of all magnitudes");
}

static void
test_fixed_sweep(void)
{
	char buf[32];
	int64_t v;
	int ok = 1;

	for (v = -200000; v <= 200000 && ok; v += 7) {
		char *e = kp_fmt_fixed(buf, v, 2);
		char want[32];

		*e = 0;
		snprintf(want, sizeof(want), "%s%lld.%02lld", v < 0 ? "-" : "",
		    (long long)(v < 0 ? -v : v) / 100,
		    (long long)(v < 0 ? -v : v) % 100);
		/* compare as numbers: ours is trimmed */
		if (strtod(buf, NULL) != strtod(want, NULL) ||
		    strchr(buf, 'e') != NULL)
			ok = 0;
	}
	t_ok(ok, "fixed: sweep of 2-decimal values matches");
}

static const char *
jstr(const char *s, size_t n)
{
	static struct kp_buf b;

	kp_buf_free(&b);
	kp_buf_init(&b, 4096);
	if (kp_json_str(&b, s, n) < 0 || kp_buf_addc(&b, 0) < 0)
		return NULL;
	return b.p;
}

static void
test_strings(void)
{
	const char *s;
	json_error_t e;
	json_t *j;

	T_EQ_STR(jstr("abc", 3), "\"abc\"", "plain");
	T_EQ_STR(jstr("a\"b\\c", 5), "\"a\\\"b\\\\c\"", "quote, backslash");
	T_EQ_STR(jstr("\n\t\r\b\f", 5), "\"\\n\\t\\r\\b\\f\"", "short escapes");
	T_EQ_STR(jstr("\x01\x1f", 2), "\"\\u0001\\u001f\"", "control chars");
	T_EQ_STR(jstr("a\0b", 3), "\"a\\u0000b\"", "NUL kept as \\u0000");
	T_EQ_STR(jstr("\xe2\x82\xb9", 3), "\"\xe2\x82\xb9\"",
	    "valid UTF-8 (rupee sign) kept");
	T_EQ_STR(jstr("\xff", 1), "\"\\ufffd\"", "invalid byte replaced");
	T_EQ_STR(jstr("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"", "overlong form");
	T_EQ_STR(jstr("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"",
	    "surrogate");
	T_EQ_STR(jstr("\xe2\x82", 2), "\"\\ufffd\\ufffd\"", "cut sequence");
	T_EQ_STR(jstr("\xe2\x80\xa8", 3), "\"\\u2028\"", "U+2028 escaped");
	T_EQ_STR(jstr("\xf0\x9f\x93\x88", 4), "\"\xf0\x9f\x93\x88\"",
	    "4-byte sequence kept");
	s = jstr("\xf4\x90\x80\x80 x\x7f", 7);
	j = s ? json_loads(s, JSON_DECODE_ANY, &e) : NULL;
	t_ok(j != NULL, "past U+10FFFF: output still valid JSON");
	json_decref(j);
}

/* Random bytes always give a string jansson accepts. */
static void
test_strings_random(void)
{
	struct kp_rng r;
	char in[64];
	int i, k, ok = 1;

	kp_rng_seed(&r, 7);
	for (i = 0; i < 20000 && ok; i++) {
		size_t n = kp_rng_below(&r, sizeof(in));
		const char *s;
		json_error_t e;
		json_t *j;

		for (k = 0; k < (int)n; k++)
			in[k] = (char)kp_rng_below(&r, 256);
		s = jstr(in, n);
		j = s ? json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e) :
		    NULL;
		if (!json_is_string(j))
			ok = 0;
		json_decref(j);
	}
	t_ok(ok, "20000 random byte strings: always valid JSON strings");
}

static void
test_buf_cap(void)
{
	struct kp_buf b;
	int r;

	kp_buf_init(&b, 10);
	t_ok(kp_buf_add(&b, "0123456789", 10) == 0, "buf: exactly max fits");
	errno = 0;
	r = kp_buf_addc(&b, 'x');
	t_ok(r < 0 && errno == ENOBUFS, "buf: one past max is ENOBUFS");
	T_EQ_INT(b.len, 10, "buf: unchanged after a refused add");
	kp_buf_reset(&b);
	t_ok(kp_json_str(&b, "\x01\x01", 2) < 0 && b.len == 0,
	    "buf: a string that does not fit leaves nothing behind");
	kp_buf_free(&b);
}

static void
test_double(void)
{
	struct kp_buf b;

	kp_buf_init(&b, 256);
	kp_json_double(&b, 0.1);
	kp_buf_addc(&b, ' ');
	kp_json_double(&b, 5.9);
	kp_buf_addc(&b, ' ');
	kp_json_double(&b, 1.0 / 0.0);
	kp_buf_addc(&b, 0);
	T_EQ_STR(b.p, "0.1 5.9 null", "doubles: shortest exact, inf null");
	kp_buf_free(&b);
}

int
main(void)
{
	test_numbers();
	test_u64_vs_printf();
	test_fixed_sweep();
	test_strings();
	test_strings_random();
	test_buf_cap();
	test_double();
	return t_done();
}
