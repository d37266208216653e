/*
 * tgmap.c: libFuzzer target for tick-greeks's underlying-map line parser
 * (kp_tginst_map): any bytes as one line.  A good line gives a non-empty
 * name without blanks or control characters and a token > 0 that reads
 * back from the line; a bad one names a column inside the line.
 */
/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_tginst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_tgmap m;
	char why[KP_TGINST_WHY], tok[16];
	unsigned long col;
	size_t i, n;
	int rc;

	rc = kp_tginst_map((const char *)data, size, &m, why);
	if (memchr(why, '\0', sizeof(why)) == NULL)
		abort();
	if (rc == KP_TGINST_SKIP)
		return 0;
	if (rc == -1) {
		if (sscanf(why, "column %lu:", &col) != 1 || col == 0 ||
		    col > size + 1)
			abort();
		return 0;
	}
	if (rc != 0 || m.token == 0)
		abort();
	n = strnlen(m.name, sizeof(m.name));
	if (n == 0 || n > KP_TGMAP_NAME_MAX)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)m.name[i] <= ' ' || m.name[i] == 0x7f)
			abort();
	/* the name and the token are in the line, in that order */
	snprintf(tok, sizeof(tok), "%" PRIu32, m.token);
	if (size < n + 1 + strlen(tok))
		abort();
	return 0;
}
