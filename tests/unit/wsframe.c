/* wsframe.c: unit tests for cmd/kite-stream/wsframe.c (the WebSocket
 * client layer). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kp_wsframe.h"
#include "t.h"

/*
 * Decode stream s[0, n) fed in pieces: the first `split` bytes, then
 * `step` bytes at a time (0: the rest at once), as a reader would (the
 * consumed bytes dropped, the rest kept).  Return a digest of every
 * message ("op:len:hash;"), "ERR:" and the error at the end.
 */
static char *
run(const uint8_t *s, size_t n, size_t split, size_t step)
{
	struct kp_ws_dec d;
	struct kp_ws_msg m;
	struct kp_buf out;
	uint8_t *in = malloc(n + 1);
	size_t have = 0, fed = 0, used, need;
	char err[KP_ERRLEN], item[96];
	int rc = 0, first = 1;

	kp_ws_dec_init(&d, 1u << 20);
	kp_buf_init(&out, 1u << 20);
	while (fed < n || have > 0) {
		size_t take = first ? split : step ? step : n - fed;

		first = 0;
		if (take > n - fed)
			take = n - fed;
		memcpy(in + have, s + fed, take);
		have += take;
		fed += take;
		while ((rc = kp_ws_decode(&d, in, have, &used, &need, &m,
		    err)) == 1) {
			uint32_t h = 2166136261u;

			for (size_t k = 0; k < m.len; k++)
				h = (h ^ m.data[k]) * 16777619u;
			snprintf(item, sizeof(item), "%d:%zu:%08x:%d;", m.op,
			    m.len, h, m.close_code);
			kp_buf_addstr(&out, item);
			memmove(in, in + used, have - used);
			have -= used;
		}
		if (rc < 0) {
			kp_buf_addstr(&out, "ERR:");
			kp_buf_addstr(&out, err);
			break;
		}
		memmove(in, in + used, have - used);
		have -= used;
		if (need > 0 && need <= have) {
			kp_buf_addstr(&out, "BADNEED;");
			break;
		}
		if (fed == n)
			break;
	}
	if (have > 0 && rc >= 0)
		kp_buf_addstr(&out, "PARTIAL;");
	kp_buf_addc(&out, '\0');
	kp_ws_dec_free(&d);
	free(in);
	return out.p;
}

/* The digest item of a message whose payload is known. */
static void
want(struct kp_buf *b, int op, const uint8_t *p, size_t n, int code)
{
	uint32_t h = 2166136261u;
	char item[96];

	for (size_t k = 0; k < n; k++)
		h = (h ^ p[k]) * 16777619u;
	snprintf(item, sizeof(item), "%d:%zu:%08x:%d;", op, n, h, code);
	kp_buf_addstr(b, item);
}

/* The payload frame() puts in: n bytes from c on. */
static uint8_t *
pattern(uint8_t *o, size_t n, int c)
{
	for (size_t k = 0; k < n; k++)
		o[k] = (uint8_t)(c + k * 7);
	return o + n;
}

/* The same in a text frame: kept ASCII (text must be UTF-8). */
static uint8_t *
tpattern(uint8_t *o, size_t n, int c)
{
	for (size_t k = 0; k < n; k++)
		o[k] = (uint8_t)(c + k * 7) & 0x7f;
	return o + n;
}

static void
dec_err(const uint8_t *s, size_t n, const char *want, const char *name)
{
	char *got = run(s, n, n, 0);

	t_ok(strstr(got, "ERR:") != NULL && strstr(got, want) != NULL,
	    "refused: %s", name);
	if (strstr(got, want) == NULL)
		t_diag("  got '%s', want '%s'", got, want);
	free(got);
}

/* A frame from the server: FIN|op, unmasked, payload of n bytes of c. */
static size_t
frame(uint8_t *o, unsigned b0, size_t n, int c)
{
	size_t hl;

	o[0] = (uint8_t)b0;
	if (n < 126) {
		o[1] = (uint8_t)n;
		hl = 2;
	} else if (n <= 0xffff) {
		o[1] = 126;
		o[2] = (uint8_t)(n >> 8);
		o[3] = (uint8_t)n;
		hl = 4;
	} else {
		o[1] = 127;
		for (int k = 0; k < 8; k++)
			o[2 + k] = (uint8_t)((uint64_t)n >> (56 - 8 * k));
		hl = 10;
	}
	if ((b0 & 0x0f) == KP_WS_TEXT)
		tpattern(o + hl, n, c);
	else
		pattern(o + hl, n, c);
	return hl + n;
}

static void
test_rfc_frames(void)
{
	static const uint8_t hello[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const uint8_t hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21,
	    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t frag[] = { 0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02,
	    'l', 'o' };
	static const uint8_t ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t out[64];
	struct kp_ws_dec d;
	struct kp_ws_msg m;
	size_t used, need;
	char err[KP_ERRLEN];

	kp_ws_dec_init(&d, 1000);
	T_EQ_INT(kp_ws_decode(&d, hello, sizeof(hello), &used, &need, &m,
	    err), 1, "RFC 6455 5.7: unmasked text");
	t_ok(m.op == KP_WS_TEXT && m.len == 5 && memcmp(m.data, "Hello", 5)
	    == 0 && used == sizeof(hello), "  \"Hello\", all consumed");
	t_ok(m.data == hello + 2, "  an unfragmented message is not copied");
	T_EQ_INT(kp_ws_decode(&d, frag, sizeof(frag), &used, &need, &m, err),
	    1, "RFC 6455 5.7: fragmented text");
	t_ok(m.op == KP_WS_TEXT && m.len == 5 && memcmp(m.data, "Hello", 5)
	    == 0 && used == sizeof(frag), "  \"Hello\" from two fragments");
	T_EQ_INT(kp_ws_decode(&d, ping, sizeof(ping), &used, &need, &m, err),
	    1, "RFC 6455 5.7: ping");
	t_ok(m.op == KP_WS_PING && m.len == 5, "  ping with \"Hello\"");
	T_EQ_INT(kp_ws_decode(&d, hello, 1, &used, &need, &m, err), 0,
	    "one byte: more needed");
	T_EQ_INT(need, 2, "  a header needs 2");
	T_EQ_INT(kp_ws_decode(&d, hello, 4, &used, &need, &m, err), 0,
	    "a partial payload: more needed");
	t_ok(need == 7 && used == 0, "  need 7, nothing used");
	T_EQ_INT(kp_ws_encode(out, KP_WS_TEXT, "Hello", 5, mask),
	    sizeof(hello_masked), "RFC 6455 5.7: masked text, length");
	t_ok(memcmp(out, hello_masked, sizeof(hello_masked)) == 0,
	    "  the RFC's bytes");
	T_EQ_INT(kp_ws_decode(&d, hello_masked, sizeof(hello_masked), &used,
	    &need, &m, err), -1, "a masked frame from a server is refused");
	T_EQ_STR(err, "frame at byte 0: a masked frame from the server",
	    "  one line naming it");
	kp_ws_dec_free(&d);
}

static void
test_encode_lengths(void)
{
	static const size_t lens[] = { 0, 125, 126, 65535, 65536, 70000 };
	uint8_t mask[4] = { 1, 2, 3, 4 }, *p, *o;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i], len, hl;
		int ok = 1;

		p = malloc(n + 1);
		o = malloc(n + KP_WS_HDR_MAX);
		for (size_t k = 0; k < n; k++)
			p[k] = (uint8_t)(k * 13);
		len = kp_ws_encode(o, KP_WS_BINARY, p, n, mask);
		hl = n < 126 ? 6 : n < 65536 ? 8 : 14;
		ok = len == hl + n && o[0] == 0x82 && (o[1] & 0x80) &&
		    memcmp(o + hl - 4, mask, 4) == 0;
		if (n >= 126 && n < 65536)
			ok = ok && (o[1] & 0x7f) == 126 && (size_t)(o[2] << 8 |
			    o[3]) == n;
		if (n >= 65536)
			ok = ok && (o[1] & 0x7f) == 127 && o[7] == (n >> 16 &
			    0xff);
		for (size_t k = 0; k < n && ok; k++)
			ok = (o[hl + k] ^ mask[k & 3]) == p[k];
		t_ok(ok, "encode %zu bytes: header and masked payload", n);
		free(p);
		free(o);
	}
}

static void
test_split(void)
{
	size_t cap = 200000, n = 0, k;
	uint8_t *s = malloc(cap), *p = malloc(cap), *e;
	struct kp_buf exp;
	char *whole, *got;
	int same = 1, bad = 0;

	n += frame(s + n, 0x81, 20, 'a');		/* text */
	n += frame(s + n, 0x82, 300, 3);		/* 16-bit length */
	n += frame(s + n, 0x82, 0, 0);			/* empty */
	n += frame(s + n, 0x02, 100, 5);		/* fragment 1 */
	n += frame(s + n, 0x89, 4, 9);			/* ping between */
	n += frame(s + n, 0x00, 200, 6);		/* fragment 2 */
	n += frame(s + n, 0x80, 1, 7);			/* last */
	n += frame(s + n, 0x8a, 0, 0);			/* pong */
	n += frame(s + n, 0x82, 70000, 11);		/* 64-bit length */
	n += frame(s + n, 0x01, 0, 0);			/* empty fragments */
	n += frame(s + n, 0x80, 0, 0);
	s[n++] = 0x88;					/* close 1000 "bye" */
	s[n++] = 5;
	s[n++] = 0x03;
	s[n++] = 0xe8;
	memcpy(s + n, "bye", 3);
	n += 3;
	whole = run(s, n, n, 0);
	t_ok(strstr(whole, "ERR") == NULL && strstr(whole, "PARTIAL") ==
	    NULL, "a stream of 13 frames decodes whole");
	kp_buf_init(&exp, 4096);
	want(&exp, 1, p, (size_t)(tpattern(p, 20, 'a') - p), 0);
	want(&exp, 2, p, (size_t)(pattern(p, 300, 3) - p), 0);
	want(&exp, 2, p, 0, 0);
	want(&exp, 9, p, (size_t)(pattern(p, 4, 9) - p), 0);
	e = pattern(p, 100, 5);
	e = pattern(e, 200, 6);
	e = pattern(e, 1, 7);
	want(&exp, 2, p, (size_t)(e - p), 0);
	want(&exp, 10, p, 0, 0);
	want(&exp, 2, p, (size_t)(pattern(p, 70000, 11) - p), 0);
	want(&exp, 1, p, 0, 0);
	want(&exp, 8, (const uint8_t *)"\x03\xe8" "bye", 5, 1000);
	kp_buf_addc(&exp, '\0');
	T_EQ_STR(whole, exp.p, "  the messages in order, pings and pongs as "
	    "they come, fragments joined");
	kp_buf_free(&exp);
	/* every boundary up to the 64-bit frame's payload, then a few */
	for (k = 0; k <= n; k += k < 1000 || k > n - 100 ? 1 : 997) {
		got = run(s, n, k, 0);
		if (strcmp(got, whole) != 0) {
			if (same)
				t_diag("  split at %zu: %s", k, got);
			same = 0;
			bad++;
		}
		free(got);
	}
	t_ok(same, "split at every byte boundary of the headers and small "
	    "frames: the same messages (%d differ)", bad);
	got = run(s, n, 0, 1);
	T_EQ_STR(got, whole, "fed one byte at a time: the same messages");
	free(got);
	got = run(s, n, 0, 4096);
	T_EQ_STR(got, whole, "fed 4096 bytes at a time: the same messages");
	free(got);
	free(whole);
	free(s);
	free(p);
}

static void
test_errors(void)
{
	uint8_t b[300];
	size_t n;
	struct kp_ws_dec d;
	struct kp_ws_msg m;
	size_t used, need;
	char err[KP_ERRLEN];

	dec_err((const uint8_t *)"\xc1\x00", 2, "reserved bits 0x40",
	    "RSV1 set");
	dec_err((const uint8_t *)"\x83\x00", 2, "unknown opcode 0x3",
	    "opcode 3");
	dec_err((const uint8_t *)"\x8b\x00", 2, "unknown control opcode 0xb",
	    "opcode 0xb");
	dec_err((const uint8_t *)"\x09\x00", 2, "a fragmented control frame",
	    "ping without FIN");
	n = frame(b, 0x89, 126, 0);
	dec_err(b, n, "a control frame of 126 bytes (over 125)",
	    "a 126-byte ping");
	dec_err((const uint8_t *)"\x80\x00", 2, "a continuation frame without",
	    "continuation first");
	dec_err((const uint8_t *)"\x01\x00\x81\x00", 4, "frame at byte 2: a "
	    "new message (opcode 0x1) inside", "text inside a fragmented text");
	dec_err((const uint8_t *)"\x88\x01\x03", 3, "a close frame of 1 byte",
	    "a 1-byte close");
	dec_err((const uint8_t *)"\x88\x02\x00\x01", 4, "close code 1 out",
	    "close code 1");
	dec_err((const uint8_t *)"\x82\x7f\x80\0\0\0\0\0\0\0", 10,
	    "the high bit set", "a 64-bit length over 2^63");
	dec_err((const uint8_t *)"\x82\x7f\0\0\0\0\x01\0\0\0", 10,
	    "a message over 1048576 bytes", "a 16 MiB frame (bound 1 MiB)");
	kp_ws_dec_init(&d, 250);
	n = frame(b, 0x02, 200, 0);
	n += frame(b + n, 0x80, 60, 0);
	T_EQ_INT(kp_ws_decode(&d, b, n, &used, &need, &m, err), -1,
	    "fragments adding up past the bound");
	T_EQ_STR(err, "frame at byte 204: a message over 250 bytes",
	    "  named, with where");
	T_EQ_INT(d.fail_code, KP_WS_CLOSE_TOO_BIG, "  close code 1009");
	kp_ws_dec_reset(&d);
	n = frame(b, 0x81, 3, 'x');
	T_EQ_INT(kp_ws_decode(&d, b, n, &used, &need, &m, err), 1,
	    "after a reset, decoding goes on");
	T_EQ_INT(kp_ws_decode(&d, (const uint8_t *)"\x88\x00", 2, &used,
	    &need, &m, err), 1, "a close without a code");
	T_EQ_INT(m.close_code, 1005, "  is 1005");
	kp_ws_dec_free(&d);
}

static const char *key = "dGhlIHNhbXBsZSBub25jZQ==";

static long
head(const char *s, int *status, char err[KP_ERRLEN])
{
	struct kp_ws_head h;
	long r;

	memset(&h, 0, sizeof(h));
	err[0] = '\0';
	r = kp_ws_head_parse(&h, s, strlen(s), key, err);
	*status = h.status;
	return r;
}

static void
head_err(const char *s, const char *want, const char *name)
{
	int st;
	char err[KP_ERRLEN];
	long r = head(s, &st, err);

	t_ok(r == -1 && strstr(err, want) != NULL, "refused: %s", name);
	if (r != -1 || strstr(err, want) == NULL)
		t_diag("  got %ld '%s', want '%s'", r, err, want);
}

static void
test_handshake(void)
{
	static const uint8_t raw[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13, 14, 15, 16 };
	static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81";
	char k[KP_WS_KEY_LEN + 1], a[KP_WS_ACCEPT_LEN + 1], err[KP_ERRLEN];
	char big[KP_WS_HEAD_MAX + 64];
	struct kp_ws_head h;
	struct kp_buf b;
	int st, partial = 1;
	long r;
	size_t i;

	kp_ws_key(raw, k);
	T_EQ_STR(k, "AQIDBAUGBwgJCgsMDQ4PEA==", "the key: base64 of 16 bytes");
	kp_ws_accept(key, a);
	T_EQ_STR(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 1.3: the "
	    "accept value");
	r = head(ok, &st, err);
	t_ok(r == (long)strlen(ok) - 1 && st == 101, "a good 101: the head's "
	    "length (the frame byte after it left)");
	memset(&h, 0, sizeof(h));
	for (i = 0; i < strlen(ok) - 1; i++)
		if (kp_ws_head_parse(&h, ok, i, key, err) != 0)
			partial = 0;
	t_ok(partial, "fed one more byte at a time: incomplete until the "
	    "empty line");
	T_EQ_INT(kp_ws_head_parse(&h, ok, strlen(ok), key, err),
	    strlen(ok) - 1, "  then complete");
	r = head("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope",
	    &st, err);
	t_ok(r > 0 && st == 403, "a 403: its status, for the caller");
	r = head("HTTP/1.1 101 x\nupgrade: WebSocket\nconnection: keep-alive,"
	    " UPGRADE\nsec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \n\n",
	    &st, err);
	t_ok(r > 0 && st == 101, "bare LF, any case, token lists, no OWS");
	head_err("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: "
	    "permessage-deflate\r\n\r\n", "line 5: an extension we did not",
	    "an extension not offered");
	head_err("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade"
	    "\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
	    "Sec-WebSocket-Accept does not match our key", "a wrong accept");
	head_err("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-"
	    "Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", "without \"Upgrade",
	    "no Upgrade header");
	head_err("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade"
	    "\r\n\r\n", "101 without Sec-WebSocket-Accept", "no accept");
	head_err("SSH-2.0-OpenSSH\r\n\r\n", "line 1: not an HTTP/1.x status",
	    "not HTTP");
	head_err("HTTP/1.1 403 x\r\n folded\r\n\r\n", "line 2: obsolete line",
	    "obsolete folding");
	head_err("HTTP/1.1 403 x\r\nNo colon here\r\n\r\n", "line 2: bad "
	    "header name", "a header without a colon");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	head_err(big, "over 16384 bytes", "a head without end");
	kp_buf_init(&b, 4096);
	T_EQ_INT(kp_ws_request(&b, "ws.kite.trade", 0, "/?api_key=k&"
	    "access_token=SECRET", k, err), 0, "the upgrade request");
	kp_buf_addc(&b, '\0');
	/* the headers the official clients send, and no more (no Origin) */
	T_EQ_STR(b.p, "GET /?api_key=k&access_token=SECRET HTTP/1.1\r\n"
	    "Host: ws.kite.trade\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "User-Agent: kitepipe\r\n\r\n", "  request line, headers, the end");
	kp_buf_reset(&b);
	T_EQ_INT(kp_ws_request(&b, "127.0.0.1", 8080, "/", k, err), 0,
	    "a request with a port");
	kp_buf_addc(&b, '\0');
	t_ok(strstr(b.p, "Host: 127.0.0.1:8080\r\n") != NULL, "  in Host");
	T_EQ_INT(kp_ws_request(&b, "h", 0, "/?access_token=SEC RET\r\nX: y",
	    k, err), -1, "a target with a space and CRLF is refused");
	t_ok(strstr(err, "SEC") == NULL, "  without quoting it: %s", err);
	kp_buf_free(&b);
	t_ok(kp_ws_random(big, 16, err) == 0, "16 random bytes");
}

/* Frame b0 with payload p[0, n) at o; its length. */
static size_t
rawframe(uint8_t *o, unsigned b0, const char *p, size_t n)
{
	o[0] = (uint8_t)b0;
	o[1] = (uint8_t)n;
	memcpy(o + 2, p, n);
	return 2 + n;
}

/* RFC 6455 section 8.1: text must be UTF-8, checked across fragments. */
static void
test_utf8(void)
{
	uint8_t b[256];
	struct kp_ws_dec d;
	struct kp_ws_msg m;
	size_t n, used, need;
	char err[KP_ERRLEN], *got;

	/* U+1D11E split over three fragments, a ping in between */
	n = rawframe(b, 0x01, "G clef \xf0\x9d", 9);
	n += rawframe(b + n, 0x89, "\xff", 1);
	n += rawframe(b + n, 0x00, "\x84", 1);
	n += rawframe(b + n, 0x80, "\x9e!", 2);
	kp_ws_dec_init(&d, 1000);
	T_EQ_INT(kp_ws_decode(&d, b, n, &used, &need, &m, err), 1,
	    "a code point split over fragments: a ping first");
	T_EQ_INT(m.op, KP_WS_PING, "  (its payload is not text)");
	T_EQ_INT(kp_ws_decode(&d, b + used, n - used, &used, &need, &m, err),
	    1, "  then the message");
	t_ok(m.op == KP_WS_TEXT && m.len == 12 && memcmp(m.data,
	    "G clef \xf0\x9d\x84\x9e!", 12) == 0, "  whole");
	kp_ws_dec_free(&d);

	/* a surrogate whose bytes are in two fragments: refused at the
	 * second one, before the message ends */
	n = rawframe(b, 0x01, "ab\xed", 3);
	n += rawframe(b + n, 0x00, "\xa0\x80", 2);
	kp_ws_dec_init(&d, 1000);
	T_EQ_INT(kp_ws_decode(&d, b, n, &used, &need, &m, err), -1,
	    "a surrogate split over fragments is refused");
	T_EQ_STR(err, "invalid UTF-8 in a text message at byte 3: a surrogate "
	    "(U+D800 to U+DFFF)", "  where in the message, and why");
	T_EQ_INT(d.fail_code, KP_WS_CLOSE_BAD_DATA, "  close code 1007");
	kp_ws_dec_free(&d);

	/* a fragmented message ending inside a sequence */
	n = rawframe(b, 0x01, "caf", 3);
	n += rawframe(b + n, 0x80, "\xc3", 1);
	got = run(b, n, n, 0);
	t_ok(strstr(got, "ERR:invalid UTF-8 in a text message at byte 3: a "
	    "sequence cut short by the end") != NULL, "a message whose last "
	    "fragment cuts a sequence short is refused");
	free(got);
	/* the same bytes fed one at a time: the same answer */
	got = run(b, n, 1, 1);
	t_ok(strstr(got, "ERR:invalid UTF-8 in a text message at byte 3")
	    != NULL, "  fed a byte at a time, too");
	free(got);

	/* unfragmented: overlong, above U+10FFFF, a stray byte */
	n = rawframe(b, 0x81, "{\"a\":\"\xc0\xaf\"}", 9);
	dec_err(b, n, "at byte 6: an overlong encoding", "an overlong '/'");
	n = rawframe(b, 0x81, "\xf4\x90\x80\x80", 4);
	dec_err(b, n, "at byte 1: a code point above U+10FFFF", "U+110000");
	n = rawframe(b, 0x81, "ok\xff", 3);
	dec_err(b, n, "at byte 2: a byte that is never in UTF-8", "0xFF");
	/* the first message is still delivered; the bad one fails */
	n = rawframe(b, 0x81, "fine \xc3\xa9", 7);
	n += rawframe(b + n, 0x81, "\xed\xbf\xbf", 3);
	got = run(b, n, n, 0);
	t_ok(strncmp(got, "1:7:", 4) == 0 && strstr(got, "ERR:invalid UTF-8 "
	    "in a text message at byte 1: a surrogate") != NULL,
	    "a good message, then a bad one");
	free(got);

	/* binary messages are not text */
	n = rawframe(b, 0x82, "\xff\xfe\xed\xa0\x80", 5);
	got = run(b, n, n, 0);
	t_ok(strncmp(got, "2:5:", 4) == 0 && strstr(got, "ERR") == NULL,
	    "binary: any bytes");
	free(got);

	/* a close reason must be UTF-8 too */
	n = rawframe(b, 0x88, "\x03\xe8" "bye \xe2\x82\xac", 9);
	got = run(b, n, n, 0);
	t_ok(strncmp(got, "8:9:", 4) == 0, "a close reason in UTF-8");
	free(got);
	n = rawframe(b, 0x88, "\x03\xe8" "bye \xe2\x82", 8);
	kp_ws_dec_init(&d, 1000);
	T_EQ_INT(kp_ws_decode(&d, b, n, &used, &need, &m, err), -1,
	    "a close reason cut short is refused");
	T_EQ_STR(err, "invalid UTF-8 in a close reason at byte 4: a sequence "
	    "cut short by the end of the text", "  named");
	T_EQ_INT(d.fail_code, KP_WS_CLOSE_BAD_DATA, "  close code 1007");
	/* other protocol errors call for 1002 */
	T_EQ_INT(kp_ws_decode(&d, (const uint8_t *)"\x83\x00", 2, &used,
	    &need, &m, err), -1, "an unknown opcode");
	T_EQ_INT(d.fail_code, KP_WS_CLOSE_PROTOCOL, "  close code 1002");
	kp_ws_dec_free(&d);

	/* after a failure and a reset, a new message starts clean */
	kp_ws_dec_init(&d, 1000);
	n = rawframe(b, 0x01, "\xe2", 1);
	T_EQ_INT(kp_ws_decode(&d, b, n, &used, &need, &m, err), 0,
	    "an open sequence in a first fragment");
	kp_ws_dec_reset(&d);
	n = rawframe(b, 0x81, "\xe2\x82\xac", 3);
	T_EQ_INT(kp_ws_decode(&d, b, n, &used, &need, &m, err), 1,
	    "  forgotten after a reset");
	kp_ws_dec_free(&d);
}

int
main(void)
{
	test_rfc_frames();
	test_encode_lengths();
	test_split();
	test_errors();
	test_handshake();
	test_utf8();
	return t_done();
}
