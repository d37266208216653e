/* kp.h: the dependency-free part of libkp, one section per lib/ file. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_H
#define KP_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define KP_ERRLEN 256
#define KP_VERSION "0.9.0"	/* kitepipe's version (User-Agent, -h) */

/* Exit codes shared by every program (architecture.md). */
#define KP_EXIT_OK 0
#define KP_EXIT_REJECTED 1
#define KP_EXIT_PERM 100
#define KP_EXIT_TEMP 111

#if defined(__GNUC__)
#define KP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KP_NORETURN __attribute__((noreturn))
#define KP_LIKELY(x) __builtin_expect(!!(x), 1)
#define KP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define KP_PRINTF(f, a)
#define KP_NORETURN
#define KP_LIKELY(x) (x)
#define KP_UNLIKELY(x) (x)
#endif

/* log.c ------------------------------------------------------------- */

enum kp_log_level {
	KP_LOG_FATAL = 0,
	KP_LOG_WARN = 1,
	KP_LOG_INFO = 2,
	KP_LOG_DEBUG = 3
};

/*
 * Set the program name printed before every line (a literal, never
 * argv[0]).  When stderr is a pipe, it is reopened non-blocking so that a
 * stalled log reader never blocks the program; lines that cannot be
 * written are counted (kp_log_dropped) instead.
 */
void kp_log_init(const char *prog);
const char *kp_log_prog(void);

/* A log line, '\n' included, is at most this long. */
#define KP_LOG_LINE_MAX 4096

/*
 * Lines above this level are not printed.  Default KP_LOG_INFO; the
 * level is clamped to [KP_LOG_FATAL, KP_LOG_DEBUG].
 */
void kp_log_set_level(int level);
int kp_log_get_level(void);

/*
 * Register a secret (an access token, a password): from now on every
 * occurrence of it in a log line is printed as "***".  The string is
 * copied.  Secrets shorter than 4 bytes and repeats are ignored.  At
 * most 16: a 17th replaces the oldest (a reloaded token matters more than
 * the one it replaced).  In a line that had to be cut, a secret cut short
 * at the end is also replaced.
 */
void kp_log_redact(const char *secret);

/*
 * Print "prog: level: message\n" on stderr with one write(2).  When fmt
 * ends with ':', ": strerror(errno)" is appended (sbase's convention).
 * Lines are cut at KP_LOG_LINE_MAX, ending in "...".  errno is
 * preserved.  On a full non-blocking stderr the line is dropped and
 * counted.
 */
void kp_log(int level, const char *fmt, ...) KP_PRINTF(2, 3);
void kp_vlog(int level, const char *fmt, va_list ap) KP_PRINTF(2, 0);
#define kp_warn(...) kp_log(KP_LOG_WARN, __VA_ARGS__)
#define kp_info(...) kp_log(KP_LOG_INFO, __VA_ARGS__)
#define kp_debug(...) kp_log(KP_LOG_DEBUG, __VA_ARGS__)

/* Log at level fatal, then exit(code). */
void kp_die(int code, const char *fmt, ...) KP_PRINTF(2, 3) KP_NORETURN;

/*
 * Write a preformatted line (must end in '\n') to stderr, redacted, cut
 * like kp_log's; the level filter does not apply.
 */
void kp_log_raw(const char *line, size_t len);

/* Number of log lines lost to a full stderr pipe so far. */
uint64_t kp_log_dropped(void);

/* xalloc.c ---------------------------------------------------------- */

/* Allocate or die with exit code 111 and a fatal log line. */
void *kp_xmalloc(size_t n);
void *kp_xcalloc(size_t n, size_t size);
void *kp_xrealloc(void *p, size_t n);
char *kp_xstrdup(const char *s);

/* num.c ------------------------------------------------------------- */

/*
 * Parse a whole string as a base-10 integer in [min, max].  Leading and
 * trailing garbage, an empty string and overflow are errors.
 * Return 0, or -1 with errno EINVAL (not a number) or ERANGE.
 */
int kp_num_ll(const char *s, long long min, long long max, long long *out);

/* The same for a finite double in [min, max] (strtod syntax). */
int kp_num_double(const char *s, double min, double max, double *out);

/* The value of the hex digit c (either case), or -1. */
int kp_num_hex(int c);

/*
 * A duration: a number with an optional unit ms, s, m or h (no unit
 * means seconds, fractions allowed: "1.5s", "250ms", "2m").  Result in
 * milliseconds, within [min_ms, max_ms].
 */
int kp_num_duration_ms(const char *s, long long min_ms, long long max_ms,
    long long *out);

/*
 * A size: an integer with an optional suffix k, M or G (either case,
 * powers of 1024): "4096", "64k", "1M".
 */
int kp_num_size(const char *s, long long min, long long max,
    long long *out);

/* conf.c ------------------------------------------------------------ */

/*
 * Option parsing helpers for main().  Unlike the rest of lib/, the
 * kp_opt_* functions exit: a bad option value is a usage error (exit 100)
 * by definition, and every program would otherwise repeat the same five
 * lines.  `what` names the flag or variable in the message, e.g. "-L" or
 * "KITEPIPE_MAX_LINE".
 */
long long kp_opt_ll(const char *what, const char *s, long long min,
    long long max);
double kp_opt_double(const char *what, const char *s, double min,
    double max);
long long kp_opt_duration_ms(const char *what, const char *s,
    long long min_ms, long long max_ms);
long long kp_opt_size(const char *what, const char *s, long long min,
    long long max);

/*
 * What every program's option loop shares.  kp_opt_common takes the
 * getopt_long result c when the program's own cases did not: -q and -v
 * move *level down and up, -h prints usage(stdout) and exits 0, anything
 * else ('?', ':') prints usage(stderr) and exits 100.  kp_opt_end, after
 * the loop: operands are a usage error (exit 100, the first one named)
 * unless operands_ok, and the log level becomes *level (never below
 * fatal).
 */
void kp_opt_common(int c, int *level, void (*usage)(FILE *));
void kp_opt_end(int argc, char **argv, int operands_ok, int level,
    void (*usage)(FILE *));

/* getenv, but an empty value counts as unset. */
const char *kp_env(const char *name);

/*
 * Overlay an environment variable on a default: when `name` is set and
 * non-empty, parse it as kp_opt_* would (exit 100 when bad) and store it.
 */
void kp_env_ll(const char *name, long long min, long long max,
    long long *val);
void kp_env_duration_ms(const char *name, long long min_ms,
    long long max_ms, long long *val);
void kp_env_size(const char *name, long long min, long long max,
    long long *val);

/*
 * Read a secret from the environment variable `name`, or else from the
 * file named by `file_name`'s value (first line, trailing CR/LF and
 * blanks stripped; at most 4 KiB).  The secret is registered with
 * kp_log_redact.  Return a malloc'd string, or NULL with err filled
 * ("KITE_ACCESS_TOKEN_FILE /x: No such file or directory", or neither
 * set).  Never logs the secret.
 */
char *kp_conf_secret(const char *name, const char *file_name,
    char err[KP_ERRLEN]);

/* The same for an explicit path (a -K FILE flag). */
char *kp_conf_secret_file(const char *path, char err[KP_ERRLEN]);

/* line.c ------------------------------------------------------------ */

/*
 * A bounded line reader for NDJSON on a file descriptor.  Lines longer
 * than `max` bytes (not counting the '\n') are skipped whole and reported
 * as KP_LINE_TOOLONG, with memory bounded by max.  A last line without
 * '\n' at EOF is returned as a line.  Works on blocking and non-blocking
 * descriptors.
 *
 * A '\r' before the '\n' (CRLF) is removed too, but counts towards max.
 * KP_LINE_TOOLONG is returned once, as soon as a line is known to be too
 * long; the rest of it is then skipped silently, however many reads that
 * takes.  The line number counts every line, good, empty or too long.
 * A read(2) interrupted by a signal returns KP_LINE_ERR with errno EINTR
 * and loses nothing: the caller checks its signal flags and calls again.
 * After KP_LINE_EOF every call returns KP_LINE_EOF.
 */
struct kp_line {
	int fd;
	char *buf;		/* capacity max + 1 (room for a NUL) */
	size_t max;
	size_t start;		/* first unconsumed byte */
	size_t end;		/* one past the last byte read */
	size_t scan;		/* where the search for '\n' resumes */
	uint64_t lineno;	/* number of the line last returned */
	int skipping;		/* inside an overlong line */
	int eof;
};

enum kp_line_status {
	KP_LINE_OK = 0,		/* *line, *len set; NUL-terminated, no '\n' */
	KP_LINE_TOOLONG = 1,	/* line lr->lineno was too long, skipped */
	KP_LINE_AGAIN = 2,	/* non-blocking fd: no complete line yet */
	KP_LINE_EOF = 3,
	KP_LINE_ERR = -1	/* read(2) failed, errno set */
};

/*
 * Return 0, or -1 (ENOMEM; EINVAL when max + 1 overflows).  kp_line_free
 * does not close the fd.
 */
int kp_line_init(struct kp_line *lr, int fd, size_t max);
int kp_line_next(struct kp_line *lr, char **line, size_t *len);
void kp_line_free(struct kp_line *lr);

/* json.c ------------------------------------------------------------ */

/*
 * A growable byte buffer with a hard cap (cf. curl's dynbuf): appends
 * past `max` fail with ENOBUFS and leave the buffer as it was.
 */
struct kp_buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

void kp_buf_init(struct kp_buf *b, size_t max);
void kp_buf_free(struct kp_buf *b);
void kp_buf_reset(struct kp_buf *b);
/* Make room for n more bytes; return a pointer to them, or NULL. */
char *kp_buf_room(struct kp_buf *b, size_t n);
int kp_buf_add(struct kp_buf *b, const void *s, size_t n);
int kp_buf_addstr(struct kp_buf *b, const char *s);
int kp_buf_addc(struct kp_buf *b, char c);

/*
 * Raw formatters: write at p and return one past the last character of
 * the number.  No NUL.  The caller guarantees KP_FMT_ROOM bytes of room
 * at p: for speed the formatters may scribble on bytes past the returned
 * end (within that room), which later writes overwrite.  A number itself
 * takes at most 22 bytes.
 */
#define KP_FMT_ROOM 32
char *kp_fmt_u64(char *p, uint64_t v);
char *kp_fmt_i64(char *p, int64_t v);
/*
 * v / 10^dec as an exact decimal, trailing fractional zeros and a bare
 * point removed: (157370, 2) -> "1573.7", (157500, 2) -> "1575",
 * (-5, 2) -> "-0.05".  dec <= 9.
 */
char *kp_fmt_fixed(char *p, int64_t v, unsigned dec);
/* The same with the decimals kept: (157370, 2) -> "1573.70".  */
char *kp_fmt_fixed_all(char *p, int64_t v, unsigned dec);

/*
 * JSON values appended to a kp_buf.  Strings: '"' and '\\' escaped,
 * control characters as \b \f \n \r \t or \u00XX, U+2028/9 escaped, and
 * invalid UTF-8 replaced by U+FFFD so the output is always valid JSON.
 * Return 0, or -1 (ENOBUFS).
 */
int kp_json_str(struct kp_buf *b, const char *s, size_t n);
int kp_json_cstr(struct kp_buf *b, const char *s);
int kp_json_i64(struct kp_buf *b, int64_t v);
int kp_json_u64(struct kp_buf *b, uint64_t v);
int kp_json_fixed(struct kp_buf *b, int64_t v, unsigned dec);
/* A double with the shortest %.17g form that reads back exactly;
 * non-finite values are written as null. */
int kp_json_double(struct kp_buf *b, double v);

/* out.c ------------------------------------------------------------- */

/*
 * Buffered output to a descriptor with write(2).  kp_out_flush writes
 * everything, retrying EINTR, and polls on EAGAIN.  A write error
 * (EPIPE included) is sticky: later writes are dropped and kp_out_error
 * returns the errno.
 */
struct kp_out {
	int fd;
	int err;
	char *buf;
	size_t len;
	size_t cap;
	uint64_t bytes;		/* written so far */
};

void kp_out_init(struct kp_out *o, int fd, size_t cap);
void kp_out_free(struct kp_out *o);
/* Room for n contiguous bytes (n <= cap), flushing first if needed. */
char *kp_out_room(struct kp_out *o, size_t n);
void kp_out_commit(struct kp_out *o, size_t n);
int kp_out_write(struct kp_out *o, const void *p, size_t n);
int kp_out_flush(struct kp_out *o);
/* Write what the descriptor takes now (non-blocking), never waiting;
 * 0 when all is out, -1 otherwise (kp_out_error tells a real error). */
int kp_out_flush_nowait(struct kp_out *o);
int kp_out_error(const struct kp_out *o);

/* Make sure descriptors 0, 1 and 2 are open (on /dev/null if not), so
 * that a file opened later never lands on one of them. */
void kp_fds_ensure(void);

/* ready.c ----------------------------------------------------------- */

/*
 * Validate an s6 notification fd given with -d: it must be >= 3 and
 * open for writing.  Return 0, or -1 with errno (EINVAL, EBADF).
 */
int kp_ready_check_fd(int fd);

/*
 * Tell supervisors we are ready: write "\n" to fd and close it (when
 * fd >= 0), and send READY=1 to $NOTIFY_SOCKET when it is set (abstract
 * sockets, '@', included).  Return 0, or -1 with errno if either failed.
 */
int kp_ready_notify(int fd);

/* Send any sd_notify state ("STOPPING=1", "STATUS=..."); 0 if unset. */
int kp_ready_sd(const char *state);

/* sig.c ------------------------------------------------------------- */

/*
 * Ignore SIGPIPE; catch SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGALRM
 * without SA_RESTART (so blocking reads return EINTR), recording each as
 * pending and writing a byte to a non-blocking self-pipe.  Return the
 * pipe's read end for poll(2)/lws, or -1 with errno.
 */
int kp_sig_init(void);

/* Return whether sig is pending, and clear it. */
int kp_sig_take(int sig);

/* Return whether SIGTERM or SIGINT has arrived (not cleared). */
int kp_sig_stopping(void);

/* Empty the self-pipe (call after poll says it is readable). */
void kp_sig_drain(void);

/* rng.c ------------------------------------------------------------- */

/* A small fast PRNG (xoshiro256**), seeded by splitmix64; not crypto. */
struct kp_rng {
	uint64_t s[4];
};

void kp_rng_seed(struct kp_rng *r, uint64_t seed);
uint64_t kp_rng_u64(struct kp_rng *r);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint64_t kp_rng_below(struct kp_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double kp_rng_double(struct kp_rng *r);
/* Standard normal (Box-Muller; no cached state). */
double kp_rng_normal(struct kp_rng *r);
/* A seed from the clock and pid, for when determinism is not wanted. */
uint64_t kp_rng_seed_auto(void);

/* backoff.c --------------------------------------------------------- */

/*
 * Exponential backoff with jitter: the n-th delay is drawn uniformly
 * from [d/2, d] where d = min(cap, base * 2^n) ("equal jitter"), so
 * delays grow, never exceed cap, and clients that failed together do not
 * retry together.
 */
struct kp_backoff {
	uint32_t base_ms;
	uint32_t cap_ms;
	uint32_t attempt;
	struct kp_rng rng;
};

void kp_backoff_init(struct kp_backoff *b, uint32_t base_ms, uint32_t cap_ms,
    uint64_t seed);
uint32_t kp_backoff_next(struct kp_backoff *b);
void kp_backoff_reset(struct kp_backoff *b);

/* time.c ------------------------------------------------------------ */

/* Wall clock in microseconds since the epoch (CLOCK_REALTIME). */
int64_t kp_time_us(void);
/* Monotonic clock in milliseconds and nanoseconds. */
int64_t kp_mono_ms(void);
int64_t kp_mono_ns(void);

/* stats.c ----------------------------------------------------------- */

enum kp_stat_type {
	KP_STAT_COUNTER,	/* only goes up; Prometheus name gets _total */
	KP_STAT_GAUGE
};

/*
 * One statistic: the program owns the value and updates it directly;
 * stats.c only reads it.  Exactly one of u and d is non-NULL.
 */
struct kp_stat {
	const char *name;	/* snake_case, e.g. "packets" */
	const char *help;	/* one line, for Prometheus # HELP */
	enum kp_stat_type type;
	const uint64_t *u;
	const double *d;
};

/*
 * Append one JSON object and '\n': {"type":"stats","program":P,
 * "time":<epoch s>, name:value...}.  The time has millisecond decimals;
 * a double that is not finite is written as null.  Return 0, or -1
 * (ENOBUFS) with the buffer as it was.
 */
int kp_stats_json(struct kp_buf *b, const char *prog,
    const struct kp_stat *st, size_t n);

/*
 * Write that line to stderr through the log path (never blocks); a line
 * longer than KP_LOG_LINE_MAX is replaced by a warning.
 */
void kp_stats_log(const char *prog, const struct kp_stat *st, size_t n);

/*
 * Raise SIGALRM every ms milliseconds (0: never), for a program's -s:
 * its loop takes SIGALRM as it takes SIGUSR1 and writes its stats.
 * Exits 111 when the timer cannot be set.
 */
void kp_stats_timer(long long ms);

/* The Prometheus text of the stats, appended to b (for a /metrics
 * endpoint); 0, or -1 when b is full. */
int kp_stats_prom_text(struct kp_buf *b, const char *prog,
    const struct kp_stat *st, size_t n);

/*
 * Write the Prometheus text format to path atomically (a temporary file
 * in the same directory, then rename(2)), for node_exporter's textfile
 * collector.  Metrics are named kitepipe_<prog>_<name> with '-' turned
 * into '_', counters suffixed _total (unless the name already ends in
 * _total).  The file is fsync'd before the rename and made mode 0644; the
 * temporary file is hidden (".NAME.XXXXXX") and removed on failure.
 * Return 0, or -1 with errno.
 */
int kp_stats_prom(const char *path, const char *prog,
    const struct kp_stat *st, size_t n);

/* tick.c ------------------------------------------------------------ */

/*
 * One decoded ticker packet.  Prices are Kite's integers (paise, or
 * 1e-7 / 1e-4 rupee for CDS / BCD: see kp_tick_divisor); quantities,
 * volume, OI and timestamps are as on the wire.  Fields a packet kind
 * does not carry are zero.
 */
enum kp_tick_kind {
	KP_TICK_LTP = 0,		/*   8 bytes, mode "ltp" */
	KP_TICK_INDEX_QUOTE = 1,	/*  28 bytes, mode "quote" */
	KP_TICK_INDEX_FULL = 2,		/*  32 bytes, mode "full" */
	KP_TICK_QUOTE = 3,		/*  44 bytes, mode "quote" */
	KP_TICK_FULL = 4		/* 184 bytes, mode "full" */
};

#define KP_SEG_INDICES 9
#define KP_DEPTH 5

struct kp_depth {
	uint32_t quantity;
	int32_t price;
	uint16_t orders;
};

struct kp_tick {
	uint32_t token;
	uint8_t kind;			/* enum kp_tick_kind */
	int32_t last_price;
	uint32_t last_traded_quantity;
	int32_t average_traded_price;
	uint32_t volume_traded;
	uint32_t total_buy_quantity;
	uint32_t total_sell_quantity;
	int32_t open, high, low, close;
	int32_t price_change;		/* index packets: the wire's field */
	uint32_t last_trade_time;	/* epoch s; 0 = absent */
	uint32_t oi, oi_day_high, oi_day_low;
	uint32_t exchange_timestamp;	/* epoch s; 0 = absent */
	struct kp_depth buy[KP_DEPTH], sell[KP_DEPTH];
};

/* segment = token & 0xff */
static inline unsigned
kp_tick_segment(uint32_t token)
{
	return token & 0xff;
}

/* Decimal places of a segment's prices: 7 (CDS), 4 (BCD), else 2. */
unsigned kp_tick_decimals(unsigned segment);
/* The segment's name as in the official clients ("nse", ...), or NULL
 * for a segment Kite does not document. */
const char *kp_tick_segment_name(unsigned segment);
/* "ltp", "quote" or "full" */
const char *kp_tick_mode(unsigned kind);
/* Packet length of a kind (8, 28, 32, 44, 184). */
size_t kp_tick_packet_len(unsigned kind);
/* The kind a client asking for `mode` ("ltp"...) gets for this token:
 * indices get index packets.  Return -1 for an unknown mode. */
int kp_tick_kind_for(uint32_t token, const char *mode);

/*
 * Room callers of kp_tick_json provide: the longest line is under 1400
 * bytes, plus KP_FMT_ROOM of scratch; the writer then needs no bounds
 * checks on the hot path.
 */
#define KP_TICK_JSON_MAX 2048

/*
 * Write one tick as a kitepipe-ticks(5) line, '\n' included, at p (at
 * least KP_TICK_JSON_MAX bytes of room).  recv_us is the receive time in
 * microseconds since the epoch.  Return one past the last byte.
 */
char *kp_tick_json(char *p, const struct kp_tick *t, int64_t recv_us);

/*
 * The same with the receive time already formatted (ts, tslen bytes, as
 * kp_fmt_fixed_all(recv_us, 6) writes it, at most 24 bytes): all ticks of
 * a message share it, so callers format it once per message.
 */
char *kp_tick_json_ts(char *p, const struct kp_tick *t, const char *ts,
    size_t tslen);

/* codec.c ----------------------------------------------------------- */

/* Why part of a message could not be decoded. */
enum kp_codec_err {
	KP_CODEC_EMPTY = 1,	/* a zero-length message */
	KP_CODEC_SHORT_HEADER,	/* no room for the 2-byte length */
	KP_CODEC_PAST_END,	/* a packet length past the end */
	KP_CODEC_BAD_LENGTH,	/* a packet length no kind has: skipped */
	KP_CODEC_COUNT_SHORT,	/* fewer packets than the count said */
	KP_CODEC_COUNT_LONG,	/* more packets than the count said */
	KP_CODEC_TRAILING	/* bytes after the last packet: skipped */
};

struct kp_codec_report {
	enum kp_codec_err err;
	unsigned packet;	/* 1-based index of the packet concerned */
	size_t offset;		/* byte offset in the message */
	size_t length;		/* the length read, or the bytes left */
	unsigned count;		/* the message's packet count */
};

typedef void (*kp_tick_fn)(void *arg, const struct kp_tick *t);
typedef void (*kp_codec_err_fn)(void *arg, const struct kp_codec_report *r);

/* One line describing a report, e.g. "packet 3 at byte 60: length 20
 * matches no packet kind; skipped". */
void kp_codec_strerror(const struct kp_codec_report *r, char *buf,
    size_t size);

/*
 * Decode one binary ticker message.  A 1-byte message is a heartbeat:
 * return 0 and call nothing.  Otherwise call on_tick for every good
 * packet, in order, and on_err (may be NULL) for every bad part.  Never
 * reads outside buf[0..len).  A packet of unknown length is skipped and
 * decoding goes on; a length past the end or a short count stops it.  If
 * the count is smaller than the packets present and the rest of the
 * message is well formed, those packets are decoded too (and reported).
 * Return the number of ticks delivered.
 */
size_t kp_codec_decode(const uint8_t *buf, size_t len, kp_tick_fn on_tick,
    kp_codec_err_fn on_err, void *arg);

/* Decode one bare packet of len bytes; return 0, or -1 if len is not a
 * packet length. */
int kp_codec_packet(const uint8_t *p, size_t len, struct kp_tick *t);

/*
 * Encode t as a packet of its kind at out (room for 184 bytes).  Return
 * the packet's length.  Fields its kind does not carry are not written.
 */
size_t kp_codec_encode_packet(const struct kp_tick *t, uint8_t *out);

/*
 * Build a message: kp_codec_msg_init on a buffer of cap bytes, add ticks,
 * then finish, which writes the count and returns the message length.
 * kp_codec_msg_add returns -1 (leaving the message as it was) when the
 * buffer is full or the message already holds 65535 packets.
 */
struct kp_codec_msg {
	uint8_t *buf;
	size_t len;
	size_t cap;
	unsigned count;
};

void kp_codec_msg_init(struct kp_codec_msg *m, uint8_t *buf, size_t cap);
int kp_codec_msg_add(struct kp_codec_msg *m, const struct kp_tick *t);
size_t kp_codec_msg_finish(struct kp_codec_msg *m);

/* capture.c --------------------------------------------------------- */

/*
 * Capture files (kitepipe-capture(5)): an 8-byte magic, then records of
 * a 16-byte header (u32 payload length, u8 kind, u8 connection, u16
 * flags, i64 receive time in microseconds; all big-endian) and the
 * payload.
 */
#define KP_CAP_MAGIC "KPCAP01\n"
#define KP_CAP_MAGIC_LEN 8
#define KP_CAP_HDR 16
#define KP_CAP_MAX_PAYLOAD (16u << 20)

enum kp_cap_kind {
	KP_CAP_BINARY = 1,	/* a binary ticker message */
	KP_CAP_TEXT = 2,	/* a text ticker message */
	KP_CAP_STATUS = 3	/* a kitepipe status line (JSON, no '\n') */
};

struct kp_cap_rec {
	unsigned kind;
	unsigned conn;
	unsigned flags;
	int64_t recv_us;
	const uint8_t *data;
	size_t len;
	uint64_t offset;	/* of the record in the file */
	uint64_t index;		/* 1-based record number */
};

/* Encode a record header for a payload of len bytes into hdr. */
void kp_cap_header(uint8_t hdr[KP_CAP_HDR], unsigned kind, unsigned conn,
    int64_t recv_us, size_t len);

/*
 * Open a capture for appending (creating it, with its magic, when
 * missing or empty).  An existing file must start with the magic; its
 * records are walked, and a truncated last record (a writer killed
 * mid-record) is cut off with ftruncate so that new records follow the
 * last whole one; *cut is set to the bytes removed.  Return the fd, or
 * -1 with err filled.
 */
int kp_cap_open_append(const char *path, uint64_t *cut,
    char err[KP_ERRLEN]);

/* Append a record with one write(2).  Return 0, or -1 with errno. */
int kp_cap_write(int fd, unsigned kind, unsigned conn, int64_t recv_us,
    const void *data, size_t len);

/* A streaming reader over a descriptor (a file or a pipe). */
struct kp_cap_reader {
	int fd;
	uint8_t *buf;
	size_t cap;
	size_t start, end;
	uint64_t offset;	/* file offset of buf[start] */
	uint64_t records;
	int eof;
	int started;		/* magic seen */
	/* Called before a read(2) that would block (may be NULL): the
	 * place to flush output, so a slow feed is not held back. */
	void (*idle)(void *arg);
	void *idle_arg;
};

enum kp_cap_status {
	KP_CAP_OK = 0,		/* *rec filled; valid until the next call */
	KP_CAP_END = 1,		/* clean end of file */
	KP_CAP_TRUNCATED = 2,	/* the last record is incomplete */
	KP_CAP_CORRUPT = 3,	/* bad magic, kind or length: cannot go on */
	KP_CAP_ERROR = -1	/* read(2) failed, errno set; EINTR: a signal
				 * arrived, call again when it is handled */
};

int kp_cap_reader_init(struct kp_cap_reader *r, int fd);
void kp_cap_reader_free(struct kp_cap_reader *r);
/* On TRUNCATED and CORRUPT, err says what and where. */
int kp_cap_next(struct kp_cap_reader *r, struct kp_cap_rec *rec,
    char err[KP_ERRLEN]);

/*
 * Parse a capture held in memory (the same rules, for tests and fuzzing):
 * *pos is advanced past each record.
 */
int kp_cap_parse(const uint8_t *buf, size_t len, size_t *pos,
    struct kp_cap_rec *rec, char err[KP_ERRLEN]);

/* bs.c -------------------------------------------------------------- */

/*
 * Black-Scholes-Merton and Black-76 (options-math.md).  T in years
 * (ACT/365F), r and q continuously compounded, sigma per sqrt(year).
 */

/* Standard normal CDF and density, accurate in both tails (via erfc). */
double kp_norm_cdf(double x);
double kp_norm_pdf(double x);

/*
 * Normalised Black call b(x, s) = Phi(x/s + s/2) e^{x/2} - Phi(x/s - s/2)
 * e^{-x/2} for x <= 0, accurate in relative terms everywhere.  For x > 0
 * it is the intrinsic value 2 sinh(x/2) plus b(-x, s).
 */
double kp_normalised_black(double x, double s);

/*
 * The undiscounted Black price of a call (call != 0) or put on forward F
 * from the normalised Black function: the out-of-the-money part without
 * cancellation plus the intrinsic value.  x = ln(F/K) and F - K (FmK)
 * come accurately from the caller, s = sigma sqrt(T) > 0.
 */
double kp_black_price(int call, double F, double K, double FmK, double x,
    double s);

/* BSM price of a European call (call != 0) or put on spot S. */
double kp_bsm_price(int call, double S, double K, double T, double r,
    double q, double sigma);

/* Black-76 price on a forward F, discounted at r. */
double kp_black76_price(int call, double F, double K, double T, double r,
    double sigma);

#endif
