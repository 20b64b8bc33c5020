// Failures the services report to their callers (HTTP routes, the CLI), each carrying what
// the person on the other end needs to fix the request.

export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  constructor(
    readonly errors: FieldError[],
    /** 400 for a malformed request (unknown fields), 422 for well-formed but unacceptable values. */
    readonly kind: 'malformed' | 'unprocessable' = 'unprocessable',
  ) {
    super(errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; '));
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends Error {
  readonly name = 'NotFoundError';
}

export class ConflictError extends Error {
  readonly name = 'ConflictError';
}
