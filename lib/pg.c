/*
 * pg.c: a statement run and checked, and schema migrations, for the
 * programs that write PostgreSQL (instr-sync, book-sync).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>

#include "kp.h"
#include "kp_pg.h"

int
kp_pg_exec(PGconn *c, const char *sql, const char *param, const char *what,
    PGresult **out)
{
	PGresult *r = param != NULL ? PQexecParams(c, sql, 1, NULL, &param,
	    NULL, NULL, 0) : PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	const char *m;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		kp_log(KP_LOG_FATAL, "%s: %s", what, m != NULL ? m :
		    PQerrorMessage(c));
		PQclear(r);
		return -1;
	}
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return 0;
}

long long
kp_pg_val(PGresult *r, int col)
{
	return atoll(PQgetvalue(r, 0, col));
}

int
kp_pg_migrate(PGconn *c, const char *table, const char *prog,
    const char *const (*steps)[KP_PG_STEPS], size_t n)
{
	char sql[256], what[96];
	PGresult *r;
	long long have;
	size_t i, j;

	snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s (version "
	    "integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT "
	    "now())", table);
	snprintf(what, sizeof what, "create %s", table);
	if (kp_pg_exec(c, sql, NULL, what, NULL) < 0)
		return KP_EXIT_TEMP;
	snprintf(sql, sizeof sql, "SELECT coalesce(max(version), 0) FROM %s",
	    table);
	snprintf(what, sizeof what, "read %s", table);
	if (kp_pg_exec(c, sql, NULL, what, &r) < 0)
		return KP_EXIT_TEMP;
	have = kp_pg_val(r, 0);
	PQclear(r);
	if (have > (long long)n) {
		kp_log(KP_LOG_FATAL, "the database schema is version %lld, "
		    "newer than this %s knows (%zu)", have, prog, n);
		return KP_EXIT_PERM;
	}
	for (i = (size_t)have; i < n; i++) {
		kp_debug("migrating the schema to version %zu", i + 1);
		for (j = 0; j < KP_PG_STEPS && steps[i][j] != NULL; j++)
			if (kp_pg_exec(c, steps[i][j], NULL, "migration",
			    NULL) < 0)
				return KP_EXIT_TEMP;
		snprintf(sql, sizeof sql, "INSERT INTO %s (version) VALUES "
		    "(%zu)", table, i + 1);
		if (kp_pg_exec(c, sql, NULL, "record migration", NULL) < 0)
			return KP_EXIT_TEMP;
	}
	return 0;
}
