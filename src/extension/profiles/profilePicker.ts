import * as vscode from 'vscode';
import { runCommand } from '../commands/run';
import { askPick } from '../ui/prompts';
import type { BucketProfile, ProfileStore } from './profileStore';

interface ProfileItem extends vscode.QuickPickItem {
  profile: BucketProfile;
}

/** One-line summary of where a profile points, for pick lists. */
export function describeProfile(profile: BucketProfile): string {
  const where = profile.endpoint ?? (profile.accelerate ? vscode.l10n.t('global acceleration') : profile.region);
  return `${profile.bucket} · ${where}${profile.prefix ? ` · ${profile.prefix}` : ''}`;
}

/**
 * Asks which profile to use, the last used one first. With a single profile there is nothing to
 * ask; with none, offers to add one (when `offerAdd`) and continues with it.
 */
export async function pickProfile(store: ProfileStore, placeholder: string, options: { offerAdd?: boolean } = { offerAdd: true }): Promise<BucketProfile | undefined> {
  const profiles = store.listLastUsedFirst();
  if (profiles.length === 1) return profiles[0];
  if (profiles.length === 0) {
    if (!options.offerAdd) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There is no bucket profile yet; add one with COS: Add Bucket Profile.'));
      return undefined;
    }
    const add = vscode.l10n.t('Add Bucket Profile');
    const picked = await vscode.window.showInformationMessage(vscode.l10n.t('Add a bucket profile first: it says which bucket to upload to and holds its keys.'), add);
    if (picked !== add) return undefined;
    return runCommand<BucketProfile | undefined>('cosUpload.addProfile');
  }
  const items: ProfileItem[] = profiles.map((profile, index) => ({
    label: profile.name,
    description: describeProfile(profile),
    ...(index === 0 && profile.id === store.lastUsedId() ? { detail: vscode.l10n.t('last used') } : {}),
    profile,
  }));
  // Through askPick(): the extension-host tests pick a profile by name.
  const picked = await askPick(items, { title: vscode.l10n.t('Bucket profile'), placeHolder: placeholder, matchOnDescription: true });
  return picked?.profile;
}
