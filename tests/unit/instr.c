/* instr.c: the instruments CSV parser: quoting, CRLF, BOM, columns by
 * name, bad rows by line, limits, any split of the input, writers. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_instr.h"
#include "t.h"

#define HDR "instrument_token,exchange_token,tradingsymbol,name,last_price," \
	"expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n"

struct got {
	int n, nbad;
	struct kp_instr in[16];
	uint64_t badline[16];
	char why[16][192];
	struct kp_buf out;	/* every good row as JSON, one per line */
};

static int
on_row(void *arg, const struct kp_instr *in)
{
	struct got *g = arg;

	if (g->n < 16)
		g->in[g->n] = *in;
	g->n++;
	kp_instr_json(&g->out, in);
	kp_buf_addc(&g->out, '\n');
	return 0;
}

static void
on_bad(void *arg, uint64_t line, const char *why)
{
	struct got *g = arg;

	if (g->nbad < 16) {
		g->badline[g->nbad] = line;
		snprintf(g->why[g->nbad], sizeof g->why[0], "%s", why);
	}
	g->nbad++;
}

/* Parse s fed in pieces of `step` bytes (0: at once); return the rc. */
static int
run(struct got *g, const char *s, size_t len, size_t step, char *err)
{
	struct kp_instr_parser *p;
	size_t i, k;
	int rc = 0;

	memset(g, 0, sizeof *g);
	kp_buf_init(&g->out, 1 << 24);
	p = kp_instr_new(on_row, on_bad, g);
	if (step == 0)
		step = len ? len : 1;
	for (i = 0; i < len && rc == 0; i += k) {
		k = len - i < step ? len - i : step;
		rc = kp_instr_feed(p, s + i, k);
	}
	if (rc == 0)
		rc = kp_instr_finish(p);
	if (err)
		snprintf(err, KP_ERRLEN, "%s", kp_instr_error(p));
	kp_instr_free(p);
	return rc;
}

static void
test_basic(void)
{
	static const char s[] = HDR
	    "3813889,14898,CENTRALBK-BE,CENTRAL BANK OF INDIA,0.0,,0.0,0.05,1,"
	    "EQ,NSE,NSE\n"
	    "12073986,47164,NIFTY23DEC21500CE,NIFTY,12.5,2023-12-28,21500.0,"
	    "0.05,50,CE,NFO-OPT,NFO\n";
	struct got g;
	size_t step;
	char *whole = NULL;

	for (step = 0; step < 40; step += (step < 5 ? 1 : 7)) {
		T_EQ_INT(run(&g, s, strlen(s), step, NULL), 0, "parses");
		T_EQ_INT(g.n, 2, "two rows");
		T_EQ_INT(g.nbad, 0, "no bad rows");
		if (whole == NULL) {
			whole = strndup(g.out.p, g.out.len);
		} else {
			t_ok(g.out.len == strlen(whole) &&
			    memcmp(g.out.p, whole, g.out.len) == 0,
			    "same rows fed %zu bytes at a time", step);
		}
		if (step == 0) {
			T_EQ_INT(g.in[0].instrument_token, 3813889, "token");
			T_EQ_INT(g.in[0].tick_size, 500, "tick_size x10^4");
			T_EQ_INT(g.in[0].expiry, KP_INSTR_NOEXP, "no expiry");
			T_EQ_INT(g.in[0].line, 2, "line 2");
			T_EQ_INT(g.in[1].line, 3, "line 3");
			T_EQ_INT(g.in[1].type, KP_INSTR_CE, "CE");
			T_EQ_INT(g.in[1].strike, 215000000, "strike");
			T_EQ_INT(g.in[1].lot_size, 50, "lot");
			T_EQ_STR(g.in[1].expiry_str, "2023-12-28", "expiry");
		}
		kp_buf_free(&g.out);
	}
	T_EQ_STR(whole, "{\"instrument_token\":3813889,\"exchange_token\":14898,"
	    "\"tradingsymbol\":\"CENTRALBK-BE\",\"name\":\"CENTRAL BANK OF "
	    "INDIA\",\"last_price\":0,\"expiry\":null,\"strike\":0,"
	    "\"tick_size\":0.05,\"lot_size\":1,\"instrument_type\":\"EQ\","
	    "\"segment\":\"NSE\",\"exchange\":\"NSE\"}\n"
	    "{\"instrument_token\":12073986,\"exchange_token\":47164,"
	    "\"tradingsymbol\":\"NIFTY23DEC21500CE\",\"name\":\"NIFTY\","
	    "\"last_price\":12.5,\"expiry\":\"2023-12-28\",\"strike\":21500,"
	    "\"tick_size\":0.05,\"lot_size\":50,\"instrument_type\":\"CE\","
	    "\"segment\":\"NFO-OPT\",\"exchange\":\"NFO\"}\n", "JSON rows");
	free(whole);
}

static void
test_quoting(void)
{
	/* BOM, CRLF, reordered and extra columns, quoted comma, quote and
	 * newline in name, a blank line */
	static const char s[] = "\xef\xbb\xbf" "exchange,extra,segment,"
	    "instrument_type,lot_size,tick_size,strike,expiry,last_price,name,"
	    "tradingsymbol,exchange_token,instrument_token\r\n"
	    "NSE,\"x,y\",NSE,EQ,1,0.05,0,,1.5,\"A, \"\"B\"\"\nC\",ABC,7,42\r\n"
	    "\r\n"
	    "BSE,,BSE,EQ,1,0.01,0,,0,,XYZ,8,43\r\n";
	struct got g;
	char err[KP_ERRLEN];
	struct kp_buf b;

	T_EQ_INT(run(&g, s, strlen(s), 0, err), 0, "quoted: parses");
	T_EQ_INT(g.n, 2, "quoted: two rows");
	T_EQ_INT(g.nbad, 0, "quoted: none bad");
	T_EQ_STR(g.in[0].name, "A, \"B\"\nC", "quoted name");
	T_EQ_INT(g.in[0].instrument_token, 42, "token by name");
	T_EQ_INT(g.in[0].last_price, 15000, "last_price by name");
	T_EQ_INT(g.in[1].line, 5, "line after quoted newline and blank");
	T_EQ_STR(g.in[1].name, "", "empty name");
	kp_buf_init(&b, 4096);
	kp_instr_csv(&b, &g.in[0]);
	kp_buf_addc(&b, 0);
	T_EQ_STR(b.p, "42,7,ABC,\"A, \"\"B\"\"\nC\",1.5,,0,0.05,1,EQ,NSE,NSE\n",
	    "CSV row quoted");
	kp_buf_free(&b);
	kp_buf_free(&g.out);
}

static void
test_bad(void)
{
	static const char s[] = HDR
	    "1,1,A,a,0,,0,0.05,1,EQ,NSE,NSE\n"
	    "x,1,B,b,0,,0,0.05,1,EQ,NSE,NSE\n"		/* 3 bad token */
	    "3,1,C,c,0,2023-02-29,0,0.05,1,FUT,NFO-FUT,NFO\n" /* 4 date */
	    "4,1,D,d,abc,,0,0.05,1,EQ,NSE,NSE\n"		/* 5 price */
	    "5,1,E,e,0,,0,0.05,1,XX,NSE,NSE\n"		/* 6 type */
	    "6,1,F,f,0,,0,0.05\n"			/* 7 short */
	    "7,1,G,g,0,,0,0.05,1,CE,NFO-OPT,NFO\n"	/* 8 no expiry */
	    "8,1,,h,0,,0,0.05,1,EQ,NSE,NSE\n"		/* 9 empty sym */
	    "9,1,I,i,0,,0,0.05,99999999999,EQ,NSE,NSE\n" /* 10 lot */
	    "10,1,J,j,0,,0,0.05,1,EQ,ns e,NSE\n"		/* 11 segment */
	    "11,1,K,k,1.23456,2024-02-29,0,0.05,1,FUT,NFO-FUT,NFO\n";
	struct got g;

	T_EQ_INT(run(&g, s, strlen(s), 3, NULL), 0, "bad rows: parse goes on");
	T_EQ_INT(g.n, 2, "bad rows: two good");
	T_EQ_INT(g.nbad, 9, "bad rows: nine bad");
	T_EQ_INT(g.badline[0], 3, "bad token line");
	t_ok(strstr(g.why[0], "instrument_token 'x'") != NULL, "why: %s",
	    g.why[0]);
	T_EQ_INT(g.badline[1], 4, "bad date line");
	t_ok(strstr(g.why[1], "expiry") != NULL, "why: %s", g.why[1]);
	T_EQ_INT(g.badline[2], 5, "bad price line");
	T_EQ_INT(g.badline[3], 6, "bad type line");
	T_EQ_INT(g.badline[4], 7, "short row line");
	t_ok(strstr(g.why[4], "no lot_size") != NULL, "why: %s", g.why[4]);
	T_EQ_INT(g.badline[5], 8, "CE without expiry");
	T_EQ_INT(g.badline[8], 11, "bad segment");
	T_EQ_INT(g.in[1].last_price, 12346, "price rounded half up");
	T_EQ_INT(g.in[1].line, 12, "good row after bad ones");
	kp_buf_free(&g.out);
}

static void
test_header(void)
{
	struct got g;
	char err[KP_ERRLEN];
	static const char miss[] = "instrument_token,exchange_token,"
	    "tradingsymbol,name,last_price,strike,tick_size,lot_size,"
	    "instrument_type,segment,exchange\n1,1,A,a,0,0,0,1,EQ,NSE,NSE\n";
	static const char dup[] = "instrument_token,instrument_token\n";

	T_EQ_INT(run(&g, miss, strlen(miss), 0, err), -1, "missing column");
	t_ok(strstr(err, "'expiry' missing") != NULL, "error: %s", err);
	T_EQ_INT(g.n + g.nbad, 0, "no rows after a bad header");
	kp_buf_free(&g.out);
	T_EQ_INT(run(&g, dup, strlen(dup), 0, err), -1, "repeated column");
	t_ok(strstr(err, "twice") != NULL, "error: %s", err);
	kp_buf_free(&g.out);
	T_EQ_INT(run(&g, "", 0, 0, err), -1, "empty input");
	t_ok(strstr(err, "no header") != NULL, "error: %s", err);
	kp_buf_free(&g.out);
	T_EQ_INT(run(&g, HDR, strlen(HDR), 0, err), 0, "header only is ok");
	T_EQ_INT(g.n, 0, "header only: no rows");
	kp_buf_free(&g.out);
}

static void
test_limits(void)
{
	size_t big = 1 << 20, hl = strlen(HDR), i;
	char *s = malloc(hl + big + 200), *q;
	struct got g;

	memcpy(s, HDR, hl);
	q = s + hl;
	q += sprintf(q, "1,1,A,\"");
	for (i = 0; i < big; i++)
		*q++ = (char)('a' + i % 26);
	q += sprintf(q, "\",0,,0,0.05,1,EQ,NSE,NSE\n"
	    "2,1,B,b,0,,0,0.05,1,EQ,NSE,NSE\n3,1,C,\"open");
	T_EQ_INT(run(&g, s, (size_t)(q - s), 100000, NULL), 0, "huge field");
	T_EQ_INT(g.nbad, 2, "huge field and unterminated quote are bad");
	t_ok(strstr(g.why[0], "longer than") != NULL, "why: %s", g.why[0]);
	T_EQ_INT(g.badline[1], 4, "unterminated quote line");
	T_EQ_INT(g.n, 1, "row after the huge one is good");
	T_EQ_INT(g.in[0].line, 3, "its line");
	kp_buf_free(&g.out);
	free(s);
}

static void
test_dates(void)
{
	int32_t d;
	char out[11];

	T_EQ_INT(kp_instr_date("1970-01-01", 10, &d), 0, "epoch");
	T_EQ_INT(d, 0, "epoch is day 0");
	kp_instr_date("2024-02-29", 10, &d);
	kp_instr_date_str(d, out);
	T_EQ_STR(out, "2024-02-29", "round trip");
	T_EQ_INT(kp_instr_date("2023-02-29", 10, &d), -1, "not a leap year");
	T_EQ_INT(kp_instr_date("2023-13-01", 10, &d), -1, "month 13");
	T_EQ_INT(kp_instr_date("2023-1-01", 9, &d), -1, "short");
}

int
main(void)
{
	test_basic();
	test_quoting();
	test_bad();
	test_header();
	test_limits();
	test_dates();
	return t_done();
}
