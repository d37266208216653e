/*
 * simctl.c: libFuzzer target for kite-sim's control command parser:
 * any bytes as one line; what it accepts stays within the documented
 * ranges.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp_simctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct kp_simctl c;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (kp_simctl_parse(line, &c) == 0) {
		if (c.cmd < KP_SIMCTL_STATUS || c.cmd > KP_SIMCTL_TREND)
			abort();
		if (c.n < -1 || c.n > KP_SIMCTL_MAX_MS || c.n2 < -1 ||
		    c.n2 > KP_SIMCTL_MAX_MS || !(c.p >= 0 && c.p <= 1))
			abort();
		if (c.cmd == KP_SIMCTL_MOVE && !(c.x >= 0.05 &&
		    c.x <= KP_SIMCTL_MAX_PRICE))
			abort();
		if (c.cmd == KP_SIMCTL_TREND && !(c.x >= -KP_SIMCTL_MAX_TREND &&
		    c.x <= KP_SIMCTL_MAX_TREND))
			abort();
		if (c.cmd == KP_SIMCTL_MESSAGE &&
		    (c.text < line || c.text > line + size))
			abort();
	}
	free(line);
	return 0;
}
