import * as assert from 'node:assert/strict';
import { headerDrift, type HeaderDifference } from '../../src/core/sync/headerDrift';

describe('header drift (sync --update-headers)', () => {
  const rows: Array<{ name: string; wanted: Record<string, string>; returned: Record<string, string>; drift: HeaderDifference[] }> = [
    {
      name: 'same headers: no drift',
      wanted: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-cos-meta-team': 'web' },
      returned: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-cos-meta-team': 'web', etag: '"x"', 'content-length': '3' },
      drift: [],
    },
    {
      name: 'content type differing only in case and spaces is the same',
      wanted: { 'content-type': 'text/html; charset=utf-8' },
      returned: { 'content-type': 'text/html;charset=UTF-8' },
      drift: [],
    },
    {
      name: 'a bare text type drifts from the charset one',
      wanted: { 'content-type': 'text/css; charset=utf-8' },
      returned: { 'content-type': 'text/css' },
      drift: [{ name: 'content-type', wanted: 'text/css; charset=utf-8', actual: 'text/css' }],
    },
    {
      name: 'a changed Cache-Control drifts',
      wanted: { 'cache-control': 'max-age=60' },
      returned: { 'cache-control': 'no-cache' },
      drift: [{ name: 'cache-control', wanted: 'max-age=60', actual: 'no-cache' }],
    },
    {
      name: 'a missing header drifts',
      wanted: { 'content-language': 'zh-CN' },
      returned: {},
      drift: [{ name: 'content-language', wanted: 'zh-CN' }],
    },
    {
      name: 'a managed header no longer wanted drifts; unmanaged response headers do not',
      wanted: {},
      returned: { 'content-disposition': 'attachment', 'x-cos-meta-old': '1', 'x-cos-request-id': 'r', 'last-modified': 'x' },
      drift: [
        { name: 'content-disposition', actual: 'attachment' },
        { name: 'x-cos-meta-old', actual: '1' },
      ],
    },
    {
      name: 'STANDARD is what Head Object omits',
      wanted: { 'x-cos-storage-class': 'STANDARD' },
      returned: {},
      drift: [],
    },
    {
      name: 'another storage class drifts',
      wanted: { 'x-cos-storage-class': 'STANDARD_IA' },
      returned: {},
      drift: [{ name: 'x-cos-storage-class', wanted: 'STANDARD_IA', actual: 'STANDARD' }],
    },
    {
      name: 'tagging: the same number of tags counts as the same',
      wanted: { 'x-cos-tagging': 'a=1&b=2' },
      returned: { 'x-cos-tagging-count': '2' },
      drift: [],
    },
    {
      name: 'tagging: another count drifts',
      wanted: { 'x-cos-tagging': 'a=1&b=2' },
      returned: {},
      drift: [{ name: 'x-cos-tagging', wanted: 'a=1&b=2' }],
    },
    {
      name: 'Expires compares as a date',
      wanted: { expires: 'Wed, 21 Oct 2026 07:28:00 GMT' },
      returned: { expires: 'Wed, 21 Oct 2026 07:28:00 +0000' },
      drift: [],
    },
    {
      name: 'another Expires drifts',
      wanted: { expires: 'Wed, 21 Oct 2026 07:28:00 GMT' },
      returned: { expires: 'Thu, 22 Oct 2026 07:28:00 GMT' },
      drift: [{ name: 'expires', wanted: 'Wed, 21 Oct 2026 07:28:00 GMT', actual: 'Thu, 22 Oct 2026 07:28:00 GMT' }],
    },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(headerDrift(row.wanted, row.returned), row.drift));
});
