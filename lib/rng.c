/* rng.c: xoshiro256** seeded by splitmix64 (Blackman and Vigna). */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "kp.h"

#define RNG_TWO_PI 6.283185307179586476925286766559

static uint64_t
rng_splitmix(uint64_t *x)
{
	uint64_t z;

	*x += 0x9e3779b97f4a7c15ULL;
	z = *x;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
kp_rng_seed(struct kp_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = rng_splitmix(&seed);
	/* An all-zero state would only ever produce zeros. */
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

uint64_t
kp_rng_u64(struct kp_rng *r)
{
	uint64_t *s = r->s, out, t;

	out = rng_rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return out;
}

/*
 * Reject the lowest (2^64 mod n) values so that the remaining range is
 * a whole number of copies of [0, n); fewer than half are ever rejected.
 */
uint64_t
kp_rng_below(struct kp_rng *r, uint64_t n)
{
	uint64_t x, floor;

	if (n <= 1)
		return 0;
	floor = (0 - n) % n;
	do
		x = kp_rng_u64(r);
	while (x < floor);
	return x % n;
}

double
kp_rng_double(struct kp_rng *r)
{
	return (double)(kp_rng_u64(r) >> 11) * 0x1.0p-53;
}

double
kp_rng_normal(struct kp_rng *r)
{
	double u1, u2;

	u1 = 1.0 - kp_rng_double(r);	/* (0, 1]: log(u1) is finite */
	u2 = kp_rng_double(r);
	return sqrt(-2.0 * log(u1)) * cos(RNG_TWO_PI * u2);
}

uint64_t
kp_rng_seed_auto(void)
{
	struct timespec rt, mono;
	uint64_t x;
	int local;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	x = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec;
	x ^= rng_splitmix(&x) ^ ((uint64_t)getpid() << 32);
	x ^= (uint64_t)mono.tv_nsec * 0x9e3779b97f4a7c15ULL;
	x ^= (uint64_t)(uintptr_t)&local;
	return rng_splitmix(&x);
}
