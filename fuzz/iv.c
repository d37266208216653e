/*
 * iv.c: libFuzzer target for the implied-volatility solver and the
 * Greeks: any bytes as seven doubles (type, price, S, K, T, r, q).  A
 * solve either gives a reason and NaN, or a positive finite volatility
 * that reprices the option; the Greeks never trap; kp_iv_bsm_aux agrees
 * with kp_iv_bsm.
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
	double v[7] = { 0 };
	double iv;
	struct kp_greeks g;
	int call, st;

	memcpy(v, data, size < sizeof(v) ? size : sizeof(v));
	call = !(v[0] < 0);
	st = kp_iv_bsm(call, v[1], v[2], v[3], v[4], v[5], v[6], &iv);
	if (st == KP_IV_OK) {
		if (!(iv > 0) || !isfinite(iv))
			abort();
		kp_greeks_bsm(call, v[2], v[3], v[4], v[5], v[6], iv, &g);
	} else if (!isnan(iv) || strlen(kp_iv_reason(st)) == 0)
		abort();
	{
		/* the _aux variant: the same answer, its fields NaN or set */
		struct kp_iv_aux a;
		double iv2;
		int st2 = kp_iv_bsm_aux(call, v[1], v[2], v[3], v[4], v[5],
		    v[6], &iv2, &a);

		if (st2 != st || (st == KP_IV_OK ? iv2 != iv : !isnan(iv2)))
			abort();
		if (st2 == KP_IV_OK ? !(a.s > 0) || isnan(a.x) || isnan(a.F) :
		    !isnan(a.x) || !isnan(a.s) || !isnan(a.d1) ||
		    !isnan(a.d2) || !isnan(a.F))
			abort();
	}
	st = kp_iv_black76(call, v[1], v[2], v[3], v[4], v[5], &iv);
	if (st == KP_IV_OK && (!(iv > 0) || !isfinite(iv)))
		abort();
	if (!isnan(v[1]) && v[1] > 0 && v[2] < 0)
		(void)kp_lbr_normalised(v[1], v[2]);
	return 0;
}
