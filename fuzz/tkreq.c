/*
 * tkreq.c: libFuzzer target for the ticker request parser (the text
 * messages kite-sim takes from clients): any bytes as one message.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp_tkreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_tkreq r;
	char err[KP_ERRLEN];
	size_t i;

	err[0] = '\0';
	if (kp_tkreq_parse((const char *)data, size, &r, err) < 0) {
		if (strlen(err) == 0 || r.tokens != NULL)
			abort();
		return 0;
	}
	if (r.action < KP_TKREQ_SUBSCRIBE || r.action > KP_TKREQ_MODE ||
	    (r.action == KP_TKREQ_MODE && r.mode == 0))
		abort();
	for (i = 0; i < r.n; i++)
		(void)r.tokens[i];
	kp_tkreq_free(&r);
	return 0;
}
