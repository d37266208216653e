/* wsmsg.c: ws-fanout's client messages (jansson) and tick lines (linescan). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "kp_linescan.h"
#include "kp_wsmsg.h"

static int
token_of(json_t *v, uint32_t *out)
{
	json_int_t i;
	long long ll;

	if (json_is_integer(v)) {
		i = json_integer_value(v);
		if (i < 1 || i > (json_int_t)UINT32_MAX)
			return -1;
		*out = (uint32_t)i;
		return 0;
	}
	if (json_is_string(v) && json_string_length(v) <= 10 &&
	    kp_num_ll(json_string_value(v), 1, UINT32_MAX, &ll) == 0 &&
	    json_string_value(v)[0] >= '0' && json_string_value(v)[0] <= '9') {
		*out = (uint32_t)ll;
		return 0;
	}
	return -1;
}

static int
tokens_parse(json_t *arr, uint32_t *tokens, size_t cap, struct kp_wsmsg *m,
    char err[KP_ERRLEN])
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		snprintf(err, KP_ERRLEN, "\"tokens\" must be a non-empty array");
		return -1;
	}
	if (json_array_size(arr) > cap) {
		snprintf(err, KP_ERRLEN, "too many tokens in one message "
		    "(at most %zu)", cap);
		return -1;
	}
	json_array_foreach(arr, i, v) {
		if (token_of(v, &tokens[i]) < 0) {
			snprintf(err, KP_ERRLEN, "token %zu is not an "
			    "instrument token", i + 1);
			return -1;
		}
	}
	m->ntokens = json_array_size(arr);
	return 0;
}

/* Copy at most 32 printable ASCII bytes of s, for an error message. */
static void
quote_short(char *dst, size_t size, const char *s)
{
	size_t i, n = 0;

	for (i = 0; s[i] != 0 && n + 1 < size && i < 32; i++)
		dst[n++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\') ? s[i] : '?';
	dst[n] = 0;
}

int
kp_wsmsg_parse(const char *buf, size_t len, uint32_t *tokens, size_t cap,
    struct kp_wsmsg *m, char err[KP_ERRLEN])
{
	json_error_t jerr;
	json_t *o, *a;
	const char *act;
	char q[40];
	int r = -1;

	memset(m, 0, sizeof(*m));
	o = json_loadb(buf, len, 0, &jerr);
	if (o == NULL) {
		snprintf(err, KP_ERRLEN, "bad JSON at column %d: %s",
		    jerr.column, jerr.text);
		return -1;
	}
	a = json_object_get(o, "action");
	if (!json_is_object(o)) {
		snprintf(err, KP_ERRLEN, "message is not a JSON object");
	} else if (!json_is_string(a)) {
		snprintf(err, KP_ERRLEN, "message has no \"action\" string");
	} else if (strcmp((act = json_string_value(a)), "ping") == 0) {
		m->action = KP_WSMSG_PING;
		r = 0;
	} else if (strcmp(act, "subscribe") == 0 ||
	    strcmp(act, "unsubscribe") == 0) {
		m->action = act[0] == 's' ? KP_WSMSG_SUBSCRIBE :
		    KP_WSMSG_UNSUBSCRIBE;
		r = tokens_parse(json_object_get(o, "tokens"), tokens, cap, m,
		    err);
	} else {
		quote_short(q, sizeof(q), act);
		snprintf(err, KP_ERRLEN, "unknown action '%s'", q);
	}
	json_decref(o);
	return r;
}

/*
 * A tick line is looked at without building a tree: kp_linescan checks it
 * is one valid JSON object or array (what json_loadb accepts) and picks
 * the top-level instrument_token on the way, in the one scan of the line.
 */
static struct kp_jfields token_field;

/* Built once, before main (kp_jfields_add computes the key's lookup). */
__attribute__((constructor)) static void
token_field_init(void)
{
	kp_jfields_init(&token_field);
	(void)kp_jfields_add(&token_field, "instrument_token", 16);
}

int
kp_wsmsg_tick_token(const char *line, size_t len, uint32_t *token,
    char err[KP_ERRLEN])
{
	struct kp_jval v[1];
	struct kp_lsres r;

	if (kp_linescan(line, len, &token_field, v, KP_LS_JANSSON |
	    KP_LS_VALUES, &r) < 0) {
		snprintf(err, KP_ERRLEN, "bad JSON at column %zu: %s", r.col,
		    r.why);
		return -1;
	}
	if (r.top != '{') {
		snprintf(err, KP_ERRLEN, "not a JSON object");
		return -1;
	}
	if (v[0].type != KP_J_NUMBER || v[0].nkind != KP_JN_INT ||
	    v[0].i64 < 1 || v[0].i64 > (int64_t)UINT32_MAX)
		return 0;
	*token = (uint32_t)v[0].i64;
	return 1;
}
