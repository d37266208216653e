/* tkreq.c: Kite ticker client requests (kp_tkreq.h), with jansson. */
/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_tkreq.h"

int
kp_tkreq_mode(const char *s)
{
	if (strcmp(s, "ltp") == 0)
		return KP_TKREQ_LTP;
	if (strcmp(s, "quote") == 0)
		return KP_TKREQ_QUOTE;
	if (strcmp(s, "full") == 0)
		return KP_TKREQ_FULL;
	return 0;
}

static void
tokens(const json_t *a, struct kp_tkreq *r)
{
	size_t i, n = json_array_size(a);
	json_int_t v;

	r->tokens = kp_xmalloc((n ? n : 1) * sizeof(r->tokens[0]));
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(a, i);

		if (!json_is_integer(e)) {
			r->bad++;
			continue;
		}
		v = json_integer_value(e);
		if (v < 0 || v > (json_int_t)UINT32_MAX) {
			r->bad++;
			continue;
		}
		r->tokens[r->n++] = (uint32_t)v;
	}
}

static int
fill(const json_t *root, struct kp_tkreq *r, char err[KP_ERRLEN])
{
	const char *act = json_string_value(json_object_get(root, "a"));
	const json_t *v = json_object_get(root, "v");
	const char *m;

	if (act == NULL || !json_is_array(v)) {
		snprintf(err, KP_ERRLEN, "want {\"a\":ACTION,\"v\":[...]}");
		return -1;
	}
	if (strcmp(act, "subscribe") == 0) {
		r->action = KP_TKREQ_SUBSCRIBE;
	} else if (strcmp(act, "unsubscribe") == 0) {
		r->action = KP_TKREQ_UNSUBSCRIBE;
	} else if (strcmp(act, "mode") == 0) {
		r->action = KP_TKREQ_MODE;
		m = json_string_value(json_array_get(v, 0));
		r->mode = m != NULL ? kp_tkreq_mode(m) : 0;
		v = json_array_get(v, 1);
		if (r->mode == 0 || !json_is_array(v)) {
			snprintf(err, KP_ERRLEN, "mode: want [\"ltp\"|\"quote\"|"
			    "\"full\", [tokens]]");
			return -1;
		}
	} else {
		snprintf(err, KP_ERRLEN, "unknown action '%.40s'", act);
		return -1;
	}
	tokens(v, r);
	return 0;
}

int
kp_tkreq_parse(const char *p, size_t len, struct kp_tkreq *r,
    char err[KP_ERRLEN])
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(r, 0, sizeof(*r));
	root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, KP_ERRLEN, "not JSON: %s at column %d", jerr.text,
		    jerr.column);
		return -1;
	}
	rc = fill(root, r, err);
	json_decref(root);
	if (rc < 0)
		kp_tkreq_free(r);
	return rc;
}

void
kp_tkreq_free(struct kp_tkreq *r)
{
	free(r->tokens);
	memset(r, 0, sizeof(*r));
}
