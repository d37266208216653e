/*
 * journal.c: order-exec's write-ahead journal.  Append-only, one record a
 * line ("crc32hex json\n"), fdatasync'd before the caller goes on, so a
 * record that replay sees was on disk before the request it announces
 * left.  Replay reads the whole file; only the last line may be torn.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "oe.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
oe_journal_check(const char *line, size_t len, const char **json,
    size_t *jlen)
{
	unsigned long want = 0;
	size_t i;
	int h;

	if (len < 11 || line[8] != ' ' || line[9] != '{' ||
	    len - 9 > OE_JOURNAL_REC_MAX)
		return -1;
	for (i = 0; i < 8; i++) {
		if ((h = hexval((unsigned char)line[i])) < 0)
			return -1;
		want = want << 4 | (unsigned long)h;
	}
	if (crc32(0L, (const Bytef *)line + 9, (uInt)(len - 9)) != want)
		return -1;
	*json = line + 9;
	*jlen = len - 9;
	return 0;
}

static char *
slurp(int fd, size_t *len, char err[KP_ERRLEN], const char *path)
{
	struct stat st;
	char *buf;
	size_t n = 0, cap;
	ssize_t r;

	if (fstat(fd, &st) < 0) {
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(errno));
		return NULL;
	}
	cap = (size_t)st.st_size + 1;
	buf = kp_xmalloc(cap);
	for (;;) {
		if (n == cap - 1) {
			cap *= 2;
			buf = kp_xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, KP_ERRLEN, "%s: %s", path,
			    strerror(errno));
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/*
 * One process per journal: a POSIX write lock on the whole file, held
 * until exit (fcntl rather than flock so that F_GETLK names the holder).
 * The lock goes when the process closes any descriptor of the file, so
 * nothing else in order-exec may open the journal.
 */
static int
lock_whole(int fd, const char *path, char err[KP_ERRLEN])
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 0;
	if (errno != EACCES && errno != EAGAIN) {
		snprintf(err, KP_ERRLEN, "%s: lock: %s", path,
		    strerror(errno));
		return -1;
	}
	fl.l_type = F_WRLCK;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		snprintf(err, KP_ERRLEN, "journal %s is in use by pid %ld "
		    "(one order-exec per journal)", path, (long)fl.l_pid);
	else
		snprintf(err, KP_ERRLEN, "journal %s is in use by another "
		    "process (one order-exec per journal)", path);
	return -1;
}

int
oe_journal_open(struct oe_journal *j, const char *path, int fsync_on,
    int read_only, oe_replay_fn fn, void *arg, uint64_t *cut,
    char err[KP_ERRLEN])
{
	char *buf = NULL;
	size_t len = 0, pos = 0, good = 0;
	uint64_t lineno = 0, recs = 0;
	int fd;

	*cut = 0;
	fd = open(path, (read_only ? O_RDONLY : O_RDWR | O_CREAT) |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		if (read_only && errno == ENOENT)
			return 0;
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!read_only && lock_whole(fd, path, err) < 0) {
		close(fd);
		return -2;
	}
	if ((buf = slurp(fd, &len, err, path)) == NULL)
		goto fail;
	while (pos < len) {
		const char *line = buf + pos, *json;
		char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		size_t jlen;

		lineno++;
		if (nl == NULL)
			break;		/* torn: a crash mid-write */
		if (oe_journal_check(line, llen, &json, &jlen) < 0) {
			/* a whole line that fails its check was not torn
			 * by a crash: it was damaged, and so may others be */
			snprintf(err, KP_ERRLEN, "%s:%llu: bad record (CRC or "
			    "format); the journal cannot be trusted", path,
			    (unsigned long long)lineno);
			goto fail;
		}
		if (fn != NULL && fn(arg, lineno, json, jlen) < 0) {
			snprintf(err, KP_ERRLEN, "%s:%llu: bad record", path,
			    (unsigned long long)lineno);
			goto fail;
		}
		recs++;
		pos = (size_t)(nl - buf) + 1;
		good = pos;
	}
	if (good < len) {
		*cut = len - good;
		if (!read_only && (ftruncate(fd, (off_t)good) < 0 ||
		    fdatasync(fd) < 0)) {
			snprintf(err, KP_ERRLEN, "%s: truncate: %s", path,
			    strerror(errno));
			goto fail;
		}
	}
	free(buf);
	if (read_only) {
		close(fd);
		return 0;
	}
	if (lseek(fd, 0, SEEK_END) < 0) {
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	j->fd = fd;
	j->fsync = fsync_on;
	j->records = recs;
	j->bytes = good;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

int
oe_journal_append(struct oe_journal *j, const char *json, size_t len)
{
	char *rec;
	size_t n = len + 10, off = 0;
	ssize_t w;
	int e;

	if (len == 0 || len > OE_JOURNAL_REC_MAX || memchr(json, '\n', len)) {
		errno = EINVAL;
		return -1;
	}
	rec = kp_xmalloc(n);
	snprintf(rec, 10, "%08lx", crc32(0L, (const Bytef *)json, (uInt)len));
	rec[8] = ' ';
	memcpy(rec + 9, json, len);
	rec[n - 1] = '\n';
	while (off < n) {
		w = write(j->fd, rec + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			e = errno;
			free(rec);
			errno = e;
			return -1;
		}
		off += (size_t)w;
	}
	free(rec);
	if (j->fsync && fdatasync(j->fd) < 0)
		return -1;
	j->records++;
	j->bytes += n;
	return 0;
}

void
oe_journal_close(struct oe_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}
