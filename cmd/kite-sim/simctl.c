/*
 * simctl.c: kite-sim's control commands, one a line: a word and at most
 * two values, or "message " and free text.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "kp.h"
#include "kp_simctl.h"

#define WORDS 4

static int
on_off(const char *v, bool *out)
{
	if (v != NULL && strcmp(v, "on") == 0)
		*out = true;
	else if (v != NULL && strcmp(v, "off") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int
count(const char *v, long long min, int64_t *out)
{
	long long n;

	if (v == NULL || kp_num_ll(v, min, KP_SIMCTL_MAX_MS, &n) < 0)
		return -1;
	*out = n;
	return 0;
}

static int
prob(const char *v, double *out)
{
	return v == NULL ? -1 : kp_num_double(v, 0, 1, out);
}

/* A name (shorter than max) into c->word. */
static int
word(const char *v, size_t max, struct kp_simctl *c)
{
	if (v == NULL || strlen(v) >= max)
		return -1;
	memcpy(c->word, v, strlen(v) + 1);
	return 0;
}

/* "24500": an index level, rupees. */
static int
level(const char *v, double *out)
{
	return v == NULL ? -1 : kp_num_double(v, 0.05, KP_SIMCTL_MAX_PRICE, out);
}

/* "+50/s", "-2.5/s", "0" (the "/s" is optional): rupees a second. */
static int
rate(const char *v, double *out)
{
	char buf[64];
	size_t n;

	if (v == NULL || (n = strlen(v)) >= sizeof(buf))
		return -1;
	memcpy(buf, v, n + 1);
	if (n > 2 && strcmp(buf + n - 2, "/s") == 0)
		buf[n - 2] = '\0';
	if (buf[0] == '+')
		memmove(buf, buf + 1, strlen(buf));
	if (buf[0] == '+' || buf[0] == '\0')
		return -1;
	return kp_num_double(buf, -KP_SIMCTL_MAX_TREND, KP_SIMCTL_MAX_TREND,
	    out);
}

/* The command named w (0: none). */
static int
lookup(const char *w)
{
	static const struct {
		const char *name;
		int cmd;
	} cmds[] = {
		{ "status", KP_SIMCTL_STATUS },
		{ "drop", KP_SIMCTL_DROP },
		{ "drop-after-ms", KP_SIMCTL_DROP_AFTER_MS },
		{ "drop-after-msgs", KP_SIMCTL_DROP_AFTER_MSGS },
		{ "stall", KP_SIMCTL_STALL },
		{ "malformed", KP_SIMCTL_MALFORMED },
		{ "refuse-auth", KP_SIMCTL_REFUSE_AUTH },
		{ "http-429", KP_SIMCTL_HTTP_429 },
		{ "http-5xx", KP_SIMCTL_HTTP_5XX },
		{ "delay-ms", KP_SIMCTL_DELAY_MS },
		{ "ambiguous", KP_SIMCTL_AMBIGUOUS },
		{ "clear", KP_SIMCTL_CLEAR },
		{ "book-lag-ms", KP_SIMCTL_BOOK_LAG_MS },
		{ "child-margin-fail", KP_SIMCTL_CHILD_MARGIN_FAIL },
		{ "freeze-qty", KP_SIMCTL_FREEZE_QTY },
		{ "dump-cut", KP_SIMCTL_DUMP_CUT },
		{ "dump-corrupt", KP_SIMCTL_DUMP_CORRUPT },
		{ "revoke", KP_SIMCTL_REVOKE },
		{ "restore", KP_SIMCTL_RESTORE },
		{ "move", KP_SIMCTL_MOVE },
		{ "trend", KP_SIMCTL_TREND },
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(w, cmds[i].name) == 0)
			return cmds[i].cmd;
	return 0;
}

int
kp_simctl_parse(const char *line, struct kp_simctl *c)
{
	char buf[256], *w[WORDS] = { NULL }, *save = NULL;
	size_t i, n = strlen(line);
	int want = 0;

	memset(c, 0, sizeof(*c));
	if (strncmp(line, "message ", 8) == 0) {
		c->cmd = KP_SIMCTL_MESSAGE;
		c->text = line + 8;
		return 0;
	}
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, line, n + 1);
	w[0] = strtok_r(buf, " \t\r\n", &save);
	for (i = 1; i < WORDS && w[i - 1] != NULL; i++)
		w[i] = strtok_r(NULL, " \t\r\n", &save);
	if (w[0] == NULL)
		return -1;
	c->cmd = lookup(w[0]);
	switch (c->cmd) {
	case KP_SIMCTL_STATUS:
	case KP_SIMCTL_DROP:
	case KP_SIMCTL_CLEAR:
		break;
	case KP_SIMCTL_DROP_AFTER_MS:
	case KP_SIMCTL_DROP_AFTER_MSGS:
	case KP_SIMCTL_DELAY_MS:
	case KP_SIMCTL_BOOK_LAG_MS:
	case KP_SIMCTL_CHILD_MARGIN_FAIL:
	case KP_SIMCTL_DUMP_CUT:
		want = 1;
		if (count(w[1], 0, &c->n) < 0)
			return -1;
		break;
	case KP_SIMCTL_STALL:
	case KP_SIMCTL_REFUSE_AUTH:
	case KP_SIMCTL_DUMP_CORRUPT:
		want = 1;
		if (on_off(w[1], &c->on) < 0)
			return -1;
		break;
	case KP_SIMCTL_MALFORMED:
	case KP_SIMCTL_HTTP_429:
	case KP_SIMCTL_HTTP_5XX:
		want = 1;
		if (prob(w[1], &c->p) < 0)
			return -1;
		break;
	case KP_SIMCTL_AMBIGUOUS:
		want = 2;
		if (w[1] != NULL && strcmp(w[1], "all") == 0)
			c->n = -1;
		else if (count(w[1], -1, &c->n) < 0)
			return -1;
		if (w[2] != NULL && strcmp(w[2], "never") == 0)
			c->n2 = -1;
		else if (count(w[2], 0, &c->n2) < 0)
			return -1;
		break;
	case KP_SIMCTL_FREEZE_QTY:
		want = 2;
		if (word(w[1], 48, c) < 0 || count(w[2], 0, &c->n) < 0 ||
		    c->n > INT32_MAX)
			return -1;
		break;
	case KP_SIMCTL_REVOKE:
	case KP_SIMCTL_RESTORE:
		want = 1;
		if (word(w[1], sizeof(c->word), c) < 0)
			return -1;
		break;
	case KP_SIMCTL_MOVE:
	case KP_SIMCTL_TREND:
		want = 2;
		if (word(w[1], 48, c) < 0 || (c->cmd == KP_SIMCTL_MOVE ?
		    level(w[2], &c->x) : rate(w[2], &c->x)) < 0)
			return -1;
		break;
	default:
		return -1;
	}
	/* nothing after the values a command takes */
	return w[want + 1] == NULL ? 0 : -1;
}
