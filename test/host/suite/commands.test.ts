import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionApi, manifest, waitFor } from './extensionHelpers';

const EXPLORER_ONLY = ['cosUpload.uploadFromExplorer'];
const NEEDS_PROFILE = ['cosUpload.editProfile', 'cosUpload.removeProfile', 'cosUpload.testConnection'];

describe('contributed commands and settings', () => {
  before(async () => {
    await extensionApi();
  });

  it('registers every contributed command, and contributes every command it registers', async () => {
    // VS Code adds <view id>.focus and the like for each contributed view: not ours to register.
    const views = Object.values(manifest.contributes.views ?? {}).flatMap((list) => list.map((v) => `${v.id}.`));
    const registered = new Set((await vscode.commands.getCommands(true)).filter((c) => c.startsWith('cosUpload.') && !views.some((v) => c.startsWith(v))));
    const contributed = manifest.contributes.commands.map((c) => c.command);
    assert.ok(contributed.length >= 8, `only ${contributed.length} commands are contributed`);
    for (const command of contributed) assert.ok(registered.has(command), `${command} is contributed but not registered`);
    assert.deepEqual([...registered].sort(), [...contributed].sort());
  });

  it('puts every command in category "COS" with a localized title that resolves', () => {
    const nls = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../package.nls.json'), 'utf8')) as Record<string, string>;
    for (const { command, title, category } of manifest.contributes.commands) {
      assert.equal(category, 'COS', `${command} has category ${String(category)}`);
      const key = /^%(.+)%$/.exec(title)?.[1];
      assert.ok(key, `${command}'s title is not a %key% placeholder: ${title}`);
      assert.ok(nls[key], `package.nls.json has no string for ${key}`);
    }
  });

  it('hides the Explorer-only command from the palette and shows it on files and folders', () => {
    const palette = manifest.contributes.menus.commandPalette;
    const explorer = manifest.contributes.menus['explorer/context'];
    for (const command of EXPLORER_ONLY) {
      assert.equal(palette.find((m) => m.command === command)?.when, 'false', `${command} must be hidden from the palette`);
      const entry = explorer.find((m) => m.command === command);
      assert.ok(entry, `${command} is not in the Explorer context menu`);
      // No scheme condition either: in a remote window (SSH, code-server) Explorer items are vscode-remote: URIs.
      assert.equal(entry.when, undefined, `${command} must be shown on every Explorer item, folders included: ${entry.when}`);
    }
    // Palette commands stay in the palette.
    for (const command of ['cosUpload.uploadFile', 'cosUpload.addProfile', 'cosUpload.showUploads', 'cosUpload.showLog']) {
      const entry = palette.find((m) => m.command === command);
      assert.ok(!entry || (entry.when !== 'false' && entry.when !== 'never'), `${command} is hidden from the palette`);
    }
  });

  it('hides the COS view\'s item commands from the palette and shows each in the view', () => {
    const palette = manifest.contributes.menus.commandPalette;
    const inView = [...manifest.contributes.menus['view/item/context'], ...manifest.contributes.menus['view/title']];
    const viewCommands = manifest.contributes.commands.map((c) => c.command).filter((c) => c.startsWith('cosUpload.view.'));
    assert.ok(viewCommands.length >= 10, `only ${viewCommands.length} view commands`);
    for (const command of viewCommands) {
      assert.equal(palette.find((m) => m.command === command)?.when, 'false', `${command} must be hidden from the palette`);
      if (command === 'cosUpload.view.loadMore') continue; // the "Load more" item's own click
      const entry = inView.find((m) => m.command === command);
      assert.ok(entry?.when?.includes('view == cosUpload.bucketView'), `${command} is not in the COS view's menus`);
    }
  });

  it('shows profile commands only once a profile exists (context key cosUpload.hasProfile)', () => {
    const palette = manifest.contributes.menus.commandPalette;
    for (const command of NEEDS_PROFILE) {
      assert.equal(palette.find((m) => m.command === command)?.when, 'cosUpload.hasProfile', `${command} when clause`);
    }
  });

  it('describes every setting with markdownDescription, a default, a scope and bounds', () => {
    const properties = manifest.contributes.configuration.properties;
    const expected = [
      'partSize',
      'multipartThreshold',
      'concurrency',
      'maxConcurrency',
      'retries',
      'trafficLimit',
      'sendContentMD5',
      // Old names, still read as a fallback (deprecated, hidden in the Settings UI unless set).
      'partSizeMiB',
      'multipartThresholdMiB',
      'trafficLimitKiBps',
      'contentMd5',
      'onCancel',
      'maxConcurrentUploads',
      'excludeGlobs',
      'respectGitignore',
      'allowInsecureHttp',
      'presignedUrlExpirySeconds',
      'uploadOnSave',
      'viewPageSize',
      'openSizeLimitMB',
      'headers',
      'tagging',
      'syncUpdateHeaders',
    ].map((name) => `cosUpload.${name}`);
    assert.deepEqual(Object.keys(properties).sort(), [...expected].sort());
    for (const [name, schema] of Object.entries(properties)) {
      assert.match(String(schema.markdownDescription), /^%config\..+%$/, `${name} has no localized markdownDescription`);
      assert.ok('default' in schema, `${name} has no default`);
      assert.ok(schema.scope, `${name} has no scope`);
      if (schema.type === 'integer' || schema.type === 'number') {
        assert.equal(typeof schema.minimum, 'number', `${name} has no minimum`);
        assert.equal(typeof schema.maximum, 'number', `${name} has no maximum`);
        assert.ok((schema.default as number) >= (schema.minimum as number) && (schema.default as number) <= (schema.maximum as number), `${name}'s default is out of its bounds`);
      }
      if (schema.type === 'string') assert.ok(Array.isArray(schema.enum) || typeof schema.pattern === 'string', `${name} has neither enum nor pattern`);
    }
    // The defaults VS Code reports are the manifest's (the schema was registered).
    const config = vscode.workspace.getConfiguration('cosUpload');
    assert.equal(config.inspect('partSize')?.defaultValue, properties['cosUpload.partSize'].default);
    assert.equal(config.inspect('onCancel')?.defaultValue, 'keep');
  });

  it('maps the traffic limit bounds exactly onto COS x-cos-traffic-limit (819200..838860800 bit/s)', () => {
    const schema = manifest.contributes.configuration.properties['cosUpload.trafficLimit'];
    assert.equal((schema.maximum as number) * 1024 * 8, 838_860_800);
    const nls = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../package.nls.json'), 'utf8')) as Record<string, string>;
    assert.match(nls['config.trafficLimit'], /819200 to 838860800 bit\/s/);
  });

  it('declares why it is limited in untrusted workspaces and unsupported in virtual ones', () => {
    const capabilities = manifest.capabilities as { untrustedWorkspaces: { supported: unknown; description?: string }; virtualWorkspaces: { supported: unknown } };
    assert.ok(capabilities.untrustedWorkspaces.supported === 'limited' || capabilities.untrustedWorkspaces.supported === false);
    assert.ok(capabilities.untrustedWorkspaces.description, 'no reason given for untrusted workspaces');
    assert.equal(capabilities.virtualWorkspaces.supported, false);
  });

  it('has every l10n.t string of the source in the l10n bundles, translated with the same placeholders', () => {
    const repo = path.join(__dirname, '../../../..');
    const sources = (fs.readdirSync(path.join(repo, 'src/extension'), { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ts'));
    const used = new Set<string>();
    for (const file of sources) {
      const text = fs.readFileSync(path.join(repo, 'src/extension', file), 'utf8');
      for (const m of text.matchAll(/vscode\.l10n\.t\(\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/g)) used.add(m[2].replace(/\\(['"\\])/g, '$1'));
    }
    assert.ok(used.size > 100, `only ${used.size} localized strings found`);
    const bundle = JSON.parse(fs.readFileSync(path.join(repo, 'l10n/bundle.l10n.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual([...used].sort(), Object.keys(bundle).sort(), 'l10n/bundle.l10n.json is out of date');
    const placeholders = (text: string) => (text.match(/\{\d+\}/g) ?? []).sort();
    const zh = JSON.parse(fs.readFileSync(path.join(repo, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    for (const key of used) {
      assert.ok(zh[key], `no zh-cn translation for: ${key}`);
      assert.deepEqual(placeholders(zh[key]), placeholders(key), `placeholders differ for: ${key}`);
    }
    const nls = JSON.parse(fs.readFileSync(path.join(repo, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const nlsZh = JSON.parse(fs.readFileSync(path.join(repo, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(nlsZh).sort(), Object.keys(nls).sort());
  });

  it('opens the log without an error', async () => {
    await vscode.commands.executeCommand('cosUpload.showLog');
    const api = await extensionApi();
    await waitFor('the activation line in the log', () => (api.log.lines().some((line) => /activated in \d+ ms/.test(line)) ? true : undefined), 15_000);
  });

  it('activates without loading the command bundle, HTTP, XML or CRC64 code', async () => {
    const { activation } = await extensionApi();
    assert.equal(activation.loadedOnDemand, false, 'activate() loaded the command bundle');
    assert.deepEqual(activation.heavyModules, [], 'activate() loaded modules only commands need');
  });
});
