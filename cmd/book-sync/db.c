/*
 * db.c: the book in PostgreSQL.  One transaction per run: an advisory
 * lock (runs queue), then per table an upsert of the fetched records that
 * differ from the stored ones (a record is stored whole as jsonb `data`;
 * the typed columns are generated from it), the positions, holdings and
 * margins that are no longer in Kite's answer deleted (orders and trades
 * are kept: /orders is only today's book), and a book_runs row.  A run
 * that changes nothing leaves every row's updated_at as it was.  Readers
 * see the old book until COMMIT; a run killed before it leaves the old
 * book (KP_BOOK_SYNC_CRASH_AT=commit kills it there, for the tests).
 * The schema is created and migrated by the program; book_schema_version
 * holds how many migrations are applied.
 */
/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "kp_pg.h"

/* Any constant: the key of the advisory lock every book-sync takes. */
#define LOCK_KEY "4471002519376481029"

#define T(c) " " #c " text GENERATED ALWAYS AS (data->>'" #c "') STORED,"
#define N(c) " " #c " numeric GENERATED ALWAYS AS" \
	" ((data->>'" #c "')::numeric) STORED,"
#define N2(o, c) " " #c " numeric GENERATED ALWAYS AS" \
	" ((data->'" #o "'->>'" #c "')::numeric) STORED,"
#define STAMPS " first_seen timestamptz NOT NULL DEFAULT now()," \
	" updated_at timestamptz NOT NULL DEFAULT now()"

/* Migrations, in order, each a few statements. */
static const char *const migrations[][KP_PG_STEPS] = {
	/* 1 */ {
	"CREATE TABLE book_orders ("
	" order_id text PRIMARY KEY, data jsonb NOT NULL,"
	" source text NOT NULL DEFAULT 'rest',"
	T(status) T(exchange) T(tradingsymbol) T(transaction_type)
	T(product) T(order_type) T(variety) T(validity) T(tag)
	N(instrument_token) N(quantity) N(filled_quantity)
	N(pending_quantity) N(cancelled_quantity) N(price) N(trigger_price)
	N(average_price) T(order_timestamp) T(exchange_update_timestamp)
	STAMPS ");",
	"CREATE TABLE book_trades ("
	" order_id text NOT NULL, trade_id text NOT NULL,"
	" data jsonb NOT NULL,"
	T(exchange) T(tradingsymbol) T(transaction_type) T(product)
	N(instrument_token) N(quantity) N(average_price) T(fill_timestamp)
	STAMPS ", PRIMARY KEY (order_id, trade_id));",
	"CREATE TABLE book_positions ("
	" kind text NOT NULL CHECK (kind IN ('net', 'day')),"
	" exchange text NOT NULL, tradingsymbol text NOT NULL,"
	" product text NOT NULL, data jsonb NOT NULL,"
	N(instrument_token) N(quantity) N(overnight_quantity)
	N(average_price) N(last_price) N(close_price) N(value) N(pnl) N(m2m)
	N(realised) N(unrealised) N(buy_quantity) N(buy_value)
	N(sell_quantity) N(sell_value)
	STAMPS ", PRIMARY KEY (kind, exchange, tradingsymbol, product));",
	"CREATE TABLE book_holdings ("
	" exchange text NOT NULL, tradingsymbol text NOT NULL,"
	" data jsonb NOT NULL,"
	T(product) T(isin) N(instrument_token) N(quantity) N(t1_quantity)
	N(average_price) N(last_price) N(close_price) N(pnl) N(day_change)
	STAMPS ", PRIMARY KEY (exchange, tradingsymbol));",
	"CREATE TABLE book_margins ("
	" segment text PRIMARY KEY, data jsonb NOT NULL,"
	N(net) N2(available, cash) N2(available, opening_balance)
	N2(available, live_balance) N2(utilised, debits)
	N2(utilised, m2m_realised) N2(utilised, m2m_unrealised)
	STAMPS ");",
	"CREATE TABLE book_runs ("
	" id bigserial PRIMARY KEY,"
	" started timestamptz NOT NULL,"
	" finished timestamptz NOT NULL DEFAULT clock_timestamp(),"
	" mode text NOT NULL CHECK (mode IN ('sync', 'follow')),"
	" orders bigint NOT NULL, trades bigint NOT NULL,"
	" positions bigint NOT NULL, holdings bigint NOT NULL,"
	" margins bigint NOT NULL, rejected bigint NOT NULL,"
	" inserted bigint NOT NULL, updated bigint NOT NULL,"
	" deleted bigint NOT NULL);" },
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

/* One table's sync: the record's key columns and how to get them from
 * the element e; whether rows missing from the answer go. */
struct tab {
	enum bs_kind kind;
	const char *name, *keys, *tkeys, *exprs, *ords, *from, *scope;
	bool snapshot;
};

#define ELEMS "jsonb_array_elements($1::jsonb) e"
static const struct tab tabs[] = {
	{ BS_ORDER, "book_orders", "order_id", "t.order_id",
	    "e->>'order_id'", "1", ELEMS, "", false },
	{ BS_TRADE, "book_trades", "order_id, trade_id",
	    "t.order_id, t.trade_id", "e->>'order_id', e->>'trade_id'",
	    "1, 2", ELEMS, "", false },
	{ BS_POS_NET, "book_positions", "kind, exchange, tradingsymbol, product",
	    "t.kind, t.exchange, t.tradingsymbol, t.product",
	    "'net', e->>'exchange', e->>'tradingsymbol', e->>'product'",
	    "1, 2, 3, 4", ELEMS, "t.kind = 'net' AND", true },
	{ BS_POS_DAY, "book_positions", "kind, exchange, tradingsymbol, product",
	    "t.kind, t.exchange, t.tradingsymbol, t.product",
	    "'day', e->>'exchange', e->>'tradingsymbol', e->>'product'",
	    "1, 2, 3, 4", ELEMS, "t.kind = 'day' AND", true },
	{ BS_HOLDING, "book_holdings", "exchange, tradingsymbol",
	    "t.exchange, t.tradingsymbol",
	    "e->>'exchange', e->>'tradingsymbol'", "1, 2", ELEMS, "", true },
	{ BS_MARGIN, "book_margins", "segment", "t.segment", "x.k", "1",
	    "jsonb_each($1::jsonb) x(k, e)", "", true },
};

static int
migrate(PGconn *c)
{
	return kp_pg_migrate(c, "book_schema_version", "book-sync",
	    migrations, NMIGRATIONS);
}

/* Upsert the records of one table, then delete what vanished. */
static int
sync_tab(PGconn *c, const struct tab *t, const char *arr,
    struct bs_counts *n)
{
	char sql[2048];
	PGresult *r;

	snprintf(sql, sizeof sql,
	    "WITH u AS (INSERT INTO %s AS t (%s, data)"
	    " SELECT DISTINCT ON (%s) %s, e FROM %s ORDER BY %s"
	    " ON CONFLICT (%s) DO UPDATE SET data = EXCLUDED.data,"
	    " updated_at = now()%s WHERE t.data IS DISTINCT FROM"
	    " EXCLUDED.data RETURNING (xmax = 0) AS ins)"
	    " SELECT count(*) FILTER (WHERE ins),"
	    " count(*) FILTER (WHERE NOT ins) FROM u",
	    t->name, t->keys, t->ords, t->exprs, t->from, t->ords, t->keys,
	    t->kind == BS_ORDER ? ", source = 'rest'" : "");
	if (kp_pg_exec(c, sql, arr, t->name, &r) < 0)
		return -1;
	n->inserted += kp_pg_val(r, 0);
	n->updated += kp_pg_val(r, 1);
	PQclear(r);
	if (!t->snapshot)
		return 0;
	snprintf(sql, sizeof sql, "DELETE FROM %s t WHERE %s NOT EXISTS"
	    " (SELECT 1 FROM %s WHERE (%s) = (%s))", t->name, t->scope,
	    t->from, t->exprs, t->tkeys);
	if (kp_pg_exec(c, sql, arr, t->name, &r) < 0)
		return -1;
	n->deleted += atoll(PQcmdTuples(r));
	PQclear(r);
	return 0;
}

static int
run_row(PGconn *c, const char *mode, long long started_us,
    const long long k[6], const struct bs_counts *n)
{
	char sql[1024];

	snprintf(sql, sizeof sql, "INSERT INTO book_runs (started, mode,"
	    " orders, trades, positions, holdings, margins, rejected,"
	    " inserted, updated, deleted) VALUES (to_timestamp(%lld / 1e6),"
	    " '%s', %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld)",
	    started_us, mode, k[0], k[1], k[2], k[3], k[4], k[5], n->inserted,
	    n->updated, n->deleted);
	return kp_pg_exec(c, sql, NULL, "book_runs", NULL);
}

static void
no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
connect_db(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo ? conninfo :
	    kp_env("DATABASE_URL") ? kp_env("DATABASE_URL") : "");

	if (PQstatus(c) != CONNECTION_OK) {
		kp_log(KP_LOG_FATAL, "unable to connect to PostgreSQL: %s",
		    PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, no_notice, NULL);
	return c;
}

static void
crash_at(const char *where)
{
	const char *v = kp_env("KP_BOOK_SYNC_CRASH_AT");

	if (v && strcmp(v, where) == 0)
		raise(SIGKILL);
}

int
bs_db_sync(const char *conninfo, const struct bs_set *s,
    long long started_us, struct bs_counts *n)
{
	PGconn *c;
	size_t i;
	int rc;
	long long k[6];

	if ((c = connect_db(conninfo)) == NULL)
		return KP_EXIT_TEMP;
	memset(n, 0, sizeof(*n));
	if (kp_pg_exec(c, "BEGIN", NULL, "begin", NULL) < 0 ||
	    kp_pg_exec(c, "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", NULL,
	    "lock", NULL) < 0) {
		PQfinish(c);
		return KP_EXIT_TEMP;
	}
	if ((rc = migrate(c)) != 0) {
		PQfinish(c);
		return rc;
	}
	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
		if (sync_tab(c, &tabs[i], s->arr[tabs[i].kind].p, n) < 0) {
			PQfinish(c);
			return KP_EXIT_TEMP;
		}
	k[0] = (long long)s->n[BS_ORDER];
	k[1] = (long long)s->n[BS_TRADE];
	k[2] = (long long)(s->n[BS_POS_NET] + s->n[BS_POS_DAY]);
	k[3] = (long long)s->n[BS_HOLDING];
	k[4] = (long long)s->n[BS_MARGIN];
	k[5] = (long long)s->rejected;
	if (run_row(c, "sync", started_us, k, n) < 0) {
		PQfinish(c);
		return KP_EXIT_TEMP;
	}
	crash_at("commit");
	rc = kp_pg_exec(c, "COMMIT", NULL, "commit", NULL) < 0 ? KP_EXIT_TEMP : 0;
	PQfinish(c);
	return rc;
}

/* --follow ------------------------------------------------------------ */

struct bs_db {
	PGconn *c;
	struct bs_counts n;
};

struct bs_db *
bs_db_open(const char *conninfo, int *code)
{
	struct bs_db *d;
	PGconn *c;

	if ((c = connect_db(conninfo)) == NULL) {
		*code = KP_EXIT_TEMP;
		return NULL;
	}
	if (kp_pg_exec(c, "BEGIN", NULL, "begin", NULL) < 0 ||
	    kp_pg_exec(c, "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", NULL,
	    "lock", NULL) < 0 || (*code = migrate(c)) != 0 ||
	    kp_pg_exec(c, "COMMIT", NULL, "commit", NULL) < 0) {
		if (*code == 0)
			*code = KP_EXIT_TEMP;
		PQfinish(c);
		return NULL;
	}
	d = kp_xcalloc(1, sizeof(*d));
	d->c = c;
	return d;
}

#define FINAL "('COMPLETE', 'CANCELLED', 'REJECTED')"

/* An update never takes a final order back to an open state (a late,
 * reordered update). */
static const char sql_order[] =
	"INSERT INTO book_orders AS t (order_id, data, source)"
	" VALUES ($1, $2::jsonb, 'stream')"
	" ON CONFLICT (order_id) DO UPDATE SET data = EXCLUDED.data,"
	" source = 'stream', updated_at = now()"
	" WHERE t.data IS DISTINCT FROM EXCLUDED.data"
	" AND (coalesce(t.data->>'status', '') NOT IN " FINAL
	" OR EXCLUDED.data->>'status' IN " FINAL ")"
	" RETURNING (xmax = 0) AS ins";

int
bs_db_order(struct bs_db *d, const char *id, const struct kp_buf *data)
{
	const char *p[2];
	PGresult *r;
	int changed;

	p[0] = id;
	p[1] = data->p;
	r = PQexecParams(d->c, sql_order, 2, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		kp_log(KP_LOG_FATAL, "book_orders: %s",
		    PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	changed = PQntuples(r) > 0;
	if (changed && strcmp(PQgetvalue(r, 0, 0), "t") == 0)
		d->n.inserted++;
	else if (changed)
		d->n.updated++;
	PQclear(r);
	return changed;
}

int
bs_db_follow_done(struct bs_db *d, long long started_us, long long orders,
    long long bad, struct bs_counts *out)
{
	long long k[6] = { orders, 0, 0, 0, 0, bad };

	*out = d->n;
	return run_row(d->c, "follow", started_us, k, &d->n);
}

void
bs_db_close(struct bs_db *d)
{
	if (d == NULL)
		return;
	PQfinish(d->c);
	free(d);
}
