import type { Dispatcher } from 'undici';
import { EnvHttpProxyAgent, Pool } from './undiciParts';
import { isLoopbackHost } from './endpoint';
import { ConfigError } from './errors';

export interface TransportOptions {
  /** Proxy URL (VS Code's http.proxy); without it HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment apply. */
  proxy?: string;
  /** Hosts that bypass the proxy (NO_PROXY syntax); defaults to the NO_PROXY environment variable. */
  noProxy?: string;
  /** Verify TLS certificates (VS Code's http.proxyStrictSSL). On unless the user turns it off. */
  strictSSL?: boolean;
  /** Plain http:// to a host other than loopback sends signatures and data unencrypted: only by explicit choice. */
  allowInsecureHttp?: boolean;
  /** Ignore proxy environment variables (tests, or a user who set a proxy that must not apply). */
  ignoreEnvironmentProxy?: boolean;
}

export interface PoolSizing {
  connections: number;
  headersTimeout: number;
  bodyTimeout: number;
}

function environmentProxy(): string | undefined {
  const env = process.env;
  return env.https_proxy ?? env.HTTPS_PROXY ?? env.http_proxy ?? env.HTTP_PROXY;
}

/** Refuses unencrypted endpoints off this machine unless the caller explicitly allowed them. */
export function assertEndpointTransport(origin: string, transport: TransportOptions = {}): void {
  const url = new URL(origin);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !transport.allowInsecureHttp) {
    throw new ConfigError(
      'endpoint',
      `The endpoint uses plain http:// to a remote host, so data and signatures would travel unencrypted; use https://, or allow insecure HTTP explicitly in the settings: ${url.origin}`,
    );
  }
}

/** One keep-alive pool to the endpoint, or a proxy agent when a proxy applies. */
export function createDispatcher(origin: string, sizing: PoolSizing, transport: TransportOptions = {}): Dispatcher {
  assertEndpointTransport(origin, transport);
  const connect = { rejectUnauthorized: transport.strictSSL !== false };
  const proxy = transport.proxy || (transport.ignoreEnvironmentProxy ? undefined : environmentProxy());
  if (proxy) {
    let proxyUrl: URL;
    try {
      proxyUrl = new URL(proxy);
    } catch {
      throw new ConfigError('proxy', `The proxy setting is not a URL: ${proxy.replace(/\/\/[^@/]*@/, '//***@')}`);
    }
    return new EnvHttpProxyAgent({
      httpProxy: proxyUrl.href,
      httpsProxy: proxyUrl.href,
      noProxy: transport.noProxy ?? (transport.ignoreEnvironmentProxy ? '' : (process.env.no_proxy ?? process.env.NO_PROXY ?? '')),
      connections: sizing.connections,
      headersTimeout: sizing.headersTimeout,
      bodyTimeout: sizing.bodyTimeout,
      keepAliveTimeout: 30_000,
      requestTls: connect,
      connect,
    });
  }
  return new Pool(origin, { ...sizing, keepAliveTimeout: 30_000, connect });
}
