/*
 * kp_wsframe.h: a small, strict WebSocket client layer (RFC 6455): the
 * opening handshake (request, response head, Sec-WebSocket-Accept) and
 * frames (a decoder for a server's unmasked frames, an encoder for masked
 * client frames).  No I/O: the caller owns the sockets and buffers.
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_WSFRAME_H
#define KP_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"
#include "kp_utf8.h"

#define KP_WS_KEY_LEN 24	/* base64 of 16 random bytes */
#define KP_WS_ACCEPT_LEN 28	/* base64 of a SHA-1 */
#define KP_WS_HEAD_MAX 16384	/* a response head longer than this fails */
#define KP_WS_HDR_MAX 14	/* the longest client frame header */
#define KP_WS_CONTROL_MAX 125

/* Opcodes. */
enum {
	KP_WS_CONT = 0x0,
	KP_WS_TEXT = 0x1,
	KP_WS_BINARY = 0x2,
	KP_WS_CLOSE = 0x8,
	KP_WS_PING = 0x9,
	KP_WS_PONG = 0xa
};

/* n cryptographically random bytes (OpenSSL); 0, or -1 with err. */
int kp_ws_random(void *p, size_t n, char err[KP_ERRLEN]);

/* The Sec-WebSocket-Key for 16 (random) bytes: 24 characters and a NUL. */
void kp_ws_key(const uint8_t raw[16], char key[KP_WS_KEY_LEN + 1]);

/* The Sec-WebSocket-Accept a server must answer key with. */
void kp_ws_accept(const char *key, char out[KP_WS_ACCEPT_LEN + 1]);

/*
 * Append the HTTP/1.1 upgrade request for target (path and query, which
 * may hold secrets: they are never quoted in err) on host (port shown
 * when not 0) to b: Host, Upgrade, Connection, Sec-WebSocket-Key,
 * Sec-WebSocket-Version and User-Agent, as Kite's official Go client
 * sends (no Origin: none of the official clients sends one).  Return
 * 0, or -1 with err when target or host holds a space or control
 * character, or b is full.
 */
int kp_ws_request(struct kp_buf *b, const char *host, int port,
    const char *target, const char *key, char err[KP_ERRLEN]);

/* The response head, parsed. */
struct kp_ws_head {
	int status;		/* HTTP status code */
	size_t scanned;		/* internal: bytes searched for the end */
};

/*
 * Look for the whole response head at the start of buf[0, len) (call
 * again with more bytes and the same h, first zeroed, until it is
 * there).  Return its length (what follows is frames), with h->status
 * set: a status other than 101 is not checked further, so the caller can
 * act on it (a 403); 101 means the upgrade was checked against key
 * (Upgrade, Connection, Sec-WebSocket-Accept, no extension or protocol we
 * did not ask for).  Return 0 when the head is not complete yet, -1 with
 * err when it is malformed, longer than KP_WS_HEAD_MAX, or a 101 that
 * fails a check.
 */
long kp_ws_head_parse(struct kp_ws_head *h, const char *buf, size_t len,
    const char *key, char err[KP_ERRLEN]);

/* A message or control frame, as the decoder returns it. */
struct kp_ws_msg {
	int op;			/* KP_WS_TEXT, _BINARY, _CLOSE, _PING, _PONG */
	const uint8_t *data;	/* into the input, or the decoder's buffer */
	size_t len;
	int close_code;		/* KP_WS_CLOSE: the code, 1005 without one */
};

/* Close codes (RFC 6455 section 7.4.1) the decoder's failures call for. */
#define KP_WS_CLOSE_PROTOCOL 1002	/* a protocol error */
#define KP_WS_CLOSE_BAD_DATA 1007	/* text that is not UTF-8 */
#define KP_WS_CLOSE_TOO_BIG 1009	/* a message over the bound */

/* The frame decoder: a server's frames, unmasked. */
struct kp_ws_dec {
	size_t max;		/* the longest message accepted */
	int frag_op;		/* opcode of the message being assembled, 0 */
	struct kp_buf frag;	/* its payload so far */
	struct kp_utf8 utf8;	/* a text message's bytes so far, checked */
	int fail_code;		/* after -1: the close code to send */
};

void kp_ws_dec_init(struct kp_ws_dec *d, size_t max);
void kp_ws_dec_reset(struct kp_ws_dec *d);
void kp_ws_dec_free(struct kp_ws_dec *d);

/*
 * Decode from buf[0, len).  *used is set to the bytes consumed (the
 * caller drops them, keeping the rest for the next call with more bytes
 * after it).  Return 1 with *m: a whole text or binary message (an
 * unfragmented one points into buf, without a copy), or a control frame;
 * 0 when more bytes are needed (fragments consumed on the way are kept in
 * d; *need, when not NULL, is the length buf must have for the next
 * frame, or 0 when unknown); -1 with err on a protocol error (masked
 * frame, reserved bits, unknown opcode, bad control frame, continuation
 * without a start, message over d->max, a text message or close reason
 * that is not valid UTF-8), with d->fail_code the close code that
 * failure calls for (KP_WS_CLOSE_*): the connection must be closed.
 * Text is checked a frame at a time as it comes (RFC 6455 section 8.1),
 * so a fragmented message fails at its first bad fragment, and a
 * sequence split between fragments is judged whole.
 * The data of *m stays valid until the next call or buf changes.
 */
int kp_ws_decode(struct kp_ws_dec *d, const uint8_t *buf, size_t len,
    size_t *used, size_t *need, struct kp_ws_msg *m, char err[KP_ERRLEN]);

/*
 * Encode one whole client frame (FIN set, masked with mask) of payload
 * p[0, n) at out, which has room for n + KP_WS_HDR_MAX bytes.  Return
 * its length.
 */
size_t kp_ws_encode(uint8_t *out, int op, const void *p, size_t n,
    const uint8_t mask[4]);

#endif
