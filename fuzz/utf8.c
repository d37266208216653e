/*
 * utf8.c: libFuzzer target for the streaming UTF-8 validator: any bytes,
 * checked whole and in pieces whose sizes the first byte chooses, must
 * get the same answer (the same failing byte and reason), and the answer
 * the reference decoder gives.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp_utf8.h"
#include "../tests/unit/utf8_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_utf8 a, b;
	size_t step, i = 0;
	int ra, rb = 0, v;

	if (size < 1)
		return 0;
	step = data[0] % 13 + 1;
	data++;
	size--;
	kp_utf8_init(&a);
	ra = kp_utf8_feed(&a, data, size);
	if (ra == 0)
		ra = kp_utf8_end(&a);
	kp_utf8_init(&b);
	while (i < size && rb == 0) {
		size_t k = size - i < step ? size - i : step;

		rb = kp_utf8_feed(&b, data + i, k);
		i += k;
	}
	if (rb == 0)
		rb = kp_utf8_end(&b);
	v = ref_valid(data, size);
	if (ra != rb || (ra == 0) != v || kp_utf8_valid(data, size) != v)
		abort();
	if (ra < 0 && (a.off != b.off || a.off >= size || a.why == NULL ||
	    strcmp(a.why, b.why) != 0))
		abort();
	/* the bytes before the failing one are a valid prefix */
	if (ra < 0) {
		struct kp_utf8 c;

		kp_utf8_init(&c);
		if (kp_utf8_feed(&c, data, (size_t)a.off) != 0)
			abort();
	}
	return 0;
}
