/*
 * kp_pg.h: what the programs that write PostgreSQL share (libpq): one
 * statement run and checked, and numbered schema migrations recorded in a
 * version table.  The part of libkp that needs libpq.
 * SPDX-License-Identifier: MIT
 */
#ifndef KP_PG_H
#define KP_PG_H

#include <stddef.h>

#include <libpq-fe.h>

/*
 * Run sql, with one text parameter $1 when param is not NULL (then one
 * statement only; without it, PQexec, which takes several).  Return 0
 * with the result in *out when out is not NULL (PQclear it), or log
 * "WHAT: the server's message" at fatal and return -1.
 */
int kp_pg_exec(PGconn *c, const char *sql, const char *param,
    const char *what, PGresult **out);

/* Row 0's column col of a result, as an integer. */
long long kp_pg_val(PGresult *r, int col);

/* The statements of one schema version, up to a NULL. */
#define KP_PG_STEPS 8

/*
 * Bring the schema up to version n: the table `table` (created when
 * missing) records each version applied; version v is steps[v - 1]'s
 * statements.  Call it inside the caller's transaction.  Return 0;
 * KP_EXIT_PERM when the database is at a version newer than n (prog
 * names who is too old); KP_EXIT_TEMP when a statement fails.
 */
int kp_pg_migrate(PGconn *c, const char *table, const char *prog,
    const char *const (*steps)[KP_PG_STEPS], size_t n);

#endif
