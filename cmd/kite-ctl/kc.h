/*
 * kc.h: kite-ctl's parts: the requests built from the command line
 * (main.c), the connection to kite-stream's control socket (conn.c) and
 * what is made of its answers (answer.c).
 * SPDX-License-Identifier: MIT
 */
#ifndef KC_H
#define KC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kp.h"

/* kite-stream reads control lines of at most 1 MiB; answers are bounded
 * the same way. */
#define KC_LINE_MAX (1u << 20)
/* Tokens in one command: 16 connections of 3000, with room to spare. */
#define KC_TOKENS_MAX 50000
/* Requests one command sends: subscribe, then one mode per mode named. */
#define KC_REQ_MAX 4

struct kc_req {
	struct kp_buf line;	/* one JSON object, '\n' terminated */
	const char *what;	/* "subscribe", "mode full", ... for messages */
};

/*
 * Connect to the Unix socket path, send every request and hand each
 * answer line to kc_answer in order, all before deadline_ms (kp_mono_ms
 * time).  Return KP_EXIT_OK or KP_EXIT_REJECTED (what the answers
 * said), or KP_EXIT_TEMP after one fatal line on stderr (unreachable,
 * timed out, closed, an answer that is not one).
 */
int kc_run(const char *path, struct kc_req *rq, size_t n,
    int64_t deadline_ms, bool plain);

/*
 * One answer line (NUL-terminated, no '\n') to request rq: write it
 * to stdout (as is, or in the plain form), and say on stderr why a
 * request was refused.  Return KP_EXIT_OK, KP_EXIT_REJECTED for
 * {"ok":false,...}, or -1 with err set when the line is not an answer.
 */
int kc_answer(const struct kc_req *rq, const char *line, size_t len,
    bool plain, char err[KP_ERRLEN]);

#endif
