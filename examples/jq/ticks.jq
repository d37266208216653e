# ticks.jq: keep tick lines only, as "token mode last_price change" rows.
# Use with jq -r: kite-stream -r day.cap | jq -r -f examples/jq/ticks.jq
select(.type == "tick")
| [.instrument_token, .mode, .last_price, (.change // "-")]
| @tsv
