/* capture.c: capture files: write, append, read, truncation, corruption. */
/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kp.h"
#include "t.h"

static char dir[] = "/tmp/kpcapXXXXXX";

static const char *
path(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* write(2) and truncate(2) that fail the test instead of the build. */
static void
xwrite(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		t_ok(0, "write %zu bytes", n);
}

static void
xtruncate(const char *p, off_t len)
{
	if (truncate(p, len) != 0)
		t_ok(0, "truncate %s", p);
}

static off_t
fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* Read every record of a file; return how many, and the last status. */
static int
read_all(const char *p, uint64_t *n, char err[KP_ERRLEN])
{
	struct kp_cap_reader r;
	struct kp_cap_rec rec;
	int fd = open(p, O_RDONLY), st;

	*n = 0;
	kp_cap_reader_init(&r, fd);
	while ((st = kp_cap_next(&r, &rec, err)) == KP_CAP_OK)
		(*n)++;
	kp_cap_reader_free(&r);
	close(fd);
	return st;
}

static void
test_write_read(void)
{
	char err[KP_ERRLEN];
	struct kp_cap_reader r;
	struct kp_cap_rec rec;
	uint64_t cut;
	uint8_t big[70000];
	int fd, st;

	memset(big, 0xab, sizeof(big));
	fd = kp_cap_open_append(path("a.cap"), &cut, err);
	t_ok(fd >= 0, "create a capture");
	t_ok(kp_cap_write(fd, KP_CAP_BINARY, 0, 1700000000000001, "\x00", 1)
	    == 0, "write a heartbeat record");
	kp_cap_write(fd, KP_CAP_TEXT, 2, 1700000000000002, "{\"type\":1}",
	    10);
	kp_cap_write(fd, KP_CAP_BINARY, 1, -5, big, sizeof(big));
	close(fd);
	T_EQ_INT(fsize(path("a.cap")), 8 + 3 * 16 + 1 + 10 + 70000,
	    "file size: magic + 3 headers + payloads");
	fd = open(path("a.cap"), O_RDONLY);
	kp_cap_reader_init(&r, fd);
	st = kp_cap_next(&r, &rec, err);
	t_ok(st == KP_CAP_OK && rec.kind == KP_CAP_BINARY && rec.len == 1 &&
	    rec.recv_us == 1700000000000001 && rec.index == 1 &&
	    rec.offset == 8, "record 1: heartbeat, time, offset");
	st = kp_cap_next(&r, &rec, err);
	t_ok(st == KP_CAP_OK && rec.kind == KP_CAP_TEXT && rec.conn == 2 &&
	    rec.len == 10 && memcmp(rec.data, "{\"type\":1}", 10) == 0,
	    "record 2: text, connection 2, payload");
	st = kp_cap_next(&r, &rec, err);
	t_ok(st == KP_CAP_OK && rec.len == sizeof(big) && rec.recv_us == -5 &&
	    memcmp(rec.data, big, sizeof(big)) == 0,
	    "record 3: 70000 bytes (bigger than one read), negative time");
	T_EQ_INT(kp_cap_next(&r, &rec, err), KP_CAP_END, "then a clean end");
	kp_cap_reader_free(&r);
	close(fd);
}

static void
test_truncated(void)
{
	char err[KP_ERRLEN];
	uint64_t n, cut;
	int fd, st;

	/* copy a.cap and cut the last record short */
	fd = kp_cap_open_append(path("b.cap"), &cut, err);
	kp_cap_write(fd, KP_CAP_BINARY, 0, 1, "\x00", 1);
	kp_cap_write(fd, KP_CAP_BINARY, 0, 2, "0123456789", 10);
	close(fd);
	xtruncate(path("b.cap"), fsize(path("b.cap")) - 3);
	st = read_all(path("b.cap"), &n, err);
	t_ok(st == KP_CAP_TRUNCATED && n == 1, "truncated last record: "
	    "detected after the good one");
	T_EQ_STR(err, "last record at byte 25 is truncated (23 of 26 bytes)",
	    "truncation message names the byte and sizes");
	fd = kp_cap_open_append(path("b.cap"), &cut, err);
	T_EQ_INT(cut, 23, "reopen for append cuts the partial record");
	kp_cap_write(fd, KP_CAP_TEXT, 0, 3, "{}", 2);
	close(fd);
	st = read_all(path("b.cap"), &n, err);
	t_ok(st == KP_CAP_END && n == 2, "appending after the repair: "
	    "2 whole records");
	xtruncate(path("b.cap"), 8 + 5);
	st = read_all(path("b.cap"), &n, err);
	t_ok(st == KP_CAP_TRUNCATED && n == 0, "a cut header is truncation");
}

static void
test_corrupt(void)
{
	char err[KP_ERRLEN];
	uint64_t n, cut;
	int fd;

	fd = open(path("c.cap"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	xwrite(fd, "NOTACAPTURE!", 12);
	close(fd);
	t_ok(read_all(path("c.cap"), &n, err) == KP_CAP_CORRUPT,
	    "bad magic: corrupt");
	t_ok(kp_cap_open_append(path("c.cap"), &cut, err) < 0,
	    "bad magic: refuse to append");
	fd = open(path("d.cap"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	close(fd);
	t_ok(read_all(path("d.cap"), &n, err) == KP_CAP_CORRUPT,
	    "empty file: not a capture");
	fd = kp_cap_open_append(path("d.cap"), &cut, err);
	t_ok(fd >= 0 && fsize(path("d.cap")) == 8,
	    "empty file: append writes the magic");
	kp_cap_write(fd, KP_CAP_BINARY, 0, 1, "\x00", 1);
	/* a record of kind 9 */
	xwrite(fd, "\x00\x00\x00\x01\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00Z", 17);
	close(fd);
	t_ok(read_all(path("d.cap"), &n, err) == KP_CAP_CORRUPT && n == 1,
	    "unknown kind: corrupt after the good record");
	T_EQ_STR(err, "record at byte 25: unknown kind 9", "corrupt message");
}

static void
test_parse_mem(void)
{
	uint8_t buf[64];
	struct kp_cap_rec rec;
	char err[KP_ERRLEN];
	size_t pos = 0, len;

	memcpy(buf, KP_CAP_MAGIC, 8);
	kp_cap_header(buf + 8, KP_CAP_STATUS, 0, 42, 2);
	memcpy(buf + 24, "{}", 2);
	len = 26;
	t_ok(kp_cap_parse(buf, len, &pos, &rec, err) == KP_CAP_OK &&
	    rec.kind == KP_CAP_STATUS && rec.recv_us == 42 && pos == 26,
	    "parse in memory: one status record");
	T_EQ_INT(kp_cap_parse(buf, len, &pos, &rec, err), KP_CAP_END,
	    "parse in memory: end");
	pos = 0;
	kp_cap_header(buf + 8, KP_CAP_BINARY, 0, 0, 0x7fffffff);
	t_ok(kp_cap_parse(buf, len, &pos, &rec, err) == KP_CAP_CORRUPT,
	    "a length over the limit is corrupt, not a huge allocation");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		t_ok(0, "mkdtemp");
		return t_done();
	}
	test_write_read();
	test_truncated();
	test_corrupt();
	test_parse_mem();
	unlink(path("a.cap"));
	unlink(path("b.cap"));
	unlink(path("c.cap"));
	unlink(path("d.cap"));
	rmdir(dir);
	return t_done();
}
