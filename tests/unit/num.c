/* num.c: integers, doubles, durations and sizes: ranges and garbage. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "kp.h"
#include "t.h"

/* Parse with fn; return the value, or -errno-ish markers for failure. */
#define BAD_INVAL (-1000001)
#define BAD_RANGE (-1000002)

static long long
ll(const char *s, long long min, long long max)
{
	long long v = 12345;

	errno = 0;
	if (kp_num_ll(s, min, max, &v) == 0)
		return v;
	if (v != 12345)
		return -7;	/* out touched on failure */
	return errno == EINVAL ? BAD_INVAL : errno == ERANGE ? BAD_RANGE : -9;
}

static long long
dur(const char *s, long long min, long long max)
{
	long long v = 12345;

	errno = 0;
	if (kp_num_duration_ms(s, min, max, &v) == 0)
		return v;
	if (v != 12345)
		return -7;
	return errno == EINVAL ? BAD_INVAL : errno == ERANGE ? BAD_RANGE : -9;
}

static long long
size(const char *s, long long min, long long max)
{
	long long v = 12345;

	errno = 0;
	if (kp_num_size(s, min, max, &v) == 0)
		return v;
	if (v != 12345)
		return -7;
	return errno == EINVAL ? BAD_INVAL : errno == ERANGE ? BAD_RANGE : -9;
}

static void
test_ll(void)
{
	T_EQ_INT(ll("0", 0, 10), 0, "0");
	T_EQ_INT(ll("10", 0, 10), 10, "max inclusive");
	T_EQ_INT(ll("-5", -5, 5), -5, "min inclusive, negative");
	T_EQ_INT(ll("+7", 0, 10), 7, "leading +");
	T_EQ_INT(ll("11", 0, 10), BAD_RANGE, "above max");
	T_EQ_INT(ll("-1", 0, 10), BAD_RANGE, "below min");
	T_EQ_INT(ll("9223372036854775807", 0, LLONG_MAX), LLONG_MAX,
	    "LLONG_MAX");
	T_EQ_INT(ll("-9223372036854775808", LLONG_MIN, 0), LLONG_MIN,
	    "LLONG_MIN");
	T_EQ_INT(ll("9223372036854775808", 0, LLONG_MAX), BAD_RANGE,
	    "overflow");
	T_EQ_INT(ll("-99999999999999999999", LLONG_MIN, 0), BAD_RANGE,
	    "negative overflow");
	T_EQ_INT(ll("", 0, 10), BAD_INVAL, "empty");
	T_EQ_INT(ll("abc", 0, 10), BAD_INVAL, "letters");
	T_EQ_INT(ll("5x", 0, 10), BAD_INVAL, "trailing garbage");
	T_EQ_INT(ll(" 5", 0, 10), BAD_INVAL, "leading space");
	T_EQ_INT(ll("5 ", 0, 10), BAD_INVAL, "trailing space");
	T_EQ_INT(ll("-", 0, 10), BAD_INVAL, "sign alone");
	T_EQ_INT(ll("0x10", 0, 100), BAD_INVAL, "hex is not base 10");
	T_EQ_INT(ll("1.5", 0, 10), BAD_INVAL, "fraction");
	T_EQ_INT(ll(NULL, 0, 10), BAD_INVAL, "NULL");
	T_EQ_INT(ll("007", 0, 10), 7, "leading zeros are decimal");
}

static void
test_double(void)
{
	double v = 0;

	t_ok(kp_num_double("1.25", 0, 2, &v) == 0 && v == 1.25, "1.25");
	t_ok(kp_num_double("-.5", -1, 0, &v) == 0 && v == -0.5, "-.5");
	t_ok(kp_num_double("1e3", 0, 1e4, &v) == 0 && v == 1000, "1e3");
	errno = 0;
	t_ok(kp_num_double("2.5", 0, 2, &v) == -1 && errno == ERANGE,
	    "above max");
	errno = 0;
	t_ok(kp_num_double("1e999", 0, 1e300, &v) == -1 && errno == ERANGE,
	    "overflow to infinity");
	t_ok(kp_num_double("inf", 0, 1, &v) == -1 && errno == EINVAL, "inf");
	t_ok(kp_num_double("nan", 0, 1, &v) == -1 && errno == EINVAL, "nan");
	t_ok(kp_num_double("1.5x", 0, 2, &v) == -1 && errno == EINVAL,
	    "trailing garbage");
	t_ok(kp_num_double("", 0, 2, &v) == -1 && errno == EINVAL, "empty");
	t_ok(kp_num_double(".", 0, 2, &v) == -1 && errno == EINVAL, "lone .");
	t_ok(kp_num_double("1e-400", 0, 1, &v) == 0 && v == 0,
	    "underflow is a tiny number, not an error");
}

static void
test_duration(void)
{
	T_EQ_INT(dur("250ms", 0, 100000), 250, "250ms");
	T_EQ_INT(dur("1.5s", 0, 100000), 1500, "1.5s");
	T_EQ_INT(dur("2", 0, 100000), 2000, "no unit means seconds");
	T_EQ_INT(dur("2m", 0, 1000000), 120000, "2m");
	T_EQ_INT(dur("1h", 0, 10000000), 3600000, "1h");
	T_EQ_INT(dur("0.25", 0, 1000), 250, "fraction of a second");
	T_EQ_INT(dur("0", 0, 1000), 0, "zero");
	T_EQ_INT(dur("1.0004s", 0, 10000), 1000, "rounded to a ms");
	T_EQ_INT(dur("2h", 0, 3600000), BAD_RANGE, "above max");
	T_EQ_INT(dur("10ms", 100, 1000), BAD_RANGE, "below min");
	T_EQ_INT(dur("5d", 0, 1000000000), BAD_INVAL, "unknown unit");
	T_EQ_INT(dur("5 s", 0, 100000), BAD_INVAL, "space before unit");
	T_EQ_INT(dur("s", 0, 100000), BAD_INVAL, "unit alone");
	T_EQ_INT(dur("1e3ms", 0, 100000), BAD_INVAL, "no exponents");
	T_EQ_INT(dur("0x10s", 0, 100000), BAD_INVAL, "no hex");
	T_EQ_INT(dur("infs", 0, 100000), BAD_INVAL, "no inf");
	T_EQ_INT(dur("99999999999999999h", 0, LLONG_MAX), BAD_RANGE,
	    "overflow");
	T_EQ_INT(dur("-1s", -5000, 0), -1000, "negative allowed by range");
	T_EQ_INT(dur("1msx", 0, 100), BAD_INVAL, "garbage after unit");
}

static void
test_size(void)
{
	T_EQ_INT(size("4096", 0, 1LL << 40), 4096, "plain bytes");
	T_EQ_INT(size("64k", 0, 1LL << 40), 65536, "64k");
	T_EQ_INT(size("64K", 0, 1LL << 40), 65536, "64K");
	T_EQ_INT(size("1M", 0, 1LL << 40), 1048576, "1M");
	T_EQ_INT(size("2g", 0, 1LL << 40), 2147483648LL, "2g");
	T_EQ_INT(size("1M", 0, 1048575), BAD_RANGE, "1M above max");
	T_EQ_INT(size("1kb", 0, 1LL << 40), BAD_INVAL, "two-letter suffix");
	T_EQ_INT(size("1T", 0, LLONG_MAX), BAD_INVAL, "unknown suffix");
	T_EQ_INT(size("1.5M", 0, LLONG_MAX), BAD_INVAL, "fractions refused");
	T_EQ_INT(size("k", 0, LLONG_MAX), BAD_INVAL, "suffix alone");
	T_EQ_INT(size("8589934592G", 0, LLONG_MAX), BAD_RANGE,
	    "suffix overflow");
	T_EQ_INT(size("8589934591G", 0, LLONG_MAX), 8589934591LL << 30,
	    "largest G");
	T_EQ_INT(size("99999999999999999999", 0, LLONG_MAX), BAD_RANGE,
	    "digits overflow");
}

int
main(void)
{
	test_ll();
	test_double();
	test_duration();
	test_size();
	return t_done();
}
