/*
 * tginst.c: the line parsers of tick-greeks's instrument inputs (see
 * kp_tginst.h): instr-sync's NDJSON through jansson, the underlying map
 * by hand.
 */
/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kp.h"
#include "kp_instr.h"
#include "kp_tginst.h"

/* Strikes above this (in rupees) are not prices: 10^12. */
#define STRIKE_MAX 1e12

/* Without the line end ("\n", "\r\n"). */
static size_t
chomp(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	return len;
}

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

/* A string member (absent or null: "") into dst[cap]; 0 or -1. */
static int
str_member(json_t *o, const char *key, char *dst, size_t cap,
    char why[KP_TGINST_WHY])
{
	json_t *v = json_object_get(o, key);
	size_t n;

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(why, KP_TGINST_WHY, "%s: not a string", key);
		return -1;
	}
	n = json_string_length(v);
	if (n >= cap) {
		snprintf(why, KP_TGINST_WHY, "%s: longer than %zu bytes", key,
		    cap - 1);
		return -1;
	}
	/* json_loadb without JSON_ALLOW_NUL: no NUL inside */
	memcpy(dst, json_string_value(v), n + 1);
	return 0;
}

static int
strike_member(json_t *o, int64_t *strike, char why[KP_TGINST_WHY])
{
	json_t *v = json_object_get(o, "strike");
	double d;

	*strike = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (kp_instr_price(json_string_value(v), json_string_length(v),
		    strike) == 0)
			return 0;
	} else if (json_is_number(v)) {
		d = json_number_value(v);
		if (d >= 0 && d <= STRIKE_MAX) {
			*strike = llround(d * KP_INSTR_SCALE);
			return 0;
		}
	}
	snprintf(why, KP_TGINST_WHY, "strike: not a price >= 0");
	return -1;
}

static int
fields(json_t *o, struct kp_instr *in, char why[KP_TGINST_WHY])
{
	json_t *v = json_object_get(o, "instrument_token");
	const char *ty;

	if (v == NULL) {
		snprintf(why, KP_TGINST_WHY, "no instrument_token");
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > UINT32_MAX) {
		snprintf(why, KP_TGINST_WHY, "instrument_token: not an "
		    "integer 1..4294967295");
		return -1;
	}
	in->instrument_token = (uint32_t)json_integer_value(v);
	if (str_member(o, "tradingsymbol", in->tradingsymbol,
	    sizeof(in->tradingsymbol), why) < 0 ||
	    str_member(o, "name", in->name, sizeof(in->name), why) < 0 ||
	    str_member(o, "exchange", in->exchange, sizeof(in->exchange),
	    why) < 0 ||
	    str_member(o, "segment", in->segment, sizeof(in->segment),
	    why) < 0 ||
	    str_member(o, "expiry", in->expiry_str, sizeof(in->expiry_str),
	    why) < 0 ||
	    strike_member(o, &in->strike, why) < 0)
		return -1;
	in->expiry = KP_INSTR_NOEXP;
	if (in->expiry_str[0] != '\0' && kp_instr_date(in->expiry_str,
	    strlen(in->expiry_str), &in->expiry) < 0) {
		snprintf(why, KP_TGINST_WHY, "expiry: not a YYYY-MM-DD date");
		return -1;
	}
	v = json_object_get(o, "instrument_type");
	if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		snprintf(why, KP_TGINST_WHY, "instrument_type: not a string");
		return -1;
	}
	ty = json_is_string(v) ? json_string_value(v) : "";
	in->type = strcmp(ty, "CE") == 0 ? KP_INSTR_CE :
	    strcmp(ty, "PE") == 0 ? KP_INSTR_PE :
	    strcmp(ty, "FUT") == 0 ? KP_INSTR_FUT : KP_INSTR_EQ;
	return 0;
}

int
kp_tginst_ndjson(const char *line, size_t len, struct kp_instr *in,
    char why[KP_TGINST_WHY])
{
	json_error_t je;
	json_t *o;
	size_t i;
	int rc;

	memset(in, 0, sizeof(*in));
	why[0] = '\0';
	len = chomp(line, len);
	for (i = 0; i < len && (blank(line[i]) || line[i] == '\r'); i++)
		;
	if (i == len)
		return KP_TGINST_SKIP;
	o = json_loadb(line, len, 0, &je);
	if (o == NULL) {
		snprintf(why, KP_TGINST_WHY, "column %d: bad JSON: %.100s",
		    je.column, je.text);
		return -1;
	}
	if (!json_is_object(o)) {
		snprintf(why, KP_TGINST_WHY, "not a JSON object");
		rc = -1;
	} else {
		rc = fields(o, in, why);
	}
	json_decref(o);
	if (rc < 0)
		memset(in, 0, sizeof(*in));
	return rc;
}

int
kp_tginst_map(const char *line, size_t len, struct kp_tgmap *m,
    char why[KP_TGINST_WHY])
{
	size_t i = 0, start;
	uint64_t tok = 0;

	memset(m, 0, sizeof(*m));
	why[0] = '\0';
	len = chomp(line, len);
	while (i < len && blank(line[i]))
		i++;
	if (i == len || line[i] == '#')
		return KP_TGINST_SKIP;
	for (start = i; i < len && !blank(line[i]); i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
			snprintf(why, KP_TGINST_WHY, "column %zu: a control "
			    "character in the name", i + 1);
			return -1;
		}
		if (i - start >= KP_TGMAP_NAME_MAX) {
			snprintf(why, KP_TGINST_WHY, "column %zu: name longer "
			    "than %d bytes", i + 1, KP_TGMAP_NAME_MAX);
			return -1;
		}
	}
	memcpy(m->name, line + start, i - start);
	m->name[i - start] = '\0';
	while (i < len && blank(line[i]))
		i++;
	if (i == len || line[i] == '#') {
		snprintf(why, KP_TGINST_WHY, "column %zu: no token after the "
		    "name (want NAME TOKEN)", i + 1);
		return -1;
	}
	for (start = i; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		tok = tok * 10 + (uint64_t)(line[i] - '0');
		if (tok > UINT32_MAX) {
			snprintf(why, KP_TGINST_WHY, "column %zu: token over "
			    "4294967295", start + 1);
			return -1;
		}
	}
	if (i == start || (i < len && !blank(line[i]) && line[i] != '#')) {
		snprintf(why, KP_TGINST_WHY, "column %zu: the token is not "
		    "a number", i + 1);
		return -1;
	}
	if (tok == 0) {
		snprintf(why, KP_TGINST_WHY, "column %zu: token 0", start + 1);
		return -1;
	}
	while (i < len && blank(line[i]))
		i++;
	if (i < len && line[i] != '#') {
		snprintf(why, KP_TGINST_WHY, "column %zu: more after the "
		    "token (want NAME TOKEN)", i + 1);
		return -1;
	}
	m->token = (uint32_t)tok;
	return 0;
}
