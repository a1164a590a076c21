/**
 * Everything `cos-upload` needs to do real work, loaded by main.ts only once a command has parsed:
 * the bundle ships it as dist/cliCommands.js beside dist/cli.js, so `--help`, `--version` and
 * argument errors never load the uploader, its HTTP client or the emulator.
 */
export { runDemo } from './demo';
export { runDownload } from './download';
export { runEmulator } from './emulator';
export { runIncomplete } from './incomplete';
export { runResume } from './resume';
export { runSync } from './sync';
export { runUpload } from './upload';
