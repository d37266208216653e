# ws-fanout.bash: JWT minting with openssl, and ws-fanout start/stop, for
# tests/ws-fanout*.bats ("load ws-fanout" after "load helper").
# SPDX-License-Identifier: MIT

# b64url: stdin to base64url without padding.
b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# hex2bin: hex digits on stdin to bytes.
hex2bin() {
	local h
	h=$(tr -d ' \n')
	printf '%s' "$h" | sed 's/../\\x&/g' | xargs -0 printf '%b'
}

# jwt_hs256 SECRETFILE HEADER PAYLOAD: an HS256 token.
jwt_hs256() {
	local in sig key
	in="$(printf '%s' "$2" | b64url).$(printf '%s' "$3" | b64url)"
	key=$(od -An -v -tx1 <"$1" | tr -d ' \n')
	sig=$(printf '%s' "$in" | openssl dgst -sha256 -mac HMAC \
		-macopt "hexkey:$key" -binary | b64url)
	printf '%s.%s\n' "$in" "$sig"
}

# jwt_rs256 KEYPEM HEADER PAYLOAD: an RS256 token.
jwt_rs256() {
	local in sig
	in="$(printf '%s' "$2" | b64url).$(printf '%s' "$3" | b64url)"
	sig=$(printf '%s' "$in" | openssl dgst -sha256 -sign "$1" -binary |
		b64url)
	printf '%s.%s\n' "$in" "$sig"
}

# jwt_es256 KEYPEM HEADER PAYLOAD: an ES256 token (the DER signature
# turned into JOSE's 64-byte r||s).
jwt_es256() {
	local in r s
	in="$(printf '%s' "$2" | b64url).$(printf '%s' "$3" | b64url)"
	printf '%s' "$in" | openssl dgst -sha256 -sign "$1" -binary \
		>"$T/es.der"
	{ read -r r; read -r s; } < <(openssl asn1parse -inform DER \
		-in "$T/es.der" | awk -F: '/INTEGER/ {print $NF}')
	r=$(printf '%064s' "$r" | tr ' ' 0)
	s=$(printf '%064s' "$s" | tr ' ' 0)
	printf '%s.%s\n' "$in" "$(printf '%s%s' "${r: -64}" "${s: -64}" |
		hex2bin | b64url)"
}

# jwt_keys: make $T/rsa.pem, $T/ec.pem, $T/hs.secret and $T/jwks.json
# (the RSA key as kid "r1", the EC key as kid "e1").
jwt_keys() {
	local n x y der
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$T/rsa.pem" 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$T/ec.pem" 2>/dev/null
	head -c 48 /dev/urandom | od -An -v -tx1 | tr -d ' \n' \
		>"$T/hs.secret"
	n=$(openssl rsa -in "$T/rsa.pem" -noout -modulus 2>/dev/null |
		cut -d= -f2 | hex2bin | b64url)
	der=$(openssl pkey -in "$T/ec.pem" -pubout -outform DER |
		od -An -v -tx1 | tr -d ' \n')
	# the last 64 bytes of the SPKI are x||y
	x=$(printf '%s' "${der: -128:64}" | hex2bin | b64url)
	y=$(printf '%s' "${der: -64}" | hex2bin | b64url)
	cat >"$T/jwks.json" <<EOJ
{"keys":[{"kty":"RSA","kid":"r1","use":"sig","alg":"RS256","n":"$n","e":"AQAB"},
{"kty":"EC","kid":"e1","crv":"P-256","x":"$x","y":"$y"}]}
EOJ
}

# claims [EXP_OFFSET [NBF_OFFSET [ISS [AUD]]]]: a payload, times relative
# to now.
claims() {
	local now
	now=$(date +%s)
	printf '{"sub":"tester","iss":"%s","aud":"%s","exp":%d,"nbf":%d}' \
		"${3:-kp-test}" "${4:-ws-fanout}" $((now + ${1:-600})) \
		$((now + ${2:--60}))
}

# wf_start ARGS...: start ws-fanout on a free port ($WF_PORT) with
# stdin from $T/in.fifo kept open ($WF_IN, fd 8), log in $T/wf.log;
# wait until /health answers on the -l address (a loopback one for a
# wildcard).
wf_start() {
	local i a host=127.0.0.1 prev=
	for a in "$@"; do
		[[ $prev == -l ]] && host=$a
		prev=$a
	done
	case $host in
	0.0.0.0) host=127.0.0.1 ;;
	::) host='[::1]' ;;
	*:*) host="[$host]" ;;
	esac
	WF_PORT=$(_kp_free_port) || return 1
	export WF_PORT
	rm -f "$T/in.fifo"
	mkfifo "$T/in.fifo"
	ws-fanout -p "$WF_PORT" "$@" <"$T/in.fifo" 2>"$T/wf.log" 3>&- &
	WF_PID=$!
	exec 8>"$T/in.fifo"
	local scheme=http
	[[ " $* " == *" --cert "* ]] && scheme=https
	for ((i = 0; i < 100; i++)); do
		if curl -skf "$scheme://$host:$WF_PORT/health" \
			>/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$WF_PID" 2>/dev/null; then
			cat "$T/wf.log" >&2
			return 1
		fi
		sleep 0.1
	done
	cat "$T/wf.log" >&2
	return 1
}

# wf_bound: the TCP sockets that ws-fanout ($WF_PID) listens on, one
# ADDR:PORT a line, as the kernel reports them (ss; "*" is dual-stack).
wf_bound() {
	ss -ltnpH | awk -v p="pid=$WF_PID," 'index($0, p) { print $4 }'
}

# wf_feed LINES...: write lines to ws-fanout's stdin.
wf_feed() {
	printf '%s\n' "$@" >&8
}

wf_stop() {
	exec 8>&- 2>/dev/null || true
	if [[ -n ${WF_PID-} ]]; then
		kill -TERM "$WF_PID" 2>/dev/null || true
		wait "$WF_PID" 2>/dev/null || true
		WF_PID=
	fi
}

# wait_for FILE PATTERN [TENTHS]: until grep finds PATTERN in FILE.
wait_for() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "wait_for: no '$2' in $1 after $((${3:-100} / 10)) s:" >&2
	tail -n 20 "$1" >&2
	return 1
}

# tick TOKEN PRICE: a tick line stamped now.
tick() {
	printf '{"type":"tick","mode":"ltp","instrument_token":%s,"segment":"nse","tradable":true,"last_price":%s,"receive_timestamp":%s}' \
		"$1" "$2" "$(date +%s.%6N)"
}

# chain_data DIR: DIR/chain.ndjson (instr-sync's instrument lines) and
# DIR/ticks.ndjson (tick-greeks' enriched option ticks) for 9 NIFTY
# strikes x CE/PE: a smile in iv (PE 2 points above CE), delta, OI.
chain_data() {
	awk -v dir="$1" 'BEGIN {
		ch = dir "/chain.ndjson"; tk = dir "/ticks.ndjson"
		for (s = 0; s < 9; s++) {
			k = 23600 + 100 * s; d = s - 4
			for (j = 0; j < 2; j++) {
				t = j ? "PE" : "CE"; i = 2 * s + j + 1
				tok = 12000000 + i * 256 + 3
				sym = "NIFTY26N" k t
				printf "{\"instrument_token\":%d,\"tradingsymbol\":\"%s\",\"name\":\"NIFTY\",\"expiry\":\"2026-11-26\",\"strike\":%d,\"instrument_type\":\"%s\",\"segment\":\"NFO-OPT\",\"exchange\":\"NFO\"}\n", tok, sym, k, t > ch
				iv = 0.12 + 0.004 * d * d + (j ? 0.02 : 0)
				delta = j ? -0.5 - d / 10 : 0.5 - d / 10
				ltp = j ? 120 + 40 * d : 120 - 40 * d
				if (ltp < 5) ltp = 5
				printf "{\"type\":\"tick\",\"mode\":\"full\",\"instrument_token\":%d,\"last_price\":%d,\"oi\":%d,\"receive_timestamp\":1732264200.000000,\"iv\":%.4f,\"delta\":%.4f,\"underlying_price\":24010.5,\"tradingsymbol\":\"%s\",\"name\":\"NIFTY\",\"strike\":%d,\"expiry\":\"2026-11-26\",\"instrument_type\":\"%s\"}\n", tok, ltp, 100000 + 1000 * i, iv, delta, sym, k, t > tk
			}
		}
	}'
}

# browser ARGS... URL: headless chromium, as root too.
browser() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--hide-scrollbars --window-size=1100,720 \
		--run-all-compositor-stages-before-draw \
		--virtual-time-budget=8000 "$@" 2>/dev/null 3>&-
}

# pixels PNG X Y W H R G B: how many pixels of the region are within 40
# of colour R,G,B (the PNG read through "convert FILE.png ppm:-").
pixels() {
	convert "$1" ppm:- | od -An -v -tu1 | awk -v x0="$2" -v y0="$3" \
		-v w="$4" -v h="$5" -v R="$6" -v G="$7" -v Bl="$8" '
	function ab(v) { return v < 0 ? -v : v }
	BEGIN { hdr = 0; n = 0; i = 0 }
	{
		for (f = 1; f <= NF; f++) {
			c = $f
			if (hdr < 4) {
				# P6, width, height, maxval: parse from bytes
				if (c == 10 || c == 32) {
					if (tok != "") { hv[hdr++] = tok; tok = "" }
				} else tok = tok sprintf("%c", c)
				if (hdr == 4) W = hv[1] + 0
				continue
			}
			px[i % 3] = c
			if (i % 3 == 2) {
				p = int(i / 3); x = p % W; y = int(p / W)
				if (x >= x0 && x < x0 + w && y >= y0 && y < y0 + h &&
				    ab(px[0] - R) < 40 && ab(px[1] - G) < 40 &&
				    ab(px[2] - Bl) < 40)
					n++
			}
			i++
		}
	}
	END { print n }'
}
