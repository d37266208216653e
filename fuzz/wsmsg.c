/*
 * wsmsg.c: libFuzzer target for ws-fanout's client message parser and
 * tick-line scanner: any bytes; on success the tokens stay in bounds and
 * in range; the tick-line scanner agrees with jansson
 * (tests/unit/wsmsg_ref.h).
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_wsmsg.h"
#include "../tests/unit/wsmsg_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t tokens[CAP + 1], tok = 0;
	struct kp_wsmsg m;
	char err[KP_ERRLEN];
	size_t i;
	const char *why;
	char *s;
	int r;

	tokens[CAP] = 0xdeadbeef;
	if (kp_wsmsg_parse((const char *)data, size, tokens, CAP, &m,
	    err) == 0) {
		if (m.action < KP_WSMSG_SUBSCRIBE || m.action > KP_WSMSG_PING)
			abort();
		if (m.action != KP_WSMSG_PING && (m.ntokens == 0 ||
		    m.ntokens > CAP))
			abort();
		for (i = 0; i < m.ntokens; i++)
			if (tokens[i] == 0)
				abort();
	}
	if (tokens[CAP] != 0xdeadbeef)
		abort();
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (kp_wsmsg_tick_token(s, size, &tok, err) == 1 && tok == 0)
		abort();
	if ((why = wr_check(s, size, &r)) != NULL) {
		fprintf(stderr, "kp_wsmsg_tick_token: %s\n", why);
		abort();
	}
	free(s);
	return 0;
}
