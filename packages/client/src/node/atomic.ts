/**
 * Crash-safe files: every write goes to `<file>.tmp-<random>`, is fsynced, renamed over the
 * target, and the directory is fsynced, so a crash at any point leaves the old or the new
 * file, never a torn one. Files are 0600 and directories 0700: they hold keys.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalStateError } from '../errors.js';

/** Creates a directory (and parents) with mode 0700. */
export async function ensureDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

async function fsyncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, constants.O_RDONLY);
    await h.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    await h?.close();
  }
}

/** Atomically replaces `file` with `data` (mode 0600). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(file);
  await ensureDir(dir);
  const tmp = join(dir, `.${file.slice(dir.length + 1)}.tmp-${randomBytes(6).toString('hex')}`);
  const h = await fs.open(tmp, 'wx', 0o600);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Writes JSON atomically. */
export function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads a JSON file; undefined when it does not exist, LocalStateError when unreadable. */
export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalStateError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LocalStateError(`${file} is not valid JSON`);
  }
}

/** Deletes a file and fsyncs its directory (no error when already gone). */
export async function removeFile(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  await fsyncDir(dirname(file));
}

/** File names in a directory (empty when it does not exist). */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new LocalStateError(`cannot read ${dir}: ${(e as Error).message}`);
  }
}
