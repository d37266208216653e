/* xalloc.c: allocation that cannot fail (it exits 111 instead). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"

static void
xalloc_die(size_t n)
{
	errno = ENOMEM;
	kp_die(KP_EXIT_TEMP, "unable to allocate %zu bytes:", n);
}

void *
kp_xmalloc(size_t n)
{
	void *p;

	p = malloc(n > 0 ? n : 1);
	if (p == NULL)
		xalloc_die(n);
	return p;
}

void *
kp_xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	p = calloc(n, size);
	if (p == NULL) {
		if (size != 0 && n > (size_t)-1 / size)
			xalloc_die((size_t)-1);
		xalloc_die(n * size);
	}
	return p;
}

void *
kp_xrealloc(void *p, size_t n)
{
	void *q;

	q = realloc(p, n > 0 ? n : 1);
	if (q == NULL)
		xalloc_die(n);
	return q;
}

char *
kp_xstrdup(const char *s)
{
	size_t n;
	char *p;

	n = strlen(s) + 1;
	p = kp_xmalloc(n);
	memcpy(p, s, n);
	return p;
}
