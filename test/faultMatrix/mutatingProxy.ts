/**
 * A man in the middle for tests: a plain-socket HTTP/1.1 server that forwards each request to an
 * upstream (the emulator) and lets the test decide, byte for byte, what goes back: any status, any
 * header (duplicates, a lying Content-Length, non-ASCII bytes), any body, or no answer at all (the
 * connection closed, held open, or cut half-way). Node's http server refuses to frame most of these
 * answers, which is why this one writes the bytes itself.
 *
 * Every request is also recorded (method, target, headers, arrival time), so a test can inspect
 * exactly what the server side received, Authorization headers included.
 */

import * as http from 'node:http';
import * as net from 'node:net';

export type ProxyOperation =
  | 'initiate'
  | 'uploadPart'
  | 'listParts'
  | 'complete'
  | 'abort'
  | 'putObject'
  | 'head'
  | 'listUploads'
  | 'other';

export interface ProxiedRequest {
  method: string;
  /** The request target as sent, e.g. `/dir/a%20b.bin?partNumber=1&uploadId=...`. */
  target: string;
  /** Lower-cased names; a repeated header is joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  /** Date.now() when the request head arrived. */
  receivedAt: number;
  operation: ProxyOperation;
  partNumber?: number;
}

export interface UpstreamAnswer {
  /** The answer to a HEAD: its Content-Length describes the object, not this (empty) body. */
  head?: boolean;
  status: number;
  /** As sent, in order. */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** What happens after an answer is written. */
export type AfterAnswer = 'keep' | 'close' | 'hold';

export type ProxyReply =
  | {
      kind: 'answer';
      status: number;
      reason?: string;
      headers: Array<[string, string]>;
      body: Buffer;
      /** 1xx interim answers written first, e.g. [100]. */
      informational?: number[];
      /** keep (default): read the next request; close: end the connection; hold: write nothing more, never close. */
      then?: AfterAnswer;
      /** Write only this many bytes of the serialised answer, then drop the connection. */
      cutAfter?: number;
    }
  /** Drop the connection without a word. */
  | { kind: 'close' }
  /** Never answer; the client has to give up. */
  | { kind: 'stall' };

/** Sends the request on to the upstream, optionally changed; rejects when the upstream drops the connection. */
export type Forward = (changed?: { headers?: Record<string, string>; body?: Buffer }) => Promise<UpstreamAnswer>;

export type ProxyHandler = (request: ProxiedRequest, forward: Forward) => Promise<ProxyReply>;

export interface RecordedRequest extends Omit<ProxiedRequest, 'body'> {
  bodyBytes: number;
}

export interface MutatingProxy {
  readonly url: string;
  /** Every request that arrived, oldest first. */
  readonly requests: RecordedRequest[];
  /** Replaces the handler; the default forwards and passes the answer through. */
  setHandler(handler: ProxyHandler): void;
  close(): Promise<void>;
}

/** The upstream's answer as a reply, re-framed with an exact Content-Length (a HEAD keeps the object's). */
export function passThrough(answer: UpstreamAnswer): ProxyReply {
  const framing = answer.head ? /^(transfer-encoding|connection|keep-alive)$/i : /^(content-length|transfer-encoding|connection|keep-alive)$/i;
  const headers = answer.headers.filter(([name]) => !framing.test(name));
  if (!answer.head) headers.push(['Content-Length', String(answer.body.length)]);
  return { kind: 'answer', status: answer.status, headers, body: answer.body };
}

/** The value of a header in a list (first match, any case). */
export function headerOf(headers: ReadonlyArray<[string, string]>, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** Removes every `name` header and, unless `value` is undefined, adds one with `value`. */
export function withHeader(headers: ReadonlyArray<[string, string]>, name: string, value: string | undefined): Array<[string, string]> {
  const rest = headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  if (value !== undefined) rest.push([name, value]);
  return rest;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** A request head larger than this is not one our client sends. */
const MAX_HEAD_BYTES = 64 * 1024;

interface ParsedHead {
  method: string;
  target: string;
  headers: Record<string, string>;
  bodyLength: number;
  headBytes: number;
}

function parseHead(raw: Buffer): ParsedHead {
  const text = raw.toString('latin1');
  const lines = text.split('\r\n');
  const [method, target] = (lines[0] ?? '').split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  if (headers['transfer-encoding'] !== undefined) throw new Error('chunked request bodies are not supported by this test proxy');
  const bodyLength = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) throw new Error(`bad request Content-Length: ${headers['content-length']}`);
  return { method: method ?? '', target: target ?? '/', headers, bodyLength, headBytes: raw.length + HEAD_END.length };
}

function classify(method: string, target: string): { operation: ProxyOperation; partNumber?: number } {
  const q = target.indexOf('?');
  const path = q >= 0 ? target.slice(0, q) : target;
  const params = new URLSearchParams(q >= 0 ? target.slice(q + 1) : '');
  const key = path.slice(1);
  const part = params.get('partNumber');
  const partNumber = part !== null && /^\d+$/.test(part) ? Number(part) : undefined;
  let operation: ProxyOperation = 'other';
  if (method === 'POST') operation = params.has('uploads') ? 'initiate' : params.has('uploadId') ? 'complete' : 'other';
  else if (method === 'PUT') operation = params.has('uploadId') ? 'uploadPart' : key ? 'putObject' : 'other';
  else if (method === 'GET') operation = key === '' ? (params.has('uploads') ? 'listUploads' : 'other') : params.has('uploadId') ? 'listParts' : 'other';
  else if (method === 'HEAD') operation = key ? 'head' : 'other';
  else if (method === 'DELETE') operation = params.has('uploadId') ? 'abort' : 'other';
  return partNumber === undefined ? { operation } : { operation, partNumber };
}

function serialise(reply: Extract<ProxyReply, { kind: 'answer' }>, isHead: boolean): Buffer {
  const chunks: Buffer[] = [];
  for (const code of reply.informational ?? []) chunks.push(Buffer.from(`HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Informational'}\r\n\r\n`, 'latin1'));
  const lines = [`HTTP/1.1 ${reply.status} ${reply.reason ?? http.STATUS_CODES[reply.status] ?? 'Unknown'}`];
  for (const [name, value] of reply.headers) lines.push(`${name}: ${value}`);
  chunks.push(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
  if (!isHead) chunks.push(reply.body);
  return Buffer.concat(chunks);
}

/** Starts a proxy on 127.0.0.1 (a free port) in front of `upstreamUrl`. */
export async function startMutatingProxy(upstreamUrl: string, handler?: ProxyHandler): Promise<MutatingProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let current: ProxyHandler = handler ?? (async (_req, forward) => passThrough(await forward()));

  const forwardFor =
    (request: ProxiedRequest): Forward =>
    (changed = {}) =>
      new Promise<UpstreamAnswer>((resolve, reject) => {
        const body = changed.body ?? request.body;
        const headers = { ...(changed.headers ?? request.headers) };
        if (request.method === 'PUT' || request.method === 'POST' || body.length > 0) headers['content-length'] = String(body.length);
        const outgoing = http.request(
          { host: upstream.hostname, port: upstream.port, method: request.method, path: request.target, headers, agent },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () => {
              const pairs: Array<[string, string]> = [];
              for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
              resolve({ ...(request.method === 'HEAD' ? { head: true } : {}), status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(parts) });
            });
            res.on('error', reject);
            res.on('aborted', () => reject(new Error('the upstream dropped the connection mid-answer')));
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body.length > 0 ? body : undefined);
      });

  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let chunks: Buffer[] = [];
    let busy = false;
    let done = false;

    const take = (): ProxiedRequest | undefined => {
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      chunks = [all];
      const end = all.indexOf(HEAD_END);
      if (end < 0) {
        if (all.length > MAX_HEAD_BYTES) throw new Error('request head too large');
        return undefined;
      }
      const head = parseHead(all.subarray(0, end));
      if (all.length < head.headBytes + head.bodyLength) return undefined;
      const body = Buffer.from(all.subarray(head.headBytes, head.headBytes + head.bodyLength));
      const rest = all.subarray(head.headBytes + head.bodyLength);
      chunks = rest.length ? [Buffer.from(rest)] : [];
      return { method: head.method, target: head.target, headers: head.headers, body, receivedAt: Date.now(), ...classify(head.method, head.target) };
    };

    const pump = async (): Promise<void> => {
      if (busy || done) return;
      busy = true;
      try {
        for (;;) {
          const request = take();
          if (!request) return;
          const { body, ...recorded } = request;
          requests.push({ ...recorded, bodyBytes: body.length });
          const reply = await current(request, forwardFor(request));
          if (socket.destroyed) return;
          if (reply.kind === 'close') {
            done = true;
            socket.destroy();
            return;
          }
          if (reply.kind === 'stall') {
            done = true;
            return;
          }
          const bytes = serialise(reply, request.method === 'HEAD');
          if (reply.cutAfter !== undefined) {
            done = true;
            socket.write(bytes.subarray(0, Math.max(0, Math.min(reply.cutAfter, bytes.length))), () => socket.destroy());
            return;
          }
          socket.write(bytes);
          if (reply.then === 'close') {
            done = true;
            socket.end(() => socket.destroy());
            return;
          }
          if (reply.then === 'hold') {
            done = true;
            return;
          }
        }
      } catch {
        // The upstream dropped the connection, or the request was unreadable: so does the proxy.
        done = true;
        socket.destroy();
      } finally {
        // Data that arrived while a reply was pending was read by the loop above; anything later starts a new pump.
        busy = false;
      }
    };

    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      void pump();
    });
  };

  const server = net.createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(next: ProxyHandler) {
      current = next;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}
