/* subs.c: kite-stream's subscription list: arguments and -f FILE. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks.h"

static const char *const mode_names[] = { "ltp", "quote", "full" };

const char *
ks_mode_name(unsigned mode)
{
	return mode < 3 ? mode_names[mode] : "?";
}

int
ks_mode_parse(const char *s, size_t n)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		if (strlen(mode_names[i]) == n && memcmp(s, mode_names[i], n) == 0)
			return (int)i;
	return -1;
}

static int
cmp_token(const void *a, const void *b)
{
	const struct ks_sub *x = a, *y = b;

	return x->token < y->token ? -1 : x->token > y->token;
}

void
ks_subs_free(struct ks_subs *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Add token in mode; a token given twice keeps its last mode. */
void
ks_subs_put(struct ks_subs *s, uint32_t token, unsigned mode)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = kp_xrealloc(s->v, s->cap * sizeof(s->v[0]));
	}
	s->v[s->n].token = token;
	s->v[s->n].mode = (uint8_t)mode;
	s->n++;
}

/* Sort by token; of duplicates the last one given wins. */
void
ks_subs_sort(struct ks_subs *s)
{
	size_t i, j;

	/* qsort is not stable: number the entries so the last one wins */
	for (i = 0; i < s->n; i++)
		s->v[i].seq = (uint32_t)i;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_token);
	for (i = 0, j = 0; i < s->n; i++) {
		if (j > 0 && s->v[j - 1].token == s->v[i].token) {
			if (s->v[i].seq > s->v[j - 1].seq)
				s->v[j - 1] = s->v[i];
			continue;
		}
		s->v[j++] = s->v[i];
	}
	s->n = j;
}

/*
 * Parse "TOKEN" or "TOKEN:MODE" or "TOKEN MODE" (n bytes) with the
 * default mode dflt.  Return 0, or -1 with why filled.
 */
static int
parse_one(const char *p, size_t n, unsigned dflt, uint32_t *token,
    unsigned *mode, char *why, size_t whysz)
{
	char num[16];
	size_t k = 0;
	long long v;
	int m;

	while (k < n && p[k] >= '0' && p[k] <= '9')
		k++;
	if (k == 0 || k >= sizeof(num)) {
		snprintf(why, whysz, "not an instrument token");
		return -1;
	}
	memcpy(num, p, k);
	num[k] = '\0';
	if (kp_num_ll(num, 1, UINT32_MAX, &v) < 0) {
		snprintf(why, whysz, "token out of range");
		return -1;
	}
	*token = (uint32_t)v;
	*mode = dflt;
	if (k == n)
		return 0;
	if (p[k] != ':' && p[k] != ' ' && p[k] != '\t') {
		snprintf(why, whysz, "unexpected '%c' after the token", p[k]);
		return -1;
	}
	while (k < n && (p[k] == ':' || p[k] == ' ' || p[k] == '\t'))
		k++;
	m = ks_mode_parse(p + k, n - k);
	if (m < 0) {
		snprintf(why, whysz, "unknown mode '%.*s' (ltp, quote, full)",
		    (int)(n - k > 20 ? 20 : n - k), p + k);
		return -1;
	}
	*mode = (unsigned)m;
	return 0;
}

int
ks_subs_arg(struct ks_subs *s, const char *arg, unsigned dflt)
{
	char why[128];
	uint32_t token;
	unsigned mode;

	if (parse_one(arg, strlen(arg), dflt, &token, &mode, why,
	    sizeof(why)) < 0) {
		kp_log(KP_LOG_FATAL, "subscription '%s': %s", arg, why);
		return -1;
	}
	ks_subs_put(s, token, mode);
	ks_subs_sort(s);
	return 0;
}

int
ks_subs_file(struct ks_subs *s, const char *path, unsigned dflt)
{
	FILE *f = fopen(path, "re");
	char line[512], why[128];
	unsigned long lineno = 0;
	uint32_t token;
	unsigned mode;
	int bad = 0, c;

	if (f == NULL) {
		kp_log(KP_LOG_WARN, "unable to open %s:", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, "#\r\n"), b = 0;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			kp_log(KP_LOG_WARN, "%s:%lu: line too long", path,
			    lineno);
			bad = 1;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		while (b < n && (line[b] == ' ' || line[b] == '\t'))
			b++;
		while (n > b && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (n == b)
			continue;
		if (parse_one(line + b, n - b, dflt, &token, &mode, why,
		    sizeof(why)) < 0) {
			kp_log(KP_LOG_WARN, "%s:%lu: %s", path, lineno, why);
			bad = 1;
			continue;
		}
		ks_subs_put(s, token, mode);
		if (s->n > KS_SUBS_MAX) {
			kp_log(KP_LOG_WARN, "%s: more than %u tokens", path,
			    KS_SUBS_MAX);
			fclose(f);
			return -1;
		}
	}
	if (ferror(f)) {
		kp_log(KP_LOG_WARN, "unable to read %s:", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	ks_subs_sort(s);
	return bad ? -1 : 0;
}

long
ks_subs_find(const struct ks_subs *s, uint32_t token)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].token == token)
			return (long)mid;
		if (s->v[mid].token < token)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
ks_subs_load(const struct ks_opts *o, struct ks_subs *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	if (o->subs_path != NULL && ks_subs_file(s, o->subs_path,
	    o->default_mode) < 0)
		return -1;
	for (i = 0; i < o->ntokens; i++)
		if (ks_subs_arg(s, o->tokens[i], o->default_mode) < 0)
			return -1;
	return 0;
}
