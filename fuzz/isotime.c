/*
 * isotime.c: libFuzzer target for kp_iso_time (candle timestamps): any
 * bytes as a string give NaN or a finite time.
 */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_greeks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	double t;

	memcpy(s, data, size);
	s[size] = '\0';
	t = kp_iso_time(s);
	if (!isnan(t) && !isfinite(t))
		abort();
	free(s);
	return 0;
}
