/* answer.c: kite-stream's answers, checked with jansson and printed. */
/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

/* A string, with control characters shown as '?', so one answer stays
 * one line of output. */
static void
put_str(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* The plain form: "key=value" for every member but "ok", a space
 * apart; arrays and objects as compact JSON. */
static void
put_plain(const json_t *root)
{
	const char *key;
	const json_t *v;
	const char *sep = "";
	char *s;

	json_object_foreach((json_t *)root, key, v) {
		if (strcmp(key, "ok") == 0)
			continue;
		fputs(sep, stdout);
		put_str(key);
		putchar('=');
		if (json_is_string(v)) {
			put_str(json_string_value(v));
		} else {
			s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			if (s != NULL)
				put_str(s);
			free(s);
		}
		sep = " ";
	}
	putchar('\n');
}

int
kc_answer(const struct kc_req *rq, const char *line, size_t len,
    bool plain, char err[KP_ERRLEN])
{
	json_error_t jerr;
	json_t *root, *ok;
	const char *why;
	char clean[1024];
	size_t i;
	int rc;

	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, KP_ERRLEN, "not JSON: %s at column %d",
		    jerr.text, jerr.column);
		return -1;
	}
	ok = json_object_get(root, "ok");
	if (!json_is_object(root) || !json_is_boolean(ok)) {
		snprintf(err, KP_ERRLEN, "not an object with \"ok\"");
		json_decref(root);
		return -1;
	}
	rc = json_is_true(ok) ? KP_EXIT_OK : KP_EXIT_REJECTED;
	if (!plain) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
	} else if (rc == KP_EXIT_OK) {
		put_plain(root);
	}
	if (rc != KP_EXIT_OK) {
		why = json_string_value(json_object_get(root, "error"));
		if (why == NULL)
			why = "(no reason given)";
		for (i = 0; why[i] != '\0' && i < sizeof(clean) - 1; i++)
			clean[i] = (unsigned char)why[i] < 0x20 ? '?' : why[i];
		clean[i] = '\0';
		kp_log(KP_LOG_WARN, "kite-stream refused %s: %s", rq->what,
		    clean);
	}
	json_decref(root);
	return rc;
}
