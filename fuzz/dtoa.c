/*
 * dtoa.c: libFuzzer target for kp_dtoa: each 8 bytes are a double; the
 * text must read back exactly, be the shortest and the nearest (the
 * glibc oracle of tests/unit/dtoa_check.h).
 */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_dtoa.h"
#include "../tests/unit/dtoa_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double v;
	const char *why;

	for (; size >= sizeof(v); data += sizeof(v), size -= sizeof(v)) {
		memcpy(&v, data, sizeof(v));
		if (!isfinite(v))
			continue;
		if ((why = dc_check(v)) != NULL) {
			fprintf(stderr, "kp_dtoa(%a): %s\n", v, why);
			abort();
		}
	}
	return 0;
}
