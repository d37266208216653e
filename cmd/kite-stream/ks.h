/* ks.h: kite-stream's parts: options, output of decoded messages, replay. */
/* SPDX-License-Identifier: MIT */
#ifndef KS_H
#define KS_H

#include "kp.h"

#define KS_PROG "kite-stream"

struct ks_opts {
	const char *read_path;		/* -r: decode a capture */
	long long stats_ms;		/* -s: stats interval, 0 = off */
	const char *prom_path;		/* -P: Prometheus textfile */
	long long max_warn;		/* decode warnings before going quiet */
};

/* Counters, exported through kp_stats. */
struct ks_stats {
	uint64_t records;
	uint64_t messages;
	uint64_t heartbeats;
	uint64_t text_messages;
	uint64_t status_lines;
	uint64_t bytes_in;
	uint64_t packets;
	uint64_t bad_parts;
	uint64_t bad_text;
	uint64_t lines_out;
	uint64_t bytes_out;
};

/*
 * The output side shared by replay and (later) the live client: every
 * message, whatever its source, becomes lines through these functions, so
 * -r on a capture reproduces what the live run wrote.
 */
struct ks_emit {
	struct kp_out out;
	struct ks_stats st;
	const struct ks_opts *opts;
	int64_t recv_us;		/* receive time of the current message */
	char ts[KP_FMT_ROOM];		/* recv_us formatted, for every tick */
	size_t tslen;
	const char *where;		/* "record 12 at byte 345" for warnings */
	uint64_t warnings;
};

void ks_emit_init(struct ks_emit *e, const struct ks_opts *o, int fd);
void ks_emit_free(struct ks_emit *e);
/* Set the receive time of the messages that follow. */
void ks_emit_time(struct ks_emit *e, int64_t recv_us);
/* A binary ticker message: its ticks as lines; bad parts warned about. */
void ks_emit_binary(struct ks_emit *e, const uint8_t *msg, size_t len);
/* A text ticker message (order, error, message): one line. */
void ks_emit_text(struct ks_emit *e, const char *msg, size_t len);
/* A status line recorded in a capture (JSON, no newline). */
void ks_emit_status(struct ks_emit *e, const char *line, size_t len);
/* Warn about bad input, going quiet after opts->max_warn warnings. */
void ks_emit_warn(struct ks_emit *e, const char *fmt, ...) KP_PRINTF(2, 3);
/* Stats to stderr and the textfile. */
void ks_emit_stats(struct ks_emit *e);

/*
 * Decode the capture at path ("-": stdin) to stdout.  Return the exit
 * code.
 */
int ks_replay(struct ks_emit *e, const char *path);

#endif
