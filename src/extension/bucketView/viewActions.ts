import * as vscode from 'vscode';
import { CosError, describeError, formatBytes, MAX_DELETE_KEYS, type CosClient, type DeleteRefusal } from '../../core';
import type { ExtensionCommandContext } from '../commands';
import { withClient } from '../profiles/clients';
import type { BucketProfile } from '../profiles/profileStore';
import { showFailure } from '../ui/errorUi';
import { abortSignalFromToken } from '../ui/progressUi';
import { ask } from '../ui/prompts';

/**
 * The COS view's actions on objects and prefixes. Each takes what the tree passes (the clicked node,
 * then the selection) or, from another command or a test, plain `{ profile, key }` /
 * `{ profile, prefix }` objects; answers are data, so callers can check what happened.
 */

export interface ObjectRef {
  profile: string;
  key: string;
}

export interface PrefixRef {
  profile: string;
  prefix: string;
}

export interface ViewDeleteReport {
  deleted: string[];
  refused: DeleteRefusal[];
}

function isObjectRef(value: unknown): value is ObjectRef {
  const v = value as ObjectRef;
  return typeof v === 'object' && v !== null && typeof v.profile === 'string' && typeof v.key === 'string';
}

export function isPrefixRef(value: unknown): value is PrefixRef {
  const v = value as PrefixRef;
  return typeof v === 'object' && v !== null && typeof v.profile === 'string' && typeof v.prefix === 'string';
}

/** The objects an action applies to: the selection when the clicked node is part of it, else the clicked node. */
export function selectedObjects(clicked: unknown, selection: unknown): ObjectRef[] {
  const selected = Array.isArray(selection) ? selection.filter(isObjectRef) : [];
  if (selected.length > 0 && (!isObjectRef(clicked) || selected.some((s) => s.profile === clicked.profile && s.key === clicked.key))) return selected;
  return isObjectRef(clicked) ? [clicked] : [];
}

/** The profile a node names, with an error message (and undefined) when it is gone. */
export function profileOfNode(ctx: ExtensionCommandContext, name: string): BucketProfile | undefined {
  const profile = ctx.profiles.find(name);
  if (!profile) void vscode.window.showErrorMessage(vscode.l10n.t('There is no bucket profile with this name: {0}', name));
  return profile;
}

function failureContext(profile: BucketProfile): { profileName: string; bucket: string; region: string } {
  return { profileName: profile.name, bucket: profile.bucket, region: profile.region };
}

/** Copy Key: the keys of the selection, one a line. */
export async function copyKeyCommand(_ctx: ExtensionCommandContext, clicked: unknown, selection: unknown): Promise<string | undefined> {
  const objects = selectedObjects(clicked, selection);
  if (objects.length === 0) return undefined;
  const text = objects.map((o) => o.key).join('\n');
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Copied {0} key(s)', objects.length), 3000);
  return text;
}

/** Copy URL or Copy Presigned URL (expiry from cosUpload.presignedUrlExpirySeconds) of the selection, one a line. */
export async function copyUrlCommand(ctx: ExtensionCommandContext, presigned: boolean, clicked: unknown, selection: unknown): Promise<string | undefined> {
  const objects = selectedObjects(clicked, selection);
  if (objects.length === 0) return undefined;
  const urls: string[] = [];
  const expiry = ctx.settings().presignedUrlExpirySeconds;
  for (const [name, keys] of byProfile(objects)) {
    const profile = profileOfNode(ctx, name);
    if (!profile) return undefined;
    try {
      await withClient(ctx.profiles, profile, ctx.log, async (client) => {
        for (const key of keys) urls.push(presigned ? await client.presignUrl(key, expiry) : client.objectUrl(key));
      });
    } catch (error) {
      ctx.log.error(`copy URL failed profile=${name}: ${describeError(error)}`);
      void showFailure(error, failureContext(profile));
      return undefined;
    }
  }
  const text = urls.join('\n');
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(
    presigned ? vscode.l10n.t('$(check) Presigned URL copied; it stays valid for {0} s', expiry) : vscode.l10n.t('$(check) Object URL copied'),
    4000,
  );
  return text;
}

function byProfile(objects: ObjectRef[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const o of objects) groups.set(o.profile, [...(groups.get(o.profile) ?? []), o.key]);
  return groups;
}

/** Delete: one modal confirmation naming the count, then Delete Multiple Objects, 1,000 keys a request. */
export async function deleteObjectsCommand(ctx: ExtensionCommandContext, clicked: unknown, selection: unknown): Promise<ViewDeleteReport | undefined> {
  const objects = selectedObjects(clicked, selection);
  if (objects.length === 0) return undefined;
  const groups = byProfile(objects);
  const profiles: BucketProfile[] = [];
  for (const name of groups.keys()) {
    const profile = profileOfNode(ctx, name);
    if (!profile) return undefined;
    profiles.push(profile);
  }
  const buckets = profiles.map((p) => p.bucket).join(', ');
  const confirm = vscode.l10n.t('Delete');
  const question =
    objects.length === 1
      ? vscode.l10n.t('Delete {0} from {1}? This cannot be undone.', objects[0].key, buckets)
      : vscode.l10n.t('Delete {0} objects from {1}? This cannot be undone.', objects.length, buckets);
  const detail = objects.length > 1 ? listForDetail(objects.map((o) => o.key)) : undefined;
  if ((await ask('warning', question, { modal: true, ...(detail ? { detail } : {}) }, confirm)) !== confirm) return undefined;

  const report: ViewDeleteReport = { deleted: [], refused: [] };
  for (const profile of profiles) {
    const keys = groups.get(profile.name) ?? [];
    const done = await deleteKeys(ctx, profile, keys);
    if (!done) break;
    report.deleted.push(...done.deleted);
    report.refused.push(...done.refused);
    for (const key of keys) ctx.bucketView.refreshParentOf(profile.name, key);
  }
  reportDeletion(report);
  return report;
}

/** The first keys of a long list, for a dialog's detail. */
function listForDetail(keys: string[]): string {
  const shown = keys.slice(0, 10);
  return keys.length > shown.length ? [...shown, vscode.l10n.t('… and {0} more', keys.length - shown.length)].join('\n') : shown.join('\n');
}

async function deleteKeys(ctx: ExtensionCommandContext, profile: BucketProfile, keys: string[], signal?: AbortSignal): Promise<ViewDeleteReport | undefined> {
  const report: ViewDeleteReport = { deleted: [], refused: [] };
  try {
    await withClient(ctx.profiles, profile, ctx.log, async (client: CosClient) => {
      for (let i = 0; i < keys.length; i += MAX_DELETE_KEYS) {
        const result = await client.deleteObjects(keys.slice(i, i + MAX_DELETE_KEYS), signal);
        report.deleted.push(...result.deleted);
        report.refused.push(...result.refused);
      }
    });
  } catch (error) {
    ctx.log.error(`delete failed profile=${profile.name} after ${report.deleted.length} deleted: ${describeError(error)}`);
    void showFailure(error, failureContext(profile));
    return report.deleted.length > 0 ? report : undefined;
  }
  ctx.log.info(`deleted ${report.deleted.length} object(s) from ${profile.bucket}, refused ${report.refused.length}`);
  return report;
}

function reportDeletion(report: ViewDeleteReport): void {
  if (report.refused.length > 0) {
    const first = report.refused[0];
    void vscode.window.showErrorMessage(
      vscode.l10n.t('{0} deleted; COS refused to delete {1}, for example {2}: {3}', report.deleted.length, report.refused.length, first.key, `${first.code} ${first.message}`.trim()),
    );
  } else if (report.deleted.length > 0) {
    vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Deleted {0} object(s)', report.deleted.length), 4000);
  }
}

/**
 * Delete Prefix…: lists every object under the prefix first (the only action that lists past a
 * page, because it must), names their count and bytes in the confirmation, then deletes them.
 */
export async function deletePrefixCommand(ctx: ExtensionCommandContext, node: unknown): Promise<ViewDeleteReport | undefined> {
  if (!isPrefixRef(node) || node.prefix === '') return undefined;
  const profile = profileOfNode(ctx, node.profile);
  if (!profile) return undefined;
  const listing = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Listing {0} in {1}', node.prefix, profile.bucket), cancellable: true },
    async (_progress, token) => {
      const abort = abortSignalFromToken(token);
      try {
        return await withClient(ctx.profiles, profile, ctx.log, (client) => client.listAllObjects(node.prefix, abort.signal));
      } catch (error) {
        if (!(CosError.is(error) && error.code === 'ABORTED')) void showFailure(error, failureContext(profile));
        return undefined;
      } finally {
        abort.dispose();
      }
    },
  );
  if (!listing) return undefined;
  if (listing.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There are no objects under {0}.', node.prefix));
    return { deleted: [], refused: [] };
  }
  const bytes = listing.reduce((sum, o) => sum + o.size, 0);
  const confirm = vscode.l10n.t('Delete');
  const question = vscode.l10n.t('Delete {0} objects ({1}) under {2} in {3}? This cannot be undone.', listing.length, formatBytes(bytes), node.prefix, profile.bucket);
  const detail = listForDetail(listing.map((o) => o.key));
  if ((await ask('warning', question, { modal: true, detail }, confirm)) !== confirm) return undefined;
  const report = (await deleteKeys(ctx, profile, listing.map((o) => o.key))) ?? { deleted: [], refused: [] };
  ctx.bucketView.refreshParentOf(profile.name, node.prefix);
  reportDeletion(report);
  return report;
}
