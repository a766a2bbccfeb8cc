import { HushError } from '../errors.js';

/**
 * Why an envelope was refused. Tests assert the precise reason; user-facing layers may
 * collapse them to one message so a remote party learns nothing from which check failed.
 */
export type EnvelopeFailure =
  | 'encoding'
  | 'version'
  | 'context'
  | 'not-authorized'
  | 'signature'
  | 'no-key'
  | 'key-commitment'
  | 'decrypt';

/** An envelope could not be sealed or was refused on open. */
export class EnvelopeError extends HushError {
  readonly reason: EnvelopeFailure;
  constructor(reason: EnvelopeFailure, message: string, options?: { cause?: unknown }) {
    super('ENVELOPE', message, options);
    this.reason = reason;
  }
}
