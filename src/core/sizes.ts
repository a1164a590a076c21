/**
 * Byte sizes as people write them in settings and on the command line, and back again for
 * messages.
 *
 * Every unit is binary: KB, K and KiB all mean 1024 bytes, MB, M and MiB all mean 1024². COS
 * documents its limits that way ("1 MB to 5 GB" per part means 1 MiB to 5 GiB), and so do the AWS
 * and COS command-line tools, so "8MB" means what the user most likely expects.
 */

import { ConfigError } from './errors';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

const UNIT_FACTORS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KiB,
  kb: KiB,
  kib: KiB,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: GiB,
  gb: GiB,
  gib: GiB,
  t: TiB,
  tb: TiB,
  tib: TiB,
};

const SIZE_PATTERN = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$/i;

/**
 * Parses '1048576', '8MiB', '8 MiB', '8M', '8MB', '1.5GiB'. Fractions are allowed with a unit and
 * round to the nearest byte. Anything else throws ConfigError naming the text.
 */
export function parseSize(text: string, field = 'size'): number {
  const match = SIZE_PATTERN.exec(text.trim());
  const factor = match ? UNIT_FACTORS[match[2].toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new ConfigError(
      field,
      `Size must be a number of bytes with an optional unit B, KiB, MiB, GiB or TiB (for example 8MiB): ${JSON.stringify(text)}`,
    );
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(bytes)) {
    throw new ConfigError(field, `Size is too large to handle: ${JSON.stringify(text)}`);
  }
  return bytes;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** '512 B', '8.0 MiB', '1.2 GiB': one decimal above bytes, binary units. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || Math.abs(bytes) < KiB) return `${bytes} B`;
  let value = bytes / KiB;
  let unit = 0;
  // Compare the rounded figure so 1023.96 KiB reads 1.0 MiB rather than 1024.0 KiB.
  while (unit < UNITS.length - 1 && Math.abs(Number(value.toFixed(1))) >= 1024) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * Bytes per second in binary units, to match the sizes printed beside it. `perSecond` words the
 * unit around the size (the extension passes its localized form).
 */
export function formatRate(bytesPerSecond: number, perSecond: (size: string) => string = (size) => `${size}/s`): string {
  return perSecond(formatBytes(Math.max(0, Math.round(bytesPerSecond))));
}

/**
 * For messages about sizes a user chose: '512 KiB' when the size is a whole number of its unit,
 * otherwise the rounded figure plus the exact count, since a rounded figure alone can mislead
 * ("1.0 MiB" for one byte less): '1.0 MiB (1048575 bytes)'.
 */
export function describeSize(bytes: number): string {
  const text = formatBytes(bytes);
  if (text.endsWith(' B')) return text;
  const [figure, unit] = text.split(' ');
  const exact = Number(figure) * KiB * 1024 ** UNITS.indexOf(unit);
  return exact === bytes ? `${Number(figure)} ${unit}` : `${text} (${bytes} bytes)`;
}
