/*
 * form.c: libFuzzer target for the x-www-form-urlencoded decoder: any
 * bytes.  On success every key is non-empty, keys and values are
 * NUL-terminated without inner NULs, never longer than the input, and
 * there are at most KP_FORM_MAX_PAIRS; on failure a reason is given.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_form f;
	char err[128];
	size_t i, total = 0;

	err[0] = '\0';
	if (kp_form_parse(&f, (const char *)data, size, err,
	    sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
		kp_form_free(&f);
		return 0;
	}
	if (f.n > KP_FORM_MAX_PAIRS)
		abort();
	for (i = 0; i < f.n; i++) {
		size_t kl = strlen(f.pair[i].key), vl = strlen(f.pair[i].val);

		if (kl == 0)
			abort();
		total += kl + vl;
		if (kp_form_get(&f, f.pair[i].key) == NULL)
			abort();
	}
	if (total > size)
		abort();
	kp_form_free(&f);
	return 0;
}
