import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/extension/commands/ids';
import { findRepoRoot } from '../repoRoot';

interface Manifest {
  contributes: { commands: Array<{ command: string }>; menus: Record<string, Array<{ command: string }>> };
}

const manifest = JSON.parse(fs.readFileSync(path.join(findRepoRoot(), 'package.json'), 'utf8')) as Manifest;

describe('command ids: the registration table and package.json', () => {
  it('contributes exactly the commands the table registers', () => {
    assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length, 'an id is listed twice');
    assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), [...COMMAND_IDS].sort());
  });

  it('names only registered commands in the menus', () => {
    const ids = new Set<string>(COMMAND_IDS);
    for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
      for (const { command } of entries) assert.ok(ids.has(command), `menu ${menu} names ${command}, which is not registered`);
    }
  });
});
