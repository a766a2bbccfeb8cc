/**
 * Typed errors for every core operation.
 *
 * Messages name what failed and never contain key material or plaintext. Each error
 * carries a stable `code` so callers (the server's `HUSH_ERR_*` registry, the CLI's exit
 * codes, the vector runner's `expect` classes) can branch without parsing text.
 */

/** Base class of every error raised by `@hush/core`. */
export class HushError extends Error {
  /** Stable machine-readable code, e.g. `ENCODING`, `OPEN`, `CHAIN`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Input bytes or text are not in the canonical encoding PROTOCOL.md requires. */
export class EncodingError extends HushError {
  constructor(message: string) {
    super('ENCODING', message);
  }
}

/** An argument has the wrong type or length (a programming error, not an attack). */
export class ArgumentError extends HushError {
  constructor(message: string) {
    super('ARGUMENT', message);
  }
}

/** An AEAD or HPKE ciphertext did not authenticate under the given key and context. */
export class OpenError extends HushError {
  constructor(message = 'ciphertext did not authenticate', options?: { cause?: unknown }) {
    super('OPEN', message, options);
  }
}

/** HPKE setup or sealing failed (e.g. an invalid public key). */
export class HpkeError extends HushError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HPKE', message, options);
  }
}

/** A signature did not verify. */
export class SignatureError extends HushError {
  constructor(message = 'signature did not verify') {
    super('SIGNATURE', message);
  }
}
