/** A mistake in how the command was invoked; the CLI prints it with usage help and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}
