/*
 * instr-sync: Kite's instrument list (the daily CSV dump) to NDJSON or
 * CSV, an option chain for kite-stream's subscription file, or an atomic
 * sync into PostgreSQL; see instr-sync(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "is.h"

int
is_filter(const struct is_opts *o, const struct kp_instr *in)
{
	if (o->exchange && strcmp(o->exchange, in->exchange) != 0)
		return 0;
	if (o->segment && strcmp(o->segment, in->segment) != 0)
		return 0;
	if (o->name && strcmp(o->name, in->name) != 0)
		return 0;
	if (o->type && strcmp(o->type, kp_instr_type_name(in->type)) != 0)
		return 0;
	if (o->expiry_within >= 0 && (in->expiry == KP_INSTR_NOEXP ||
	    in->expiry < o->today ||
	    in->expiry > o->today + o->expiry_within))
		return 0;
	return 1;
}

/* The CSV header, once: before the first row, or at the end of a list
 * without rows (never on a 304, which writes nothing). */
static void
csv_header(struct is_sink *s)
{
	static int done;

	if (!s->o->csv || done)
		return;
	done = 1;
	kp_out_write(&s->out, KP_INSTR_CSV_HEADER,
	    sizeof KP_INSTR_CSV_HEADER - 1);
}

static int
list_row(struct is_sink *s, const struct kp_instr *in)
{
	char *p;

	if (!is_filter(s->o, in))
		return 0;
	csv_header(s);
	kp_buf_reset(&s->line);
	if (s->o->csv) {
		if (kp_instr_csv(&s->line, in) < 0)
			return 0;
	} else {
		if (kp_instr_json(&s->line, in) < 0 ||
		    kp_buf_addc(&s->line, '\n') < 0)
			return 0;
	}
	if ((p = kp_out_room(&s->out, s->line.len)) == NULL)
		return -1;
	memcpy(p, s->line.p, s->line.len);
	kp_out_commit(&s->out, s->line.len);
	s->out_rows++;
	return kp_out_error(&s->out) != 0 ? -1 : 0;
}

static int
on_row(void *arg, const struct kp_instr *in)
{
	struct is_sink *s = arg;

	return s->row(s, in);
}

static void
on_bad(void *arg, uint64_t line, const char *why)
{
	struct is_sink *s = arg;

	s->bad++;
	if (s->bad <= 100)
		kp_warn("line %llu: %s", (unsigned long long)line, why);
	else if (s->bad == 101)
		kp_warn("more bad rows; not reporting them one by one");
}

/* Flush stdout; a reader that went away (EPIPE) is not an error. */
static int
finish_output(struct is_sink *s, int code)
{
	kp_out_flush(&s->out);
	if (kp_out_error(&s->out) == 0 || kp_out_error(&s->out) == EPIPE)
		return code;
	errno = kp_out_error(&s->out);
	kp_log(KP_LOG_FATAL, "unable to write to stdout:");
	return KP_EXIT_TEMP;
}

/*
 * Read the list (a file or Kite) into the sink; 0 to go on, else the exit
 * code (the output finished).  n gets the parser's counts, *f the fetch
 * to commit once the run succeeds.
 */
static int
read_list(struct is_sink *s, struct is_in *in, struct kp_instr_parser *p,
    struct kp_instr_counts *n, struct is_fetch **f, char *source,
    size_t cap)
{
	const struct is_opts *o = s->o;
	int rc;

	if (o->file != NULL) {
		snprintf(source, cap, "file:%s", o->file);
		rc = is_in_read(in, o->file, o->mode == IS_SYNC);
		kp_instr_counts(p, n);
		kp_instr_free(p);
		if (rc < 0) {
			kp_log(KP_LOG_FATAL, "%s", is_in_error(in));
			return finish_output(s, in->damaged ||
			    strstr(in->err, "column") ||
			    strstr(in->err, "header") ? KP_EXIT_PERM :
			    KP_EXIT_TEMP);
		}
		return 0;
	}
	snprintf(source, cap, "%s/instruments%s%s", o->api_url,
	    o->exchange ? "/" : "", o->exchange ? o->exchange : "");
	rc = is_fetch(o, in, s, f);
	kp_instr_counts(p, n);
	kp_instr_free(p);
	if (rc == 1) {
		kp_debug("%s: not modified since the cached copy; nothing to "
		    "do", source);
		s->not_modified = 1;
		return finish_output(s, KP_EXIT_OK);
	}
	return rc != 0 ? finish_output(s, rc) : 0;
}

/* What the run does with the rows it kept; the exit code. */
static int
run(struct is_sink *s, struct is_in *in, struct kp_instr_counts *n,
    const char *source)
{
	const struct is_opts *o = s->o;
	int code = 0;

	if (in->midrow) {
		/* a list cut short: its last row is rejected, whatever it
		 * looks like */
		n->rows++;
		n->bad++;
		on_bad(s, in->lines + 1, "the list ends mid-row (no newline "
		    "at the end; cut short?): row rejected");
	}
	if (o->mode == IS_LIST)
		csv_header(s);
	if (o->mode == IS_CHAIN)
		code = is_chain(s);
	else if (o->mode == IS_SYNC)
		code = is_sync(s, source, n->bad);
	if (code == 0 && n->bad > 0)
		code = KP_EXIT_REJECTED;
	code = finish_output(s, code);
	if (o->mode != IS_SYNC)
		kp_log(n->bad > 0 ? KP_LOG_WARN : KP_LOG_DEBUG,
		    "rows=%llu good=%llu bad=%llu out=%llu",
		    (unsigned long long)n->rows, (unsigned long long)n->good,
		    (unsigned long long)n->bad,
		    (unsigned long long)s->out_rows);
	return code;
}

int
main(int argc, char **argv)
{
	struct is_opts o;
	struct is_sink s;
	struct kp_instr_parser *p;
	struct kp_instr_counts n;
	struct is_fetch *f = NULL;
	struct is_in in;
	char source[512];
	struct timespec t0;
	int code;

	kp_log_init(IS_PROG);
	kp_fds_ensure();
	clock_gettime(CLOCK_REALTIME, &t0);
	memset(&n, 0, sizeof n);
	is_opts_init(&o);
	is_parse_args(&o, argc, argv);

	memset(&s, 0, sizeof s);
	s.o = &o;
	kp_out_init(&s.out, 1, 1 << 16);
	kp_buf_init(&s.line, 1 << 16);
	kp_buf_init(&s.copy, (size_t)1 << 30);
	s.row = o.mode == IS_LIST ? list_row : o.mode == IS_CHAIN ?
	    is_chain_row : is_sync_row;
	if ((p = kp_instr_new(on_row, on_bad, &s)) == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	is_in_init(&in, p);
	code = read_list(&s, &in, p, &n, &f, source, sizeof source);
	if (code == 0 && !s.not_modified) {
		code = run(&s, &in, &n, source);
		if (f != NULL && (code == KP_EXIT_OK ||
		    code == KP_EXIT_REJECTED))
			is_fetch_commit(f);
	}
	is_prom(&s, &n, code, (double)t0.tv_sec + (double)t0.tv_nsec / 1e9);
	is_fetch_free(f);
	is_in_free(&in);
	kp_out_free(&s.out);
	kp_buf_free(&s.line);
	kp_buf_free(&s.copy);
	free(s.keep);
	free(s.toks);
	return code;
}
