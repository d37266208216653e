/* kp_dtoa.h: shortest round-trip formatting of doubles (dtoa.c). */
/* SPDX-License-Identifier: MIT */
#ifndef KP_DTOA_H
#define KP_DTOA_H

#include <stdint.h>

/*
 * The shortest decimal that strtod(3) reads back as exactly v, and of
 * the shortest ones the nearest to v (ties to an even last digit): the
 * digits as an integer with no trailing zeros and the power of ten, so
 * that v == *digits * 10^*exp10 read back.  v must be finite and > 0.
 *
 * Exact integer arithmetic (128 bits) for 1e-14 <= v < 1e47; outside
 * that, a slow path with snprintf("%.*e") and strtod (the smallest
 * precision that reads back), which may in rare cases (v a power of two)
 * give one digit more than the shortest.
 */
void kp_dtoa_digits(double v, uint64_t *digits, int *exp10);

/*
 * v at p as a JSON number, shortest form as above: "-" for a negative
 * sign (also "-0"), plain notation when the decimal exponent of the
 * first digit is in [-5, 17) ("0.00012", "24000", "1.5"), otherwise
 * "d.ddde-XX" / "de+XX" (at least two exponent digits, as printf).
 * No NUL.  The caller guarantees KP_DTOA_ROOM bytes at p; the return is
 * one past the last character.  v must be finite.
 */
#define KP_DTOA_ROOM 40
char *kp_dtoa(char *p, double v);

#endif
