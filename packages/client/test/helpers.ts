/** Test helpers: temp homes and identities on a relay. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hush } from '../src/index.js';

/** A fresh temporary home directory. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'hush-home-'));
}

/** A new identity on `server`. */
export function person(server: string, name: string): Promise<Hush> {
  return Hush.init({ home: tempHome(), server, name });
}
