/**
 * What the commands, uploads and the startup resume run on: the uploader core, its HTTP client,
 * XML and CRC64 code. Bundled apart (dist/extensionCommands.js) and reached only through
 * onDemand(), so activation loads none of it.
 */
export { manageIncompleteUploadsCommand } from './incomplete';
export { addProfileCommand, editProfileCommand, removeProfileCommand } from './profiles';
export { testConnectionCommand } from './testConnection';
export { uploadCommand } from './upload';
export { syncFolderCommand } from './syncFolder';
export { showUploadsCommand } from './uploads';
export { openObjectCommand } from './openObject';
export { downloadFolderCommand } from './downloadFolder';
export { listCosFolder, readCosObject, statCosObject } from '../cosFs/cosFsOperations';
export { CoreUploadBackend } from '../uploads/uploadBackend';
export { restoreAndOfferResume } from '../uploads/resumeOnStartup';
export { uploadSavedFile } from '../uploadOnSave/saveUpload';
export { setPromptHooks } from '../ui/prompts';
export { CosClient, staticCredentials } from '../../core';
export { loadViewPage } from '../bucketView/bucketTree';
export { copyKeyCommand, copyUrlCommand, deleteObjectsCommand, deletePrefixCommand } from '../bucketView/viewActions';
export { downloadViewObjectCommand, objectPropertiesCommand } from '../bucketView/viewObject';
export { uploadHereCommand } from '../bucketView/viewUploads';
export { filterViewCommand, loadMoreCommand, viewIncompleteUploadsCommand } from '../bucketView/viewNavigation';
