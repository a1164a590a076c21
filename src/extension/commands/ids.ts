/**
 * Every command the extension registers. No `vscode` import, so the unit test can load it in plain
 * Node and check it against package.json's `contributes.commands` and menus.
 */
export const COMMAND_IDS = [
  'cosUpload.uploadFile',
  'cosUpload.uploadFromExplorer',
  'cosUpload.syncFolder',
  'cosUpload.showUploads',
  'cosUpload.manageIncompleteUploads',
  'cosUpload.addProfile',
  'cosUpload.editProfile',
  'cosUpload.removeProfile',
  'cosUpload.testConnection',
  'cosUpload.showLog',
  'cosUpload.pauseUploadOnSave',
  'cosUpload.resumeUploadOnSave',
  // The COS view (src/extension/bucketView/): title-bar and item actions, hidden from the palette.
  'cosUpload.view.refresh',
  'cosUpload.view.filter',
  'cosUpload.view.loadMore',
  'cosUpload.view.incompleteUploads',
  'cosUpload.view.download',
  'cosUpload.view.copyUrl',
  'cosUpload.view.copyPresignedUrl',
  'cosUpload.view.copyKey',
  'cosUpload.view.delete',
  'cosUpload.view.properties',
  'cosUpload.view.deletePrefix',
  'cosUpload.view.uploadHere',
  'cosUpload.openObject',
  'cosUpload.downloadFolder',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
