import * as vscode from 'vscode';

/**
 * `cos://<profile name>/<key>`: the bucket profile in the authority, the object key as the path.
 * vscode.Uri keeps both raw and percent-encodes them in toString(), so any key survives a round trip.
 */
export const COS_SCHEME = 'cos';

export interface CosLocation {
  /** Profile name (or id), as it stands in the URI. */
  profile: string;
  /** Object key, or a prefix ending in '/'; '' is the bucket's root. */
  key: string;
}

export function cosUri(profile: string, key: string): vscode.Uri {
  return vscode.Uri.from({ scheme: COS_SCHEME, authority: profile, path: `/${key}` });
}

export function parseCosUri(uri: vscode.Uri): CosLocation {
  if (uri.scheme !== COS_SCHEME || uri.authority === '') throw vscode.FileSystemError.FileNotFound(uri);
  return { profile: uri.authority, key: uri.path.replace(/^\//, '') };
}
