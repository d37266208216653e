/*
 * accounts.c: kite-sim's accounts: the default API key and access token
 * (account 0) and those of --account KEY:TOKEN_FILE, each with its own
 * connections on the ticker (at most --max-conns), and the revoke and
 * restore control commands that refuse one of them (403) while running.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "simx.h"

void
sim_accounts_init(struct sim *s)
{
	s->acct = kp_xcalloc(SIM_ACCOUNTS_MAX, sizeof(s->acct[0]));
	s->acct[0].key = kp_xstrdup(s->conf.api_key);
	s->acct[0].token = kp_xstrdup(s->conf.access_token);
	s->nacct = 1;
}

void
sim_account_add(struct sim *s, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char err[KP_ERRLEN], *tok;
	size_t kl;

	if (colon == NULL || colon == arg || colon[1] == '\0')
		kp_die(KP_EXIT_PERM, "--account: want KEY:TOKEN_FILE");
	kl = (size_t)(colon - arg);
	if (kl >= 64 || s->nacct == SIM_ACCOUNTS_MAX)
		kp_die(KP_EXIT_PERM, "--account: key too long, or more than "
		    "%d accounts", SIM_ACCOUNTS_MAX);
	tok = kp_conf_secret_file(colon + 1, err);
	if (tok == NULL)
		kp_die(KP_EXIT_PERM, "--account: %s", err);
	s->acct[s->nacct].key = kp_xmalloc(kl + 1);
	memcpy(s->acct[s->nacct].key, arg, kl);
	s->acct[s->nacct].key[kl] = '\0';
	if (sim_account_find(s, s->acct[s->nacct].key) >= 0)
		kp_die(KP_EXIT_PERM, "--account: key %s given twice",
		    s->acct[s->nacct].key);
	s->acct[s->nacct++].token = tok;
}

void
sim_accounts_free(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->nacct; i++) {
		free(s->acct[i].key);
		free(s->acct[i].token);
	}
	free(s->acct);
}

long
sim_account_find(const struct sim *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nacct; i++)
		if (s->acct[i].key != NULL && strcmp(s->acct[i].key, key) == 0)
			return (long)i;
	return -1;
}

long
sim_account_auth(const struct sim *s, const char *key, const char *token)
{
	long a = sim_account_find(s, key);

	if (a < 0 || strcmp(s->acct[a].token, token) != 0)
		return -1;
	return a;
}

int
sim_account_revoke(struct sim *s, const char *key, bool revoked)
{
	long a = sim_account_find(s, key);

	if (a < 0)
		return -1;
	s->acct[a].revoked = revoked;
	if (revoked)
		sim_ticker_drop_account(s, (int)a);
	return 0;
}

/* ,"accounts":[{"key":K,"revoked":B,"connections":N,"subscriptions":[..]}] */
void
sim_accounts_json(struct sim *s, struct kp_buf *b)
{
	size_t i;

	kp_buf_addstr(b, ",\"accounts\":[");
	for (i = 0; i < s->nacct; i++) {
		sim_kv_str(b, i ? ",{\"key\":" : "{\"key\":", s->acct[i].key);
		kp_buf_addstr(b, s->acct[i].revoked ? ",\"revoked\":true" :
		    ",\"revoked\":false");
		sim_ticker_account_json(s, (int)i, b);
		kp_buf_addc(b, '}');
	}
	kp_buf_addc(b, ']');
}
