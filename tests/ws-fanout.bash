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
# wait until /health answers.
wf_start() {
	local i
	WF_PORT=$(_kp_free_port) || return 1
	export WF_PORT
	rm -f "$T/in.fifo"
	mkfifo "$T/in.fifo"
	ws-fanout -p "$WF_PORT" "$@" <"$T/in.fifo" 2>"$T/wf.log" 3>&- &
	WF_PID=$!
	exec 8>"$T/in.fifo"
	for ((i = 0; i < 100; i++)); do
		if curl -sf "http://127.0.0.1:$WF_PORT/health" >/dev/null 2>&1
		then
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
