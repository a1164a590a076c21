/** The error answers the emulator's handlers throw; the server turns them into <Error> documents. */

export class CosFailure extends Error {
  override readonly name = 'CosFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const noSuchUpload = (): CosFailure =>
  new CosFailure(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');

export const invalidArgument = (message: string): CosFailure => new CosFailure(400, 'InvalidArgument', message);

/** Default COS error code for an injected HTTP status. */
export function defaultCodeFor(status: number): string {
  switch (status) {
    case 400:
      return 'InvalidRequest';
    case 403:
      return 'AccessDenied';
    case 404:
      return 'NoSuchKey';
    case 409:
      return 'Conflict';
    case 429:
    case 503:
      return 'SlowDown';
    case 504:
      return 'GatewayTimeout';
    default:
      return status >= 500 ? 'InternalError' : 'InvalidRequest';
  }
}

export function defaultMessageFor(code: string): string {
  switch (code) {
    case 'InternalError':
      return 'We encountered an internal error. Please try again.';
    case 'SlowDown':
      return 'Please reduce your request rate.';
    case 'ServiceUnavailable':
      return 'Please reduce your request rate.';
    default:
      return `Injected fault: ${code}`;
  }
}
