#!/usr/bin/env node
// R13 ws-echo peer on Node's `ws` (8.11, Debian node-ws); permessage-deflate
// off. The load client measures as beast_ws.cpp's and r13_common.py's do:
// every connection opened first, then one message in flight per connection
// for `secs`; RESULT is the echoes received in the window over its length and
// the 99th percentile of their round trips.
//
//   NODE_PATH=/usr/share/nodejs node node_ws.js server --port N
//   NODE_PATH=/usr/share/nodejs node node_ws.js client --url ws://127.0.0.1:N/ --conns 64 --secs 10 --size 1024
'use strict';

const { performance } = require('perf_hooks');
const WebSocket = require('ws');

const args = { mode: process.argv[2], port: 0, url: null, conns: 64, secs: 10, size: 1024 };
for (let i = 3; i + 1 < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || k === 'mode') { console.error(`node_ws.js: unknown option ${process.argv[i]}`); process.exit(2); }
  args[k] = k === 'url' ? process.argv[i + 1] : Number(process.argv[i + 1]);
}
const OPTIONS = { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 };

function server() {
  const wss = new WebSocket.Server({ host: '127.0.0.1', port: args.port, ...OPTIONS });
  wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {});
  });
}

function message(size) {  // printable bytes varied by an LCG, as beast_ws.cpp's
  const b = Buffer.alloc(size);
  let x = 1;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = 0x21 + ((x >>> 24) % 94);
  }
  return b.toString();
}

async function client() {
  const msg = message(args.size);
  const msgBuf = Buffer.from(msg);
  const conns = await Promise.all(Array.from({ length: args.conns }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(args.url, OPTIONS);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  let rtts = new Float64Array(1 << 20);
  let n = 0;
  let bad = 0;
  const deadline = performance.now() + args.secs * 1000;
  await Promise.all(conns.map((ws) => new Promise((resolve) => {
    let t0 = 0;
    const send = () => {
      t0 = performance.now();
      if (t0 >= deadline) { ws.close(1000); resolve(); return; }
      ws.send(msg);
    };
    ws.on('message', (data) => {
      const t1 = performance.now();
      if (!data.equals(msgBuf)) bad++;
      if (t1 < deadline) {
        if (n === rtts.length) { const bigger = new Float64Array(n * 2); bigger.set(rtts); rtts = bigger; }
        rtts[n++] = t1 - t0;
      }
      send();
    });
    send();
  })));
  if (bad) { console.error(`${bad} echoes differed from the message sent`); process.exit(1); }
  if (!n) { console.error('no round trip finished'); process.exit(1); }
  const sorted = rtts.subarray(0, n).sort();
  const p99 = sorted[Math.ceil(0.99 * n) - 1];
  console.log(`RESULT msgs_per_s=${(n / args.secs).toFixed(0)} p99_us=${(p99 * 1000).toFixed(0)}`);
  process.exit(0);
}

if (args.mode === 'server') server();
else if (args.mode === 'client' && args.url) client().catch((e) => { console.error(`node_ws.js: ${e.message}`); process.exit(1); });
else { console.error('usage: node_ws.js server --port N | client --url URL [--conns 64 --secs 10 --size 1024]'); process.exit(2); }
