/*
 * kp_form.h: application/x-www-form-urlencoded decoding (POST bodies and
 * query strings), bounded.
 * SPDX-License-Identifier: MIT
 */
#ifndef KP_FORM_H
#define KP_FORM_H

#include <stddef.h>

#define KP_FORM_MAX_PAIRS 1100	/* /quote/ltp takes 1000 i= */
#define KP_FORM_MAX_LEN (64u << 10)

struct kp_form_pair {
	const char *key;	/* decoded, NUL-terminated */
	const char *val;	/* decoded, NUL-terminated; "" for "key" alone */
};

struct kp_form {
	char *buf;		/* owns the decoded text */
	struct kp_form_pair pair[KP_FORM_MAX_PAIRS];
	size_t n;
};

/*
 * Decode "k=v&k2=v2..." of len bytes (no NUL needed): '+' is a space,
 * %XX a byte.  Empty segments ("a=1&&b=2") are skipped.  Return 0, or -1
 * with a reason in err (at most errlen bytes) for input longer than
 * KP_FORM_MAX_LEN, more than KP_FORM_MAX_PAIRS pairs, a bad %-escape, a
 * decoded NUL byte or an empty key.  *f is always safe to kp_form_free.
 */
int kp_form_parse(struct kp_form *f, const char *s, size_t len, char *err,
    size_t errlen);
void kp_form_free(struct kp_form *f);
/* The value of the first pair named key, or NULL. */
const char *kp_form_get(const struct kp_form *f, const char *key);
/* How many pairs are named key. */
size_t kp_form_count(const struct kp_form *f, const char *key);

#endif
