/*
 * cfchain.c: chain-follow's chain (cmd/chain-follow/chain.c) on a fixed
 * instrument list: the expiries still trading at a given time (the roll
 * at 15:30 IST), the strike at the money with hysteresis, the tokens
 * held around it.  Expected values are worked out by hand from the list.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf.h"
#include "t.h"

#define P(x) ((int64_t)((x) * 10000))

static const char *const days[] = { "2026-12-08", "2026-12-15",
    "2026-12-22" };

/* NIFTY options, three weekly expiries, strikes 24000 to 24500 by 50
 * (the last expiry by 100), token = 1000 * (expiry + 1) + strike / 50 *
 * 2 - 960 + (PE); the index row; a BANKNIFTY option; a bad row. */
static void
write_list(const char *path)
{
	FILE *f = fopen(path, "w");
	int e, k, pe;

	fputs(KP_INSTR_CSV_HEADER, f);
	fputs("256265,1001,NIFTY 50,NIFTY 50,0,,0,0.05,1,EQ,INDICES,NSE\n", f);
	for (e = 0; e < 3; e++)
		for (k = 24000; k <= 24500; k += e == 2 ? 100 : 50)
			for (pe = 0; pe < 2; pe++)
				fprintf(f, "%d,1,NIFTY%d%s,\"NIFTY\",0,%s,%d,0.05,"
				    "75,%s,NFO-OPT,NFO\n", 1000 * (e + 1) + k /
				    50 * 2 - 960 + pe, k, pe ? "PE" : "CE",
				    days[e], k, pe ? "PE" : "CE");
	fputs("9999,1,BANKNIFTY1,BANKNIFTY,0,2026-12-08,24200,0.05,35,CE,"
	    "NFO-OPT,NFO\n", f);
	fputs("9998,1,BAD,NIFTY,0,2026-13-40,24200,0.05,75,CE,NFO-OPT,NFO\n",
	    f);
	fclose(f);
}

static int64_t
at(const char *day, int h, int m)	/* IST wall time to epoch */
{
	int32_t d;

	kp_instr_date(day, 10, &d);
	return (int64_t)d * 86400 + h * 3600 + m * 60 - 19800;
}

static uint32_t
tok(int e, int k, int pe)
{
	return (uint32_t)(1000 * (e + 1) + k / 50 * 2 - 960 + pe);
}

static void
test_roll(const struct cf_chain *c)
{
	int32_t ex[4], d0, d1, d2;

	kp_instr_date(days[0], 10, &d0);
	kp_instr_date(days[1], 10, &d1);
	kp_instr_date(days[2], 10, &d2);
	T_EQ_INT(cf_expiries(c, at("2026-12-07", 9, 15), 2, ex), 2,
	    "the day before: two expiries");
	t_ok(ex[0] == d0 && ex[1] == d1, "the nearest two");
	T_EQ_INT(cf_expiries(c, at("2026-12-08", 15, 29), 2, ex), 2,
	    "expiry day, 15:29 IST: still two");
	t_ok(ex[0] == d0, "the expiring one still first at 15:29");
	T_EQ_INT(cf_expiries(c, at("2026-12-08", 15, 30), 2, ex), 2,
	    "expiry day, 15:30 IST: rolled");
	t_ok(ex[0] == d1 && ex[1] == d2, "rolled to the next two");
	T_EQ_INT(cf_expiries(c, at("2026-12-22", 15, 30), 2, ex), 0,
	    "after the last expiry: none");
	T_EQ_INT(cf_expiries(c, at("2026-12-07", 9, 15), 12, ex), 3,
	    "k larger than the list: all three");
}

static void
test_hysteresis(const struct cf_chain *c)
{
	int32_t d0;
	int64_t to = 0, atm, step;

	kp_instr_date(days[0], 10, &d0);
	t_ok(cf_atm(c, d0, P(24212.5), &atm, &step) == 0 && atm == P(24200) &&
	    step == P(50), "atm of 24212.5 is 24200, step 50");
	t_ok(cf_recentre(c, d0, 0, P(24212.5), 0.6, &to) && to == P(24200),
	    "no centre yet: centred at once");
	t_ok(!cf_recentre(c, d0, P(24200), P(24229), 0.6, &to),
	    "24229 is 0.58 steps from 24200: stays");
	t_ok(!cf_recentre(c, d0, P(24200), P(24226), 0.6, &to),
	    "past the boundary (24225) but within 0.6 steps: stays");
	t_ok(cf_recentre(c, d0, P(24200), P(24231), 0.6, &to) &&
	    to == P(24250), "24231 is 0.62 steps away: to 24250");
	t_ok(!cf_recentre(c, d0, P(24250), P(24221), 0.6, &to),
	    "and back to 24221, 0.58 steps below 24250: stays");
	t_ok(cf_recentre(c, d0, P(24250), P(24219), 0.6, &to) &&
	    to == P(24200), "24219: back to 24200");
	t_ok(cf_recentre(c, d0, P(24200), P(24391), 0.6, &to) &&
	    to == P(24400), "a jump of several strikes: to the nearest");
	t_ok(cf_recentre(c, d0, P(24450), P(30000), 0.6, &to) &&
	    to == P(24500), "past the last strike: the last");
}

static void
test_want(const struct cf_chain *c)
{
	struct cf_set s = { 0 };
	int32_t ex[2];
	int k, bad = 0;

	kp_instr_date(days[0], 10, &ex[0]);
	kp_instr_date(days[2], 10, &ex[1]);
	cf_want(c, ex, 2, P(24200), 2, &s);
	/* 24100..24300 of the first; 24000..24400 by 100 of the third */
	T_EQ_INT(s.n, 5 * 2 + 5 * 2, "5 strikes, CE and PE, two expiries");
	for (k = 24100; k <= 24300; k += 50)
		bad += !cf_set_has(&s, tok(0, k, 0)) ||
		    !cf_set_has(&s, tok(0, k, 1));
	for (k = 24000; k <= 24400; k += 100)
		bad += !cf_set_has(&s, tok(2, k, 0)) ||
		    !cf_set_has(&s, tok(2, k, 1));
	T_EQ_INT(bad, 0, "the strikes around 24200 of each expiry");
	cf_want(c, ex, 1, P(24000), 3, &s);
	T_EQ_INT(s.n, 4 * 2, "at the lowest strike: 3 above only");
	t_ok(cf_set_has(&s, tok(0, 24150, 1)) &&
	    !cf_set_has(&s, tok(0, 24200, 0)), "24000 to 24150");
	cf_want(c, ex, 1, P(24200), 0, &s);
	T_EQ_INT(s.n, 2, "n 0: the ATM CE and PE");
	cf_set_free(&s);
}

int
main(void)
{
	char path[] = "/tmp/cfchain.XXXXXX", err[KP_ERRLEN];
	struct cf_chain c;
	int fd = mkstemp(path);

	kp_log_init("cfchain");
	kp_log_set_level(KP_LOG_FATAL);
	close(fd);
	write_list(path);
	T_EQ_INT(cf_chain_load(&c, path, "NIFTY", NULL, err), 0, "load");
	T_EQ_INT(c.n, 11 * 2 * 2 + 6 * 2, "NIFTY options only");
	T_EQ_INT(c.und_token, 256265, "the index row is the underlying");
	T_EQ_INT(c.bad, 1, "the bad row counted");
	test_roll(&c);
	test_hysteresis(&c);
	test_want(&c);
	cf_chain_free(&c);
	T_EQ_INT(cf_chain_load(&c, path, "NIFTY", "BFO", err), 0,
	    "load BFO only");
	T_EQ_INT(c.n, 0, "no NIFTY options on BFO");
	cf_chain_free(&c);
	T_EQ_INT(cf_chain_load(&c, "/nonexistent/x.csv", "NIFTY", NULL, err),
	    -1, "a missing file");
	unlink(path);
	return t_done();
}
