/**
 * Writing what `secrets pull` renders to a file: atomically, mode 0600, and only over a
 * file that is exactly what hush last wrote there (or over no file). state.json remembers,
 * per absolute path, a random salt and SHA-256(salt || bytes written); a file whose bytes
 * hash differently was edited (or never written by hush) and is replaced only with `force`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { concat, equalBytes, fromBase64url, toBase64url, utf8 } from '@hush/core';
import type { Ctx } from '../context.js';
import { ConflictError, LocalStateError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/** What a pull to a file did. */
export interface PullFileResult {
  /** The absolute path written. */
  readonly path: string;
  /** False when the file already held exactly these bytes. */
  readonly written: boolean;
}

async function digest(ctx: Ctx, salt: Uint8Array, bytes: Uint8Array): Promise<Uint8Array> {
  return ctx.b.sha256(concat(salt, bytes));
}

async function readIfAny(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new LocalStateError(`cannot read ${path} (${code ?? 'error'})`);
  }
}

/**
 * Writes `text` to `out` unless the file there differs from what hush last wrote to it.
 * @throws ConflictError when the file was edited since the last pull (or not written by
 * hush) and `force` is not set; nothing is written then.
 */
export async function writePulled(
  ctx: Ctx,
  out: string,
  text: string,
  force: boolean,
): Promise<PullFileResult> {
  const path = resolve(out);
  const bytes = utf8(text);
  const existing = await readIfAny(path);
  const pulls = (ctx.data.pulls ??= {});
  const last = pulls[path];
  if (existing !== undefined && !equalBytes(existing, bytes) && !force) {
    const same =
      last !== undefined &&
      equalBytes(await digest(ctx, fromBase64url(last.salt), existing), fromBase64url(last.hash));
    if (!same)
      throw new ConflictError(
        last
          ? `${out} was changed since the last pull: use --force to replace it, or push it first`
          : `${out} exists and was not written by hush secrets pull: use --force to replace it`,
      );
  }
  const written = existing === undefined || !equalBytes(existing, bytes);
  if (written) {
    try {
      await writeFileAtomic(path, bytes);
    } catch (e) {
      throw new LocalStateError(
        `cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const salt = ctx.b.randomBytes(16);
  pulls[path] = {
    salt: toBase64url(salt),
    hash: toBase64url(await digest(ctx, salt, bytes)),
  };
  await ctx.save();
  return { path, written };
}
