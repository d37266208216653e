/* rng.c: reference vectors, determinism, uniformity, normal moments. */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kp.h"
#include "t.h"

static void
test_vectors(void)
{
	struct kp_rng r = { { 1, 2, 3, 4 } };
	static const uint64_t want[] = {
		11520ULL,
		0ULL,
		1509978240ULL,
		1215971899390074240ULL,
	};
	size_t i;
	int same = 1;

	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		same = same && kp_rng_u64(&r) == want[i];
	t_ok(same, "xoshiro256** from state {1,2,3,4} matches the reference");
	kp_rng_seed(&r, 0);
	t_ok(r.s[0] == 0xe220a8397b1dcdafULL && r.s[1] == 0x6e789e6aa1b965f4ULL,
	    "seeded by splitmix64 (seed 0 reference)");
}

static void
test_determinism(void)
{
	struct kp_rng a, b, c;
	int i, same = 1, differ = 0;

	kp_rng_seed(&a, 42);
	kp_rng_seed(&b, 42);
	kp_rng_seed(&c, 43);
	for (i = 0; i < 1000; i++) {
		uint64_t x = kp_rng_u64(&a);

		same = same && x == kp_rng_u64(&b);
		differ += x != kp_rng_u64(&c);
	}
	t_ok(same, "same seed, same sequence");
	t_ok(differ > 990, "next seed, another sequence");
	t_ok(kp_rng_seed_auto() != kp_rng_seed_auto(), "auto seeds differ");
}

static void
test_below_range(void)
{
	static const uint64_t ns[] = {
		1, 2, 3, 7, 1000, (1ULL << 63) + 1, UINT64_MAX
	};
	struct kp_rng r;
	size_t i;
	int j, inside = 1;

	kp_rng_seed(&r, 7);
	for (i = 0; i < sizeof ns / sizeof ns[0]; i++)
		for (j = 0; j < 10000; j++)
			inside = inside && kp_rng_below(&r, ns[i]) < ns[i];
	t_ok(inside, "below(n) < n for small, odd and huge n");
}

/* Pearson's chi-square of `draws` values of below(k). */
static double
chi_square(struct kp_rng *r, unsigned k, int draws)
{
	unsigned long count[16] = { 0 };
	double e = (double)draws / k, chi = 0;
	unsigned i;
	int j;

	for (j = 0; j < draws; j++)
		count[kp_rng_below(r, k)]++;
	for (i = 0; i < k; i++)
		chi += (count[i] - e) * (count[i] - e) / e;
	return chi;
}

static void
test_uniform(void)
{
	struct kp_rng r;
	double chi, frac, sum = 0, x;
	int j, low = 0, in01 = 1;

	kp_rng_seed(&r, 2024);
	/* 9 and 6 degrees of freedom; p < 1e-5 beyond these bounds. */
	chi = chi_square(&r, 10, 100000);
	t_ok(chi < 40, "below(10) uniform (chi2 %.1f < 40, 9 df)", chi);
	chi = chi_square(&r, 7, 70000);
	t_ok(chi < 33, "below(7) uniform (chi2 %.1f < 33, 6 df)", chi);
	/* A plain x % n would put half the draws below 2^62 here. */
	for (j = 0; j < 30000; j++)
		low += kp_rng_below(&r, 3ULL << 62) < (1ULL << 62);
	frac = low / 30000.0;
	T_NEAR(frac, 1.0 / 3, 0.02, "no modulo bias for n = 3 * 2^62");
	for (j = 0; j < 100000; j++) {
		x = kp_rng_double(&r);
		in01 = in01 && x >= 0 && x < 1;
		sum += x;
	}
	t_ok(in01, "double in [0, 1)");
	T_NEAR(sum / 100000, 0.5, 0.01, "double mean 0.5");
}

static void
test_normal(void)
{
	struct kp_rng r;
	double x, sum = 0, sum2 = 0, mean, var;
	int j, n = 200000, in1 = 0, finite = 1;

	kp_rng_seed(&r, 99);
	for (j = 0; j < n; j++) {
		x = kp_rng_normal(&r);
		finite = finite && isfinite(x);
		sum += x;
		sum2 += x * x;
		in1 += fabs(x) < 1;
	}
	mean = sum / n;
	var = sum2 / n - mean * mean;
	t_ok(finite, "normal draws are finite");
	T_NEAR(mean, 0, 0.015, "normal mean 0");
	T_NEAR(var, 1, 0.02, "normal variance 1");
	T_NEAR((double)in1 / n, 0.6827, 0.01, "68% within one sigma");
}

int
main(void)
{
	test_vectors();
	test_determinism();
	test_below_range();
	test_uniform();
	test_normal();
	return t_done();
}
