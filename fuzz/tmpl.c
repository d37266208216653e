/*
 * tmpl.c: libFuzzer target for the line scanner (lib/linescan.c) and
 * templates.  The first byte picks a template; the rest is a line (in a
 * buffer of its length and the NUL the scanner relies on, so reads past
 * it are caught) scanned with kp_jscan and rendered.
 * Values found lie inside the line; kp_jscan_quick accepts what
 * kp_jscan accepts, and kp_jscan what kp_jscan_strict accepts; a
 * rendering never passes its cap; a line kp_jscan_strict accepts is
 * UTF-8; and a line jansson accepts as an object is never refused, by
 * kp_jscan or kp_jscan_strict (jansson too refuses bytes that are not
 * UTF-8 and numbers past a double's range).  With KP_LS_JANSSON the
 * scanner accepts what json_loadb(line, len, 0) accepts (on lines
 * without a NUL byte), and a string picked decodes to jansson's member.
 */
/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kp_redis.h"
#include "kp_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const srcs[] = {
	"ticks:{instrument_token}",
	"ticker:{name|lower}:options",
	"{type}/{mode|upper}/{a}{b}{{c}}",
	"{depth}:{ohlc}:{x}",
};

/* KP_LS_JANSSON against json_loadb(line, len, 0) on a NUL-free line. */
static void
jansson_check(const char *line, size_t len, const struct kp_jfields *tab)
{
	struct kp_jval v[KP_JFIELDS_MAX];
	struct kp_lsres r;
	json_t *j = json_loadb(line, len, 0, NULL), *m;
	char buf[65536];
	long n;
	size_t i;
	int rc = kp_linescan(line, len, tab, v, KP_LS_JANSSON | KP_LS_VALUES,
	    &r);

	if ((rc == 0) != (j != NULL))
		abort();
	for (i = 0; rc == 0 && json_is_object(j) && i < tab->n; i++) {
		m = json_object_get(j, tab->f[i].name);
		if ((m == NULL) != (v[i].type == KP_J_ABSENT))
			abort();
		if (v[i].type != KP_J_STRING)
			continue;
		n = kp_json_unescape(v[i].p, v[i].len, buf, sizeof(buf));
		if (!json_is_string(m) || n != (long)json_string_length(m) ||
		    memcmp(buf, json_string_value(m), (size_t)n) != 0)
			abort();
	}
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_jfields tab;
	struct kp_jval v[KP_JFIELDS_MAX];
	struct kp_tmpl *tp;
	char err[KP_ERRLEN], out[64], *line;
	const char *field;
	json_t *j;
	size_t i, len;
	long n;
	int r, rs;

	if (size < 1 || size > 65536)
		return 0;
	kp_jfields_init(&tab);
	tp = kp_tmpl_compile(srcs[data[0] % 4], &tab, err);
	if (tp == NULL)
		abort();
	len = size - 1;
	line = malloc(len + 1);
	if (line == NULL)
		abort();
	memcpy(line, data + 1, len);
	line[len] = '\0';
	r = kp_jscan(line, len, &tab, v, err);
	if (r == 0) {
		for (i = 0; i < tab.n; i++)
			if (v[i].type != KP_J_ABSENT && (v[i].p < line ||
			    v[i].p + v[i].len > line + len))
				abort();
		n = kp_tmpl_render(tp, v, out, sizeof out, &field);
		if (n > (long)sizeof out || n < KP_TMPL_TOO_LONG)
			abort();
	}
	/* quick accepts what strict accepts, and stays inside the line */
	if (kp_jscan_quick(line, len, &tab, v, err) < 0) {
		if (r == 0)
			abort();
	} else {
		for (i = 0; i < tab.n; i++)
			if (v[i].type != KP_J_ABSENT && (v[i].p < line ||
			    v[i].p + v[i].len > line + len))
				abort();
	}
	rs = kp_jscan_strict(line, len, &tab, v, err);
	if (rs == 0 && !kp_utf8_valid(line, len))
		abort();
	r = kp_jscan(line, len, &tab, v, err);
	if (rs == 0 && r != 0)
		abort();
	/* jansson allows a NUL-free subset; compare on those lines only */
	if (memchr(line, '\0', len) == NULL) {
		j = json_loadb(line, len, JSON_DECODE_ANY |
		    JSON_ALLOW_NUL, NULL);
		if (j != NULL && json_is_object(j) && r != 0 &&
		    strstr(err, "nested too deep") == NULL)
			abort();
		if (j != NULL && json_is_object(j) && rs != 0 && r == 0)
			abort();
		json_decref(j);
		jansson_check(line, len, &tab);
	}
	kp_tmpl_free(tp);
	free(line);
	return 0;
}
