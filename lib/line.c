/* line.c: a bounded line reader for NDJSON on a file descriptor. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"

/* Compact the buffer before a read that would get less than this. */
#define LINE_MIN_READ 4096

int
kp_line_init(struct kp_line *lr, int fd, size_t max)
{
	memset(lr, 0, sizeof *lr);
	lr->fd = fd;
	if (max >= SIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	lr->buf = malloc(max + 1);
	if (lr->buf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	lr->max = max;
	return 0;
}

void
kp_line_free(struct kp_line *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->start = lr->end = lr->scan = 0;
}

/* Hand out buf[start, start + len) as a line; the byte after it is
 * overwritten by the NUL, and a '\r' before it is dropped. */
static int
line_take(struct kp_line *lr, size_t len, char **line, size_t *n)
{
	char *p = lr->buf + lr->start;

	lr->start += len + 1;
	lr->scan = lr->start;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	p[len] = '\0';
	lr->lineno++;
	*line = p;
	*n = len;
	return KP_LINE_OK;
}

/* Make room at the end of the buffer for a read. */
static void
line_make_room(struct kp_line *lr)
{
	size_t cap = lr->max + 1, have = lr->end - lr->start;

	if (have == 0) {
		lr->start = lr->end = lr->scan = 0;
		return;
	}
	if (lr->start == 0)
		return;
	if (cap - lr->end >= LINE_MIN_READ)
		return;
	memmove(lr->buf, lr->buf + lr->start, have);
	lr->scan -= lr->start;
	lr->start = 0;
	lr->end = have;
}

/* One read(2) into the free tail: 1 data, 0 EOF, or a KP_LINE_ status. */
static int
line_fill(struct kp_line *lr)
{
	ssize_t r;

	line_make_room(lr);
	r = read(lr->fd, lr->buf + lr->end, lr->max + 1 - lr->end);
	if (r > 0) {
		lr->end += (size_t)r;
		return 1;
	}
	if (r == 0) {
		lr->eof = 1;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return KP_LINE_AGAIN;
	return KP_LINE_ERR;
}

/* In an overlong line: drop bytes up to and including its '\n'. */
static void
line_skip(struct kp_line *lr)
{
	char *nl;

	nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
	if (nl == NULL) {
		lr->start = lr->end = lr->scan = 0;
		return;
	}
	lr->start = (size_t)(nl - lr->buf) + 1;
	lr->scan = lr->start;
	lr->skipping = 0;
}

/*
 * Look for a complete line in what has been read.  Return KP_LINE_OK or
 * KP_LINE_TOOLONG, or -2 when more input is needed.
 */
static int
line_scan(struct kp_line *lr, char **line, size_t *len)
{
	char *nl;

	if (lr->skipping)
		line_skip(lr);
	if (lr->skipping)
		return -2;
	nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
	if (nl != NULL)
		return line_take(lr, (size_t)(nl - lr->buf) - lr->start,
		    line, len);
	lr->scan = lr->end;
	if (lr->end - lr->start > lr->max) {
		lr->start = lr->end = lr->scan = 0;
		lr->skipping = 1;
		lr->lineno++;
		return KP_LINE_TOOLONG;
	}
	return -2;
}

/* At EOF: the last line may lack its '\n'. */
static int
line_at_eof(struct kp_line *lr, char **line, size_t *len)
{
	size_t have = lr->end - lr->start;

	lr->skipping = 0;
	if (have == 0)
		return KP_LINE_EOF;
	if (lr->end > lr->max) {
		memmove(lr->buf, lr->buf + lr->start, have);
		lr->start = 0;
		lr->end = have;
	}
	(void)line_take(lr, have, line, len);
	lr->start = lr->scan = lr->end;
	return KP_LINE_OK;
}

int
kp_line_next(struct kp_line *lr, char **line, size_t *len)
{
	int r;

	for (;;) {
		r = line_scan(lr, line, len);
		if (r != -2)
			return r;
		if (lr->eof)
			return line_at_eof(lr, line, len);
		r = line_fill(lr);
		if (r < 0 || r == KP_LINE_AGAIN)
			return r;
	}
}
