/*
 * capture.c: libFuzzer target for the capture parser: any bytes as a
 * capture file, walked record by record until it ends or is refused.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_tick(void *arg, const struct kp_tick *t)
{
	(void)arg;
	(void)t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct kp_cap_rec rec;
	char err[KP_ERRLEN];
	size_t pos = 0, last = 0;
	int st;

	memcpy(copy, data, size);
	while ((st = kp_cap_parse(copy, size, &pos, &rec, err)) ==
	    KP_CAP_OK) {
		if (pos <= last || pos > size || rec.data < copy ||
		    rec.data + rec.len > copy + size)
			abort();
		last = pos;
		if (rec.kind == KP_CAP_BINARY)
			kp_codec_decode(rec.data, rec.len, on_tick, NULL, NULL);
	}
	if (st != KP_CAP_OK && st != KP_CAP_END && strlen(err) == 0)
		abort();
	free(copy);
	return 0;
}
