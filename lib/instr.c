/*
 * instr.c: Kite's instruments dump (kite-connect.md 2.6), a CSV file with
 * a header row, parsed as a stream with libcsv.  Input is fed line by
 * line (and in pieces of at most SEG_MAX bytes) so that every row knows
 * the line it starts on and no field can grow past KP_INSTR_FIELD_MAX
 * plus one piece.  Quotes are read leniently (libcsv without
 * CSV_STRICT); what that lets through is caught by the row checks.
 */
/* SPDX-License-Identifier: MIT */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"
#include "kp_instr.h"

#define SEG_MAX 65536

enum col {
	C_TOKEN, C_EXTOKEN, C_SYM, C_NAME, C_LTP, C_EXPIRY, C_STRIKE, C_TICK,
	C_LOT, C_TYPE, C_SEG, C_EXCH, C_N
};

static const char *const col_names[C_N] = {
	"instrument_token", "exchange_token", "tradingsymbol", "name",
	"last_price", "expiry", "strike", "tick_size", "lot_size",
	"instrument_type", "segment", "exchange"
};

#define ALL_COLS ((1u << C_N) - 1)

struct kp_instr_parser {
	struct csv_parser csv;
	kp_instr_row_fn row;
	kp_instr_bad_fn bad;
	void *arg;
	signed char map[KP_INSTR_COLS_MAX];	/* column -> enum col, -1 */
	int have_header;
	int fatal;
	int toolong;		/* the field being read grew too long */
	size_t field;		/* index of the next field in the row */
	unsigned seen;		/* columns filled in this row */
	uint64_t line;		/* line of the bytes being fed */
	uint64_t row_line;	/* line the current row started on, 0: none */
	size_t bom;		/* BOM bytes matched so far at the start */
	struct kp_instr cur;
	struct kp_instr_counts n;
	char why[192];		/* the first problem of this row */
	char err[KP_ERRLEN];
};

static const char bom_bytes[3] = { '\xef', '\xbb', '\xbf' };

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* The start of a value, printable, for a message. */
static void
show(char *out, size_t cap, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 4 < cap; i++)
		out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n && k + 4 <= cap) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = 0;
}

/* Note the first problem of a row: "bad COLUMN 'value'HINT". */
static void
bad_col(struct kp_instr_parser *p, enum col c, const char *s, size_t n,
    const char *hint)
{
	char v[40];

	if (p->why[0] != 0)
		return;
	show(v, sizeof v, s, n);
	snprintf(p->why, sizeof p->why, "bad %s '%s'%s", col_names[c], v,
	    hint);
}

static void
row_why(struct kp_instr_parser *p, const char *msg)
{
	if (p->why[0] == 0)
		snprintf(p->why, sizeof p->why, "%s", msg);
}

static int
parse_u32(const char *s, size_t n, uint32_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int
kp_instr_price(const char *s, size_t n, int64_t *v)
{
	int64_t x = 0;
	size_t i = 0, digits = 0, dec = 0;
	int round = 0;

	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (x > (INT64_MAX / 10 - 9) / KP_INSTR_SCALE)
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
			if (dec < KP_INSTR_DEC) {
				x = x * 10 + (s[i] - '0');
				dec++;
			} else if (dec++ == KP_INSTR_DEC) {
				round = s[i] >= '5';
			}
		}
	}
	if (i != n || digits == 0)
		return -1;
	for (; dec < KP_INSTR_DEC; dec++)
		x *= 10;
	*v = x + round;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, era arithmetic). */
static int32_t
days_from(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

int
kp_instr_date(const char *s, size_t n, int32_t *days)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int y, m, d, i;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
		return -1;
	if (d > mdays[m - 1] + (m == 2 && leap(y)))
		return -1;
	*days = days_from(y, m, d);
	return 0;
}

void
kp_instr_date_str(int32_t days, char out[11])
{
	int64_t z = (int64_t)days + 719468, era, doe, yoe, y, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = 0;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = 0;
}

const char *
kp_instr_type_name(enum kp_instr_type t)
{
	switch (t) {
	case KP_INSTR_EQ: return "EQ";
	case KP_INSTR_FUT: return "FUT";
	case KP_INSTR_CE: return "CE";
	case KP_INSTR_PE: return "PE";
	}
	return "?";
}

/* Copy a text field: no control characters, at most max bytes. */
static int
text(struct kp_instr_parser *p, enum col c, char *dst, size_t max,
    const char *s, size_t n, int code)
{
	size_t i;

	if (n > max) {
		bad_col(p, c, s, n, " (too long)");
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char u = (unsigned char)s[i];

		if (u < 0x20 && (code || u == 0 || (u != '\t' && u != '\n' &&
		    u != '\r')))
			goto bad;
		if (code && !((u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
		    || u == '-' || u == '_'))
			goto bad;
	}
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
bad:
	bad_col(p, c, s, n, "");
	return -1;
}

static void
take(struct kp_instr_parser *p, enum col c, const char *s, size_t n)
{
	struct kp_instr *in = &p->cur;

	switch (c) {
	case C_TOKEN:
		if (parse_u32(s, n, &in->instrument_token) < 0 ||
		    in->instrument_token == 0)
			bad_col(p, c, s, n, "");
		break;
	case C_EXTOKEN:
		if (parse_u32(s, n, &in->exchange_token) < 0)
			bad_col(p, c, s, n, "");
		break;
	case C_LOT:
		if (parse_u32(s, n, &in->lot_size) < 0)
			bad_col(p, c, s, n, "");
		break;
	case C_LTP:
	case C_STRIKE:
	case C_TICK:
		if (kp_instr_price(s, n, c == C_LTP ? &in->last_price :
		    c == C_STRIKE ? &in->strike : &in->tick_size) < 0)
			bad_col(p, c, s, n, "");
		break;
	case C_EXPIRY:
		in->expiry = KP_INSTR_NOEXP;
		in->expiry_str[0] = 0;
		if (n == 0)
			break;
		if (kp_instr_date(s, n, &in->expiry) < 0) {
			bad_col(p, c, s, n, " (want YYYY-MM-DD)");
			break;
		}
		memcpy(in->expiry_str, s, 10);
		in->expiry_str[10] = 0;
		break;
	case C_TYPE:
		if (n == 2 && memcmp(s, "EQ", 2) == 0)
			in->type = KP_INSTR_EQ;
		else if (n == 3 && memcmp(s, "FUT", 3) == 0)
			in->type = KP_INSTR_FUT;
		else if (n == 2 && memcmp(s, "CE", 2) == 0)
			in->type = KP_INSTR_CE;
		else if (n == 2 && memcmp(s, "PE", 2) == 0)
			in->type = KP_INSTR_PE;
		else
			bad_col(p, c, s, n, " (want EQ, FUT, CE or PE)");
		break;
	case C_SYM:
		if (n == 0)
			bad_col(p, c, s, n, " (empty)");
		else
			text(p, c, in->tradingsymbol, KP_INSTR_SYM_MAX, s, n,
			    0);
		break;
	case C_NAME:
		text(p, c, in->name, KP_INSTR_NAME_MAX, s, n, 0);
		break;
	case C_SEG:
	case C_EXCH:
		if (n == 0)
			bad_col(p, c, s, n, " (empty)");
		else
			text(p, c, c == C_SEG ? in->segment : in->exchange,
			    KP_INSTR_SEG_MAX, s, n, 1);
		break;
	case C_N:
		break;
	}
}

static void
header_field(struct kp_instr_parser *p, size_t i, const char *s, size_t n)
{
	int c;

	if (i == 0 && n >= 3 && memcmp(s, bom_bytes, 3) == 0) {
		s += 3;
		n -= 3;
	}
	for (c = 0; c < C_N; c++) {
		if (strlen(col_names[c]) != n || memcmp(col_names[c], s, n))
			continue;
		if (p->seen & (1u << c)) {
			snprintf(p->err, sizeof p->err, "line %llu: column "
			    "'%s' appears twice in the header",
			    (unsigned long long)p->row_line, col_names[c]);
			p->fatal = 1;
			return;
		}
		p->seen |= 1u << c;
		p->map[i] = (signed char)c;
		return;
	}
}

static void
on_field(void *s, size_t n, void *arg)
{
	struct kp_instr_parser *p = arg;
	size_t i = p->field;

	if (p->fatal)
		return;
	if (p->row_line == 0)
		p->row_line = p->line;
	p->field++;
	if (p->toolong) {
		p->toolong = 0;
		if (p->have_header || i < KP_INSTR_COLS_MAX) {
			char m[64];

			snprintf(m, sizeof m, "field %zu longer than %d bytes",
			    i + 1, KP_INSTR_FIELD_MAX);
			row_why(p, m);
		}
		return;
	}
	if (i >= KP_INSTR_COLS_MAX)
		return;
	if (s == NULL)
		s = (char *)"";
	if (!p->have_header) {
		header_field(p, i, s, n);
		return;
	}
	if (p->map[i] < 0)
		return;
	p->seen |= 1u << p->map[i];
	take(p, (enum col)p->map[i], s, n);
}

static void
header_done(struct kp_instr_parser *p)
{
	int c;

	if (p->why[0] != 0) {
		snprintf(p->err, sizeof p->err, "line %llu: bad header: %s",
		    (unsigned long long)p->row_line, p->why);
		p->fatal = 1;
		return;
	}
	for (c = 0; c < C_N; c++) {
		if (!(p->seen & (1u << c))) {
			snprintf(p->err, sizeof p->err, "line %llu: required "
			    "column '%s' missing from the header",
			    (unsigned long long)p->row_line, col_names[c]);
			p->fatal = 1;
			return;
		}
	}
	p->have_header = 1;
}

static void
check_row(struct kp_instr_parser *p)
{
	struct kp_instr *in = &p->cur;
	int c;

	if (p->why[0] != 0)
		return;
	for (c = 0; c < C_N; c++) {
		if (!(p->seen & (1u << c))) {
			snprintf(p->why, sizeof p->why, "%zu fields, no %s",
			    p->field, col_names[c]);
			return;
		}
	}
	if (in->type != KP_INSTR_EQ && in->expiry == KP_INSTR_NOEXP)
		snprintf(p->why, sizeof p->why, "%s %s without an expiry",
		    kp_instr_type_name(in->type), in->tradingsymbol);
}

static void
row_reset(struct kp_instr_parser *p)
{
	p->field = 0;
	p->seen = 0;
	p->why[0] = 0;
	p->row_line = 0;
	memset(&p->cur, 0, sizeof p->cur);
	p->cur.expiry = KP_INSTR_NOEXP;
}

static void
on_row(int term, void *arg)
{
	struct kp_instr_parser *p = arg;

	(void)term;
	if (p->fatal)
		return;
	if (p->row_line == 0)
		p->row_line = p->line;
	if (!p->have_header) {
		header_done(p);
		row_reset(p);
		return;
	}
	p->n.rows++;
	check_row(p);
	if (p->why[0] != 0) {
		p->n.bad++;
		if (p->bad != NULL)
			p->bad(p->arg, p->row_line, p->why);
		else
			kp_warn("line %llu: %s",
			    (unsigned long long)p->row_line, p->why);
	} else {
		p->n.good++;
		p->cur.line = p->row_line;
		if (p->row != NULL && p->row(p->arg, &p->cur) != 0) {
			snprintf(p->err, sizeof p->err,
			    "stopped by the caller");
			p->fatal = 1;
		}
	}
	row_reset(p);
}

struct kp_instr_parser *
kp_instr_new(kp_instr_row_fn row, kp_instr_bad_fn bad, void *arg)
{
	struct kp_instr_parser *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	if (csv_init(&p->csv, CSV_STRICT_FINI) != 0) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	csv_set_space_func(&p->csv, no_space);
	p->row = row;
	p->bad = bad;
	p->arg = arg;
	p->line = 1;
	memset(p->map, -1, sizeof p->map);
	row_reset(p);
	return p;
}

static int
feed_seg(struct kp_instr_parser *p, const char *s, size_t n)
{
	if (p->row_line == 0 && !(n == 1 && s[0] == '\n') &&
	    !(n == 2 && s[0] == '\r' && s[1] == '\n'))
		p->row_line = p->line;
	if (csv_parse(&p->csv, s, n, on_field, on_row, p) != n) {
		snprintf(p->err, sizeof p->err, "line %llu: csv: %s",
		    (unsigned long long)p->line,
		    csv_strerror(csv_error(&p->csv)));
		p->fatal = 1;
		return -1;
	}
	if (p->csv.entry_pos > KP_INSTR_FIELD_MAX) {
		p->toolong = 1;
		p->csv.entry_pos = 0;
		p->csv.spaces = 0;
	}
	if (n > 0 && s[n - 1] == '\n')
		p->line++;
	return p->fatal ? -1 : 0;
}

int
kp_instr_feed(struct kp_instr_parser *p, const void *buf, size_t n)
{
	const char *s = buf, *e = s + n, *nl;
	size_t len;

	if (p->fatal)
		return -1;
	p->n.bytes += n;
	while (p->bom < 3 && s < e) {
		/* the BOM may arrive split; match it byte by byte */
		if (*s != bom_bytes[p->bom]) {
			if (p->bom > 0 &&
			    feed_seg(p, bom_bytes, p->bom) < 0)
				return -1;
			p->bom = 3;
			break;
		}
		p->bom++;
		s++;
	}
	while (s < e) {
		len = (size_t)(e - s);
		if (len > SEG_MAX)
			len = SEG_MAX;
		nl = memchr(s, '\n', len);
		if (nl != NULL)
			len = (size_t)(nl - s) + 1;
		if (feed_seg(p, s, len) < 0)
			return -1;
		s += len;
	}
	return 0;
}

int
kp_instr_finish(struct kp_instr_parser *p)
{
	if (p->fatal)
		return -1;
	if (csv_fini(&p->csv, on_field, on_row, p) != 0) {
		/* an unterminated quoted field: the row it is in is bad */
		row_why(p, "unterminated quoted field");
		on_row(0, p);
	}
	if (p->fatal)
		return -1;
	if (!p->have_header) {
		snprintf(p->err, sizeof p->err, "no header row (empty input)");
		p->fatal = 1;
		return -1;
	}
	return 0;
}

const char *
kp_instr_error(const struct kp_instr_parser *p)
{
	return p->err[0] != 0 ? p->err : "no error";
}

void
kp_instr_counts(const struct kp_instr_parser *p, struct kp_instr_counts *c)
{
	*c = p->n;
}

void
kp_instr_free(struct kp_instr_parser *p)
{
	if (p == NULL)
		return;
	csv_free(&p->csv);
	free(p);
}

int
kp_instr_parse_fd(int fd, kp_instr_row_fn row, kp_instr_bad_fn bad,
    void *arg, struct kp_instr_counts *c, char err[KP_ERRLEN])
{
	struct kp_instr_parser *p = kp_instr_new(row, bad, arg);
	char buf[SEG_MAX];
	ssize_t r;
	int rc = 0;

	if (p == NULL) {
		snprintf(err, KP_ERRLEN, "out of memory");
		return -1;
	}
	for (;;) {
		r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, KP_ERRLEN, "read: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (r == 0) {
			rc = kp_instr_finish(p);
			break;
		}
		if ((rc = kp_instr_feed(p, buf, (size_t)r)) < 0)
			break;
	}
	if (rc < 0 && p->fatal)
		snprintf(err, KP_ERRLEN, "%s", p->err);
	if (c != NULL)
		*c = p->n;
	kp_instr_free(p);
	return rc;
}

int
kp_instr_parse_file(const char *path, kp_instr_row_fn row,
    kp_instr_bad_fn bad, void *arg, struct kp_instr_counts *c,
    char err[KP_ERRLEN])
{
	int fd, rc;
	char e[KP_ERRLEN - 32];

	if (strcmp(path, "-") == 0)
		return kp_instr_parse_fd(0, row, bad, arg, c, err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = kp_instr_parse_fd(fd, row, bad, arg, c, err);
	if (rc < 0) {
		snprintf(e, sizeof e, "%s", err);
		snprintf(err, KP_ERRLEN, "%.30s: %s", path, e);
	}
	close(fd);
	return rc;
}

/* Output ---------------------------------------------------------- */

static int
key(struct kp_buf *b, const char *k)
{
	return kp_buf_addstr(b, k);
}

int
kp_instr_json(struct kp_buf *b, const struct kp_instr *in)
{
	int rc = 0;

	rc |= key(b, "{\"instrument_token\":");
	rc |= kp_json_u64(b, in->instrument_token);
	rc |= key(b, ",\"exchange_token\":");
	rc |= kp_json_u64(b, in->exchange_token);
	rc |= key(b, ",\"tradingsymbol\":");
	rc |= kp_json_cstr(b, in->tradingsymbol);
	rc |= key(b, ",\"name\":");
	rc |= kp_json_cstr(b, in->name);
	rc |= key(b, ",\"last_price\":");
	rc |= kp_json_fixed(b, in->last_price, KP_INSTR_DEC);
	rc |= key(b, ",\"expiry\":");
	if (in->expiry == KP_INSTR_NOEXP) {
		rc |= key(b, "null");
	} else {
		rc |= kp_buf_addc(b, '"');
		rc |= kp_buf_add(b, in->expiry_str, 10);
		rc |= kp_buf_addc(b, '"');
	}
	rc |= key(b, ",\"strike\":");
	rc |= kp_json_fixed(b, in->strike, KP_INSTR_DEC);
	rc |= key(b, ",\"tick_size\":");
	rc |= kp_json_fixed(b, in->tick_size, KP_INSTR_DEC);
	rc |= key(b, ",\"lot_size\":");
	rc |= kp_json_u64(b, in->lot_size);
	rc |= key(b, ",\"instrument_type\":\"");
	rc |= key(b, kp_instr_type_name(in->type));
	rc |= key(b, "\",\"segment\":");
	rc |= kp_json_cstr(b, in->segment);
	rc |= key(b, ",\"exchange\":");
	rc |= kp_json_cstr(b, in->exchange);
	rc |= kp_buf_addc(b, '}');
	return rc ? -1 : 0;
}

static int
csv_text(struct kp_buf *b, const char *s)
{
	const char *q;
	int rc = 0;

	if (strpbrk(s, ",\"\r\n") == NULL)
		return kp_buf_addstr(b, s);
	rc |= kp_buf_addc(b, '"');
	while ((q = strchr(s, '"')) != NULL) {
		rc |= kp_buf_add(b, s, (size_t)(q - s) + 1);
		rc |= kp_buf_addc(b, '"');
		s = q + 1;
	}
	rc |= kp_buf_addstr(b, s);
	rc |= kp_buf_addc(b, '"');
	return rc ? -1 : 0;
}

static int
csv_price(struct kp_buf *b, int64_t v)
{
	char *p = kp_buf_room(b, KP_FMT_ROOM);

	if (p == NULL)
		return -1;
	b->len += (size_t)(kp_fmt_fixed(p, v, KP_INSTR_DEC) - p);
	return 0;
}

static int
csv_u64(struct kp_buf *b, uint64_t v)
{
	char *p = kp_buf_room(b, KP_FMT_ROOM);

	if (p == NULL)
		return -1;
	b->len += (size_t)(kp_fmt_u64(p, v) - p);
	return 0;
}

int
kp_instr_csv(struct kp_buf *b, const struct kp_instr *in)
{
	int rc = 0;

	rc |= csv_u64(b, in->instrument_token);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_u64(b, in->exchange_token);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_text(b, in->tradingsymbol);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_text(b, in->name);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_price(b, in->last_price);
	rc |= kp_buf_addc(b, ',');
	rc |= kp_buf_addstr(b, in->expiry_str);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_price(b, in->strike);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_price(b, in->tick_size);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_u64(b, in->lot_size);
	rc |= kp_buf_addc(b, ',');
	rc |= kp_buf_addstr(b, kp_instr_type_name(in->type));
	rc |= kp_buf_addc(b, ',');
	rc |= csv_text(b, in->segment);
	rc |= kp_buf_addc(b, ',');
	rc |= csv_text(b, in->exchange);
	rc |= kp_buf_addc(b, '\n');
	return rc ? -1 : 0;
}
