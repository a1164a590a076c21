import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { ConnectionReport } from '../../../src/extension/commands/testConnection';
import { transportFromSettings } from '../../../src/extension/settings/proxySettings';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { addEmulatorProfile, hostSuite, MiB, testEnv, withSettings, workspaceFile } from './extensionHelpers';
import { objectSha256 } from './resumeHelpers';

const PROFILE = 'proxy-tests';
const INSECURE_PROFILE = 'insecure-http';
/** A remote-looking host the test proxy sends to the emulator: plain http to it is "insecure". */
const INSECURE_HOST = 'cos-insecure.test';

/**
 * A forward proxy for the test: CONNECT tunnels and absolute-form requests both, recording the
 * host:port each one asked for. Requests for INSECURE_HOST go to the emulator.
 */
class TestProxy {
  readonly targets: string[] = [];
  private readonly server = http.createServer();
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly emulator: URL) {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      const target = req.url ?? '';
      this.targets.push(target);
      const { host, port } = this.route(target);
      const upstream = net.connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = new URL(req.url ?? '/');
      this.targets.push(url.host);
      const { host, port } = this.route(url.host);
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      delete headers['proxy-connection'];
      const upstream = http.request({ host, port, method: req.method, path: `${url.pathname}${url.search}`, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  private route(hostPort: string): { host: string; port: number } {
    const url = new URL(`http://${hostPort}`);
    if (url.hostname === INSECURE_HOST) return { host: this.emulator.hostname, port: Number(this.emulator.port) };
    return { host: url.hostname, port: Number(url.port || 80) };
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  asked(host: string): boolean {
    return this.targets.some((t) => t === host || t.startsWith(`${host}:`));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Sets `http.*` settings globally; returns a function restoring them. */
async function withHttpSettings(values: Record<string, unknown>): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('http');
  const previous = Object.keys(values).map((name) => [name, config.inspect(name)?.globalValue] as const);
  for (const [name, value] of Object.entries(values)) await config.update(name, value, vscode.ConfigurationTarget.Global);
  return async () => {
    const now = vscode.workspace.getConfiguration('http');
    for (const [name, value] of previous) await now.update(name, value, vscode.ConfigurationTarget.Global);
  };
}

describe('VS Code proxy settings and plain http', function () {
  this.timeout(60_000);
  let proxy: TestProxy;
  let proxyUrl: string;
  const emulatorHost = (): string => new URL(testEnv().url).host;

  const host = hostSuite({ profile: PROFILE });

  before(async () => {
    proxy = new TestProxy(new URL(testEnv().url));
    proxyUrl = await proxy.start();
  });

  after(async () => {
    await proxy?.close();
  });

  it('maps http.proxy, http.proxyStrictSSL, http.noProxy and cosUpload.allowInsecureHttp onto the transport options', async () => {
    assert.deepEqual(transportFromSettings({}), { strictSSL: true, allowInsecureHttp: false });
    assert.deepEqual(transportFromSettings({ proxy: '  ', proxyStrictSSL: true, noProxy: [] }), { strictSSL: true, allowInsecureHttp: false });
    assert.deepEqual(transportFromSettings({ proxy: 'http://proxy.corp:3128', proxyStrictSSL: false, noProxy: ['.internal', ' ', 'cos.local'], allowInsecureHttp: true }), {
      proxy: 'http://proxy.corp:3128',
      strictSSL: false,
      noProxy: '.internal,cos.local',
      allowInsecureHttp: true,
    });
    assert.deepEqual(transportFromSettings({ noProxy: 'a.example, b.example', allowInsecureHttp: 'yes' }), { strictSSL: true, noProxy: 'a.example,b.example', allowInsecureHttp: false });

    // The same through VS Code's configuration, as the extension reads it for every request.
    assert.deepEqual(host.api.transport.current(), { strictSSL: true, allowInsecureHttp: false }, 'the test profile has proxy settings already');
    const restoreHttp = await withHttpSettings({ proxy: 'http://user:secret@proxy.corp:3128', proxyStrictSSL: false, noProxy: ['.internal'] });
    const restoreCos = await withSettings({ allowInsecureHttp: true });
    try {
      assert.deepEqual(host.api.transport.current(), { proxy: 'http://user:secret@proxy.corp:3128', strictSSL: false, noProxy: '.internal', allowInsecureHttp: true });
    } finally {
      await restoreCos();
      await restoreHttp();
    }
    assert.deepEqual(host.api.transport.current(), { strictSSL: true, allowInsecureHttp: false });
  });

  it('sends requests through http.proxy, and straight to the hosts in http.noProxy', async () => {
    const restore = await withHttpSettings({ proxy: proxyUrl, noProxy: [] });
    try {
      proxy.targets.length = 0;
      const report = await vscode.commands.executeCommand<ConnectionReport>('cosUpload.testConnection', PROFILE);
      assert.equal(report.ok, true, `Test Connection through the proxy failed: ${report.code}`);
      assert.ok(proxy.asked(emulatorHost()), `the proxy saw no request for the emulator; it saw: ${proxy.targets.join(', ')}`);

      await vscode.workspace.getConfiguration('http').update('noProxy', ['127.0.0.1'], vscode.ConfigurationTarget.Global);
      proxy.targets.length = 0;
      const direct = await vscode.commands.executeCommand<ConnectionReport>('cosUpload.testConnection', PROFILE);
      assert.equal(direct.ok, true);
      assert.equal(proxy.asked(emulatorHost()), false, 'a host in http.noProxy went through the proxy');
    } finally {
      await restore();
    }
  });

  it('refuses plain http to a remote host with a clear error unless cosUpload.allowInsecureHttp is on', async () => {
    await addEmulatorProfile(INSECURE_PROFILE, { endpoint: `http://${INSECURE_HOST}`, prefix: 'insecure-tests/' });
    const file = await workspaceFile('insecure/over-http.bin', 2 * MiB + 5);
    const restoreHttp = await withHttpSettings({ proxy: proxyUrl, noProxy: [] });
    const restoreCos = await withSettings({ partSize: 1, multipartThreshold: 1 });
    try {
      proxy.targets.length = 0;
      const [refused] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: INSECURE_PROFILE, overwrite: true })) as UploadOutcome[];
      assert.equal(refused.status, 'failed', `plain http to a remote host was not refused: ${refused.status}`);
      const error = refused.error as { code?: string; message?: string };
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message ?? '', /plain http:\/\/ to a remote host/);
      assert.equal(proxy.asked(INSECURE_HOST), false, 'a request was sent although the endpoint was refused');
      await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id: refused.id });

      const allow = await withSettings({ allowInsecureHttp: true });
      try {
        const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: INSECURE_PROFILE, overwrite: true })) as UploadOutcome[];
        assert.equal(outcome.status, 'completed', `with the setting on the upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
        assert.ok(proxy.asked(INSECURE_HOST), 'the upload did not go to the insecure endpoint');
        assert.equal(await objectSha256('insecure-tests/insecure/over-http.bin'), file.sha256);
      } finally {
        await allow();
      }
    } finally {
      await restoreCos();
      await restoreHttp();
    }
  });
});
