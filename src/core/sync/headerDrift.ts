/**
 * Whether an unchanged object's headers are the ones asked for (sync's update-headers option):
 * the wanted headers (uploadHeaders.ts describingHeaders) against what Head Object returned. Pure.
 */

/** One header whose stored value differs; `actual` undefined when the object lacks it, `wanted` when it should not have it. */
export interface HeaderDifference {
  name: string;
  wanted?: string;
  actual?: string;
}

/** Headers a rule manages: an object carrying one that is no longer asked for has drifted too. */
const MANAGED = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];

/**
 * The differences, by lower-case name. Head Object leaves out x-cos-storage-class for STANDARD and
 * gives only the number of tags (x-cos-tagging-count), so tagging drifts only when the count does.
 */
export function headerDrift(wanted: Readonly<Record<string, string>>, returned: Readonly<Record<string, string | undefined>>): HeaderDifference[] {
  const actual = (name: string): string | undefined => returned[name]?.trim();
  const differences: HeaderDifference[] = [];
  const note = (name: string, want: string | undefined, have: string | undefined): void => {
    differences.push({ name, ...(want !== undefined ? { wanted: want } : {}), ...(have !== undefined ? { actual: have } : {}) });
  };
  for (const [name, want] of Object.entries(wanted)) {
    if (name === 'x-cos-tagging') {
      const count = want === '' ? 0 : want.split('&').length;
      const have = actual('x-cos-tagging-count');
      if (String(count) !== (have ?? '0')) note(name, want, have === undefined ? undefined : `${have} tags`);
    } else if (name === 'x-cos-storage-class') {
      const have = actual(name) ?? 'STANDARD';
      if (have.toUpperCase() !== want.toUpperCase()) note(name, want, have);
    } else if (name === 'content-type') {
      const have = actual(name);
      if (normalizeType(have) !== normalizeType(want)) note(name, want, have);
    } else if (name === 'expires') {
      const have = actual(name);
      if (have === undefined || Date.parse(have) !== Date.parse(want)) note(name, want, have);
    } else if (actual(name) !== want) {
      note(name, want, actual(name));
    }
  }
  for (const [name, value] of Object.entries(returned)) {
    if (value === undefined || name in wanted) continue;
    if (MANAGED.includes(name) || name.startsWith('x-cos-meta-')) note(name, undefined, value.trim());
  }
  return differences;
}

/** `text/html;charset=UTF-8` and `text/html; charset=utf-8` are the same type. */
function normalizeType(type: string | undefined): string | undefined {
  return type?.toLowerCase().replace(/\s*;\s*/g, '; ').trim();
}
