/* time.c: wall and monotonic clocks as plain integers. */
/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "kp.h"

int64_t
kp_time_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
kp_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
kp_mono_ms(void)
{
	return kp_mono_ns() / 1000000;
}
