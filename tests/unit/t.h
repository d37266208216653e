/* t.h: a tiny TAP producer for the C unit tests (one binary per module). */
/* SPDX-License-Identifier: MIT */
#ifndef KP_T_H
#define KP_T_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n;
static int t_failed;

#if defined(__GNUC__)
static void t_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void t_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
#endif

/* Report one assertion; the description is printf-formatted. */
static void
t_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	if (!cond)
		t_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A diagnostic line ("# ...") that TAP consumers show but do not count. */
static void
t_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define T_EQ_INT(got, want, name) do { \
	long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
	t_ok(t_g_ == t_w_, "%s", name); \
	if (t_g_ != t_w_) \
		t_diag("  got %lld, want %lld", t_g_, t_w_); \
} while (0)

#define T_EQ_STR(got, want, name) do { \
	const char *t_g_ = (got), *t_w_ = (want); \
	int t_c_ = t_g_ && t_w_ && strcmp(t_g_, t_w_) == 0; \
	t_ok(t_c_, "%s", name); \
	if (!t_c_) \
		t_diag("  got '%s', want '%s'", t_g_ ? t_g_ : "(null)", \
		    t_w_ ? t_w_ : "(null)"); \
} while (0)

#define T_NEAR(got, want, tol, name) do { \
	double t_g_ = (got), t_w_ = (want); \
	int t_c_ = fabs(t_g_ - t_w_) <= (tol); \
	t_ok(t_c_, "%s", name); \
	if (!t_c_) \
		t_diag("  got %.17g, want %.17g", t_g_, t_w_); \
} while (0)

/* Print the plan and return the exit status for main(). */
static int
t_done(void)
{
	printf("1..%d\n", t_n);
	if (t_failed)
		printf("# %d of %d failed\n", t_failed, t_n);
	return t_failed ? 1 : 0;
}

#endif
