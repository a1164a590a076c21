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
  'cosUpload.openObject',
  'cosUpload.downloadFolder',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
