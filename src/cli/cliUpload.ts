/**
 * `cos-upload upload` alone, bundled as dist/cliUpload.js: the commonest command loads neither
 * the emulator nor sync, download and resume, which dist/cliCommands.js holds.
 */
export { runUpload } from './upload';
