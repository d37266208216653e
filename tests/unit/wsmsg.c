/* wsmsg.c: unit tests for cmd/ws-fanout/wsmsg.c (ws-fanout client messages). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>

#include "kp_wsmsg.h"
#include "t.h"

static int
parse(const char *s, uint32_t *tok, size_t cap, struct kp_wsmsg *m,
    char err[KP_ERRLEN])
{
	err[0] = 0;
	return kp_wsmsg_parse(s, strlen(s), tok, cap, m, err);
}

static void
bad(const char *s, const char *want)
{
	uint32_t tok[4];
	struct kp_wsmsg m;
	char err[KP_ERRLEN];
	int r = parse(s, tok, 4, &m, err);

	t_ok(r == -1 && strstr(err, want) != NULL, "refused: %s", s);
	if (r != -1 || strstr(err, want) == NULL)
		t_diag("  got %d '%s', want '%s'", r, err, want);
}

int
main(void)
{
	uint32_t tok[4], t = 0;
	struct kp_wsmsg m;
	char err[KP_ERRLEN];
	const char *line;

	T_EQ_INT(parse("{\"action\":\"subscribe\",\"tokens\":[408065,"
	    "\"884737\",4294967295]}", tok, 4, &m, err), 0, "subscribe");
	T_EQ_INT(m.action, KP_WSMSG_SUBSCRIBE, "action subscribe");
	T_EQ_INT(m.ntokens, 3, "three tokens");
	T_EQ_INT(tok[0], 408065, "first token");
	T_EQ_INT(tok[1], 884737, "string token");
	T_EQ_INT(tok[2], 4294967295u, "largest token");
	T_EQ_INT(parse("{\"tokens\":[5],\"action\":\"unsubscribe\",\"x\":{}}",
	    tok, 4, &m, err), 0, "unsubscribe, other members ignored");
	T_EQ_INT(m.action, KP_WSMSG_UNSUBSCRIBE, "action unsubscribe");
	T_EQ_INT(parse(" {\"action\":\"ping\"} ", tok, 4, &m, err), 0, "ping");
	T_EQ_INT(m.action, KP_WSMSG_PING, "action ping");

	bad("", "bad JSON");
	bad("{\"action\":", "bad JSON");
	bad("[1]", "not a JSON object");
	bad("{\"tokens\":[1]}", "no \"action\"");
	bad("{\"action\":5}", "no \"action\"");
	bad("{\"action\":\"sell\"}", "unknown action 'sell'");
	bad("{\"action\":\"a\\\"b\\n0123456789012345678901234567890123456789"
	    "\"}", "unknown action 'a?b?0123456789012345678901234567'");
	bad("{\"action\":\"subscribe\"}", "non-empty array");
	bad("{\"action\":\"subscribe\",\"tokens\":[]}", "non-empty array");
	bad("{\"action\":\"subscribe\",\"tokens\":5}", "non-empty array");
	bad("{\"action\":\"subscribe\",\"tokens\":[1,2,3,4,5]}",
	    "at most 4");
	bad("{\"action\":\"subscribe\",\"tokens\":[1,0]}", "token 2");
	bad("{\"action\":\"subscribe\",\"tokens\":[-1]}", "token 1");
	bad("{\"action\":\"subscribe\",\"tokens\":[4294967296]}", "token 1");
	bad("{\"action\":\"subscribe\",\"tokens\":[1.5]}", "token 1");
	bad("{\"action\":\"subscribe\",\"tokens\":[\"+5\"]}", "token 1");
	bad("{\"action\":\"subscribe\",\"tokens\":[\"x\"]}", "token 1");
	bad("{\"action\":\"subscribe\",\"tokens\":[null]}", "token 1");

	line = "{\"type\":\"tick\",\"instrument_token\":408065,"
	    "\"last_price\":1.5}";
	T_EQ_INT(kp_wsmsg_tick_token(line, strlen(line), &t, err), 1,
	    "tick line has a token");
	T_EQ_INT(t, 408065, "its token");
	line = "{\"type\":\"status\",\"event\":\"connected\"}";
	T_EQ_INT(kp_wsmsg_tick_token(line, strlen(line), &t, err), 0,
	    "status line: no token");
	line = "{\"type\":\"tick\",\"instrument_token\":\"408065\"}";
	T_EQ_INT(kp_wsmsg_tick_token(line, strlen(line), &t, err), 0,
	    "string token in a tick line: no token");
	line = "{\"type\":\"tick\"";
	T_EQ_INT(kp_wsmsg_tick_token(line, strlen(line), &t, err), -1,
	    "truncated line refused");
	t_ok(strstr(err, "bad JSON") != NULL, "with a reason");
	T_EQ_INT(kp_wsmsg_tick_token("3", 1, &t, err), -1,
	    "a number is not an object");
	return t_done();
}
