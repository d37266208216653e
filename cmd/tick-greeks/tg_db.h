/*
 * tg_db.h: tick-greeks's instrument list from PostgreSQL (db.c).
 */
/* SPDX-License-Identifier: MIT */
#ifndef TG_DB_H
#define TG_DB_H

#include "kp.h"
#include "kp_instr.h"

/*
 * Read the active rows of instr-sync's table "instruments" from the
 * database conninfo names (a libpq connection string or URL; "" means
 * libpq's PG* variables) and call row for each one.  Return 0, or an exit
 * status with err filled: KP_EXIT_TEMP when the server cannot be reached
 * or the query fails, KP_EXIT_PERM when there is no instruments table or
 * it lacks a column (a database instr-sync never synced), or when row
 * fails (out of memory, KP_EXIT_TEMP).  err never holds the conninfo.
 * Rows with a bad value are reported with their instrument_token and
 * skipped; *bad counts them.
 */
int tg_db_load(const char *conninfo, kp_instr_row_fn row, void *arg,
    unsigned long *bad, char err[KP_ERRLEN]);

#endif
