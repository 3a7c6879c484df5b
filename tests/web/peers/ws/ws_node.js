#!/usr/bin/env node
// WebSocket interop peer on Node's `ws` (8.11, Debian node-ws): server or
// client of the contract in README.md (the same one as ws_peer_common.py).
//
//   NODE_PATH=/usr/share/nodejs node ws_node.js server --port 0 [--tls CERT KEY] [--protocols a,b] [--no-compress]
//   NODE_PATH=/usr/share/nodejs node ws_node.js client URL [--ca CAFILE] [--protocols a,b] [--no-compress] --script FILE|-
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const WebSocket = require('ws');

const MAX_SIZE = 64 * 1024 * 1024;
const PERIOD = 4093;

// ---- the shared contract: patterns, arguments ------------------------------

const TEXT_BLOCK = Buffer.alloc(PERIOD);
const BIN_BLOCK = Buffer.alloc(PERIOD);
{
  let x = 1;
  for (let i = 0; i < PERIOD; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    TEXT_BLOCK[i] = 0x21 + ((x >>> 24) % 94);
    BIN_BLOCK[i] = x >>> 24;
  }
}

function pattern(kind, n) {
  const block = kind === 'text' ? TEXT_BLOCK : BIN_BLOCK;
  const out = Buffer.alloc(n);
  for (let at = 0; at < n; at += PERIOD) block.copy(out, at, 0, Math.min(PERIOD, n - at));
  return out;
}

function split(data, n) {
  const q = Math.floor(data.length / n);
  const r = data.length % n;
  const out = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = q + (i < r ? 1 : 0);
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

function usage(why) {
  process.stderr.write(`ws_node.js: ${why}\n` +
    'usage: ws_node.js server [--host H] --port N [--tls CERT KEY] [--protocols a,b] [--no-compress]\n' +
    '       ws_node.js client URL [--ca CAFILE] [--protocols a,b] [--no-compress] [--timeout S] --script FILE|-\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { mode: argv[0], host: '127.0.0.1', port: 0, tls: null, protocols: [], compress: true,
              timeout: 30, ca: null, script: null, url: null };
  if (a.mode !== 'server' && a.mode !== 'client') usage('first argument must be server or client');
  let i = 1;
  if (a.mode === 'client') {
    a.url = argv[i++];
    if (!a.url) usage('client needs a URL');
  }
  for (; i < argv.length; i++) {
    const arg = argv[i];
    const need = (k) => { if (i + k >= argv.length) usage(`${arg} needs ${k} value(s)`); };
    if (arg === '--host') { need(1); a.host = argv[++i]; }
    else if (arg === '--port') { need(1); a.port = Number(argv[++i]); }
    else if (arg === '--tls') { need(2); a.tls = [argv[i + 1], argv[i + 2]]; i += 2; }
    else if (arg === '--protocols') { need(1); a.protocols = argv[++i].split(',').filter((x) => x); }
    else if (arg === '--no-compress') a.compress = false;
    else if (arg === '--ca') { need(1); a.ca = argv[++i]; }
    else if (arg === '--script') { need(1); a.script = argv[++i]; }
    else if (arg === '--timeout') { need(1); a.timeout = Number(argv[++i]); }
    else usage(`unknown argument ${arg}`);
  }
  if (a.mode === 'client' && !a.script) usage('client needs --script');
  return a;
}

const say = (line) => process.stdout.write(line + '\n');
const deflate = (on) => (on ? { threshold: 0 } : false);

// ---- server ----------------------------------------------------------------

const COMMAND = /^(?:(close) (\d+)(?: ([^]*))?|(frag) (\d+) (\d+)|(ping)(?: ([^]*))?|(protocol)|(compress)|(abort))$/;

function onConnection(ws) {
  ws.on('message', (data, isBinary) => {
    const m = isBinary ? null : COMMAND.exec(data.toString());
    if (!m) {
      ws.send(data, { binary: isBinary });
    } else if (m[1]) {
      ws.close(Number(m[2]), m[3] || '');
    } else if (m[4]) {
      const pieces = split(Buffer.alloc(Number(m[6]), 'x'), Number(m[5]));
      pieces.forEach((p, i) => ws.send(p, { binary: false, fin: i === pieces.length - 1 }));
    } else if (m[7]) {
      ws.ping(Buffer.from(m[8] || ''));
    } else if (m[9]) {
      ws.send(ws.protocol || '-');
    } else if (m[10]) {
      ws.send(ws.extensions ? 'on' : 'off');
    } else if (m[11]) {
      ws.terminate();
    }
  });
  ws.on('pong', (data) => ws.send('pong ' + data.toString()));
  ws.on('close', (code) => say(`CLOSED ${code}`));
  ws.on('error', () => {});
}

function server(a) {
  const http_ = a.tls
    ? https.createServer({ cert: fs.readFileSync(a.tls[0]), key: fs.readFileSync(a.tls[1]) })
    : http.createServer();
  const wss = new WebSocket.Server({
    server: http_,
    perMessageDeflate: deflate(a.compress),
    maxPayload: MAX_SIZE,
    handleProtocols: (offered) => {
      for (const p of offered) if (a.protocols.includes(p)) return p;
      return false;
    },
  });
  wss.on('connection', onConnection);
  http_.listen(a.port, a.host, () => say(`PORT ${http_.address().port}`));
}

// ---- client ----------------------------------------------------------------

class Closed extends Error {
  constructor(code, reason) {
    super(`closed with ${code} '${reason}'`);
    this.code = code;
    this.reason = reason;
  }
}
class StepFailed extends Error {}

// A client connection whose events become awaitable: recv(), ping(), close().
class Conn {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.pongs = [];
    this.closed = null;
    this.wake = null;
    const poke = () => { if (this.wake) { const w = this.wake; this.wake = null; w(); } };
    ws.on('message', (data, isBinary) => { this.messages.push([isBinary ? 'bin' : 'text', data]); poke(); });
    ws.on('pong', (data) => { this.pongs.push(data.toString('latin1')); poke(); });
    ws.on('close', (code, reason) => { this.closed = new Closed(code, reason.toString()); poke(); });
    ws.on('error', () => {});
  }

  async until(ready) {
    while (!ready()) await new Promise((resolve) => { this.wake = resolve; });
  }

  send(kind, data) {
    return new Promise((resolve, reject) =>
      this.ws.send(data, { binary: kind === 'bin' }, (err) => (err ? reject(err) : resolve())));
  }

  async sendFrames(kind, chunks) {
    for (let i = 0; i < chunks.length; i++) {
      await new Promise((resolve, reject) => this.ws.send(chunks[i], { binary: kind === 'bin', fin: i === chunks.length - 1 },
        (err) => (err ? reject(err) : resolve())));
    }
  }

  async recv() {
    await this.until(() => this.messages.length || this.closed);
    if (this.messages.length) return this.messages.shift();
    throw this.closed;
  }

  async ping(payload) {
    const key = payload.toString('latin1');
    this.ws.ping(payload);
    await this.until(() => this.pongs.includes(key) || this.closed);
    if (!this.pongs.includes(key)) throw this.closed;
    this.pongs.splice(this.pongs.indexOf(key), 1);
  }

  async close(code, reason) {
    this.ws.close(code, reason);
    await this.until(() => this.closed);
    return this.closed.code;
  }

  protocol() { return this.ws.protocol || ''; }
  compressed() { return this.ws.extensions !== ''; }
  isOpen() { return this.closed === null; }
}

function show(data, kind) {
  const name = kind === 'text' ? 'TEXT' : 'BINARY';
  if (data.length > 40) return `${name} ${data.length} bytes`;
  return kind === 'text' ? `TEXT '${data.toString()}'` : `BINARY ${data.toString('hex')}`;
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return ` (first difference at byte ${i})`;
  return a.length !== b.length ? ` (lengths ${a.length} and ${b.length})` : '';
}

function message(words, rest) {
  const what = words[0] || '';
  const int = (s) => { if (!/^\d+$/.test(s || '')) throw new StepFailed(`bad number '${s}'`); return Number(s); };
  if (what === 'text' && words.length === 2) return ['text', pattern('text', int(words[1])), 1];
  if (what === 'bin' && words.length === 2) return ['bin', pattern('bin', int(words[1])), 1];
  if (what === 'str') return ['text', Buffer.from(rest), 1];
  if (what === 'hex' && words.length <= 2) return ['bin', Buffer.from(words[1] || '', 'hex'), 1];
  if ((what === 'frag' || what === 'fragbin') && words.length === 3 && int(words[1]) >= 1) {
    const kind = what === 'frag' ? 'text' : 'bin';
    return [kind, pattern(kind, int(words[2])), int(words[1])];
  }
  throw new StepFailed(`bad message spec '${words.join(' ')}'`);
}

const after = (s, n) => s.split(' ').slice(n).join(' ');  // the text after the first n words

async function step(conn, line, sent) {
  const verb = line.split(' ')[0];
  const rest = after(line, 1);
  let words = rest.split(' ').filter((w) => w);
  if (verb === 'send' || verb === 'echo') {
    const [kind, data, frames] = message(words, after(rest, 1));
    if (frames === 1) await conn.send(kind, data); else await conn.sendFrames(kind, split(data, frames));
    sent.push([kind, data]);
    if (verb === 'send') return `sent ${show(data, kind)}` + (frames > 1 ? ` in ${frames} frames` : '');
    words = ['echo'];
  }
  if (verb === 'cmd') {
    await conn.send('text', Buffer.from(rest));
    return 'sent';
  }
  if (verb === 'expect' || verb === 'echo') {
    const what = words[0] || '';
    if (what === 'echo') {
      if (!sent.length) throw new StepFailed('nothing sent to be echoed');
      const [kind, data] = sent.shift();
      const [gotKind, got] = await conn.recv();
      if (gotKind !== kind || !got.equals(data)) {
        throw new StepFailed(`expected the echo ${show(data, kind)}, got ${show(got, gotKind)}` + firstDifference(data, got));
      }
      return `echoed ${show(got, gotKind)}`;
    }
    if (what === 'text') {
      const want = Buffer.from(after(rest, 1));
      const [gotKind, got] = await conn.recv();
      if (gotKind !== 'text' || !got.equals(want)) throw new StepFailed(`expected ${show(want, 'text')}, got ${show(got, gotKind)}`);
      return `got ${show(got, gotKind)}`;
    }
    if (what === 'xs' && words.length === 2) {
      const want = Buffer.alloc(Number(words[1]), 'x');
      const [gotKind, got] = await conn.recv();
      if (gotKind !== 'text' || !got.equals(want)) throw new StepFailed(`expected TEXT of ${want.length} 'x', got ${show(got, gotKind)}`);
      return `got TEXT of ${got.length} 'x'`;
    }
    if (what === 'close') {
      let got;
      try {
        got = await conn.recv();
      } catch (c) {
        if (!(c instanceof Closed)) throw c;
        if (words.length >= 2 && c.code !== Number(words[1])) throw new StepFailed(`closed with ${c.code}, expected ${words[1]}`);
        if (words.length >= 3 && c.reason !== after(rest, 2)) throw new StepFailed(`close reason '${c.reason}', expected '${after(rest, 2)}'`);
        return `closed ${c.code} '${c.reason}'`;
      }
      throw new StepFailed(`expected the close, got ${show(got[1], got[0])}`);
    }
    if (what === 'protocol' && words.length === 2) {
      const got = conn.protocol() || '-';
      if (got !== words[1]) throw new StepFailed(`subprotocol ${got}, expected ${words[1]}`);
      return got;
    }
    if (what === 'compress' && words.length === 2) {
      const got = conn.compressed() ? 'on' : 'off';
      if (got !== words[1]) throw new StepFailed(`compression ${got}, expected ${words[1]}`);
      return got;
    }
  }
  if (verb === 'ping') {
    await conn.ping(Buffer.from(rest));
    return 'pong';
  }
  if (verb === 'close' && words.length >= 1) {
    const code = await conn.close(Number(words[0]), after(rest, 1));
    return `server answered ${code}`;
  }
  if (verb === 'sleep' && words.length === 1) {
    await new Promise((resolve) => setTimeout(resolve, Number(words[0])));
    return 'slept';
  }
  throw new StepFailed('unknown step');
}

function withTimeout(promise, secs) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new StepFailed(`no result in ${secs} s`)), secs * 1000); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function client(a) {
  const text = fs.readFileSync(a.script === '-' ? 0 : a.script, 'utf8');
  const steps = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  let conn;
  try {
    const ws = new WebSocket(a.url, a.protocols, {
      perMessageDeflate: deflate(a.compress),
      maxPayload: MAX_SIZE,
      ca: a.ca ? fs.readFileSync(a.ca) : undefined,
      handshakeTimeout: a.timeout * 1000,
    });
    conn = new Conn(ws);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  } catch (e) {
    say(`FAIL connect: ${e.message}`);
    return 1;
  }
  say(`CONNECTED protocol=${conn.protocol() || '-'} compress=${conn.compressed() ? 'on' : 'off'}`);
  const sent = [];
  for (let i = 0; i < steps.length; i++) {
    const line = steps[i];
    try {
      const result = await withTimeout(step(conn, line, sent), a.timeout);
      say(`step ${i + 1} ok: ${line.length <= 60 ? line : line.slice(0, 57) + '...'} -> ${result}`);
    } catch (e) {
      say(`FAIL step ${i + 1} (${line}): ${e.message}`);
      return 1;
    }
  }
  if (conn.isOpen()) {
    try {
      await withTimeout(conn.close(1000, ''), a.timeout);
    } catch (e) {
      say(`FAIL final close: ${e.message}`);
      return 1;
    }
  }
  say('OK');
  return 0;
}

const args = parseArgs(process.argv.slice(2));
if (args.mode === 'server') {
  server(args);
} else {
  client(args).then((status) => { process.exitCode = status; process.exit(status); });
}
