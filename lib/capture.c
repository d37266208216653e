/* capture.c: kitepipe-capture(5) files of raw ticker messages. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kp.h"

#define READER_BUF (1u << 20)

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void
kp_cap_header(uint8_t h[KP_CAP_HDR], unsigned kind, unsigned conn,
    int64_t recv_us, size_t len)
{
	uint64_t t = (uint64_t)recv_us;
	int i;

	h[0] = (uint8_t)(len >> 24);
	h[1] = (uint8_t)(len >> 16);
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	h[4] = (uint8_t)kind;
	h[5] = (uint8_t)conn;
	h[6] = 0;
	h[7] = 0;
	for (i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(t >> (56 - 8 * i));
}

/*
 * Check a record header; return 0 and fill rec (but data), or -1 with
 * err saying what is wrong at `offset`.
 */
static int
parse_header(const uint8_t *h, uint64_t offset, struct kp_cap_rec *rec,
    char err[KP_ERRLEN])
{
	uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];

	if (h[4] < KP_CAP_BINARY || h[4] > KP_CAP_STATUS) {
		snprintf(err, KP_ERRLEN, "record at byte %llu: unknown kind "
		    "%u", (unsigned long long)offset, h[4]);
		return -1;
	}
	if (len > KP_CAP_MAX_PAYLOAD) {
		snprintf(err, KP_ERRLEN, "record at byte %llu: length %u "
		    "over the %u limit", (unsigned long long)offset, len,
		    KP_CAP_MAX_PAYLOAD);
		return -1;
	}
	rec->kind = h[4];
	rec->conn = h[5];
	rec->flags = (unsigned)h[6] << 8 | h[7];
	rec->recv_us = (int64_t)rd64(h + 8);
	rec->len = len;
	rec->offset = offset;
	return 0;
}

static void
truncated(char err[KP_ERRLEN], uint64_t offset, size_t have, size_t want)
{
	snprintf(err, KP_ERRLEN, "last record at byte %llu is truncated "
	    "(%zu of %zu bytes)", (unsigned long long)offset, have, want);
}

int
kp_cap_parse(const uint8_t *buf, size_t len, size_t *pos,
    struct kp_cap_rec *rec, char err[KP_ERRLEN])
{
	size_t off = *pos;

	if (off == 0) {
		if (len < KP_CAP_MAGIC_LEN || memcmp(buf, KP_CAP_MAGIC,
		    KP_CAP_MAGIC_LEN) != 0) {
			snprintf(err, KP_ERRLEN, "not a kitepipe capture "
			    "(bad magic)");
			return KP_CAP_CORRUPT;
		}
		off = KP_CAP_MAGIC_LEN;
	}
	if (off == len)
		return KP_CAP_END;
	if (len - off < KP_CAP_HDR) {
		truncated(err, off, len - off, KP_CAP_HDR);
		return KP_CAP_TRUNCATED;
	}
	if (parse_header(buf + off, off, rec, err) < 0)
		return KP_CAP_CORRUPT;
	if (len - off - KP_CAP_HDR < rec->len) {
		truncated(err, off, len - off, KP_CAP_HDR + rec->len);
		return KP_CAP_TRUNCATED;
	}
	rec->data = buf + off + KP_CAP_HDR;
	*pos = off + KP_CAP_HDR + rec->len;
	return KP_CAP_OK;
}

int
kp_cap_reader_init(struct kp_cap_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = READER_BUF;
	r->buf = malloc(r->cap);
	return r->buf == NULL ? -1 : 0;
}

void
kp_cap_reader_free(struct kp_cap_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Whether a read(2) on fd would return at once. */
static int
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

/*
 * Make at least `want` bytes available from buf[start], growing the
 * buffer for large records.  Return 1 if they are, 0 at EOF, -1 on error.
 */
static int
fill(struct kp_cap_reader *r, size_t want)
{
	while (r->end - r->start < want) {
		ssize_t n;

		if (r->eof)
			return 0;
		if (r->cap - r->start < want) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap < want) {
			uint8_t *nb = realloc(r->buf, want);

			if (nb == NULL)
				return -1;
			r->buf = nb;
			r->cap = want;
		}
		if (r->idle != NULL && !readable(r->fd))
			r->idle(r->idle_arg);
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0)
			return -1;
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
	return 1;
}

static int
read_magic(struct kp_cap_reader *r, char err[KP_ERRLEN])
{
	int f = fill(r, KP_CAP_MAGIC_LEN);

	if (f < 0)
		return KP_CAP_ERROR;
	if (f == 0 && r->end == r->start) {
		snprintf(err, KP_ERRLEN, "empty file: not a kitepipe capture");
		return KP_CAP_CORRUPT;
	}
	if (f == 0 || memcmp(r->buf + r->start, KP_CAP_MAGIC,
	    KP_CAP_MAGIC_LEN) != 0) {
		snprintf(err, KP_ERRLEN, "not a kitepipe capture (bad magic)");
		return KP_CAP_CORRUPT;
	}
	r->start += KP_CAP_MAGIC_LEN;
	r->offset = KP_CAP_MAGIC_LEN;
	r->started = 1;
	return KP_CAP_OK;
}

int
kp_cap_next(struct kp_cap_reader *r, struct kp_cap_rec *rec,
    char err[KP_ERRLEN])
{
	int f, st;

	if (!r->started) {
		st = read_magic(r, err);
		if (st != KP_CAP_OK)
			return st;
	}
	f = fill(r, KP_CAP_HDR);
	if (f < 0)
		return KP_CAP_ERROR;
	if (f == 0) {
		if (r->end == r->start)
			return KP_CAP_END;
		truncated(err, r->offset, r->end - r->start, KP_CAP_HDR);
		return KP_CAP_TRUNCATED;
	}
	if (parse_header(r->buf + r->start, r->offset, rec, err) < 0)
		return KP_CAP_CORRUPT;
	f = fill(r, KP_CAP_HDR + rec->len);
	if (f < 0)
		return KP_CAP_ERROR;
	if (f == 0) {
		truncated(err, r->offset, r->end - r->start,
		    KP_CAP_HDR + rec->len);
		return KP_CAP_TRUNCATED;
	}
	rec->data = r->buf + r->start + KP_CAP_HDR;
	r->start += KP_CAP_HDR + rec->len;
	r->offset += KP_CAP_HDR + rec->len;
	rec->index = ++r->records;
	return KP_CAP_OK;
}

/*
 * Walk the records of an existing capture by their headers; set *good to
 * the end of the last whole record.  Return 0, or -1 with err filled.
 */
static int
walk_existing(int fd, off_t size, off_t *good, char err[KP_ERRLEN])
{
	uint8_t h[KP_CAP_HDR];
	struct kp_cap_rec rec;
	off_t off = KP_CAP_MAGIC_LEN;

	if (pread(fd, h, KP_CAP_MAGIC_LEN, 0) != KP_CAP_MAGIC_LEN ||
	    memcmp(h, KP_CAP_MAGIC, KP_CAP_MAGIC_LEN) != 0) {
		snprintf(err, KP_ERRLEN, "not a kitepipe capture (bad magic); "
		    "refusing to append");
		return -1;
	}
	while (size - off >= KP_CAP_HDR) {
		if (pread(fd, h, KP_CAP_HDR, off) != KP_CAP_HDR) {
			snprintf(err, KP_ERRLEN, "read at byte %lld: %s",
			    (long long)off, strerror(errno));
			return -1;
		}
		if (parse_header(h, (uint64_t)off, &rec, err) < 0)
			return -1;
		if (size - off - KP_CAP_HDR < (off_t)rec.len)
			break;
		off += KP_CAP_HDR + (off_t)rec.len;
	}
	*good = off;
	return 0;
}

int
kp_cap_open_append(const char *path, uint64_t *cut, char err[KP_ERRLEN])
{
	struct stat st;
	off_t good;
	int fd;

	*cut = 0;
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, KP_ERRLEN, "unable to open %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		if (write(fd, KP_CAP_MAGIC, KP_CAP_MAGIC_LEN) !=
		    KP_CAP_MAGIC_LEN)
			goto fail_errno;
		return fd;
	}
	if (walk_existing(fd, st.st_size, &good, err) < 0) {
		close(fd);
		return -1;
	}
	if (good < st.st_size) {
		if (ftruncate(fd, good) < 0)
			goto fail_errno;
		*cut = (uint64_t)(st.st_size - good);
	}
	return fd;
fail_errno:
	snprintf(err, KP_ERRLEN, "unable to write %s: %s", path,
	    strerror(errno));
	close(fd);
	return -1;
}

int
kp_cap_write(int fd, unsigned kind, unsigned conn, int64_t recv_us,
    const void *data, size_t len)
{
	uint8_t h[KP_CAP_HDR];
	struct iovec iov[2];
	ssize_t n;

	if (len > KP_CAP_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	kp_cap_header(h, kind, conn, recv_us, len);
	iov[0].iov_base = h;
	iov[0].iov_len = KP_CAP_HDR;
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	do
		n = writev(fd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != KP_CAP_HDR + len) {
		errno = EIO;
		return -1;
	}
	return 0;
}
