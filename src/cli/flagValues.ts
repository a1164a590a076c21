/** Parsers for single flag values: sizes, counts, rates, days, enums, content type and metadata. */

// Straight from the core's files, not its index: `--help` and argument errors must not load the uploader.
import { STORAGE_CLASSES } from '../core/options';
import { parseSize } from '../core/sizes';
import type { OnCancel } from './commandTypes';
import { UsageError } from './usageError';

/** Byte sizes such as 8MiB, 8M, 5GB, 1048576. Binary units, as COS part limits are binary. */
export function parseByteSize(flag: string, text: string): number {
  try {
    return parseSize(text);
  } catch {
    throw new UsageError(`${flag} takes a size in bytes or with a binary unit, such as 8MiB, 512KiB or 1048576: ${text}`);
  }
}

export function parseInteger(flag: string, text: string, min: number, max: number): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}: ${text}`);
  const value = Number(trimmed);
  if (value < min || value > max) throw new UsageError(`${flag} must be from ${min} to ${max}: ${text}`);
  return value;
}

/** Days as a non-negative decimal: 0 means every upload, 0.5 twelve hours. */
export function parseDays(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new UsageError(`--abort-older-than takes a number of days, e.g. 7 or 0.5: ${text}`);
  return Number(trimmed);
}

const BIT_RATE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/**
 * --traffic-limit in bit/s, as COS's x-cos-traffic-limit. Accepts a plain number of bit/s or a
 * decimal (SI) multiple: 800k, 100M, 100Mbps, 100Mbit/s. Byte rates are not accepted on purpose:
 * the header counts bits, and mixing the two is the classic factor-of-8 mistake.
 */
export function parseBitRate(text: string): number {
  // Case-sensitive on purpose: a capital B means bytes and is refused.
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:bps|bit\/s|bits\/s|b\/s|bit|bits)?\s*$/.exec(text);
  if (!match) {
    throw new UsageError(`--traffic-limit takes bits per second, e.g. 819200, 800k, 100Mbps (bytes are not accepted): ${text}`);
  }
  return Math.round(Number(match[1]) * BIT_RATE_UNITS[match[2].toLowerCase()]);
}

export function parseStorageClass(text: string): string {
  const upper = text.trim().toUpperCase();
  if (!(STORAGE_CLASSES as readonly string[]).includes(upper)) {
    throw new UsageError(`--storage-class must be one of ${STORAGE_CLASSES.join(', ')}: ${text}`);
  }
  return upper;
}

export function parseContentType(text: string): string {
  if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(text.trim()) || /[\r\n]/.test(text)) {
    throw new UsageError(`--content-type takes a MIME type such as application/octet-stream: ${text}`);
  }
  return text.trim();
}

/** COS limits x-cos-meta-* names to letters, digits and hyphens; values travel as HTTP header values. */
export function parseMetadata(entries: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--meta takes name=value: ${entry}`);
    const name = entry.slice(0, eq).trim().toLowerCase().replace(/^x-cos-meta-/, '');
    const value = entry.slice(eq + 1);
    if (!/^[a-z0-9-]+$/.test(name)) throw new UsageError(`--meta names may use only letters, digits and hyphens: ${name}`);
    if (!/^[\x20-\x7e]*$/.test(value)) throw new UsageError(`--meta values must be printable ASCII (HTTP header rules): ${name}`);
    if (name in metadata) throw new UsageError(`--meta names the same entry twice: ${name}`);
    metadata[name] = value;
  }
  return metadata;
}

export function parseOnCancel(text: string | undefined): OnCancel {
  if (text === undefined) return 'keep';
  const value = text.trim().toLowerCase();
  if (value !== 'keep' && value !== 'abort') throw new UsageError(`--on-cancel takes keep or abort: ${text}`);
  return value;
}

export function parseOnFileChanged(text: string | undefined): 'fail' | 'restart' {
  if (text === undefined) return 'fail';
  const value = text.trim().toLowerCase();
  if (value !== 'fail' && value !== 'restart') throw new UsageError(`--on-file-changed takes fail or restart: ${text}`);
  return value;
}
