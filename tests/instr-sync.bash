# instr-sync.bash: instrument lists for instr-sync's tests and bench
# ("load instr-sync" after "load helper").
# SPDX-License-Identifier: MIT
#
#   instr_gen N [DAY]   print Kite's CSV of N rows: the NIFTY 50 index, a
#                       NIFTY future, NIFTY options (strikes 100 apart
#                       around 20000, expiries 2030-01-31 and 2030-02-28)
#                       and equities.  DAY (default 0) changes every
#                       equity's last_price, as a new day's dump would.

instr_gen() {
	awk -v n="$1" -v day="${2:-0}" 'BEGIN {
		print "instrument_token,exchange_token,tradingsymbol,name," \
		    "last_price,expiry,strike,tick_size,lot_size," \
		    "instrument_type,segment,exchange"
		print "256265,1001,NIFTY 50,NIFTY 50,20012.5,,0.0,0.05,1,EQ," \
		    "INDICES,NSE"
		print "9000001,35001,NIFTY30JANFUT,NIFTY,20040.0,2030-01-31," \
		    "0.0,0.05,50,FUT,NFO-FUT,NFO"
		r = 2
		split("2030-01-31 2030-02-28", ex, " ")
		split("30JAN 30FEB", ec, " ")
		for (e = 1; e <= 2 && r < n; e++)
			for (k = 19000; k <= 21000 && r < n; k += 100)
				for (t = 1; t <= 2 && r < n; t++) {
					ty = t == 1 ? "CE" : "PE"
					tok = 10000000 + e * 100000 + k * 2 + t
					printf "%d,%d,NIFTY%s%d%s,NIFTY,%.2f,%s," \
					    "%d.0,0.05,50,%s,NFO-OPT,NFO\n",
					    tok, tok % 100000, ec[e], k, ty,
					    (k % 700) / 10 + 1, ex[e], k, ty
					r++
				}
		for (i = 0; r < n; i++) {
			printf "%d,%d,STOCK%d,\"STOCK %d, LTD\",%d.%02d,,0.0," \
			    "0.05,1,EQ,NSE,NSE\n", 20000000 + i, 50000 + i,
			    i, i, 100 + i % 900, (i + day) % 100
			r++
		}
	}'
}
