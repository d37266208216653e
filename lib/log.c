/* log.c: one-line, redacted, never-blocking logging to stderr. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kp.h"

#define SECRETS_MAX 16
#define SECRET_MIN 4

struct log_secret {
	char *s;
	size_t len;
};

static const char *log_prog = "kitepipe";
static int log_level = KP_LOG_INFO;
static uint64_t log_drops;
static struct log_secret log_secrets[SECRETS_MAX];
static size_t log_nsecrets;
static size_t log_oldest;	/* slot replaced once all are in use */

static const char *const log_names[] = {
	"fatal",
	"warning",
	"info",
	"debug"
};

/*
 * A pipe on stderr is usually shared with the supervisor's logger: give
 * ourselves a private open file description of it (a fresh open of
 * /proc/self/fd/2) so O_NONBLOCK affects no other process.
 */
static void
log_stderr_nonblock(void)
{
	struct stat st;
	int fd;

	if (fstat(2, &st) == -1 || !S_ISFIFO(st.st_mode))
		return;
	fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return;
	(void)dup2(fd, 2);
	close(fd);
}

void
kp_log_init(const char *prog)
{
	int saved = errno;

	if (prog != NULL && *prog != '\0')
		log_prog = prog;
	log_stderr_nonblock();
	errno = saved;
}

const char *
kp_log_prog(void)
{
	return log_prog;
}

void
kp_log_set_level(int level)
{
	if (level < KP_LOG_FATAL)
		level = KP_LOG_FATAL;
	if (level > KP_LOG_DEBUG)
		level = KP_LOG_DEBUG;
	log_level = level;
}

int
kp_log_get_level(void)
{
	return log_level;
}

void
kp_log_redact(const char *secret)
{
	size_t i, len, slot;

	if (secret == NULL)
		return;
	len = strlen(secret);
	if (len < SECRET_MIN)
		return;
	for (i = 0; i < log_nsecrets; i++)
		if (log_secrets[i].len == len &&
		    memcmp(log_secrets[i].s, secret, len) == 0)
			return;
	if (log_nsecrets < SECRETS_MAX) {
		slot = log_nsecrets++;
	} else {
		slot = log_oldest;
		log_oldest = (log_oldest + 1) % SECRETS_MAX;
		free(log_secrets[slot].s);
	}
	log_secrets[slot].s = kp_xstrdup(secret);
	log_secrets[slot].len = len;
}

/*
 * The length of the longest secret starting at p, or 0.  When `tail` is
 * set the text was truncated right after p + avail, so a secret cut
 * there counts as a match too (no prefix of a secret is ever printed).
 */
static size_t
log_secret_at(const char *p, size_t avail, int tail)
{
	size_t i, n, best = 0;
	const struct log_secret *s;

	for (i = 0; i < log_nsecrets; i++) {
		s = &log_secrets[i];
		if (s->s[0] != p[0])
			continue;
		n = s->len <= avail ? s->len : avail;
		if (n < s->len && !tail)
			continue;
		if (n > best && memcmp(p, s->s, n) == 0)
			best = n;
	}
	return best;
}

/*
 * Copy in to out (at most cap bytes) with the secrets replaced by "***".
 * Set *cut when something did not fit.  Return the bytes written.
 */
static size_t
log_redact_copy(char *out, size_t cap, const char *in, size_t len,
    int *cut)
{
	size_t i = 0, o = 0, m, n;
	const char *piece;

	while (i < len) {
		m = log_nsecrets > 0 ? log_secret_at(in + i, len - i, *cut) : 0;
		piece = m > 0 ? "***" : in + i;
		n = m > 0 ? 3 : 1;
		if (o + n > cap) {
			*cut = 1;
			break;
		}
		memcpy(out + o, piece, n);
		o += n;
		i += m > 0 ? m : 1;
	}
	return o;
}

static void
log_write(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(2, p, n);
		if (w >= 0) {
			p += w;
			n -= (size_t)w;
		} else if (errno != EINTR) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				log_drops++;
			return;
		}
	}
}

/* Redact, cut to KP_LOG_LINE_MAX with "...", add '\n' and write. */
static void
log_emit(const char *text, size_t len, int cut)
{
	char out[KP_LOG_LINE_MAX];
	size_t n;

	n = log_redact_copy(out, sizeof out - 4, text, len, &cut);
	if (cut) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n++] = '\n';
	log_write(out, n);
}

/* Append ": strerror" to msg (holding *n bytes of cap); 1 if cut. */
static int
log_add_errno(char *msg, size_t cap, size_t *n, int err)
{
	int r;

	r = snprintf(msg + *n, cap - *n, " %s", strerror(err));
	if (r < 0)
		return 0;
	if ((size_t)r >= cap - *n) {
		*n = cap - 1;
		return 1;
	}
	*n += (size_t)r;
	return 0;
}

void
kp_vlog(int level, const char *fmt, va_list ap)
{
	char msg[KP_LOG_LINE_MAX];
	size_t n, flen;
	int saved = errno, cut = 0, r;

	if (level > log_level)
		return;
	if (level < KP_LOG_FATAL)
		level = KP_LOG_FATAL;
	r = snprintf(msg, sizeof msg, "%.64s: %s: ", log_prog,
	    log_names[level]);
	n = r > 0 ? (size_t)r : 0;
	r = vsnprintf(msg + n, sizeof msg - n, fmt, ap);
	if (r >= 0 && (size_t)r >= sizeof msg - n) {
		n = sizeof msg - 1;
		cut = 1;
	} else if (r > 0) {
		n += (size_t)r;
	}
	flen = strlen(fmt);
	if (!cut && flen > 0 && fmt[flen - 1] == ':')
		cut = log_add_errno(msg, sizeof msg, &n, saved);
	log_emit(msg, n, cut);
	errno = saved;
}

void
kp_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kp_vlog(level, fmt, ap);
	va_end(ap);
}

void
kp_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kp_vlog(KP_LOG_FATAL, fmt, ap);
	va_end(ap);
	exit(code);
}

void
kp_log_raw(const char *line, size_t len)
{
	int saved = errno;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	log_emit(line, len, 0);
	errno = saved;
}

uint64_t
kp_log_dropped(void)
{
	return log_drops;
}
