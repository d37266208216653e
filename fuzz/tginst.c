/*
 * tginst.c: libFuzzer target for tick-greeks's NDJSON instrument line
 * parser (kp_tginst_ndjson): any bytes as one line.  A good line holds
 * what kp_tginst.h promises, a bad one says why, nothing crashes or reads
 * past the line.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_instr.h"
#include "kp_tginst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
bounded(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_instr in;
	char why[KP_TGINST_WHY];
	int rc;

	rc = kp_tginst_ndjson((const char *)data, size, &in, why);
	bounded(why, sizeof(why));
	if (rc == -1) {
		if (why[0] == '\0' || in.instrument_token != 0)
			abort();
		return 0;
	}
	if (rc == KP_TGINST_SKIP)
		return 0;
	if (rc != 0)
		abort();
	bounded(in.tradingsymbol, sizeof(in.tradingsymbol));
	bounded(in.name, sizeof(in.name));
	bounded(in.exchange, sizeof(in.exchange));
	bounded(in.segment, sizeof(in.segment));
	bounded(in.expiry_str, sizeof(in.expiry_str));
	if (in.instrument_token == 0 || in.strike < 0 ||
	    (in.expiry_str[0] == '\0') != (in.expiry == KP_INSTR_NOEXP) ||
	    (unsigned)in.type > KP_INSTR_PE)
		abort();
	if (in.expiry != KP_INSTR_NOEXP) {
		char d[11];

		kp_instr_date_str(in.expiry, d);
		if (strcmp(d, in.expiry_str) != 0)
			abort();
	}
	return 0;
}
