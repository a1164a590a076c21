import * as vscode from 'vscode';
import { pickProfile } from '../profiles/profilePicker';
import type { BucketProfile, ProfileStore } from '../profiles/profileStore';

/** The node shape of the COS view: `{ profile: <profile name>, key }` or `{ profile, prefix }`. */
export interface CosNodeArgs {
  profile?: string;
  key?: string;
  prefix?: string;
  /** Download Folder only: the folder to download into, instead of asking. */
  destination?: vscode.Uri | string;
}

export function nodeArgs(value: unknown): CosNodeArgs | undefined {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) && !Array.isArray(value) ? (value as CosNodeArgs) : undefined;
}

/** The profile the node names, or the one the user picks; a name that matches none is reported. */
export async function profileForNode(profiles: ProfileStore, args: CosNodeArgs | undefined, placeholder: string): Promise<BucketProfile | undefined> {
  if (args?.profile === undefined) return pickProfile(profiles, placeholder);
  const found = profiles.find(args.profile);
  if (!found) void vscode.window.showErrorMessage(vscode.l10n.t('There is no bucket profile named {0}.', args.profile));
  return found;
}
