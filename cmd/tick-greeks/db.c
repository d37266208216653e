/*
 * db.c: the instrument list from PostgreSQL, in the schema instr-sync(1)
 * writes: the active rows of "instruments", in one query (about 120,000
 * rows for all of Kite's exchanges, a few MB of result).  A connection
 * per load: a reload happens on SIGHUP only.
 */
/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_instr.h"
#include "tg_db.h"

/* Seconds to wait for the server when PGCONNECT_TIMEOUT is not set (and
 * the conninfo does not say): a reload must not hang the stream. */
#define CONNECT_TIMEOUT "10"

enum { Q_TOKEN, Q_SYM, Q_NAME, Q_EXCH, Q_EXPIRY, Q_STRIKE, Q_TYPE, Q_N };

#define QUERY "SELECT instrument_token, tradingsymbol, name, exchange," \
	" coalesce(to_char(expiry, 'YYYY-MM-DD'), ''), strike," \
	" instrument_type FROM instruments WHERE active"

/* The first line of a libpq message, without its "ERROR:" habits. */
static void
first_line(char *dst, size_t n, const char *what, const char *msg)
{
	size_t len;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	len = strcspn(msg, "\n");
	snprintf(dst, n, "%s: %.*s", what, (int)len, msg);
}

/* Copy a column that must fit; return 0 or -1. */
static int
col(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* One row of the result into in; return NULL or why it is bad. */
static const char *
convert(PGresult *r, int i, struct kp_instr *in)
{
	const char *v;
	long long tok;
	size_t len;

	memset(in, 0, sizeof(*in));
	in->line = (uint64_t)i + 1;
	if (kp_num_ll(PQgetvalue(r, i, Q_TOKEN), 1, UINT32_MAX, &tok) < 0)
		return "bad instrument_token";
	in->instrument_token = (uint32_t)tok;
	if (col(in->tradingsymbol, sizeof(in->tradingsymbol),
	    PQgetvalue(r, i, Q_SYM), (size_t)PQgetlength(r, i, Q_SYM)) < 0)
		return "tradingsymbol too long";
	if (col(in->name, sizeof(in->name), PQgetvalue(r, i, Q_NAME),
	    (size_t)PQgetlength(r, i, Q_NAME)) < 0)
		return "name too long";
	if (col(in->exchange, sizeof(in->exchange), PQgetvalue(r, i, Q_EXCH),
	    (size_t)PQgetlength(r, i, Q_EXCH)) < 0)
		return "exchange too long";
	v = PQgetvalue(r, i, Q_EXPIRY);
	len = (size_t)PQgetlength(r, i, Q_EXPIRY);
	in->expiry = KP_INSTR_NOEXP;
	if (len > 0 && (col(in->expiry_str, sizeof(in->expiry_str), v,
	    len) < 0 || kp_instr_date(v, len, &in->expiry) < 0))
		return "bad expiry";
	if (PQgetisnull(r, i, Q_STRIKE) || kp_instr_price(PQgetvalue(r, i,
	    Q_STRIKE), (size_t)PQgetlength(r, i, Q_STRIKE), &in->strike) < 0)
		return "bad strike";
	v = PQgetvalue(r, i, Q_TYPE);
	in->type = strcmp(v, "CE") == 0 ? KP_INSTR_CE :
	    strcmp(v, "PE") == 0 ? KP_INSTR_PE :
	    strcmp(v, "FUT") == 0 ? KP_INSTR_FUT : KP_INSTR_EQ;
	if (in->type != KP_INSTR_EQ && in->expiry == KP_INSTR_NOEXP)
		return "no expiry";
	return NULL;
}

int
tg_db_load(const char *conninfo, kp_instr_row_fn row, void *arg,
    unsigned long *bad, char err[KP_ERRLEN])
{
	const char *kw[3], *val[3], *why, *state;
	struct kp_instr in;
	PGconn *c;
	PGresult *r;
	int k = 0, i, n, rc = 0;

	*bad = 0;
	if (kp_env("PGCONNECT_TIMEOUT") == NULL) {
		kw[k] = "connect_timeout";
		val[k++] = CONNECT_TIMEOUT;
	}
	/* dbname first-expanded: what conninfo says overrides the above */
	kw[k] = "dbname";
	val[k++] = conninfo;
	kw[k] = NULL;
	val[k] = NULL;
	c = PQconnectdbParams(kw, val, 1);
	if (c == NULL) {
		snprintf(err, KP_ERRLEN, "PostgreSQL: out of memory");
		return KP_EXIT_TEMP;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		first_line(err, KP_ERRLEN, "PostgreSQL", PQerrorMessage(c));
		PQfinish(c);
		return KP_EXIT_TEMP;
	}
	PQsetNoticeProcessor(c, NULL, NULL);
	r = PQexec(c, QUERY);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		why = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		first_line(err, KP_ERRLEN, "PostgreSQL", why ? why :
		    PQerrorMessage(c));
		/* 42P01 undefined_table, 42703 undefined_column: not a
		 * database instr-sync wrote (retrying will not help) */
		rc = state && (strcmp(state, "42P01") == 0 ||
		    strcmp(state, "42703") == 0) ? KP_EXIT_PERM : KP_EXIT_TEMP;
		if (rc == KP_EXIT_PERM && strlen(err) + 40 < KP_ERRLEN)
			strcat(err, " (run instr-sync --sync first?)");
		PQclear(r);
		PQfinish(c);
		return rc;
	}
	n = PQntuples(r);
	for (i = 0; i < n && rc == 0; i++) {
		if ((why = convert(r, i, &in)) != NULL) {
			if ((*bad)++ < 10)
				kp_warn("instruments: row instrument_token=%s: "
				    "%s, skipped", PQgetvalue(r, i, Q_TOKEN),
				    why);
			continue;
		}
		if (row(arg, &in) != 0) {
			snprintf(err, KP_ERRLEN, "out of memory");
			rc = KP_EXIT_TEMP;
		}
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}
