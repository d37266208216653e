/*
 * intent.c: libFuzzer target for the order-intent parser.  Any bytes:
 * parse never crashes; an accepted intent has a valid id, its JSON form
 * parses back to the same intent, and its form body and tag are built
 * within bounds.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_intent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_intent in, in2;
	char err[KP_ERRLEN], tag[KP_INTENT_TAG_MAX + 1];
	struct kp_buf b;

	if (kp_intent_parse((const char *)data, size, &in, err) < 0) {
		if (err[0] == 0 || strlen(err) >= KP_ERRLEN)
			abort();
		return 0;
	}
	if (!kp_intent_id_ok(in.id, strlen(in.id)))
		abort();
	kp_buf_init(&b, 1 << 16);
	if (kp_intent_json(&b, &in) < 0)
		abort();
	if (kp_intent_parse(b.p, b.len, &in2, err) < 0 ||
	    memcmp(&in, &in2, sizeof(in)) != 0)
		abort();
	kp_buf_reset(&b);
	kp_intent_tag(in.id, 0, tag);
	if (strlen(tag) != 15 || kp_intent_form(&b, &in, tag) < 0)
		abort();
	kp_buf_free(&b);
	return 0;
}
