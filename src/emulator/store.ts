/**
 * The emulator's bucket: uploads and objects in memory, bytes on disk under the data dir.
 *
 *   <dataDir>/tmp/                 bodies being received (renamed into place once verified)
 *   <dataDir>/uploads/<uploadId>/  one file per part, named by part number
 *   <dataDir>/objects/<sha256>     one file per object (the name hashes the key, which may hold
 *                                  any character and be longer than a file name may be)
 *
 * In discard mode no byte is written: parts and objects keep only size, MD5 and CRC64.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';

export type SseInfo =
  | { type: 'none' }
  | { type: 'AES256' }
  | { type: 'cos/kms'; kmsKeyId: string; context?: string }
  /** Only the key's MD5 is kept: the key itself is never stored. */
  | { type: 'SSE-C'; keyMd5: string };

/** Attributes set at Initiate / Put Object and returned by Head Object. */
export interface ObjectAttributes {
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  /** Lower-case suffix after x-cos-meta- → value. */
  meta: Record<string, string>;
  storageClass: string;
  tagging?: string;
  sse: SseInfo;
}

export interface PartRecord {
  partNumber: number;
  size: number;
  md5Hex: string;
  /** Quoted, as sent in the ETag header. */
  etag: string;
  crc64: bigint;
  lastModified: Date;
  /** Absent in discard mode. */
  file?: string;
}

export interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: Date;
  /** Initiation order, to list uploads of one key oldest first. */
  seq: number;
  attrs: ObjectAttributes;
  forbidOverwrite: boolean;
  psizeMax?: number;
  psizeMin?: number;
  pnumMax?: number;
  pnumMin?: number;
  parts: Map<number, PartRecord>;
  /** Set while a Complete assembles the object; a second Complete or an Abort waits for it. */
  completing?: Promise<void>;
  dir?: string;
}

export interface ObjectRecord {
  key: string;
  size: number;
  /** Quoted. */
  etag: string;
  crc64: bigint;
  lastModified: Date;
  attrs: ObjectAttributes;
  /** Absent in discard mode. */
  file?: string;
}

export class Store {
  readonly uploads = new Map<string, UploadRecord>();
  readonly objects = new Map<string, ObjectRecord>();
  /** Keys a delete is refused for with AccessDenied, as a bucket policy could (RunningEmulator.denyDelete). */
  readonly deleteDenied = new Set<string>();
  private seq = 0;

  constructor(
    readonly dataDir: string,
    readonly discard: boolean,
  ) {}

  async init(): Promise<void> {
    await Promise.all(['tmp', 'uploads', 'objects'].map((d) => fsp.mkdir(path.join(this.dataDir, d), { recursive: true })));
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** A fresh path under tmp/ for a body being received. */
  tempFile(): string {
    return path.join(this.dataDir, 'tmp', `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
  }

  uploadDir(uploadId: string): string {
    return path.join(this.dataDir, 'uploads', uploadId);
  }

  objectFile(key: string): string {
    return path.join(this.dataDir, 'objects', createHash('sha256').update(key, 'utf8').digest('hex'));
  }

  async createUploadDir(upload: UploadRecord): Promise<void> {
    if (this.discard) return;
    upload.dir = this.uploadDir(upload.uploadId);
    await fsp.mkdir(upload.dir, { recursive: true });
  }

  /** Moves a verified temp file into place as the part (replacing an earlier upload of it). */
  async commitPart(upload: UploadRecord, part: PartRecord, tempFile: string | undefined): Promise<void> {
    if (tempFile && upload.dir) {
      const file = path.join(upload.dir, String(part.partNumber));
      await fsp.rename(tempFile, file);
      part.file = file;
    }
    upload.parts.set(part.partNumber, part);
  }

  async dropUpload(upload: UploadRecord): Promise<void> {
    this.uploads.delete(upload.uploadId);
    if (upload.dir) await fsp.rm(upload.dir, { recursive: true, force: true });
  }

  /** Concatenates the parts, in order, into a temp file and returns its path. */
  async assemble(parts: readonly PartRecord[]): Promise<string> {
    const target = this.tempFile();
    const out = createWriteStream(target, { highWaterMark: 4 * 1024 * 1024 });
    try {
      for (const part of parts) {
        if (!part.file) throw new Error(`Part ${part.partNumber} has no data file.`);
        // One pipeline per part onto a shared stream would pile listeners onto it; copy by hand.
        for await (const chunk of createReadStream(part.file, { highWaterMark: 4 * 1024 * 1024 })) {
          if (!out.write(chunk)) await once(out, 'drain');
        }
      }
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      });
      return target;
    } catch (err) {
      out.destroy();
      await fsp.rm(target, { force: true });
      throw err;
    }
  }

  /** Installs an object, moving its data file into place when there is one. */
  async commitObject(record: ObjectRecord, tempFile: string | undefined): Promise<void> {
    if (tempFile) {
      const file = this.objectFile(record.key);
      await fsp.rename(tempFile, file);
      record.file = file;
    } else {
      // Discard mode or an empty object: no bytes to keep, but a stale file must not survive.
      await fsp.rm(this.objectFile(record.key), { force: true });
    }
    this.objects.set(record.key, record);
  }

  async deleteObject(key: string): Promise<void> {
    const record = this.objects.get(key);
    this.objects.delete(key);
    if (record?.file) await fsp.rm(record.file, { force: true });
  }
}

/** The descriptive headers an object was stored with, for the control API. */
export function describedHeaders(attrs: ObjectAttributes): Record<string, string> {
  const headers: Record<string, string> = {};
  if (attrs.cacheControl) headers['cache-control'] = attrs.cacheControl;
  if (attrs.contentDisposition) headers['content-disposition'] = attrs.contentDisposition;
  if (attrs.contentEncoding) headers['content-encoding'] = attrs.contentEncoding;
  if (attrs.contentLanguage) headers['content-language'] = attrs.contentLanguage;
  if (attrs.expires) headers.expires = attrs.expires;
  return headers;
}
