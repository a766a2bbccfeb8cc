// File helpers shared by the benches that move large files: a random input generated once,
// a file's SHA-256 read in 4 MiB pieces, and whether a peer tool is installed.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `size` random bytes to `path` unless a file of that size is already there. */
export function randomFile(path, size) {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path) && statSync(path).size === size) return;
  const fd = openSync(path, 'w');
  for (let off = 0; off < size; off += 16 << 20)
    writeSync(fd, randomBytes(Math.min(16 << 20, size - off)));
  closeSync(fd);
}

/** The SHA-256 of a file, hex. */
export function sha256File(path) {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  for (let n; (n = readSync(fd, buf)) > 0;) h.update(buf.subarray(0, n));
  closeSync(fd);
  return h.digest('hex');
}

/** The `--version` line of a tool, or undefined when it is not installed. */
export function which(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || r.stderr.trim() : undefined;
}
