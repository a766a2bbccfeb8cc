/**
 * The Node storage: each record is a JSON file under the home directory (`identity` is
 * `identity.json`, `outbox/ID` is `outbox/ID.json`), written with `writeFileAtomic` (0600,
 * fsync, rename, fsync of the directory), so a crash leaves the old or the new file.
 */
import { promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LocalStateError } from '../errors.js';
import type { HushStorage } from '../storage.js';
import { listDir, removeFile, writeFileAtomic } from './atomic.js';

/**
 * The records of the home directory `home` as files.
 * @example
 * const storage = fileStorage('/home/alice/.config/hush');
 */
export function fileStorage(home: string): HushStorage {
  const root = resolve(home);
  const file = (key: string) => join(root, `${key}.json`);
  return {
    location: root,
    describe: file,
    async read(key) {
      try {
        return await fs.readFile(file(key), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new LocalStateError(`cannot read ${file(key)}: ${(e as Error).message}`);
      }
    },
    write: (key, text) => writeFileAtomic(file(key), text),
    remove: (key) => removeFile(file(key)),
    async list(prefix) {
      // A prefix names a directory and the start of file names in it ("outbox/").
      const dir = dirname(file(`${prefix}x`));
      const start = prefix.slice(prefix.lastIndexOf('/') + 1);
      const under = prefix.slice(0, prefix.length - start.length);
      return (await listDir(dir))
        .filter((n) => n.endsWith('.json') && !n.startsWith('.') && n.startsWith(start))
        .map((n) => under + n.slice(0, -'.json'.length));
    },
  };
}
