/**
 * What a finished sync did, counted for its end message (CLI text and --json, the extension's
 * notification). Files sent again only because their object headers drifted (update-headers) are
 * counted apart from uploads, so a header rule edit does not read as changed files. Pure.
 */

import type { SyncResult } from './syncTypes';

export interface SyncOutcomeCounts {
  /** New and changed files sent. */
  uploaded: number;
  uploadedBytes: number;
  /** Unchanged files sent again for their headers. */
  headersUpdated: number;
  headersUpdatedBytes: number;
  unchanged: number;
  deleted: number;
  failed: number;
  excluded: number;
}

export function syncOutcomeCounts(result: SyncResult): SyncOutcomeCounts {
  const counts: SyncOutcomeCounts = {
    uploaded: 0,
    uploadedBytes: 0,
    headersUpdated: 0,
    headersUpdatedBytes: 0,
    unchanged: result.summary['skip-unchanged'].count,
    deleted: result.deleted.length,
    failed: result.failed.length,
    excluded: result.summary.excluded.count,
  };
  for (const file of result.uploaded) {
    if (file.action === 'update-headers') {
      counts.headersUpdated++;
      counts.headersUpdatedBytes += file.bytes;
    } else {
      counts.uploaded++;
      counts.uploadedBytes += file.bytes;
    }
  }
  return counts;
}
