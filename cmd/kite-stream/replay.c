/* replay.c: kite-stream -r: decode a capture file to NDJSON. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ks.h"

static int
open_capture(const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		kp_die(errno == ENOENT || errno == EACCES ? KP_EXIT_PERM :
		    KP_EXIT_TEMP, "unable to open %s:", path);
	return fd;
}

/* Handle the signals that arrived; return 1 if we must stop. */
static int
check_signals(struct ks_emit *e)
{
	if (kp_sig_take(SIGUSR1) || kp_sig_take(SIGALRM))
		ks_emit_stats(e);
	return kp_sig_stopping();
}

/* Before blocking on the input, write out what we have. */
static void
flush_output(void *arg)
{
	struct ks_emit *e = arg;

	kp_out_flush(&e->out);
}

static void
emit_record(struct ks_emit *e, const struct kp_cap_rec *rec)
{
	char where[96];

	snprintf(where, sizeof(where), "record %llu at byte %llu",
	    (unsigned long long)rec->index, (unsigned long long)rec->offset);
	e->where = where;
	ks_emit_time(e, rec->recv_us);
	e->st.records++;
	if (rec->kind == KP_CAP_BINARY)
		ks_emit_binary(e, rec->data, rec->len);
	else if (rec->kind == KP_CAP_TEXT)
		ks_emit_text(e, (const char *)rec->data, rec->len);
	else
		ks_emit_status(e, (const char *)rec->data, rec->len);
	e->where = "";
}

int
ks_replay(struct ks_emit *e, const char *path)
{
	struct kp_cap_reader r;
	struct kp_cap_rec rec;
	char err[KP_ERRLEN];
	int fd = open_capture(path), st, code = KP_EXIT_OK;

	if (kp_cap_reader_init(&r, fd) < 0)
		kp_die(KP_EXIT_TEMP, "unable to allocate a read buffer:");
	r.idle = flush_output;
	r.idle_arg = e;
	for (;;) {
		st = kp_cap_next(&r, &rec, err);
		if (st == KP_CAP_OK)
			emit_record(e, &rec);
		else if (st != KP_CAP_ERROR || errno != EINTR)
			break;
		if (check_signals(e))
			break;
	}
	if (st == KP_CAP_TRUNCATED || (st == KP_CAP_CORRUPT && r.records)) {
		kp_warn("%s: %s", path, err);
		code = KP_EXIT_REJECTED;
	} else if (st == KP_CAP_CORRUPT) {
		kp_log(KP_LOG_FATAL, "%s: %s", path, err);
		code = KP_EXIT_PERM;
	} else if (st == KP_CAP_ERROR && errno != EINTR) {
		kp_log(KP_LOG_FATAL, "unable to read %s:", path);
		code = KP_EXIT_TEMP;
	}
	if (code == KP_EXIT_OK && (e->st.bad_parts || e->st.bad_text))
		code = KP_EXIT_REJECTED;
	kp_cap_reader_free(&r);
	if (fd != 0)
		close(fd);
	return code;
}
