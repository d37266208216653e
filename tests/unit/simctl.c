/* simctl.c: kite-sim's control commands, as man/kite-sim.1 lists them. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_simctl.h"
#include "t.h"

/* a key of 64 bytes, one more than a word holds (one literal: clang
 * warns of adjacent literals in an array) */
#define LONG_REVOKE ("revoke 01234567890123456789012345678901234567890123" \
	"45678901234567890123")

int
main(void)
{
	struct kp_simctl c;
	const char *bad[] = {
		"", "   ", "bogus", "stall", "stall maybe", "malformed 1.5",
		"malformed -0.1", "http-429 x", "delay-ms -5", "delay-ms 1e3",
		"drop-after-ms 99999999999999", "ambiguous 3", "ambiguous x 10",
		"ambiguous 3 soon", "stall on off", "drop now", "status please",
		"messagex hello", "message", "book-lag-ms", "book-lag-ms -1",
		"child-margin-fail x", "freeze-qty NIFTY", "freeze-qty NIFTY -1",
		"freeze-qty NIFTY 1 2", "freeze-qty NIFTY 99999999999",
		"freeze-qty 0123456789012345678901234567890123456789012345678 1",
		"dump-cut", "dump-cut -1", "dump-corrupt", "dump-corrupt 1",
		"revoke", "restore", "revoke k1 k2", "restore k1 now",
		LONG_REVOKE,
		"move", "move NIFTY", "move NIFTY 0", "move NIFTY -5",
		"move NIFTY x", "move NIFTY 1e9", "move NIFTY 24500 1",
		"trend NIFTY", "trend NIFTY /s", "trend NIFTY ++5/s",
		"trend NIFTY 5/m", "trend NIFTY 1e6/s", "trend NIFTY 5 /s",
	};
	char longline[400];
	size_t i;

	T_EQ_INT(kp_simctl_parse("status", &c), 0, "status");
	T_EQ_INT(c.cmd, KP_SIMCTL_STATUS, "status command");
	T_EQ_INT(kp_simctl_parse("drop\r\n", &c), 0, "drop with CRLF");
	T_EQ_INT(c.cmd, KP_SIMCTL_DROP, "drop command");
	T_EQ_INT(kp_simctl_parse("drop-after-ms 1500", &c), 0,
	    "drop-after-ms");
	T_EQ_INT((long long)c.n, 1500, "drop-after-ms value");
	T_EQ_INT(kp_simctl_parse("drop-after-msgs\t3", &c), 0,
	    "drop-after-msgs, tab");
	T_EQ_INT(c.cmd, KP_SIMCTL_DROP_AFTER_MSGS, "drop-after-msgs command");
	T_EQ_INT((long long)c.n, 3, "drop-after-msgs value");
	T_EQ_INT(kp_simctl_parse("stall on", &c), 0, "stall on");
	T_EQ_INT(c.on, 1, "stall on value");
	T_EQ_INT(kp_simctl_parse("refuse-auth off", &c), 0, "refuse-auth");
	T_EQ_INT(c.cmd, KP_SIMCTL_REFUSE_AUTH, "refuse-auth command");
	T_EQ_INT(c.on, 0, "refuse-auth off value");
	T_EQ_INT(kp_simctl_parse("http-5xx 0.25", &c), 0, "http-5xx");
	T_NEAR(c.p, 0.25, 0, "http-5xx probability");
	T_EQ_INT(kp_simctl_parse("ambiguous all never", &c), 0,
	    "ambiguous all never");
	T_EQ_INT((long long)c.n, -1, "all is -1");
	T_EQ_INT((long long)c.n2, -1, "never is -1");
	T_EQ_INT(kp_simctl_parse("ambiguous 2 3000", &c), 0, "ambiguous 2");
	T_EQ_INT((long long)c.n, 2, "ambiguous count");
	T_EQ_INT((long long)c.n2, 3000, "ambiguous ms");
	T_EQ_INT(kp_simctl_parse("message Market closes at 15:30", &c), 0,
	    "message");
	T_EQ_STR(c.text, "Market closes at 15:30", "message text");
	T_EQ_INT(kp_simctl_parse("book-lag-ms 2000", &c), 0, "book-lag-ms");
	T_EQ_INT(c.cmd, KP_SIMCTL_BOOK_LAG_MS, "book-lag-ms command");
	T_EQ_INT((long long)c.n, 2000, "book-lag-ms value");
	T_EQ_INT(kp_simctl_parse("child-margin-fail 3", &c), 0,
	    "child-margin-fail");
	T_EQ_INT(c.cmd, KP_SIMCTL_CHILD_MARGIN_FAIL, "child-margin-fail cmd");
	T_EQ_INT((long long)c.n, 3, "child-margin-fail value");
	T_EQ_INT(kp_simctl_parse("freeze-qty NIFTY 1800", &c), 0, "freeze-qty");
	T_EQ_INT(c.cmd, KP_SIMCTL_FREEZE_QTY, "freeze-qty command");
	T_EQ_STR(c.word, "NIFTY", "freeze-qty name");
	T_EQ_INT((long long)c.n, 1800, "freeze-qty value");
	T_EQ_INT(kp_simctl_parse("dump-cut 64", &c), 0, "dump-cut");
	T_EQ_INT(c.cmd, KP_SIMCTL_DUMP_CUT, "dump-cut command");
	T_EQ_INT((long long)c.n, 64, "dump-cut value");
	T_EQ_INT(kp_simctl_parse("dump-corrupt on", &c), 0, "dump-corrupt");
	T_EQ_INT(c.cmd, KP_SIMCTL_DUMP_CORRUPT, "dump-corrupt command");
	t_ok(c.on, "dump-corrupt on");
	T_EQ_INT(kp_simctl_parse("revoke key2", &c), 0, "revoke");
	T_EQ_INT(c.cmd, KP_SIMCTL_REVOKE, "revoke command");
	t_ok(strcmp(c.word, "key2") == 0, "revoke key");
	T_EQ_INT(kp_simctl_parse("restore key2\n", &c), 0, "restore");
	T_EQ_INT(c.cmd, KP_SIMCTL_RESTORE, "restore command");
	t_ok(strcmp(c.word, "key2") == 0, "restore key");
	T_EQ_INT(kp_simctl_parse("move NIFTY 24500", &c), 0, "move");
	T_EQ_INT(c.cmd, KP_SIMCTL_MOVE, "move command");
	T_EQ_STR(c.word, "NIFTY", "move name");
	T_NEAR(c.x, 24500, 0, "move level");
	T_EQ_INT(kp_simctl_parse("trend NIFTY +50/s", &c), 0, "trend +50/s");
	T_EQ_INT(c.cmd, KP_SIMCTL_TREND, "trend command");
	T_EQ_STR(c.word, "NIFTY", "trend name");
	T_NEAR(c.x, 50, 0, "trend rate");
	T_EQ_INT(kp_simctl_parse("trend BANKNIFTY -2.5/s", &c), 0,
	    "trend -2.5/s");
	T_NEAR(c.x, -2.5, 0, "trend negative rate");
	T_EQ_INT(kp_simctl_parse("trend NIFTY 0", &c), 0, "trend 0");
	T_NEAR(c.x, 0, 0, "trend off");
	T_EQ_INT(kp_simctl_parse("clear", &c), 0, "clear");
	T_EQ_INT(c.cmd, KP_SIMCTL_CLEAR, "clear command");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ_INT(kp_simctl_parse(bad[i], &c), -1, bad[i]);
	memset(longline, ' ', sizeof(longline) - 1);
	memcpy(longline, "stall on", 8);
	longline[sizeof(longline) - 1] = '\0';
	T_EQ_INT(kp_simctl_parse(longline, &c), -1, "a line over 255 bytes");
	return t_done();
}
