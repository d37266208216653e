/*
 * instr.c: libFuzzer target for the instruments CSV parser: any bytes,
 * fed in two pieces split where the first byte says.  Good rows hold
 * what the checks promise, every row is counted once, nothing crashes,
 * and the JSON and CSV writers take every good row.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_instr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
row(void *arg, const struct kp_instr *in)
{
	struct kp_buf *b = arg;

	if (in->instrument_token == 0 || in->tradingsymbol[0] == 0 ||
	    in->segment[0] == 0 || in->exchange[0] == 0 ||
	    in->last_price < 0 || in->strike < 0 || in->tick_size < 0 ||
	    (in->type != KP_INSTR_EQ && in->expiry == KP_INSTR_NOEXP))
		abort();
	kp_buf_reset(b);
	if (kp_instr_json(b, in) < 0 || kp_instr_csv(b, in) < 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_instr_parser *p;
	struct kp_instr_counts c;
	struct kp_buf b;
	size_t cut;

	if (size == 0)
		return 0;
	cut = data[0] % (size + 0);
	kp_buf_init(&b, 1 << 16);
	if ((p = kp_instr_new(row, NULL, &b)) == NULL)
		abort();
	kp_log_set_level(KP_LOG_FATAL);
	if (kp_instr_feed(p, data + 1, cut > 0 ? cut - 1 : 0) == 0 &&
	    kp_instr_feed(p, data + (cut > 0 ? cut : 1),
	    size - (cut > 0 ? cut : 1)) == 0)
		(void)kp_instr_finish(p);
	kp_instr_counts(p, &c);
	if (c.good + c.bad != c.rows)
		abort();
	kp_instr_free(p);
	kp_buf_free(&b);
	return 0;
}
