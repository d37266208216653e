/*
 * input.c: the bytes of the dump on their way to the parser.  A gzip
 * stream (known by its magic, whether Kite sent it as Content-Encoding
 * or a file holds it) is inflated here with zlib, so that a stream cut
 * short or failing its CRC is an error, not a shorter list; and the end
 * of the input is checked: a list that does not end with a newline was
 * cut mid-row.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "is.h"

enum { IN_START, IN_PLAIN, IN_GZIP, IN_GZIP_END };

static const unsigned char gz_magic[2] = { 0x1f, 0x8b };

void
is_in_init(struct is_in *in, struct kp_instr_parser *p)
{
	memset(in, 0, sizeof *in);
	in->p = p;
	in->z = kp_xcalloc(1, sizeof(z_stream));
}

void
is_in_free(struct is_in *in)
{
	if (in->z != NULL && in->mode >= IN_GZIP)
		inflateEnd(in->z);
	free(in->z);
	in->z = NULL;
}

/* Plain CSV bytes to the parser, counting lines and keeping the last
 * byte. */
static int
pass(struct is_in *in, const unsigned char *s, size_t n)
{
	const unsigned char *e = s + n, *nl = s;

	if (n == 0)
		return 0;
	while ((nl = memchr(nl, '\n', (size_t)(e - nl))) != NULL) {
		in->lines++;
		nl++;
	}
	in->last = s[n - 1];
	in->out += n;
	if (kp_instr_feed(in->p, s, n) < 0) {
		snprintf(in->err, sizeof in->err, "%s", kp_instr_error(in->p));
		return -1;
	}
	return 0;
}

static int
inflate_some(struct is_in *in, const unsigned char *s, size_t n)
{
	z_stream *z = in->z;
	unsigned char out[1 << 16];
	int rc;

	z->next_in = (unsigned char *)s;
	z->avail_in = (uInt)n;
	for (;;) {
		if (in->mode == IN_GZIP_END) {
			if (z->avail_in == 0)
				break;
			/* another member (gzip files may be concatenated) */
			if (inflateReset(z) != Z_OK)
				goto bad;
			in->mode = IN_GZIP;
		}
		z->next_out = out;
		z->avail_out = sizeof out;
		rc = inflate(z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			goto bad;
		if (pass(in, out, sizeof out - z->avail_out) < 0)
			return -1;
		if (rc == Z_STREAM_END)
			in->mode = IN_GZIP_END;
		else if (rc == Z_BUF_ERROR ||
		    (z->avail_in == 0 && z->avail_out != 0))
			break;	/* all in is out: wait for more */
	}
	return 0;
bad:
	in->damaged = 1;
	snprintf(in->err, sizeof in->err, "gzip: %s (the download or file "
	    "is damaged)", z->msg ? z->msg : "bad data");
	return -1;
}

int
is_in_feed(struct is_in *in, const void *buf, size_t n)
{
	const unsigned char *s = buf;

	if (in->err[0] != 0)
		return -1;
	if (n == 0)
		return 0;
	if (in->mode == IN_START) {
		/* the magic may arrive split: hold its first byte */
		if (in->held == 0 && s[0] == gz_magic[0] && n == 1) {
			in->held = 1;
			return 0;
		}
		if (in->held ? s[0] == gz_magic[1] :
		    n >= 2 && s[0] == gz_magic[0] && s[1] == gz_magic[1]) {
			if (inflateInit2(in->z, 16 + MAX_WBITS) != Z_OK) {
				snprintf(in->err, sizeof in->err,
				    "gzip: unable to start zlib");
				return -1;
			}
			in->mode = IN_GZIP;
			if (in->held && inflate_some(in, gz_magic, 1) < 0)
				return -1;
		} else {
			in->mode = IN_PLAIN;
			if (in->held && pass(in, gz_magic, 1) < 0)
				return -1;
		}
	}
	if (in->mode == IN_PLAIN)
		return pass(in, s, n);
	return inflate_some(in, s, n);
}

int
is_in_finish(struct is_in *in, int whole_lines)
{
	if (in->err[0] != 0)
		return -1;
	if (in->mode == IN_START && in->held && pass(in, gz_magic, 1) < 0)
		return -1;
	if (in->mode == IN_GZIP) {
		in->damaged = 1;
		snprintf(in->err, sizeof in->err, "gzip: the stream is cut "
		    "short after %llu bytes of CSV (the download or file is "
		    "truncated)", (unsigned long long)in->out);
		return -1;
	}
	if (whole_lines && in->out > 0 && in->last != '\n') {
		/* the parser would take the partial row as the last one */
		in->midrow = 1;
		return 0;
	}
	if (kp_instr_finish(in->p) < 0) {
		snprintf(in->err, sizeof in->err, "%s", kp_instr_error(in->p));
		return -1;
	}
	return 0;
}

const char *
is_in_error(const struct is_in *in)
{
	return in->err[0] != 0 ? in->err : "no error";
}

int
is_in_read(struct is_in *in, const char *path, int whole_lines)
{
	char buf[1 << 16];
	ssize_t r;
	int fd = 0, rc = 0;

	if (strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(in->err, sizeof in->err, "%.200s: %s", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(in->err, sizeof in->err, "%.200s: read: %s",
			    path, strerror(errno));
			rc = -1;
			break;
		}
		if (r == 0) {
			rc = is_in_finish(in, whole_lines);
			break;
		}
		if ((rc = is_in_feed(in, buf, (size_t)r)) < 0)
			break;
	}
	if (fd != 0)
		close(fd);
	return rc;
}
