/*
 * tickscan.c: libFuzzer target for kp_tickscan, cross-checked against jansson
 * (tests/unit/tickscan_check.h): the same lines accepted, the same values
 * picked.
 */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_tickscan.h"
#include "../tests/unit/tickscan_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *why;
	int ok;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((why = jc_check(s, size, &ok)) != NULL) {
		fprintf(stderr, "kp_tickscan: %s\n", why);
		abort();
	}
	free(s);
	return 0;
}
