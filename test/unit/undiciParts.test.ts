import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { EnvHttpProxyAgent, Pool } from '../../src/core/undiciParts';

describe('undici parts the core loads', () => {
  it('the dispatchers have the request() API', async () => {
    const pool = new Pool('http://127.0.0.1:9');
    const agent = new EnvHttpProxyAgent();
    try {
      assert.equal(typeof pool.request, 'function');
      assert.equal(typeof agent.request, 'function');
    } finally {
      await Promise.all([pool.close(), agent.close()]);
    }
  });

  it("loading the core does not load undici's index (fetch, WebSocket, caches)", () => {
    const core = path.resolve(__dirname, '..', '..', 'src', 'core');
    const script = `require(${JSON.stringify(core)}); console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /[\\\\/]undici[\\\\/]/.test(k))))`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    assert.ok(loaded.length > 0, 'undici parts were loaded');
    assert.ok(!loaded.some((k) => /[\\/]undici[\\/]index\.js$/.test(k)), 'undici/index.js was loaded');
    assert.ok(!loaded.some((k) => /[\\/]lib[\\/]web[\\/]fetch[\\/]/.test(k)), 'fetch was loaded');
  });
});
