/* is_input.c: instr-sync's input layer (cmd/instr-sync/input.c, linked
 * from build/cmd/instr-sync.a): plain CSV or gzip by its magic, any split
 * of the bytes, a gzip stream cut anywhere or with a bad CRC refused, a
 * list that does not end with a newline noticed. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "is.h"
#include "t.h"

#define HDR "instrument_token,exchange_token,tradingsymbol,name,last_price," \
	"expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n"
#define ROW1 "1,1,A,a,0,,0,0.05,1,EQ,NSE,NSE\n"
#define ROW2 "2,2,B,\"b, c\",1.5,,0,0.05,1,EQ,NSE,NSE\n"
#define CSV HDR ROW1 ROW2

struct run {
	int rc;		/* of the last feed or finish */
	int good, bad, midrow, damaged;
	char err[KP_ERRLEN];
};

static int
on_row(void *arg, const struct kp_instr *in)
{
	(void)in;
	((struct run *)arg)->good++;
	return 0;
}

static void
on_bad(void *arg, uint64_t line, const char *why)
{
	(void)line;
	(void)why;
	((struct run *)arg)->bad++;
}

/* Feed buf in pieces of step bytes (0: split once at cut), finish. */
static struct run
feed(const void *buf, size_t n, size_t step, size_t cut, int whole)
{
	struct run r = { 0 };
	struct kp_instr_parser *p = kp_instr_new(on_row, on_bad, &r);
	struct is_in in;
	const unsigned char *s = buf;
	size_t off = 0, k;

	is_in_init(&in, p);
	while (off < n && r.rc == 0) {
		k = step ? step : off < cut ? cut - off : n - off;
		if (k > n - off)
			k = n - off;
		r.rc = is_in_feed(&in, s + off, k);
		off += k;
	}
	if (r.rc == 0)
		r.rc = is_in_finish(&in, whole);
	r.midrow = in.midrow;
	r.damaged = in.damaged;
	snprintf(r.err, sizeof r.err, "%s", is_in_error(&in));
	is_in_free(&in);
	kp_instr_free(p);
	return r;
}

/* gzip of s (one member) into out; return its length. */
static size_t
gz(const char *s, unsigned char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (unsigned char *)s;
	z.avail_in = (uInt)strlen(s);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	deflateEnd(&z);
	return cap - z.avail_out;
}

static void
test_plain(void)
{
	struct run r;
	size_t i, n = strlen(CSV), bad = 0;

	for (i = 0; i <= n; i++) {
		r = feed(CSV, n, 0, i, 1);
		bad += r.rc != 0 || r.good != 2 || r.bad != 0 || r.midrow;
	}
	T_EQ_INT(bad, 0, "plain CSV, split anywhere: two rows");
	r = feed(CSV, n, 1, 0, 1);
	T_EQ_INT(r.good, 2, "plain CSV, a byte at a time");
	/* cut anywhere after the header: with whole lines, never a good row
	 * that was not whole */
	for (bad = 0, i = strlen(HDR); i < n; i++) {
		r = feed(CSV, i, 0, i / 2, 1);
		if (CSV[i - 1] == '\n')
			bad += r.midrow || r.good != (i == n ? 2 :
			    i > strlen(HDR) ? 1 : 0);
		else
			bad += !r.midrow || r.good != (i > strlen(HDR ROW1) ?
			    1 : 0);
	}
	T_EQ_INT(bad, 0, "plain CSV cut anywhere: the partial row is midrow");
	r = feed(HDR ROW1 "2,2,B,b,1.5,,0,0.05,1,EQ,NSE,NS", strlen(HDR ROW1
	    "2,2,B,b,1.5,,0,0.05,1,EQ,NSE,NS"), 0, 0, 1);
	T_EQ_INT(r.midrow, 1, "a last row cut in its last field is midrow");
	T_EQ_INT(r.good, 1, "... and never reaches the parser");
	r = feed(HDR ROW1 "2,2,B,b,1.5,,0,0.05,1,EQ,NSE,NS", strlen(HDR ROW1
	    "2,2,B,b,1.5,,0,0.05,1,EQ,NSE,NS"), 0, 0, 0);
	T_EQ_INT(r.good, 2, "without whole lines (RFC 4180) it is a row");
	r = feed("", 0, 0, 0, 1);
	T_EQ_INT(r.rc, -1, "empty input: the parser's no-header error");
}

static void
test_gzip(void)
{
	unsigned char z[512], two[1024], bad_crc[512];
	size_t n = gz(CSV, z, sizeof z), i, bad = 0;
	struct run r;

	for (i = 0; i <= n; i++) {
		r = feed(z, n, 0, i, 1);
		bad += r.rc != 0 || r.good != 2 || r.bad != 0;
	}
	T_EQ_INT(bad, 0, "gzip, split anywhere (the magic too): two rows");
	r = feed(z, n, 1, 0, 1);
	T_EQ_INT(r.good, 2, "gzip, a byte at a time");
	/* one byte (0x1f) cannot be told from text: a partial row */
	r = feed(z, 1, 0, 0, 1);
	T_EQ_INT(r.midrow, 1, "gzip cut after a byte: a partial row");
	for (bad = 0, i = 2; i < n; i++) {
		r = feed(z, i, 0, i / 2, 1);
		bad += r.rc != -1 || !r.damaged;
		if (r.rc != -1 || !r.damaged)
			t_diag("cut at %zu: rc %d, %d rows", i, r.rc, r.good);
	}
	T_EQ_INT(bad, 0, "gzip cut at any length: an error, never a list");
	r = feed(z, n - 1, 0, 0, 1);
	t_ok(strstr(r.err, "cut short") != NULL, "cut short: %s", r.err);
	memcpy(bad_crc, z, n);
	bad_crc[n - 8] ^= 0x55;
	r = feed(bad_crc, n, 0, 0, 1);
	T_EQ_INT(r.rc, -1, "a bad CRC is an error");
	T_EQ_INT(r.damaged, 1, "... the stream is damaged");
	t_ok(strstr(r.err, "incorrect data check") != NULL, "%s", r.err);
	/* two members, as gzip -c a b > ab makes */
	n = gz(HDR ROW1, two, sizeof two);
	n += gz(ROW2, two + n, sizeof two - n);
	r = feed(two, n, 7, 0, 1);
	T_EQ_INT(r.rc, 0, "two gzip members");
	T_EQ_INT(r.good, 2, "... both members' rows");
	memcpy(two + n, "junk", 4);
	r = feed(two, n + 4, 0, 0, 1);
	T_EQ_INT(r.rc, -1, "bytes after the gzip stream are an error");
}

int
main(void)
{
	test_plain();
	test_gzip();
	return t_done();
}
