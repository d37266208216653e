/*
 * bookrec.c: libFuzzer target for book-sync's JSON-to-record mapping
 * (cmd/book-sync/rec.c, linked from build-fuzz/cmd/book-sync.a).  Any bytes as an answer of
 * each endpoint and as a kite-stream line: never crashes; every record
 * kept is JSON that parses back and writes back byte-identically (the
 * mapping is a fixed point), and the NDJSON lines parse.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* out holds one record: it parses and maps back to the same bytes. */
static void
fixed_point(enum bs_kind k, const struct kp_buf *out)
{
	char err[KP_ERRLEN];
	struct kp_buf again;
	json_t *v;

	v = json_loadb(out->p, out->len, 0, NULL);
	if (v == NULL)
		abort();
	kp_buf_init(&again, 1 << 22);
	if (bs_rec_map(k, v, &again, err) < 0 || again.len != out->len ||
	    memcmp(again.p, out->p, out->len) != 0)
		abort();
	kp_buf_free(&again);
	json_decref(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bs_kind kinds[] = {
		BS_ORDER, BS_TRADE, BS_POS_NET, BS_HOLDING, BS_MARGIN
	};
	char err[KP_ERRLEN], id[129];
	struct bs_set s;
	struct kp_buf out;
	size_t i, at;
	int rc;

	kp_log_set_level(KP_LOG_FATAL);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		bs_set_init(&s);
		if (bs_set_body(&s, kinds[i], (const char *)data, size,
		    err) < 0 && (err[0] == 0 || strlen(err) >= KP_ERRLEN))
			abort();
		bs_set_finish(&s);
		for (at = 0; at < BS_NKIND; at++) {
			json_t *v = json_loadb(s.arr[at].p, s.arr[at].len, 0,
			    NULL);

			if (v == NULL)
				abort();
			json_decref(v);
		}
		for (at = 0; at < s.lines.len;) {
			char *nl = memchr(s.lines.p + at, '\n',
			    s.lines.len - at);
			json_t *v;

			if (nl == NULL)
				abort();
			v = json_loadb(s.lines.p + at,
			    (size_t)(nl - s.lines.p) - at, 0, NULL);
			if (v == NULL)
				abort();
			json_decref(v);
			at = (size_t)(nl - s.lines.p) + 1;
		}
		bs_set_free(&s);
	}
	kp_buf_init(&out, 1 << 22);
	rc = bs_stream_line((const char *)data, size, &out, id, err);
	if (rc == 1) {
		if (id[0] == 0)
			abort();
		fixed_point(BS_ORDER, &out);
	} else if (rc < 0 && (err[0] == 0 || strlen(err) >= KP_ERRLEN)) {
		abort();
	}
	kp_buf_free(&out);
	return 0;
}
