/*
 * codec.c: libFuzzer target for the ticker decoder.  Any bytes as a
 * message: no crash, no out-of-bounds read (ASan), every tick writes a
 * bounded line, and every tick encodes to a packet that decodes back to
 * the same tick.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_tick(void *arg, const struct kp_tick *t)
{
	char line[KP_TICK_JSON_MAX];
	uint8_t pkt[184];
	struct kp_tick back;
	char *end;
	size_t n;

	(void)arg;
	end = kp_tick_json(line, t, 1732264200123456);
	if (end - line > KP_TICK_JSON_MAX - KP_FMT_ROOM || end[-1] != '\n' ||
	    memchr(line, '\n', (size_t)(end - line) - 1) != NULL)
		abort();
	n = kp_codec_encode_packet(t, pkt);
	if (kp_codec_packet(pkt, n, &back) != 0 ||
	    memcmp(&back, t, sizeof(back)) != 0)
		abort();
}

static void
on_err(void *arg, const struct kp_codec_report *r)
{
	char msg[256];

	(void)arg;
	kp_codec_strerror(r, msg, sizeof(msg));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	/* an exact-size heap copy, so ASan sees any read past the end */
	memcpy(copy, data, size);
	kp_codec_decode(copy, size, on_tick, on_err, NULL);
	free(copy);
	return 0;
}
