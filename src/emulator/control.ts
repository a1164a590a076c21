/**
 * The emulator's unauthenticated control API under /_emulator/, for test harnesses that run the
 * emulator in another process (CLI, extension host): faults, request log, clock, network model,
 * credentials. Served only when the embedding code asks for it (EmulatorOptions.control).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorCredentials } from './auth';
import { pumpBody } from './body';
import type { FaultRule } from './faults';
import type { NetworkModel, RunningEmulator } from './api';

/** Answers one /_emulator/ request with JSON; never throws (bad input gets a 400 with a message). */
export async function handleControlRequest(emu: RunningEmulator, req: IncomingMessage, res: ServerResponse, rawUrl: string): Promise<void> {
  const reply = (status: number, value: unknown): void => {
    const body = Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
    res.end(body);
  };
  try {
    const chunks: Buffer[] = [];
    const { tooLarge } = await pumpBody(req, { limit: 1024 * 1024, onChunk: (c) => chunks.push(c) });
    if (tooLarge) {
      reply(413, { error: 'The control request body is larger than 1 MiB.' });
      return;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const json = (): unknown => (text.trim() === '' ? {} : JSON.parse(text));
    const route = `${req.method} ${rawUrl.split('?')[0].replace(/\/+$/, '')}`;
    const faultIdMatch = /^DELETE \/_emulator\/faults\/([^/]+)$/.exec(route);
    if (faultIdMatch) {
      emu.faults.clear(decodeURIComponent(faultIdMatch[1]));
      reply(200, emu.faults.list());
      return;
    }
    switch (route) {
      case 'GET /_emulator/info':
        reply(200, {
          url: emu.url,
          bucket: emu.bucket,
          region: emu.region,
          credentials: emu.credentials,
          dataDir: emu.dataDir,
          discard: emu.discard,
          clockSkewMs: emu.clockSkewMs,
        });
        return;
      case 'GET /_emulator/log':
        reply(200, emu.log);
        return;
      case 'DELETE /_emulator/log':
        emu.clearLog();
        reply(200, []);
        return;
      case 'GET /_emulator/faults':
        reply(200, emu.faults.list());
        return;
      case 'POST /_emulator/faults': {
        const body = json();
        const rules = (Array.isArray(body) ? body : [body]) as FaultRule[];
        const added = rules.map((r) => emu.faults.add(r));
        reply(200, added.map((r) => ({ ...r })));
        return;
      }
      case 'DELETE /_emulator/faults':
        emu.faults.clear();
        reply(200, []);
        return;
      case 'GET /_emulator/uploads':
        reply(200, emu.listUploads());
        return;
      case 'POST /_emulator/clock': {
        const { skewMs } = json() as { skewMs?: unknown };
        if (typeof skewMs !== 'number') throw new Error('Send {"skewMs": <number>}.');
        emu.setClockSkew(skewMs);
        reply(200, { clockSkewMs: emu.clockSkewMs });
        return;
      }
      case 'POST /_emulator/network': {
        emu.setNetwork(json() as NetworkModel);
        reply(200, emu.network);
        return;
      }
      case 'POST /_emulator/credentials/expire':
        reply(200, emu.expireSessionToken());
        return;
      case 'PUT /_emulator/credentials': {
        const c = json() as Partial<EmulatorCredentials>;
        if (typeof c.secretId !== 'string' || typeof c.secretKey !== 'string') throw new Error('Send {"secretId", "secretKey", "sessionToken"?}.');
        emu.setCredentials({ secretId: c.secretId, secretKey: c.secretKey, sessionToken: c.sessionToken });
        reply(200, emu.credentials);
        return;
      }
      default:
        reply(404, {
          error: `Unknown control route: ${route}`,
          routes: [
            'GET /_emulator/info',
            'GET|DELETE /_emulator/log',
            'GET|POST|DELETE /_emulator/faults',
            'DELETE /_emulator/faults/<id>',
            'GET /_emulator/uploads',
            'POST /_emulator/clock {skewMs}',
            'POST /_emulator/network {latencyMs, connMbps}',
            'POST /_emulator/credentials/expire',
            'PUT /_emulator/credentials {secretId, secretKey, sessionToken?}',
          ],
        });
    }
  } catch (err) {
    if (!res.headersSent && !res.destroyed) reply(400, { error: err instanceof Error ? err.message : String(err) });
  }
}

