import * as vscode from 'vscode';
import type { TransportOptions } from '../../core';
import { SECTION } from './settings';

/** The settings the transport follows, as VS Code stores them (values unchecked). */
export interface TransportSettingValues {
  /** `http.proxy` */
  proxy?: unknown;
  /** `http.proxyStrictSSL` */
  proxyStrictSSL?: unknown;
  /** `http.noProxy`: an array of hosts (a comma-separated string is accepted too). */
  noProxy?: unknown;
  /** `cosUpload.allowInsecureHttp` */
  allowInsecureHttp?: unknown;
}

/**
 * Pure mapping from VS Code's proxy settings and `cosUpload.allowInsecureHttp` to the core's
 * transport options. An empty proxy leaves the HTTPS_PROXY / HTTP_PROXY / NO_PROXY environment in
 * charge; TLS verification stays on unless `http.proxyStrictSSL` is explicitly false.
 */
export function transportFromSettings(values: TransportSettingValues): TransportOptions {
  const transport: TransportOptions = { strictSSL: values.proxyStrictSSL !== false, allowInsecureHttp: values.allowInsecureHttp === true };
  if (typeof values.proxy === 'string' && values.proxy.trim() !== '') transport.proxy = values.proxy.trim();
  const hosts = Array.isArray(values.noProxy) ? values.noProxy : typeof values.noProxy === 'string' ? values.noProxy.split(',') : [];
  const noProxy = hosts.filter((h): h is string => typeof h === 'string').map((h) => h.trim()).filter((h) => h !== '');
  if (noProxy.length > 0) transport.noProxy = noProxy.join(',');
  return transport;
}

/** The transport options for every request the extension makes, read now (settings may change at any time). */
export function readTransport(): TransportOptions {
  const http = vscode.workspace.getConfiguration('http');
  return transportFromSettings({
    proxy: http.get('proxy'),
    proxyStrictSSL: http.get('proxyStrictSSL'),
    noProxy: http.get('noProxy'),
    allowInsecureHttp: vscode.workspace.getConfiguration(SECTION).get('allowInsecureHttp'),
  });
}

/** One secret-free line for the log: a proxy URL may carry a user name and password. */
export function describeTransport(transport: TransportOptions): string {
  const proxy = transport.proxy ? transport.proxy.replace(/\/\/[^@/]*@/, '//***@') : 'environment';
  return `proxy=${proxy} noProxy=${transport.noProxy ?? '-'} strictSSL=${transport.strictSSL !== false} allowInsecureHttp=${transport.allowInsecureHttp === true}`;
}
