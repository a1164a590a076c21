import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runCommand } from '../commands/run';
import { describeError } from '../../core/errors';
import { onDemand } from '../commands/onDemand';
import type * as emulatorModule from '../../emulator';
import type { EmulatorCredentials, RunningEmulator } from '../../emulator';
import type { UploadLog } from '../ui/log';
import type { BucketProfile, ProfileStore } from '../profiles/profileStore';

/**
 * The "Local emulator" endpoint: the COS emulator that ships with the extension (dist/emulator.js,
 * bundled from src/emulator and loaded only when this is used), run inside the extension host on
 * 127.0.0.1, so a new user can try every feature without a cloud account. One emulator and one
 * profile at most; the profile's SecretId/SecretKey are the emulator's own throwaway pair, kept in
 * SecretStorage like any other. The emulator keeps objects in memory for the session (bytes under
 * globalStorage/emulator/<pid>, removed once that process is gone); it is started again in later
 * sessions while its profile exists, and stopped when the profile is removed or the extension
 * deactivates. A second window finds the first one's emulator on the recorded port and uses it.
 */

/** What globalState remembers between sessions; nothing secret. */
interface EmulatorRecord {
  profileId: string;
  port: number;
}

/** Types only: the code comes from dist/emulator.js at run time, never from extension.js. */
type EmulatorModule = Pick<typeof emulatorModule, 'startEmulator'>;

const RECORD_KEY = 'cosUpload.localEmulator';
const HOST = '127.0.0.1';
/** The in-memory request log is for tests and debugging; a session-long emulator keeps a short one. */
const MAX_LOG_ENTRIES = 10_000;
/** The key another window's emulator is asked for; never written. */
const PROBE_KEY = '.cos-upload-emulator-probe';

export interface LocalEmulatorDeps {
  context: vscode.ExtensionContext;
  profiles: ProfileStore;
  log: UploadLog;
  /**
   * Serve the emulator's control API (faults, clock, credentials) for the extension-host tests; a
   * user's emulator serves COS only.
   */
  control?: boolean;
  /** Loads dist/emulator.js; replaceable in tests. */
  load?: () => EmulatorModule;
}

export class LocalEmulator implements vscode.Disposable {
  private running: RunningEmulator | undefined;
  private starting: Promise<RunningEmulator> | undefined;
  /** The address of an emulator another window runs for the same profile. */
  private borrowed: string | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly deps: LocalEmulatorDeps) {
    // Removing the profile is how a user turns the emulator off.
    this.subscription = deps.profiles.onDidChange(() => {
      const record = this.record();
      if (record && !deps.profiles.find(record.profileId)) void this.forget();
    });
  }

  /** The emulator's address while it runs. */
  get url(): string | undefined {
    return this.running?.url ?? this.borrowed;
  }

  /** The profile bound to the emulator, if there is one. */
  profile(): BucketProfile | undefined {
    const record = this.record();
    return record ? this.deps.profiles.find(record.profileId) : undefined;
  }

  /**
   * Starts the emulator (or uses the running one) and saves a bucket profile named `name` for it:
   * its bucket, region, address and credentials. With a profile already bound, returns that one.
   */
  async createProfile(name: string): Promise<BucketProfile> {
    const existing = this.profile();
    if (existing) {
      await this.ensureRunning(existing);
      return this.profile() ?? existing;
    }
    const emulator = await this.start(0, undefined);
    const profile = await this.deps.profiles.save(
      { name, bucket: emulator.bucket, region: emulator.region, endpoint: emulator.url, prefix: '', encryption: { type: 'none' } },
      { secretId: emulator.credentials.secretId, secretKey: emulator.credentials.secretKey },
    );
    await this.deps.context.globalState.update(RECORD_KEY, { profileId: profile.id, port: emulator.port } satisfies EmulatorRecord);
    return profile;
  }

  /** At activation: starts the emulator again for the profile bound to it in an earlier session. */
  async restore(): Promise<void> {
    const record = this.record();
    if (!record) return;
    const profile = this.deps.profiles.find(record.profileId);
    if (!profile) {
      await this.forget();
      return;
    }
    try {
      await this.ensureRunning(profile);
    } catch (error) {
      this.deps.log.error(`local emulator failed to start for profile ${profile.name}: ${describeError(error)}`);
    }
  }

  /** Stops the emulator (uploads to it fail from then on); safe to call twice. */
  async stop(): Promise<void> {
    const emulator = this.running ?? (await this.starting?.catch(() => undefined));
    this.running = undefined;
    this.starting = undefined;
    if (!emulator) return;
    await emulator.close().catch((error: unknown) => this.deps.log.warn(`local emulator did not stop cleanly: ${describeError(error)}`));
    this.deps.log.info(`local emulator stopped url=${emulator.url}`);
  }

  dispose(): void {
    this.subscription.dispose();
    void this.stop();
  }

  /**
   * Runs the emulator for `profile` on the recorded port with the profile's credentials, or uses
   * the one another window runs there. When the port is taken by something else, another port is
   * used and the profile's endpoint follows it.
   */
  private async ensureRunning(profile: BucketProfile): Promise<void> {
    if (this.running) return;
    const record = this.record();
    const stored = await this.deps.profiles.getSecrets(profile.id);
    const credentials = stored ? { secretId: stored.secretId, secretKey: stored.secretKey } : undefined;
    if (record && credentials && (await answersAsOurs(record.port, profile, credentials))) {
      this.borrowed = `http://${HOST}:${record.port}`;
      this.deps.log.info(`local emulator: another window runs it at ${this.borrowed}; using that one`);
      return;
    }
    let emulator: RunningEmulator;
    try {
      emulator = await this.start(record?.port ?? 0, credentials);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      this.deps.log.info(`local emulator: port ${record?.port} is taken, using another one`);
      emulator = await this.start(0, credentials);
    }
    const secrets = stored ? {} : { secretId: emulator.credentials.secretId, secretKey: emulator.credentials.secretKey };
    if (profile.endpoint !== emulator.url || !stored) {
      await this.deps.profiles.save({ ...profile, endpoint: emulator.url, bucket: emulator.bucket, region: emulator.region }, secrets);
    }
    await this.deps.context.globalState.update(RECORD_KEY, { profileId: profile.id, port: emulator.port } satisfies EmulatorRecord);
  }

  private start(port: number, credentials: EmulatorCredentials | undefined): Promise<RunningEmulator> {
    if (this.starting) return this.starting;
    const dataDir = this.dataDir();
    this.starting = (async () => {
      // The emulator keeps its index in memory: bytes left by an ended session can never be read again.
      await removeStaleDataDirs(path.dirname(dataDir));
      await fs.rm(dataDir, { recursive: true, force: true });
      const module = (this.deps.load ?? (() => loadEmulatorModule(this.deps.context.extensionPath)))();
      // Embedded: requests addressed to any host but loopback (a DNS-rebinding web page) are refused.
      const emulator = await module.startEmulator({
        port,
        host: HOST,
        dataDir,
        maxLogEntries: MAX_LOG_ENTRIES,
        embedded: true,
        control: this.deps.control === true,
        ...(credentials ? { credentials } : {}),
      });
      this.running = emulator;
      this.deps.log.info(`local emulator started url=${emulator.url} bucket=${emulator.bucket} region=${emulator.region} dataDir=${dataDir}`);
      return emulator;
    })();
    this.starting.catch(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** The profile is gone: stop, drop the record and the bytes. */
  private async forget(): Promise<void> {
    this.borrowed = undefined;
    await this.stop();
    await this.deps.context.globalState.update(RECORD_KEY, undefined);
    await fs.rm(this.dataDir(), { recursive: true, force: true }).catch(() => undefined);
  }

  private record(): EmulatorRecord | undefined {
    const value = this.deps.context.globalState.get<EmulatorRecord>(RECORD_KEY);
    return value && typeof value.profileId === 'string' && Number.isInteger(value.port) ? value : undefined;
  }

  /** One folder per extension host process, so two windows never share (or wipe) one. */
  private dataDir(): string {
    return path.join(this.deps.context.globalStorageUri.fsPath, 'emulator', String(process.pid));
  }
}

/**
 * Whether the emulator on `port` is ours: a request for a missing object, signed with the profile's
 * keys, gets COS's answer to a signature it accepts (404 NoSuchKey), where a stranger answers 403.
 */
async function answersAsOurs(port: number, profile: BucketProfile, credentials: EmulatorCredentials): Promise<boolean> {
  // The signer comes with the command bundle; this runs only when a local emulator profile exists.
  const { CosClient, staticCredentials } = onDemand();
  const client = new CosClient({ target: { bucket: profile.bucket, region: profile.region, endpoint: `http://${HOST}:${port}` }, credentials: staticCredentials(credentials) });
  try {
    const res = await fetch(await client.presignUrl(PROBE_KEY, 60), { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return (res.status === 404 || res.status === 200) && res.headers.has('x-cos-request-id');
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

/** Removes the data folders of extension host processes that have ended. */
async function removeStaleDataDirs(parent: string): Promise<void> {
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    await fs.rm(path.join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * dist/emulator.js sits beside dist/extension.js in the package; it is required at run time (not
 * bundled into extension.js) so users who never pick the emulator never load it.
 */
function loadEmulatorModule(extensionPath: string): EmulatorModule {
  const file = path.join(extensionPath, 'dist', 'emulator.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, loaded on demand.
  return require(file) as EmulatorModule;
}

/** Where the new profile's requests go: a COS bucket, or the local emulator. */
export type ProfileKind = 'cos' | 'emulator';

/** The first question of Add Bucket Profile; undefined when the user cancels. */
export async function askProfileKind(title: string): Promise<ProfileKind | undefined> {
  type Item = vscode.QuickPickItem & { choice: ProfileKind };
  const items: Item[] = [
    {
      label: `$(cloud) ${vscode.l10n.t('Tencent Cloud COS')}`,
      detail: vscode.l10n.t('A bucket in your Tencent Cloud account: you need its name, its region and an API key.'),
      choice: 'cos',
    },
    {
      label: `$(vm) ${vscode.l10n.t('Local emulator (try without a cloud account)')}`,
      detail: vscode.l10n.t('Starts the COS emulator that comes with this extension on 127.0.0.1. Its objects last until VS Code closes.'),
      choice: 'emulator',
    },
  ];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Where do the files go?'), ignoreFocusOut: true });
  return picked?.choice;
}

/**
 * The emulator branch of Add Bucket Profile: a name, then the emulator starts and the profile is
 * saved. Says where the emulator runs and offers an upload.
 */
export async function addEmulatorProfile(emulator: LocalEmulator, store: ProfileStore, name: string | undefined): Promise<BucketProfile | undefined> {
  const bound = emulator.profile();
  let profileName = name ?? bound?.name;
  if (profileName === undefined) {
    const base = vscode.l10n.t('Local emulator');
    let suggestion = base;
    for (let n = 2; store.find(suggestion); n++) suggestion = `${base} ${n}`;
    profileName = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Bucket Profile: Local emulator'),
      prompt: vscode.l10n.t('A name for this bucket profile, shown when you pick where to upload.'),
      value: suggestion,
      ignoreFocusOut: true,
      validateInput: (v) => {
        if (v.trim() === '') return vscode.l10n.t('Enter a name.');
        if (store.find(v.trim())?.name.toLowerCase() === v.trim().toLowerCase()) return vscode.l10n.t('A bucket profile with this name already exists.');
        return undefined;
      },
    });
    if (profileName === undefined) return undefined;
    profileName = profileName.trim();
  }
  let profile: BucketProfile;
  try {
    profile = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Starting the local COS emulator…') }, () =>
      emulator.createProfile(profileName),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(vscode.l10n.t('The local COS emulator did not start: {0}', describeError(error)));
    return undefined;
  }
  void offerUpload(profile, emulator.url ?? profile.endpoint ?? '', bound !== undefined);
  return profile;
}

async function offerUpload(profile: BucketProfile, url: string, existed: boolean): Promise<void> {
  const upload = vscode.l10n.t('Upload File…');
  const message = existed
    ? vscode.l10n.t('The local COS emulator already has a bucket profile, {0}: bucket {1} at {2}', profile.name, profile.bucket, url)
    : vscode.l10n.t('Bucket profile {0} saved: the local COS emulator runs at {1} with bucket {2}', profile.name, url, profile.bucket);
  const picked = await vscode.window.showInformationMessage(message, upload);
  if (picked === upload) await runCommand('cosUpload.uploadFile');
}
