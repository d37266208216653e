// server.js: the Node comparison for bench/ws-fanout.sh.  The same job
// as `ws-fanout -i --insecure-no-auth`, written the usual way with the
// `ws` package: NDJSON ticks on stdin, clients send
// {"action":"subscribe","tokens":[...]}, each tick goes to the clients
// subscribed to its instrument_token as {"type":"tick","data":LINE}.
// usage: node server.js PORT
// SPDX-License-Identifier: MIT
"use strict";
const readline = require("readline");
const { WebSocketServer } = require("ws");

const port = Number(process.argv[2] || 8766);
const subs = new Map(); // token -> Set of sockets
const last = new Map(); // token -> latest message

const wss = new WebSocketServer({ host: "127.0.0.1", port });
wss.on("connection", (ws) => {
  ws.mine = new Set();
  ws.send(JSON.stringify({ type: "connected" }));
  ws.on("message", (data) => {
    let m;
    try { m = JSON.parse(data); } catch (e) {
      ws.send(JSON.stringify({ type: "error", message: "bad JSON" }));
      return;
    }
    if (m.action === "subscribe" && Array.isArray(m.tokens)) {
      for (const t of m.tokens) {
        if (!subs.has(t)) subs.set(t, new Set());
        subs.get(t).add(ws);
        ws.mine.add(t);
      }
      ws.send(JSON.stringify({ type: "subscribed", tokens: m.tokens,
        total: ws.mine.size }));
      for (const t of m.tokens) if (last.has(t)) ws.send(last.get(t));
    } else if (m.action === "ping") {
      ws.send('{"type":"pong"}');
    }
  });
  ws.on("close", () => {
    for (const t of ws.mine) subs.get(t).delete(ws);
  });
});
wss.on("listening", () => process.stderr.write("node: listening\n"));

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let t;
  try { t = JSON.parse(line).instrument_token; } catch (e) { return; }
  const msg = '{"type":"tick","data":' + line + "}";
  last.set(t, msg);
  const s = subs.get(t);
  if (s) for (const ws of s) ws.send(msg);
});
