/** Usage text for `cos-upload --help` and `cos-upload <command> --help`. */

import type { HelpTopic } from './args';
import { SYNC_HELP } from './syncHelp';
import { DOWNLOAD_HELP } from './downloadArgs';

const MAIN = `cos-upload: resumable, verified, parallel multipart uploads to Tencent Cloud COS

Usage:
  cos-upload upload <file> --bucket <name-appid> --region <region> [options]
  cos-upload upload <dir> --bucket <name-appid> --region <region> [--prefix P] [options]
  cos-upload sync <dir> --bucket <name-appid> --region <region> [--prefix P] [--delete] [--dry-run] [--exclude GLOB]...
  cos-upload download <key> [dest] --bucket <name-appid> --region <region> [options]
  cos-upload download <prefix/> [destDir] --bucket <name-appid> --region <region> [options]
  cos-upload resume [<file> | --all | --list] [--restart] [--state-dir D]
  cos-upload incomplete --bucket <name-appid> --region <region> [--abort <upload id> | --abort-older-than <days>]
  cos-upload emulator [--port P] [--dir D] [--latency-ms N] [--conn-mbps N] [--json] ...
  cos-upload demo [--size 48MiB]
  cos-upload <command> --help
  cos-upload --version

Commands:
  upload     Upload one file (multipart above --multipart-threshold); resumes an interrupted upload.
             Given a folder, uploads every file in it.
  sync       Upload only what is new or changed in a folder (by size and CRC64); --delete removes
             remote-only objects; --dry-run shows the plan.
  download   Download one object, or every object under a prefix ("dir/"), verified (CRC64) and
             resumable; run it again to resume.
  resume     Finish interrupted uploads from their checkpoints (after Ctrl-C, a crash, a long outage).
  incomplete List a bucket's unfinished multipart uploads (billed until aborted); abort them.
  emulator   Run the local COS emulator and print its URL and credentials.
  demo       Upload a random file to an in-process emulator and verify it; no cloud account needed.

Exit codes: 0 success, 1 failure, 2 usage error, 75 locked (another upload of the same file to the
same key, or another download to the same file, is running: error LOCKED), 130 cancelled (Ctrl-C).
`;

const UPLOAD = `Usage: cos-upload upload <file> --bucket <name-appid> --region <region> [options]

Credentials come from the environment, never from flags:
  COS_SECRET_ID, COS_SECRET_KEY     required
  COS_SESSION_TOKEN                 for temporary (STS) credentials
  COS_SSE_C_KEY                     base64 of a 32-byte key, for --sse SSE-C

Target:
  -b, --bucket <name-appid>         e.g. examplebucket-1250000000
  -r, --region <region>             e.g. ap-guangzhou
  -k, --key <key>                   object key (default: the file's name)
      --endpoint <url>              send every request to this origin with path /<key>
                                    (default https://<bucket>.cos.<region>.myqcloud.com)
      --accelerate                  use the global acceleration endpoint

Tuning:
      --part-size <size|auto>       e.g. 8MiB, 64MiB; auto: 16MiB near (Initiate within 30 ms), 8MiB far, under 10000 parts (default auto)
      --multipart-threshold <size>  smaller files go up in one request (default 8MiB)
      --concurrency <n>             parts in flight (default 4)
      --max-concurrency <n>         let concurrency grow up to n (default: --concurrency if given)
      --retries <n>                 extra attempts per request on retryable errors (default 5)
      --traffic-limit <rate>        per-connection cap in bits/s: 819200..838860800;
                                    decimal suffixes allowed: 800k, 100M, 100Mbps (bits, not bytes)
      --content-md5                 also send each part's MD5 so COS checks it on arrival (every part's
                                    CRC64 is checked against COS's either way; MD5 doubles the CPU used)

Object:
      --sse <none|SSE-COS|SSE-KMS|SSE-C>
      --sse-kms-key-id <id>         with --sse SSE-KMS
      --sse-kms-context <json>      with --sse SSE-KMS; JSON object (or its base64)
      --storage-class <class>       STANDARD, STANDARD_IA, ARCHIVE, ...
      --content-type <type>         default: derived from the key's extension
      --meta <name=value>           x-cos-meta-<name>; repeatable
      --header 'GLOB:Name: value'   a header for the keys the glob matches (repeatable; later wins):
                                    Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
                                    Expires, x-cos-meta-*, x-cos-storage-class, x-cos-tagging.
                                    A glob without / matches the file name, with / the whole key
      --cache-control <value>       Cache-Control for every key (a --header can override it)
      --tagging <k=v&k2=v2>         x-cos-tagging: up to 10 tags
      --forbid-overwrite            fail with OBJECT_EXISTS instead of replacing an object

Resume and cancel:
      --state-dir <dir>             where checkpoints live
                                    (default $XDG_STATE_HOME/cos-upload/checkpoints or ~/.cos-upload/checkpoints)
      --on-cancel <keep|abort>      on Ctrl-C keep the upload for resume (default) or abort it on COS
                                    Run the same command again, or cos-upload resume, to resume a kept upload.
      --on-file-changed <fail|restart>
                                    when the file changed since a kept upload began: stop (default)
                                    or abort that upload and start over
  One upload at a time per file and key: a second one exits at once with error LOCKED (exit 75).
  The lock files live in $XDG_STATE_HOME/cos-upload/locks or ~/.cos-upload/locks (COS_UPLOAD_LOCK_DIR
  overrides), shared with the VS Code extension; a lock whose process is gone is taken over.

Network:
  HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured.

Output:
  -q, --quiet                       only the summary (and errors); with --json, only the summary object
      --json                        stdout is JSON lines: {"type":"start"}, {"type":"part"}, {"type":"retry"},
                                    and last {"type":"summary", key, uploadId, etag, crc64, crc64Verified,
                                    parts, bytes, seconds} (or {"type":"error", code, message})
      --verbose                     also print the uploader's diagnostic log on stderr (never secrets)
`;

const RESUME = `Usage: cos-upload resume [<file> | --all | --list] [options]

Finishes uploads that were interrupted (Ctrl-C, a crash or kill, an outage longer than the retries)
from the checkpoints in the state folder. Bucket, region, endpoint, key and file come from each
checkpoint; List Parts tells which parts COS holds, and only the missing ones are sent.
With no file and a single checkpoint, that one is resumed; with several, name the file or use --all.

      <file>                        resume the upload(s) of this file
      --all                         resume every checkpoint, one after the other
      --list                        only list the checkpoints
      --state-dir <dir>             where checkpoints live (as for upload)
      --restart                     if the file changed since the upload began, abort the old upload
                                    on COS and upload the file as it is now (default: refuse, exit 1)
      --on-cancel <keep|abort>      on Ctrl-C keep the upload for a later resume (default) or abort it

If COS no longer knows an upload (NoSuchUpload), it starts over and says so.
With --all, a checkpoint whose upload is running elsewhere (locked) is skipped, and the run says so.
Credentials come from COS_SECRET_ID / COS_SECRET_KEY / COS_SESSION_TOKEN, as for upload.
Tuning (--part-size, --concurrency, --max-concurrency, --retries, --traffic-limit, --content-md5)
applies; --part-size only matters when starting over. Object options (--storage-class,
--content-type, --meta, --header, --cache-control, --tagging, --forbid-overwrite, SSE but not
its key) are recorded in checkpoints, so a restart creates the same object; give SSE-C's key
again (every part needs it). Output as for upload, --json,
--quiet and --verbose included.
`;

const INCOMPLETE = `Usage: cos-upload incomplete --bucket <name-appid> --region <region> [options]

Lists the bucket's unfinished multipart uploads with when they began and how many bytes their parts
hold (COS stores and bills them until the upload is completed or aborted), and whether a checkpoint
in the state folder knows the local file (then cos-upload resume can finish it).

      --endpoint <url>, --accelerate, --prefix <key prefix>
      --state-dir <dir>             where checkpoints live (as for upload)
      --abort <upload id>           abort this upload and remove its local checkpoint
      --key <key>                   the key of --abort's upload (looked up when omitted)
      --abort-older-than <days>     abort every upload begun at least this long ago (0: all; 0.5: 12 h)
      --dry-run                     with --abort or --abort-older-than: show what would be aborted
      --retries <n>                 extra attempts per request on retryable errors (default 5)
      --json                        JSON lines: {"type":"upload"|"aborted"|"would-abort", key, uploadId,
                                    initiated, ageDays, parts, bytes, localFile}, then {"type":"summary"}
      --verbose
`;

const DEMO = `Usage: cos-upload demo [--size 48MiB] [--part-size 8MiB] [--concurrency N]

Starts the emulator in this process, writes a file of random bytes, uploads it in parallel parts,
checks the stored object's SHA-256 against the file and prints "demo OK".
      --size <size>        demo file size (default 48MiB)
      --part-size <size>   (default 8MiB)
      --concurrency <n>, --max-concurrency <n>, --retries <n>, --traffic-limit <rate>, --quiet, --json
`;

export function helpText(topic?: HelpTopic | 'sync'): string {
  switch (topic) {
    case 'sync':
      return SYNC_HELP;
    case 'download':
      return DOWNLOAD_HELP;
    case 'upload':
      return UPLOAD;
    case 'resume':
      return RESUME;
    case 'incomplete':
      return INCOMPLETE;
    case 'demo':
      return DEMO;
    default:
      return MAIN;
  }
}
