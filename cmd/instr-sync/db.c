/*
 * db.c: the PostgreSQL sync.  The whole list is parsed first (into COPY
 * text), then one transaction: an advisory lock (concurrent runs queue or,
 * with --no-wait, fail), migrations, COPY into a temporary table, counts,
 * an upsert of the rows that differ, vanished rows marked inactive, and a
 * sync_runs row.  Readers see the old table until COMMIT.  Before any
 * change the run is checked against its bounds (rejected rows against
 * --allow-bad, rows to deactivate against --max-deactivate): a list cut
 * short must not empty the table.  A refused run changes nothing but
 * its sync_runs row (refused says why).
 *
 * The table is keyed by instrument_token, as ticks are: when Kite reuses
 * a token for a new contract (kite-connect.md 2.6), the row is updated,
 * first_seen restarts and the run counts it as "reused".
 */
/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "is.h"
#include "kp_pg.h"

/* Any constant: the key of the advisory lock every instr-sync takes. */
#define LOCK_KEY "7311947602145260391"

/* Migrations, in order; schema_version holds how many are applied. */
static const char *const migrations[][KP_PG_STEPS] = {
	/* 1 */ {
	"CREATE TABLE instruments ("
	" instrument_token bigint PRIMARY KEY,"
	" exchange_token bigint NOT NULL,"
	" tradingsymbol text NOT NULL,"
	" name text NOT NULL,"
	" last_price numeric(20,4) NOT NULL,"
	" expiry date,"
	" strike numeric(20,4) NOT NULL,"
	" tick_size numeric(20,4) NOT NULL,"
	" lot_size bigint NOT NULL,"
	" instrument_type text NOT NULL,"
	" segment text NOT NULL,"
	" exchange text NOT NULL,"
	" active boolean NOT NULL DEFAULT true,"
	" first_seen timestamptz NOT NULL DEFAULT now(),"
	" last_seen timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now());"
	"CREATE INDEX instruments_symbol ON instruments"
	" (exchange, tradingsymbol);"
	"CREATE INDEX instruments_name ON instruments (name, expiry)"
	" WHERE active;"
	"CREATE TABLE sync_runs ("
	" id bigserial PRIMARY KEY,"
	" started timestamptz NOT NULL,"
	" finished timestamptz NOT NULL DEFAULT clock_timestamp(),"
	" source text NOT NULL,"
	" rows bigint NOT NULL, bad bigint NOT NULL,"
	" added bigint NOT NULL, changed bigint NOT NULL,"
	" reused bigint NOT NULL, deactivated bigint NOT NULL,"
	" unchanged bigint NOT NULL, duration_ms bigint NOT NULL,"
	" dry_run boolean NOT NULL);" },
	/* 2: why a run was refused ('rejected rows', 'deactivate'), or
	 * NULL when it was applied */
	{ "ALTER TABLE sync_runs ADD COLUMN refused text;" },
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

#define COLS "instrument_token, exchange_token, tradingsymbol, name, " \
	"last_price, expiry, strike, tick_size, lot_size, instrument_type, " \
	"segment, exchange"

/* Text-format COPY: backslash, tab, newline and CR escaped. */
static void
copy_text(struct kp_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': kp_buf_add(b, "\\\\", 2); break;
		case '\t': kp_buf_add(b, "\\t", 2); break;
		case '\n': kp_buf_add(b, "\\n", 2); break;
		case '\r': kp_buf_add(b, "\\r", 2); break;
		default: kp_buf_addc(b, *s); break;
		}
	}
}

static void
copy_num(struct kp_buf *b, int64_t v, unsigned dec)
{
	char *p = kp_buf_room(b, KP_FMT_ROOM);

	if (p != NULL)
		b->len += (size_t)(kp_fmt_fixed(p, v, dec) - p);
}

int
is_sync_row(struct is_sink *s, const struct kp_instr *in)
{
	struct kp_buf *b = &s->copy;
	size_t before = b->len;

	if (s->o->exchange && strcmp(s->o->exchange, in->exchange) != 0)
		return 0;
	copy_num(b, in->instrument_token, 0);
	kp_buf_addc(b, '\t');
	copy_num(b, in->exchange_token, 0);
	kp_buf_addc(b, '\t');
	copy_text(b, in->tradingsymbol);
	kp_buf_addc(b, '\t');
	copy_text(b, in->name);
	kp_buf_addc(b, '\t');
	copy_num(b, in->last_price, KP_INSTR_DEC);
	kp_buf_addc(b, '\t');
	kp_buf_addstr(b, in->expiry == KP_INSTR_NOEXP ? "\\N" :
	    in->expiry_str);
	kp_buf_addc(b, '\t');
	copy_num(b, in->strike, KP_INSTR_DEC);
	kp_buf_addc(b, '\t');
	copy_num(b, in->tick_size, KP_INSTR_DEC);
	kp_buf_addc(b, '\t');
	copy_num(b, in->lot_size, 0);
	kp_buf_addc(b, '\t');
	kp_buf_addstr(b, kp_instr_type_name(in->type));
	kp_buf_addc(b, '\t');
	copy_text(b, in->segment);
	kp_buf_addc(b, '\t');
	copy_text(b, in->exchange);
	kp_buf_addc(b, '\t');
	copy_num(b, (int64_t)in->line, 0);
	if (kp_buf_addc(b, '\n') < 0) {
		b->len = before;
		kp_log(KP_LOG_FATAL, "the list is too big (over %zu bytes)",
		    b->max);
		return -1;
	}
	if (s->ntoks == s->captoks) {
		s->captoks = s->captoks ? 2 * s->captoks : 4096;
		s->toks = kp_xrealloc(s->toks, s->captoks * sizeof *s->toks);
	}
	s->toks[s->ntoks++] = in->instrument_token;
	s->out_rows++;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether a token is listed more than once. */
static int
has_dups(struct is_sink *s)
{
	size_t i;

	qsort(s->toks, s->ntoks, sizeof *s->toks, cmp_u32);
	for (i = 1; i < s->ntoks; i++)
		if (s->toks[i] == s->toks[i - 1])
			return 1;
	return 0;
}

static int
copy_in(PGconn *c, const struct kp_buf *b)
{
	PGresult *r;
	size_t off, n;

	r = PQexec(c, "COPY instr_new (" COLS ", line) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		kp_log(KP_LOG_FATAL, "COPY: %s", PQerrorMessage(c));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	for (off = 0; off < b->len; off += n) {
		n = b->len - off > (1 << 20) ? (1 << 20) : b->len - off;
		if (PQputCopyData(c, b->p + off, (int)n) != 1) {
			kp_log(KP_LOG_FATAL, "COPY: %s", PQerrorMessage(c));
			return -1;
		}
	}
	if (PQputCopyEnd(c, NULL) != 1) {
		kp_log(KP_LOG_FATAL, "COPY: %s", PQerrorMessage(c));
		return -1;
	}
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			kp_log(KP_LOG_FATAL, "COPY: %s",
			    PQresultErrorMessage(r));
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	return 0;
}

/* A row of instr_new differs from the table's (or the table's is
 * inactive). */
#define DIFFERS "(i.exchange_token, i.tradingsymbol, i.name, i.last_price," \
	" i.expiry, i.strike, i.tick_size, i.lot_size, i.instrument_type," \
	" i.segment, i.exchange, i.active) IS DISTINCT FROM" \
	" (n.exchange_token, n.tradingsymbol, n.name, n.last_price," \
	" n.expiry, n.strike, n.tick_size, n.lot_size, n.instrument_type," \
	" n.segment, n.exchange, true)"
#define REUSED "(i.exchange, i.tradingsymbol) IS DISTINCT FROM" \
	" (n.exchange, n.tradingsymbol)"

static const char sql_counts[] =
	"SELECT count(*) FILTER (WHERE i.instrument_token IS NULL),"
	" count(*) FILTER (WHERE i.instrument_token IS NOT NULL AND " REUSED
	"),"
	" count(*) FILTER (WHERE i.instrument_token IS NOT NULL AND NOT "
	REUSED " AND " DIFFERS "),"
	" count(*) FILTER (WHERE i.instrument_token IS NOT NULL AND NOT "
	DIFFERS ")"
	" FROM instr_uniq n LEFT JOIN instruments i USING (instrument_token)";

static const char sql_upsert[] =
	"INSERT INTO instruments AS i (" COLS ")"
	" SELECT n.instrument_token, n.exchange_token, n.tradingsymbol,"
	" n.name, n.last_price, n.expiry, n.strike, n.tick_size, n.lot_size,"
	" n.instrument_type, n.segment, n.exchange"
	" FROM instr_uniq n LEFT JOIN instruments i USING (instrument_token)"
	" WHERE i.instrument_token IS NULL OR " DIFFERS
	" ON CONFLICT (instrument_token) DO UPDATE SET"
	" exchange_token = EXCLUDED.exchange_token,"
	" tradingsymbol = EXCLUDED.tradingsymbol, name = EXCLUDED.name,"
	" last_price = EXCLUDED.last_price, expiry = EXCLUDED.expiry,"
	" strike = EXCLUDED.strike, tick_size = EXCLUDED.tick_size,"
	" lot_size = EXCLUDED.lot_size,"
	" instrument_type = EXCLUDED.instrument_type,"
	" segment = EXCLUDED.segment, exchange = EXCLUDED.exchange,"
	" active = true, updated_at = now(), last_seen = now(),"
	" first_seen = CASE WHEN (i.exchange, i.tradingsymbol) IS DISTINCT"
	" FROM (EXCLUDED.exchange, EXCLUDED.tradingsymbol) THEN now()"
	" ELSE i.first_seen END"
	" WHERE (i.exchange_token, i.tradingsymbol, i.name, i.last_price,"
	" i.expiry, i.strike, i.tick_size, i.lot_size, i.instrument_type,"
	" i.segment, i.exchange, i.active) IS DISTINCT FROM"
	" (EXCLUDED.exchange_token, EXCLUDED.tradingsymbol, EXCLUDED.name,"
	" EXCLUDED.last_price, EXCLUDED.expiry, EXCLUDED.strike,"
	" EXCLUDED.tick_size, EXCLUDED.lot_size, EXCLUDED.instrument_type,"
	" EXCLUDED.segment, EXCLUDED.exchange, true)";

/* A token listed twice: the first row counts, the others are bad. */
/*
 * The new list's tokens, indexed: the joins and the NOT EXISTS that marks
 * vanished rows then never fall back to a nested loop over 120,000 x
 * 120,000 rows, whatever the planner estimates (seen in the bench).
 */
#define UNIQ_INDEX "CREATE INDEX ON instr_uniq (instrument_token)"

static int
dedup(PGconn *c, long long cnt[6])
{
	PGresult *r;
	int i;

	if (kp_pg_exec(c, "CREATE TEMP TABLE instr_uniq ON COMMIT DROP AS"
	    " SELECT DISTINCT ON (instrument_token) * FROM instr_new"
	    " ORDER BY instrument_token, line", NULL, "dedup", NULL) < 0 ||
	    kp_pg_exec(c, UNIQ_INDEX, NULL, "index", NULL) < 0 ||
	    kp_pg_exec(c, "ANALYZE instr_uniq", NULL, "analyze", NULL) < 0)
		return KP_EXIT_TEMP;
	if (kp_pg_exec(c, "SELECT n.line, n.instrument_token FROM instr_new n"
	    " JOIN instr_uniq u USING (instrument_token)"
	    " WHERE n.line <> u.line ORDER BY n.line LIMIT 100", NULL,
	    "duplicates", &r) < 0)
		return KP_EXIT_TEMP;
	for (i = 0; i < PQntuples(r); i++)
		kp_warn("line %s: instrument_token %s listed again; the "
		    "first row counts", PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 1));
	PQclear(r);
	if (kp_pg_exec(c, "SELECT (SELECT count(*) FROM instr_new) -"
	    " (SELECT count(*) FROM instr_uniq)", NULL, "duplicates", &r) < 0)
		return KP_EXIT_TEMP;
	cnt[5] = kp_pg_val(r, 0);
	PQclear(r);
	return 0;
}

/* BEGIN, the lock, migrations, and the list into instr_uniq. */
static int
load(PGconn *c, struct is_sink *s, long long cnt[6])
{
	const struct is_opts *o = s->o;
	PGresult *r;
	int rc;

	if (kp_pg_exec(c, "BEGIN", NULL, "BEGIN", NULL) < 0)
		return KP_EXIT_TEMP;
	if (o->no_wait) {
		if (kp_pg_exec(c, "SELECT pg_try_advisory_xact_lock(" LOCK_KEY ")", NULL,
		    "lock", &r) < 0)
			return KP_EXIT_TEMP;
		rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		PQclear(r);
		if (!rc) {
			kp_log(KP_LOG_FATAL, "another instr-sync is running "
			    "(--no-wait)");
			return KP_EXIT_TEMP;
		}
	} else if (kp_pg_exec(c, "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", NULL,
	    "lock", NULL) < 0) {
		return KP_EXIT_TEMP;
	}
	if ((rc = kp_pg_migrate(c, "schema_version", "instr-sync",
	    migrations, NMIGRATIONS)) != 0)
		return rc;
	if (kp_pg_exec(c, "CREATE TEMP TABLE instr_new ("
	    " instrument_token bigint, exchange_token bigint,"
	    " tradingsymbol text, name text, last_price numeric(20,4),"
	    " expiry date, strike numeric(20,4), tick_size numeric(20,4),"
	    " lot_size bigint, instrument_type text, segment text,"
	    " exchange text, line bigint) ON COMMIT DROP", NULL,
	    "create temp table", NULL) < 0 || copy_in(c, &s->copy) < 0)
		return KP_EXIT_TEMP;
	if (has_dups(s))
		return dedup(c, cnt);
	/* the usual case: the list is its own set of tokens */
	cnt[5] = 0;
	if (kp_pg_exec(c, "ALTER TABLE instr_new RENAME TO instr_uniq", NULL,
	    "rename", NULL) < 0 ||
	    kp_pg_exec(c, UNIQ_INDEX, NULL, "index", NULL) < 0 ||
	    kp_pg_exec(c, "ANALYZE instr_uniq", NULL, "analyze", NULL) < 0)
		return KP_EXIT_TEMP;
	return 0;
}

/* " AND exchange = 'X'" with -x, else "" (PQfreemem it when not ""). */
static char *
scope(PGconn *c, const struct is_opts *o, char *buf, size_t cap)
{
	char *ex;

	buf[0] = 0;
	if (o->exchange == NULL)
		return buf;
	ex = PQescapeLiteral(c, o->exchange, strlen(o->exchange));
	if (ex != NULL) {
		snprintf(buf, cap, " AND exchange = %s", ex);
		PQfreemem(ex);
	}
	return buf;
}

/*
 * Count the changes (cnt[0..3]) and the active rows in scope, and those
 * of them the list lacks (cnt[4]: what would be marked inactive).  Return
 * NULL, or why the run is refused (after saying so on one line).
 */
static const char *
bounds(PGconn *c, struct is_sink *s, uint64_t bad, long long cnt[6],
    int *rc)
{
	const struct is_opts *o = s->o;
	uint64_t rejected = bad + (uint64_t)cnt[5];
	long long active;
	PGresult *r;
	char sql[512], sc[128];
	int i;

	*rc = KP_EXIT_TEMP;
	if (kp_pg_exec(c, sql_counts, NULL, "count changes", &r) < 0)
		return "";
	for (i = 0; i < 4; i++)
		cnt[i] = kp_pg_val(r, i);
	PQclear(r);
	snprintf(sql, sizeof sql, "SELECT count(*), count(*) FILTER (WHERE"
	    " NOT EXISTS (SELECT 1 FROM instr_uniq n WHERE"
	    " n.instrument_token = i.instrument_token))"
	    " FROM instruments i WHERE active%s",
	    scope(c, o, sc, sizeof sc));
	if (kp_pg_exec(c, sql, NULL, "count active rows", &r) < 0)
		return "";
	active = kp_pg_val(r, 0);
	cnt[4] = bad > 0 ? 0 : kp_pg_val(r, 1);
	PQclear(r);
	*rc = 0;
	if (rejected > (uint64_t)o->allow_bad) {
		kp_log(KP_LOG_FATAL, "refusing the sync: %llu rejected row%s, "
		    "over --allow-bad %lld; nothing committed",
		    (unsigned long long)rejected, rejected == 1 ? "" : "s",
		    o->allow_bad);
		return "rejected rows";
	}
	if ((double)cnt[4] * 100 > o->max_deactivate * (double)active) {
		kp_log(KP_LOG_FATAL, "refusing the sync: it would mark %lld of "
		    "%lld active instruments inactive (%.1f%%), over the bound "
		    "of %g%% (--max-deactivate); nothing committed", cnt[4],
		    active, (double)cnt[4] * 100 / (double)active,
		    o->max_deactivate);
		return "deactivate";
	}
	return NULL;
}

/* The upsert, and vanished rows marked inactive (none when rows were
 * rejected: they may be the ones missing). */
static int
apply(PGconn *c, const struct is_opts *o, uint64_t bad, long long cnt[6])
{
	PGresult *r;
	char sql[1024], sc[128];

	if (kp_pg_exec(c, sql_upsert, NULL, "upsert", NULL) < 0)
		return KP_EXIT_TEMP;
	if (bad > 0) {
		kp_warn("%llu bad rows: nothing is marked inactive this run",
		    (unsigned long long)bad);
		return 0;
	}
	snprintf(sql, sizeof sql, "UPDATE instruments i SET"
	    " active = false, updated_at = now(), last_seen ="
	    " coalesce((SELECT max(started) FROM sync_runs WHERE"
	    " NOT dry_run AND refused IS NULL), i.last_seen)"
	    " WHERE active%s AND NOT EXISTS (SELECT 1 FROM"
	    " instr_uniq n WHERE n.instrument_token ="
	    " i.instrument_token)", scope(c, o, sc, sizeof sc));
	if (kp_pg_exec(c, sql, NULL, "deactivate", &r) < 0)
		return KP_EXIT_TEMP;
	cnt[4] = atoll(PQcmdTuples(r));
	PQclear(r);
	return 0;
}

/* Record the run (refused: why, or NULL) and end the transaction. */
static int
record(PGconn *c, struct is_sink *s, const char *source, uint64_t bad,
    long long cnt[6], int64_t t0, const char *refused)
{
	const struct is_opts *o = s->o;
	char sql[1024], *esc;

	esc = PQescapeLiteral(c, source, strlen(source));
	snprintf(sql, sizeof sql, "INSERT INTO sync_runs (started, source,"
	    " rows, bad, added, changed, reused, deactivated, unchanged,"
	    " duration_ms, dry_run, refused) VALUES (to_timestamp(%.6f), %s,"
	    " %llu, %llu, %lld, %lld, %lld, %lld, %lld, %lld, %s, %s%s%s)",
	    (double)t0 / 1e6, esc ? esc : "'?'",
	    (unsigned long long)s->out_rows,
	    (unsigned long long)(bad + (uint64_t)cnt[5]), cnt[0], cnt[2],
	    cnt[1], cnt[4], cnt[3], (long long)((kp_time_us() - t0) / 1000),
	    o->dry_run ? "true" : "false", refused ? "'" : "",
	    refused ? refused : "NULL", refused ? "'" : "");
	PQfreemem(esc);
	if (kp_pg_exec(c, sql, NULL, "record the run", NULL) < 0)
		return KP_EXIT_TEMP;
	if (kp_pg_exec(c, o->dry_run ? "ROLLBACK" : "COMMIT", NULL,
	    o->dry_run ? "ROLLBACK" : "COMMIT", NULL) < 0)
		return KP_EXIT_TEMP;
	return 0;
}

/* One transaction; return an exit code, *refused set when the bounds
 * refused the run. */
static int
txn(PGconn *c, struct is_sink *s, const char *source, uint64_t bad,
    long long cnt[6], int64_t t0, int *refused)
{
	const char *why;
	int rc;

	if ((rc = load(c, s, cnt)) != 0)
		return rc;
	why = bounds(c, s, bad, cnt, &rc);
	if (rc != 0)
		return rc;
	*refused = why != NULL;
	if (why == NULL && (rc = apply(c, s->o, bad, cnt)) != 0)
		return rc;
	return record(c, s, source, bad, cnt, t0, why);
}

int
is_sync(struct is_sink *s, const char *source, uint64_t bad)
{
	const struct is_opts *o = s->o;
	int64_t t0 = kp_time_us();
	long long cnt[6] = { 0 };
	PGconn *c;
	int rc, refused = 0;

	if (s->out_rows == 0) {
		kp_log(KP_LOG_FATAL, "the list has no good rows; the database "
		    "is left as it was");
		return bad > 0 ? KP_EXIT_REJECTED : KP_EXIT_PERM;
	}
	c = PQconnectdb(o->db ? o->db : kp_env("DATABASE_URL") ?
	    kp_env("DATABASE_URL") : "");
	if (PQstatus(c) != CONNECTION_OK) {
		char *e = PQerrorMessage(c), *nl = strchr(e, '\n');

		if (nl != NULL)
			*nl = 0;
		kp_log(KP_LOG_FATAL, "PostgreSQL: %s", e);
		PQfinish(c);
		return KP_EXIT_TEMP;
	}
	PQsetNoticeProcessor(c, NULL, NULL);
	kp_pg_exec(c, "SET client_min_messages = warning", NULL, "set", NULL);
	rc = txn(c, s, source, bad, cnt, t0, &refused);
	PQfinish(c);
	memcpy(s->cnt, cnt, sizeof s->cnt);
	if (rc != 0)
		return rc;
	if (refused)
		return KP_EXIT_REJECTED;
	/* cron: silent on success unless -v; a dry run or rejected rows
	 * always print the summary */
	if (o->dry_run || kp_log_get_level() >= KP_LOG_DEBUG ||
	    bad + (uint64_t)cnt[5] > 0) {
		char line[512];
		int n = snprintf(line, sizeof line, "%s: info: %ssynced "
		    "rows=%llu bad=%llu added=%lld changed=%lld reused=%lld "
		    "deactivated=%lld unchanged=%lld ms=%lld\n", IS_PROG,
		    o->dry_run ? "dry run, nothing committed: " : "",
		    (unsigned long long)s->out_rows,
		    (unsigned long long)(bad + (uint64_t)cnt[5]), cnt[0],
		    cnt[2], cnt[1], cnt[4], cnt[3],
		    (long long)((kp_time_us() - t0) / 1000));

		if (n > 0 && (size_t)n < sizeof line)
			kp_log_raw(line, (size_t)n);
	}
	return cnt[5] > 0 ? KP_EXIT_REJECTED : KP_EXIT_OK;
}
