/** The uploader core: no VS Code here, so the CLI, tests and the extension share it. */
export * from './types';
export * from './errors';
export { uploadFile, type UploadRequest } from './multipartUpload';
export { defaultUploadOptions, resolveUploadOptions, TRAFFIC_LIMIT_MIN, TRAFFIC_LIMIT_MAX, MAX_CONCURRENCY, STORAGE_CLASSES } from './options';
export { CosClient, type ClientEvents, type ObjectInfo } from './cosClient';
export { FileCheckpointStore, checkpointId } from './checkpoint';
export {
  listIncompleteUploads,
  checkpointKnowsUpload,
  checkpointsOfUpload,
  fileUnderTarget,
  joinCheckpoint,
  selectOlderThan,
  uploadAgeMs,
  LIST_PARTS_CONCURRENCY,
  type IncompleteUpload,
  type CheckpointEntry,
  type UploadLister,
} from './incompleteUploads';
export { mapLimit } from './mapLimit';
export { UploadLockedError, defaultLockDir, downloadLockRequest, type LockOperation, acquireUploadLock, findUploadLock, formatLockTime, OTHER_HOST_STALE_MS, type UploadLockInfo } from './uploadLock';
export { staticCredentials, refreshableCredentials } from './credentials';
export { getCrc64Engine, crc64EngineStatus } from './crc64';
export { hashingStatus } from './hashPool';
export { tuneDedicatedUploadProcess, UPLOAD_PROCESS_V8_FLAGS } from './processTuning';
export { formatRate } from './sizes';
export { parseSize, formatBytes, planParts, MIN_PART_SIZE, MAX_PART_SIZE, MAX_PARTS, DEFAULT_PART_SIZE, NEAR_PART_SIZE } from './partPlan';
export {
  validateBucket,
  validateRegion,
  validateObjectKey,
  validateEndpoint,
  resolveEndpoint,
  isLoopbackHost,
  COS_REGIONS,
} from './endpoint';
export { type TransportOptions } from './transport';
export { combinedExclude, enabledGlobs, globExcluder } from './excludeGlobs';
export { gitignoreFilter } from './gitignoreFilter';
export { syncFolder } from './sync/syncFolder';
export { normalizePrefix, summarizePlan, type PlanItem, type PlannedAction, type PlanSummary } from './sync/syncPlan';
export { DEFAULT_MAX_CONCURRENT_FILES, MAX_CONCURRENT_FILES, type SyncEvent, type SyncRequest, type SyncResult, type UploadedFile } from './sync/syncTypes';
export { listLocalFolder, type LocalFile } from './sync/localFiles';
export { syncOutcomeCounts, type SyncOutcomeCounts } from './sync/syncOutcome';
export { formatSyncProgress, SyncProgressMeter, type SyncProgressFigures, type SyncProgressWords } from './sync/syncProgress';
export { downloadObject, type DownloadEvent, type DownloadOptions, type DownloadRequest, type DownloadResult } from './download/downloadObject';
export { DownloadCheckpointStore } from './download/downloadCheckpoint';
export { downloadPrefix, prefixDownloadIncomplete, type PrefixDownloadEvent, type PrefixDownloadFailure, type PrefixDownloadRequest, type PrefixDownloadResult } from './download/downloadPrefix';
export { isPrefixKey, listingPrefix, planPrefixDownload, type PrefixFile, type PrefixPlan, type RefusedKey } from './download/prefixPlan';
export { DOWNLOAD_TEMP_SUFFIX, downloadTempPath } from './download/rangePlan';
export { MAX_DELETE_KEYS, type DeleteRefusal } from './bucketListing';
