/* tginst.c: tick-greeks's instrument line parsers: instr-sync NDJSON
 * lines and underlying-map lines, good and bad, with the reasons. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "kp.h"
#include "kp_instr.h"
#include "kp_tginst.h"
#include "t.h"

static struct kp_instr in;
static struct kp_tgmap m;
static char why[KP_TGINST_WHY];

static int
nd(const char *s)
{
	return kp_tginst_ndjson(s, strlen(s), &in, why);
}

static int
mp(const char *s)
{
	return kp_tginst_map(s, strlen(s), &m, why);
}

/* A bad line: -1, and why contains want. */
#define BAD(rc, want, name) do { \
	int b_rc_ = (rc); \
	t_ok(b_rc_ == -1 && strstr(why, want) != NULL, "%s: %s", name, \
	    why); \
} while (0)

static void
test_ndjson_good(void)
{
	/* what instr-sync writes */
	T_EQ_INT(nd("{\"instrument_token\":8961026,\"exchange_token\":35004,"
	    "\"tradingsymbol\":\"NIFTY26NOV23350CE\",\"name\":\"NIFTY\","
	    "\"last_price\":1003.6,\"expiry\":\"2026-11-24\",\"strike\":"
	    "23350.0,\"tick_size\":0.05,\"lot_size\":75,\"instrument_type\":"
	    "\"CE\",\"segment\":\"NFO-OPT\",\"exchange\":\"NFO\"}\n"), 0,
	    "instr-sync line");
	T_EQ_INT(in.instrument_token, 8961026, "token");
	T_EQ_STR(in.tradingsymbol, "NIFTY26NOV23350CE", "tradingsymbol");
	T_EQ_STR(in.name, "NIFTY", "name");
	T_EQ_STR(in.exchange, "NFO", "exchange");
	T_EQ_STR(in.segment, "NFO-OPT", "segment");
	T_EQ_STR(in.expiry_str, "2026-11-24", "expiry string");
	T_EQ_INT(in.expiry, 20781, "expiry days (date -d 2026-11-24 +%s / 86400)");
	T_EQ_INT(in.strike, 233500000, "strike x 10^4");
	T_EQ_INT(in.type, KP_INSTR_CE, "CE");
	/* an index: null expiry, no strike, CRLF */
	T_EQ_INT(nd("{\"instrument_token\":256265,\"tradingsymbol\":"
	    "\"NIFTY 50\",\"expiry\":null,\"instrument_type\":\"EQ\","
	    "\"exchange\":\"NSE\"}\r\n"), 0, "index");
	T_EQ_INT(in.expiry, KP_INSTR_NOEXP, "no expiry");
	T_EQ_STR(in.expiry_str, "", "no expiry string");
	T_EQ_INT(in.strike, 0, "no strike");
	T_EQ_INT(in.type, KP_INSTR_EQ, "EQ");
	/* strike as a string, PE, FUT, unknown types are EQ */
	T_EQ_INT(nd("{\"instrument_token\":1,\"strike\":\"1500.05\","
	    "\"instrument_type\":\"PE\",\"expiry\":\"2025-12-30\"}"), 0,
	    "string strike");
	T_EQ_INT(in.strike, 15000500, "string strike value");
	T_EQ_INT(in.type, KP_INSTR_PE, "PE");
	T_EQ_INT(nd("{\"instrument_type\":\"FUT\",\"instrument_token\":"
	    "4294967295}"), 0, "largest token, FUT");
	T_EQ_INT(in.instrument_token, 4294967295u, "largest token");
	T_EQ_INT(in.type, KP_INSTR_FUT, "FUT");
	T_EQ_INT(nd("{\"instrument_token\":2,\"instrument_type\":\"X\"}"), 0,
	    "unknown type");
	T_EQ_INT(in.type, KP_INSTR_EQ, "unknown type is EQ");
	/* a 63-byte tradingsymbol fits */
	T_EQ_INT(nd("{\"instrument_token\":3,\"tradingsymbol\":\""
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890"
	    "\"}"), 0, "63-byte symbol");
	/* blank lines */
	T_EQ_INT(nd(""), KP_TGINST_SKIP, "empty line");
	T_EQ_INT(nd(" \t\r\n"), KP_TGINST_SKIP, "blank line");
	/* not NUL-terminated: only len bytes count */
	T_EQ_INT(kp_tginst_ndjson("{\"instrument_token\":7}garbage", 22, &in,
	    why), 0, "len bounds the line");
	T_EQ_INT(in.instrument_token, 7, "len-bounded token");
}

static void
test_ndjson_bad(void)
{
	BAD(nd("{\"instrument_token\":1,"), "column", "truncated JSON");
	BAD(nd("{\"instrument_token\":1} x"), "bad JSON", "trailing bytes");
	BAD(nd("[1,2]"), "not a JSON object", "array");
	BAD(nd("{\"tradingsymbol\":\"X\"}"), "no instrument_token",
	    "no token");
	BAD(nd("{\"instrument_token\":0}"), "instrument_token", "token 0");
	BAD(nd("{\"instrument_token\":-5}"), "instrument_token",
	    "negative token");
	BAD(nd("{\"instrument_token\":4294967296}"), "instrument_token",
	    "token over 2^32-1");
	BAD(nd("{\"instrument_token\":\"5\"}"), "instrument_token",
	    "token as a string");
	BAD(nd("{\"instrument_token\":1.5}"), "instrument_token",
	    "token as a real");
	BAD(nd("{\"instrument_token\":1,\"name\":5}"), "name: not a string",
	    "name a number");
	BAD(nd("{\"instrument_token\":1,\"tradingsymbol\":\""
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ012345678901"
	    "\"}"), "tradingsymbol: longer than 63", "64-byte symbol");
	BAD(nd("{\"instrument_token\":1,\"exchange\":\"ABCDEFGHIJKLMNOP\"}"),
	    "exchange: longer than 15", "long exchange");
	BAD(nd("{\"instrument_token\":1,\"strike\":-1}"), "strike",
	    "negative strike");
	BAD(nd("{\"instrument_token\":1,\"strike\":\"abc\"}"), "strike",
	    "strike not a price");
	BAD(nd("{\"instrument_token\":1,\"strike\":1e300}"), "strike",
	    "huge strike");
	BAD(nd("{\"instrument_token\":1,\"strike\":true}"), "strike",
	    "strike a boolean");
	BAD(nd("{\"instrument_token\":1,\"expiry\":\"2025-02-30\"}"),
	    "expiry", "no such date");
	BAD(nd("{\"instrument_token\":1,\"expiry\":\"30-12-2025\"}"),
	    "expiry", "date order");
	BAD(nd("{\"instrument_token\":1,\"instrument_type\":[]}"),
	    "instrument_type", "type an array");
	BAD(nd("{\"instrument_token\":1,\"name\":\"a\\u0000b\"}"), "bad JSON",
	    "NUL in a string");
	t_ok(in.instrument_token == 0, "a bad line leaves in zeroed");
}

static void
test_map(void)
{
	T_EQ_INT(mp("NIFTY 256265\n"), 0, "NAME TOKEN");
	T_EQ_STR(m.name, "NIFTY", "name");
	T_EQ_INT(m.token, 256265, "token");
	T_EQ_INT(mp(" \tBANKNIFTY\t\t260105  # the index\r\n"), 0,
	    "blanks, a comment, CRLF");
	T_EQ_STR(m.name, "BANKNIFTY", "name after blanks");
	T_EQ_INT(m.token, 260105, "token before the comment");
	T_EQ_INT(mp("X 1#c"), 0, "comment right after the token");
	T_EQ_INT(mp("X 4294967295"), 0, "largest token");
	T_EQ_INT(m.token, 4294967295u, "largest token value");
	T_EQ_INT(mp(""), KP_TGINST_SKIP, "empty");
	T_EQ_INT(mp("   \n"), KP_TGINST_SKIP, "blank");
	T_EQ_INT(mp("  # NIFTY 256265"), KP_TGINST_SKIP, "comment");
	BAD(mp("NIFTY"), "column 6: no token", "no token");
	BAD(mp("NIFTY   # 1"), "column 9: no token", "comment for a token");
	BAD(mp("NIFTY 12x"), "column 9: the token is not a number",
	    "junk in the token");
	BAD(mp("NIFTY -1"), "column 7: the token is not a number",
	    "negative token");
	BAD(mp("NIFTY 0"), "column 7: token 0", "token 0");
	BAD(mp("NIFTY 4294967296"), "column 7: token over", "token 2^32");
	BAD(mp("NIFTY 99999999999999999999999"), "token over",
	    "token overflowing 64 bits");
	BAD(mp("NIFTY 1 2"), "column 9: more after the token", "three words");
	BAD(mp("NI\001FTY 1"), "column 3: a control character",
	    "control character");
	{
		char line[600];

		memset(line, 'A', 300);
		snprintf(line + 300, sizeof(line) - 300, " 5");
		BAD(mp(line), "column 256: name longer than 255", "long name");
		memset(line, 'A', 255);
		snprintf(line + 255, sizeof(line) - 255, " 5");
		T_EQ_INT(mp(line), 0, "255-byte name");
		T_EQ_INT(strlen(m.name), 255, "255-byte name kept");
	}
	T_EQ_INT(kp_tginst_map("NIFTY 12345", 8, &m, why), 0,
	    "len bounds the line");
	T_EQ_INT(m.token, 12, "len-bounded token");
}

int
main(void)
{
	test_ndjson_good();
	test_ndjson_bad();
	test_map();
	return t_done();
}
