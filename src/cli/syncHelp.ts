/** Usage text for `cos-upload sync --help` (and `upload <dir>`). */

export const SYNC_HELP = `Usage: cos-upload sync <dir> --bucket <name-appid> --region <region> [--prefix P] [--delete] [--dry-run] [--exclude GLOB]... [options]
       cos-upload upload <dir> --bucket <name-appid> --region <region> [--prefix P] [options]

sync sends the files of <dir> that are new or changed to <prefix><path>, and with --delete removes
objects under the prefix that have no local file. Unchanged means the same size and the same CRC64
(the local file's against the object's x-cos-hash-crc64ecma, asked with Head Object); modification
times and ETags are never used. upload <dir> sends every file, under the folder's name by default.

Target:
  -b, --bucket, -r, --region, --endpoint, --accelerate   as for upload (credentials from the environment)
  -p, --prefix <prefix>             key prefix; "site" and "site/" both mean the folder site/
                                    (default: sync the bucket root; upload <dir>: "<dir name>/")

What is sent and deleted:
      --delete                      delete remote objects under the prefix with no local file (sync only;
                                    Delete Multiple Objects, 1000 keys a request; each refused key is printed).
                                    Nothing is deleted when a file failed to upload.
      --dry-run                     print the plan (counts and bytes per action, then each file); send nothing
      --exclude <glob>              leave out paths matching the glob, relative to <dir> (repeatable):
                                    **/*.log, node_modules, build/**. Excluded paths are never uploaded
                                    and their remote copies are never deleted.
      --no-gitignore                also send what the repository's .gitignore files ignore
  A .git folder is never sent.

Tuning:
      --max-concurrent-files <n>    most files in flight at once over one connection pool (default 64, at most 256);
                                    a sync starts with as many as fit 8 MiB at the median file size (at least 8)
                                    and doubles while files/s or bytes/s still rise
      --multipart-threshold <size>  smaller files go up as one Put Object with their CRC64 checked (default 8MiB);
                                    bigger ones as resumable multipart uploads
      --part-size, --concurrency, --max-concurrency, --retries, --traffic-limit, --content-md5   as for upload

Object:
      --sse, --sse-kms-key-id, --sse-kms-context, --storage-class, --meta, --forbid-overwrite,
      --header, --cache-control, --tagging   as for upload
      --update-headers              also send again the unchanged files whose object headers differ from
                                    the ones asked (storage class, metadata, tagging, --header rules)
  Content types come from each file's extension.

Resume:
      --state-dir <dir>             checkpoints of big files. An interrupted sync run again skips the
                                    files already sent (by content) and resumes big ones from their parts.

Output:
  stdout: one line per file uploaded or deleted, then a summary; the plan's counts go to stderr.
  -q, --quiet                       only the summary (and errors)
      --json                        JSON lines: {"type":"plan"}, {"type":"uploaded"}, {"type":"deleted"},
                                    {"type":"delete-refused"}, {"type":"failed"}, with --dry-run {"type":"planned"},
                                    and last {"type":"summary"} (or {"type":"error"})
      --verbose                     also print the uploader's diagnostic log on stderr
  Exit code 1 when a file failed or COS refused a deletion.
`;
