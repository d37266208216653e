/*
 * orders.c: each order update written once.  Kite sends an order update
 * on every ticker connection of the API key, so with several connections
 * the same update arrives several times.  An update is its "data"
 * object: two whose data are the same JSON (compared in one canonical
 * form: compact, keys sorted), received within KS_SEEN_WINDOW_US of the
 * first, are one, whichever connections brought them.  Any difference at
 * all (a new status, a fill, a modified price, a new timestamp) is a new
 * update.  What is remembered is bounded: the last KS_SEEN_MAX updates of
 * at most KS_SEEN_KEY_MAX bytes each; a bigger one is never remembered
 * (written every time), and past KS_SEEN_MAX within the window the
 * oldest is forgotten: a copy may then be written again, never lost.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "ks.h"

/* Was it seen in the window, and is slot i a match for key? */
static int
seen_at(const struct ks_seen *s, size_t i, const char *key, size_t len,
    int64_t now_us)
{
	int64_t age = now_us - s->e[i].at_us;

	return s->e[i].key != NULL && s->e[i].len == len &&
	    age <= KS_SEEN_WINDOW_US && age >= -KS_SEEN_WINDOW_US &&
	    memcmp(s->e[i].key, key, len) == 0;
}

int
ks_seen_order(struct ks_seen *s, const char *key, size_t len,
    int64_t now_us)
{
	size_t i;
	char *copy;

	for (i = 0; i < KS_SEEN_MAX; i++)
		if (seen_at(s, i, key, len, now_us))
			return 1;
	if (len > KS_SEEN_KEY_MAX)
		return 0;
	copy = kp_xmalloc(len ? len : 1);
	memcpy(copy, key, len);
	i = s->next;
	free(s->e[i].key);
	s->e[i].key = copy;
	s->e[i].len = len;
	s->e[i].at_us = now_us;
	s->next = (i + 1) % KS_SEEN_MAX;
	return 0;
}

void
ks_seen_free(struct ks_seen *s)
{
	size_t i;

	for (i = 0; i < KS_SEEN_MAX; i++) {
		free(s->e[i].key);
		s->e[i].key = NULL;
	}
}
