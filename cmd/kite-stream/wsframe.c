/*
 * wsframe.c: a small, strict WebSocket client layer (RFC 6455): the
 * upgrade request, the response head, and frames decoded from whole
 * buffers (payloads are never handled a byte at a time).  See
 * kp_wsframe.h.
 */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kp_wsframe.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int
kp_ws_random(void *p, size_t n, char err[KP_ERRLEN])
{
	if (n > 0x7fffffff || RAND_bytes(p, (int)n) != 1) {
		snprintf(err, KP_ERRLEN, "no random bytes from OpenSSL (%lu)",
		    ERR_get_error());
		return -1;
	}
	return 0;
}

void
kp_ws_key(const uint8_t raw[16], char key[KP_WS_KEY_LEN + 1])
{
	EVP_EncodeBlock((unsigned char *)key, raw, 16);
}

void
kp_ws_accept(const char *key, char out[KP_WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char in[128];
	int n;

	n = snprintf(in, sizeof(in), "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof(in) || EVP_Digest(in, (size_t)n, md,
	    &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20) {
		/* an impossible key: an answer nothing matches */
		memset(out, '!', KP_WS_ACCEPT_LEN);
		out[KP_WS_ACCEPT_LEN] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, md, 20);
}

/* Printable and without spaces: safe in a request line or header. */
static int
ws_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

int
kp_ws_request(struct kp_buf *b, const char *host, int port,
    const char *target, const char *key, char err[KP_ERRLEN])
{
	char num[16];

	if (*target != '/' || !ws_clean(target)) {
		snprintf(err, KP_ERRLEN, "the request target must start with "
		    "'/' and hold no space or control character");
		return -1;
	}
	if (*host == '\0' || !ws_clean(host) || strchr(host, '/') != NULL) {
		snprintf(err, KP_ERRLEN, "bad host name");
		return -1;
	}
	num[0] = '\0';
	if (port > 0)
		snprintf(num, sizeof(num), ":%d", port);
	if (kp_buf_addstr(b, "GET ") < 0 || kp_buf_addstr(b, target) < 0 ||
	    kp_buf_addstr(b, " HTTP/1.1\r\nHost: ") < 0 ||
	    kp_buf_addstr(b, host) < 0 || kp_buf_addstr(b, num) < 0 ||
	    kp_buf_addstr(b, "\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: ") < 0 ||
	    kp_buf_addstr(b, key) < 0 ||
	    kp_buf_addstr(b, "\r\nSec-WebSocket-Version: 13\r\n"
	    "User-Agent: kitepipe\r\n\r\n") < 0) {
		snprintf(err, KP_ERRLEN, "the upgrade request is too long");
		return -1;
	}
	return 0;
}

/* The response head ---------------------------------------------------- */

static int
ws_ieq(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

/* Whether the comma-separated list v[0, n) holds tok (any case). */
static int
ws_list_has(const char *v, size_t n, const char *tok)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && ws_ieq(v + s, e - s, tok))
			return 1;
	}
	return 0;
}

static long
ws_head_fail(char err[KP_ERRLEN], unsigned line, const char *what)
{
	snprintf(err, KP_ERRLEN, "upgrade response line %u: %s", line, what);
	return -1;
}

/* The end of the head (one past its empty line), or 0. */
static size_t
ws_head_end(struct kp_ws_head *h, const char *buf, size_t len)
{
	size_t i = h->scanned;

	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if ((i >= 1 && buf[i - 1] == '\n') || (i >= 2 &&
		    buf[i - 1] == '\r' && buf[i - 2] == '\n'))
			return i + 1;
	}
	h->scanned = len;
	return 0;
}

static long
ws_status_line(struct kp_ws_head *h, const char *s, size_t n,
    char err[KP_ERRLEN])
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)s[7]) || s[8] != ' ' ||
	    !isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
	    !isdigit((unsigned char)s[11]) || (n > 12 && s[12] != ' '))
		return ws_head_fail(err, 1, "not an HTTP/1.x status line");
	h->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (h->status < 100)
		return ws_head_fail(err, 1, "bad status code");
	return 0;
}

long
kp_ws_head_parse(struct kp_ws_head *h, const char *buf, size_t len,
    const char *key, char err[KP_ERRLEN])
{
	size_t end, i = 0;
	unsigned line = 0, naccept = 0, aline = 0;
	int upgrade = 0, connection = 0, accept_ok = 0;
	char want[KP_WS_ACCEPT_LEN + 1];

	end = ws_head_end(h, buf, len);
	if (end == 0 || end > KP_WS_HEAD_MAX) {
		if (end > KP_WS_HEAD_MAX || len >= KP_WS_HEAD_MAX) {
			snprintf(err, KP_ERRLEN, "upgrade response head over "
			    "%d bytes", KP_WS_HEAD_MAX);
			return -1;
		}
		return 0;
	}
	while (i < end) {
		const char *s = buf + i, *nl = memchr(s, '\n', end - i);
		size_t n = (size_t)(nl - s), k, vs, ve;

		i += n + 1;
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\r', n) != NULL || memchr(s, '\0', n) != NULL)
			return ws_head_fail(err, line, "stray CR or NUL");
		if (line == 1) {
			if (ws_status_line(h, s, n, err) < 0)
				return -1;
			continue;
		}
		if (n == 0)
			break;
		if (s[0] == ' ' || s[0] == '\t')
			return ws_head_fail(err, line, "obsolete line folding");
		for (k = 0; k < n && s[k] != ':'; k++)
			if (s[k] <= ' ' || s[k] == 0x7f)
				return ws_head_fail(err, line,
				    "bad header name");
		if (k == n || k == 0)
			return ws_head_fail(err, line, "a header without a "
			    "name and colon");
		for (vs = k + 1; vs < n && (s[vs] == ' ' || s[vs] == '\t');
		    vs++)
			;
		for (ve = n; ve > vs && (s[ve - 1] == ' ' ||
		    s[ve - 1] == '\t'); ve--)
			;
		if (h->status != 101)
			continue;
		if (ws_ieq(s, k, "Upgrade")) {
			upgrade |= ws_list_has(s + vs, ve - vs, "websocket");
		} else if (ws_ieq(s, k, "Connection")) {
			connection |= ws_list_has(s + vs, ve - vs, "upgrade");
		} else if (ws_ieq(s, k, "Sec-WebSocket-Accept")) {
			naccept++;
			aline = line;
			kp_ws_accept(key, want);
			accept_ok = ve - vs == KP_WS_ACCEPT_LEN &&
			    memcmp(s + vs, want, KP_WS_ACCEPT_LEN) == 0;
		} else if (ws_ieq(s, k, "Sec-WebSocket-Extensions") &&
		    ve > vs) {
			return ws_head_fail(err, line, "an extension we did "
			    "not offer");
		} else if (ws_ieq(s, k, "Sec-WebSocket-Protocol") &&
		    ve > vs) {
			return ws_head_fail(err, line, "a subprotocol we did "
			    "not offer");
		}
	}
	if (h->status != 101)
		return (long)end;
	if (!upgrade)
		return ws_head_fail(err, line, "101 without "
		    "\"Upgrade: websocket\"");
	if (!connection)
		return ws_head_fail(err, line, "101 without "
		    "\"Connection: upgrade\"");
	if (naccept != 1 || !accept_ok)
		return ws_head_fail(err, naccept ? aline : line, naccept == 0 ? "101 without "
		    "Sec-WebSocket-Accept" : naccept > 1 ? "more than one "
		    "Sec-WebSocket-Accept" : "Sec-WebSocket-Accept does not "
		    "match our key");
	return (long)end;
}

/* Frames -------------------------------------------------------------- */

void
kp_ws_dec_init(struct kp_ws_dec *d, size_t max)
{
	d->max = max;
	d->frag_op = 0;
	d->fail_code = 0;
	kp_utf8_init(&d->utf8);
	kp_buf_init(&d->frag, max);
}

void
kp_ws_dec_reset(struct kp_ws_dec *d)
{
	d->frag_op = 0;
	d->fail_code = 0;
	kp_utf8_init(&d->utf8);
	kp_buf_free(&d->frag);
	kp_buf_init(&d->frag, d->max);
}

void
kp_ws_dec_free(struct kp_ws_dec *d)
{
	kp_buf_free(&d->frag);
	d->frag_op = 0;
}

static int ws_fail(char err[KP_ERRLEN], size_t at, const char *fmt, ...)
    KP_PRINTF(3, 4);

static int
ws_fail(char err[KP_ERRLEN], size_t at, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	snprintf(err, KP_ERRLEN, "frame at byte %zu: ", at);
	n = strlen(err);
	va_start(ap, fmt);
	vsnprintf(err + n, KP_ERRLEN - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Text that is not UTF-8: the message that says where and why; -1. */
static int
ws_bad_utf8(struct kp_ws_dec *d, const struct kp_utf8 *u,
    const char *what, char err[KP_ERRLEN])
{
	d->fail_code = KP_WS_CLOSE_BAD_DATA;
	snprintf(err, KP_ERRLEN, "invalid UTF-8 in %s at byte %llu: %s", what,
	    (unsigned long long)u->off, u->why);
	return -1;
}

/* A control frame's checks; 0 or -1. */
static int
ws_control(struct kp_ws_dec *d, const uint8_t *p, unsigned op, int fin,
    uint64_t plen, size_t at, struct kp_ws_msg *m, char err[KP_ERRLEN])
{
	struct kp_utf8 u;	/* not d->utf8: a text message may be open */

	if (op != KP_WS_CLOSE && op != KP_WS_PING && op != KP_WS_PONG)
		return ws_fail(err, at, "unknown control opcode 0x%x", op);
	if (!fin)
		return ws_fail(err, at, "a fragmented control frame (opcode "
		    "0x%x)", op);
	if (plen > KP_WS_CONTROL_MAX)
		return ws_fail(err, at, "a control frame of %llu bytes (over "
		    "125)", (unsigned long long)plen);
	m->op = (int)op;
	m->data = p;
	m->len = (size_t)plen;
	m->close_code = 0;
	if (op == KP_WS_CLOSE) {
		if (plen == 1)
			return ws_fail(err, at, "a close frame of 1 byte");
		m->close_code = plen >= 2 ? p[0] << 8 | p[1] : 1005;
		if (plen >= 2 && (m->close_code < 1000 ||
		    m->close_code >= 5000))
			return ws_fail(err, at, "close code %d out of range",
			    m->close_code);
		kp_utf8_init(&u);
		if (plen > 2 && (kp_utf8_feed(&u, p + 2, plen - 2) < 0 ||
		    kp_utf8_end(&u) < 0))
			return ws_bad_utf8(d, &u, "a close reason", err);
	}
	return 0;
}

/* A frame's header, as read by ws_head. */
struct ws_fh {
	int fin;
	unsigned op;
	size_t hl;		/* header length: 2, 4 or 10 */
	uint64_t plen;		/* payload length */
};

/* More bytes needed: buf must be n long for the next call; 0. */
static int
ws_more(size_t *need, size_t n)
{
	if (need != NULL)
		*need = n;
	return 0;
}

/*
 * The header of the frame at p[0, avail), byte off of the input, into
 * *f: 1, 0 when more bytes are needed, or -1.
 */
static int
ws_head(const uint8_t *p, size_t avail, size_t off, struct ws_fh *f,
    size_t *need, char err[KP_ERRLEN])
{
	if (avail < 2)
		return ws_more(need, 2);
	f->hl = 2;
	f->fin = p[0] & 0x80;
	f->op = p[0] & 0x0f;
	f->plen = p[1] & 0x7f;
	if (p[0] & 0x70)
		return ws_fail(err, off, "reserved bits 0x%x set (no "
		    "extension was negotiated)", p[0] & 0x70u);
	if (p[1] & 0x80)
		return ws_fail(err, off, "a masked frame from the server");
	if (f->plen == 126) {
		f->hl = 4;
		if (avail < f->hl)
			return ws_more(need, f->hl);
		f->plen = (uint64_t)p[2] << 8 | p[3];
	} else if (f->plen == 127) {
		f->hl = 10;
		if (avail < f->hl)
			return ws_more(need, f->hl);
		f->plen = 0;
		for (size_t k = 2; k < 10; k++)
			f->plen = f->plen << 8 | p[k];
		if (f->plen >> 63)
			return ws_fail(err, off, "a 64-bit length with the "
			    "high bit set");
	}
	return 1;
}

/* A data frame's checks against the message open in d; 0 or -1. */
static int
ws_data_check(struct kp_ws_dec *d, const struct ws_fh *f, size_t off,
    char err[KP_ERRLEN])
{
	unsigned op = f->op;

	if (op == KP_WS_CONT && d->frag_op == 0)
		return ws_fail(err, off, "a continuation frame without "
		    "a message to continue");
	if (op != KP_WS_CONT && op != KP_WS_TEXT && op != KP_WS_BINARY)
		return ws_fail(err, off, "unknown opcode 0x%x", op);
	if (op != KP_WS_CONT && d->frag_op != 0)
		return ws_fail(err, off, "a new message (opcode 0x%x) "
		    "inside a fragmented one", op);
	if (f->plen > d->max || (op == KP_WS_CONT && f->plen > d->max -
	    d->frag.len)) {
		d->fail_code = KP_WS_CLOSE_TOO_BIG;
		return ws_fail(err, off, "a message over %llu bytes",
		    (unsigned long long)d->max);
	}
	return 0;
}

/*
 * A text message's bytes in this frame, p[0, f->plen), checked after
 * the earlier ones (and the message's end with the last); 0 or -1.
 */
static int
ws_text(struct kp_ws_dec *d, const struct ws_fh *f, const uint8_t *p,
    char err[KP_ERRLEN])
{
	if (f->op != KP_WS_TEXT && (f->op != KP_WS_CONT ||
	    d->frag_op != KP_WS_TEXT))
		return 0;
	if (f->op == KP_WS_TEXT)
		kp_utf8_init(&d->utf8);
	if (kp_utf8_feed(&d->utf8, p, (size_t)f->plen) < 0 ||
	    (f->fin && kp_utf8_end(&d->utf8) < 0))
		return ws_bad_utf8(d, &d->utf8, "a text message", err);
	return 0;
}

/*
 * A fragment, p[0, f->plen), added to the message being assembled (the
 * first one opens it); 0, or -1 when the message grows too big.
 */
static int
ws_fragment(struct kp_ws_dec *d, const struct ws_fh *f, const uint8_t *p,
    size_t off, char err[KP_ERRLEN])
{
	if (f->op != KP_WS_CONT) {
		kp_buf_reset(&d->frag);
		d->frag_op = (int)f->op;
	}
	if (kp_buf_add(&d->frag, p, (size_t)f->plen) < 0) {
		d->fail_code = KP_WS_CLOSE_TOO_BIG;
		return ws_fail(err, off, "a message over %llu bytes",
		    (unsigned long long)d->max);
	}
	return 0;
}

/* The message assembled in d, into *m; d is ready for the next one. */
static void
ws_assembled(struct kp_ws_dec *d, struct kp_ws_msg *m)
{
	m->op = d->frag_op;
	m->data = (const uint8_t *)(d->frag.len ? d->frag.p : "");
	m->len = d->frag.len;
	m->close_code = 0;
	d->frag_op = 0;
}

int
kp_ws_decode(struct kp_ws_dec *d, const uint8_t *buf, size_t len,
    size_t *used, size_t *need, struct kp_ws_msg *m, char err[KP_ERRLEN])
{
	size_t off = 0;

	if (need != NULL)
		*need = 0;
	d->fail_code = KP_WS_CLOSE_PROTOCOL;
	for (;;) {
		const uint8_t *p = buf + off;
		size_t avail = len - off;
		struct ws_fh f;
		int rc;

		*used = off;
		rc = ws_head(p, avail, off, &f, need, err);
		if (rc <= 0)
			return rc;
		if (f.op >= 8) {
			/* the checks that need no payload come first */
			if (f.plen <= KP_WS_CONTROL_MAX && avail - f.hl < f.plen)
				return ws_more(need, f.hl + (size_t)f.plen);
			if (ws_control(d, p + f.hl, f.op, f.fin, f.plen, off, m,
			    err) < 0)
				return -1;
			*used = off + f.hl + (size_t)f.plen;
			return 1;
		}
		if (ws_data_check(d, &f, off, err) < 0)
			return -1;
		if (avail - f.hl < f.plen)
			return ws_more(need, f.hl + (size_t)f.plen);
		if (ws_text(d, &f, p + f.hl, err) < 0)
			return -1;
		if (f.op != KP_WS_CONT && f.fin) {
			m->op = (int)f.op;
			m->data = p + f.hl;
			m->len = (size_t)f.plen;
			m->close_code = 0;
			*used = off + f.hl + (size_t)f.plen;
			return 1;
		}
		if (ws_fragment(d, &f, p + f.hl, off, err) < 0)
			return -1;
		off += f.hl + (size_t)f.plen;
		if (f.fin) {
			ws_assembled(d, m);
			*used = off;
			return 1;
		}
	}
}

size_t
kp_ws_encode(uint8_t *out, int op, const void *p, size_t n,
    const uint8_t mask[4])
{
	const uint8_t *s = p;
	size_t hl, i;

	out[0] = (uint8_t)(0x80 | (op & 0x0f));
	if (n < 126) {
		out[1] = (uint8_t)(0x80 | n);
		hl = 2;
	} else if (n <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
		hl = 4;
	} else {
		out[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	memcpy(out + hl, mask, 4);
	hl += 4;
	for (i = 0; i < n; i++)
		out[hl + i] = s[i] ^ mask[i & 3];
	return hl + n;
}
