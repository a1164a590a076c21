import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { CosError, staticCredentials, uploadFile } from '../../src/core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { makeFile, MiB } from './helpers';

/** A minimal forward proxy (HTTP CONNECT tunnels), counting the tunnels it opens. */
async function startProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('integration: proxies and transport policy', function () {
  this.timeout(30_000);
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(async () => {
    await emu.close();
  });

  it('uploads through a forward proxy given as a setting', async () => {
    const proxy = await startProxy();
    try {
      const file = await makeFile(3 * MiB);
      await uploadFile({
        filePath: file.path,
        key: 'proxy/explicit.bin',
        target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
        credentials: staticCredentials(emu.credentials),
        options: { partSize: MiB, multipartThreshold: 0 },
        transport: { proxy: proxy.url, noProxy: '' },
      });
      assert.ok(proxy.tunnels.length >= 1, 'traffic went through the proxy');
      assert.ok(proxy.tunnels.every((t) => t === new URL(emu.url).host));
      assert.equal(await emu.objectSha256('proxy/explicit.bin'), file.sha256);
    } finally {
      await proxy.close();
    }
  });

  it('honours HTTPS_PROXY / HTTP_PROXY and NO_PROXY from the environment', async () => {
    const proxy = await startProxy();
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      const file = await makeFile(MiB);
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = '';
      const request = {
        filePath: file.path,
        key: 'proxy/env.bin',
        target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
        credentials: staticCredentials(emu.credentials),
      };
      await uploadFile(request);
      const viaProxy = proxy.tunnels.length;
      assert.ok(viaProxy >= 1, 'HTTP_PROXY was used');
      process.env.NO_PROXY = '127.0.0.1';
      await uploadFile(request);
      assert.equal(proxy.tunnels.length, viaProxy, 'NO_PROXY bypassed the proxy');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await proxy.close();
    }
  });

  it('refuses plain http:// to a remote host unless explicitly allowed, before any request', async () => {
    const file = await makeFile(10);
    const request = {
      filePath: file.path,
      key: 'x.bin',
      target: { bucket: emu.bucket, region: emu.region, endpoint: 'http://cos.example.invalid' },
      credentials: staticCredentials(emu.credentials),
    };
    await assert.rejects(uploadFile(request), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT' && /unencrypted/.test(e.message));
    // Allowed explicitly, the policy check passes and the failure is the (unresolvable) network instead.
    await assert.rejects(
      uploadFile({ ...request, options: { retries: 0 }, transport: { allowInsecureHttp: true } }),
      (e: unknown) => CosError.is(e) && e.code === 'NETWORK',
    );
  });
});
