/**
 * The files workload of the fault soak: every client uploads files of a few sizes (empty,
 * one STREAM chunk, several, and more than one 4 MiB upload chunk) to one team through the
 * SDK's files API while the relay is killed. A put that meets a dead relay fails with a
 * NetworkError; the client waits for the relay and runs the same put again, which resumes
 * the upload from its journal. Afterwards every client must list exactly the acknowledged
 * files, the next `readers` clients download each one and its SHA-256 must match the bytes
 * that were written, no upload journal is left, and the relay's blob directories hold exactly
 * the acknowledged blobs, each with only its chunk files (no temp file, no orphan).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetworkError, type FileRef, type Hush } from '@hush/client';
import type { SoakRun, Workload } from './soak-runner.js';

/** File sizes, taken in turn: empty, < 1 STREAM chunk (64 KiB), 2 and 5 of them, 2 upload chunks. */
const SIZES = [0, 1_000, 70_000, 300_000, 4_300_000] as const;
/** Puts of one file before the soak gives up on it (each rerun resumes the last). */
const MAX_PUTS = 20;

interface Uploaded {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly owner: number;
}

interface Shared {
  readonly team: string;
  readonly run: SoakRun;
  /** Clients that download each file: the `readers` after its uploader, in a ring. */
  readonly readers: number;
  /** Per client: where its sources are written and its downloads go. */
  readonly work: readonly string[];
  /** Acknowledged files by object id. */
  readonly files: Map<string, Uploaded>;
  /** Puts that failed with a NetworkError and were run again. */
  reruns: number;
  /** Reruns that sent fewer upload chunks than the blob has (the relay held the rest). */
  resumed: number;
  bytes: number;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sizeOf = (i: number, j: number) => SIZES[(i + j) % SIZES.length] as number;
const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** Uploads `path`, running the put again after each NetworkError until it is acknowledged. */
async function putUntilDone(
  s: Shared,
  client: Hush,
  path: string,
  back: () => Promise<void>,
): Promise<FileRef> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await client.files.put(path, { team: s.team });
      if (attempt > 1 && r.sentChunks < r.chunkCount) s.resumed++;
      return r;
    } catch (e) {
      if (!(e instanceof NetworkError) || attempt >= MAX_PUTS)
        throw new Error(`put ${path} failed (attempt ${attempt}): ${(e as Error).message}`, {
          cause: e,
        });
      s.reruns++;
      await back();
      // A relay that is up but still answering 503 gets a moment before the rerun.
      await sleep(100);
    }
  }
}

/** Downloads the files `r` is a reader of and compares their hashes; returns how many. */
async function downloadAll(s: Shared, c: Hush, r: number, problems: string[]): Promise<number> {
  const n = s.run.homes.length;
  const dir = join(s.work[r] as string, 'down');
  mkdirSync(dir, { recursive: true });
  let done = 0;
  for (const [id, f] of s.files) {
    const after = (r - f.owner + n) % n;
    if (after === 0 || after > s.readers) continue;
    const out = join(dir, f.name);
    await c.files.get(id, { out, team: s.team });
    const got = sha256(await readFile(out));
    if (got !== f.sha256) problems.push(`client ${r} downloaded ${f.name} with another hash`);
    await rm(out);
    done++;
  }
  for (const left of await list(dir)) problems.push(`client ${r} left ${left} in its downloads`);
  return done;
}

/** The relay's blob directories: exactly the acknowledged blobs, each only chunk files. */
async function checkBlobDirs(s: Shared, blobIds: ReadonlySet<string>, problems: string[]) {
  const root = join(s.run.dataDir, 'blobs');
  const found = new Set<string>();
  for (const prefix of await list(root))
    for (const id of await list(join(root, prefix))) {
      found.add(id);
      if (!blobIds.has(id)) problems.push(`the relay holds blob ${id}, which no file names`);
      const names = await list(join(root, prefix, id));
      const chunks = names.map(Number).sort((a, b) => a - b);
      if (names.length === 0 || chunks.some((n, k) => n !== k))
        problems.push(`blob ${id} holds ${names.join(', ')}, not only chunks 0..n`);
    }
  for (const id of blobIds)
    if (!found.has(id)) problems.push(`the relay has no directory for blob ${id}`);
}

/**
 * One team of all clients for files (client 0 creates it and invites the others); each file
 * is downloaded by `readers` other clients (every other client when there are no more).
 */
export const files = (readers: number): Workload<Shared> => ({
  name: 'files',

  async setup(clients: readonly Hush[], run: SoakRun): Promise<Shared> {
    const [owner, ...rest] = clients;
    if (!owner) throw new Error('the soak needs at least one client');
    const team = (await owner.teams.create('soak-files')).id;
    for (const c of rest) await c.join(await owner.teams.invite(team, { role: 'writer' }));
    const work = run.homes.map((h) => join(h, 'soak-files'));
    for (const w of work) mkdirSync(w, { recursive: true });
    readers = Math.min(readers, clients.length - 1);
    return { team, run, readers, work, files: new Map(), reruns: 0, resumed: 0, bytes: 0 };
  },

  async step(s, client, i, j, relay) {
    const name = `c${i}-f${j}.bin`;
    const path = join(s.work[i] as string, name);
    const bytes = randomBytes(sizeOf(i, j));
    await writeFile(path, bytes);
    const r = await putUntilDone(s, client, path, () => relay.back());
    const want = sha256(bytes);
    if (r.sha256 !== want || r.size !== bytes.length)
      throw new Error(`put ${name} acknowledged ${r.size} bytes with another hash`);
    s.files.set(r.id, { name, size: bytes.length, sha256: want, owner: i });
    s.bytes += bytes.length;
    await rm(path);
    return { id: r.id, queued: r.queued };
  },

  async verify(s, clients, sent) {
    const problems: string[] = [];
    const expected = new Set(sent.flat());
    for (const id of s.files.keys())
      if (!expected.has(id)) problems.push(`file ${id} was acknowledged but not counted as sent`);
    const blobIds = new Set<string>();
    for (const [r, c] of clients.entries()) {
      const seen = new Map<string, number>();
      for (const f of await c.files.list({ team: s.team })) {
        seen.set(f.id, (seen.get(f.id) ?? 0) + 1);
        blobIds.add(f.blobId);
        const want = s.files.get(f.id);
        if (!want) problems.push(`client ${r} lists file ${f.id}, which nobody uploaded`);
        else if (f.name !== want.name || f.size !== want.size || f.sha256 !== want.sha256)
          problems.push(`client ${r} lists ${want.name} with another name, size or hash`);
      }
      for (const id of expected) {
        const n = seen.get(id) ?? 0;
        if (n !== 1) problems.push(`client ${r} lists file ${id} ${n} times`);
      }
      for (const dir of ['uploads', 'downloads'])
        for (const left of await list(join(s.run.homes[r] as string, dir)))
          problems.push(`client ${r} left a journal ${dir}/${left}`);
      if (problems.length > 20) break;
    }
    if (problems.length === 0) await checkBlobDirs(s, blobIds, problems);
    const downloads =
      problems.length === 0
        ? (await Promise.all(clients.map((c, r) => downloadAll(s, c, r, problems)))).reduce(
            (a, b) => a + b,
            0,
          )
        : 0;
    for (const [r, c] of clients.entries())
      for (const w of c.takeWarnings()) problems.push(`client ${r} warned: ${w}`);
    if (problems.length > 0)
      throw new Error(`files were not delivered intact:\n${problems.slice(0, 20).join('\n')}`);
    return {
      files: s.files.size,
      bytes: s.bytes,
      reruns: s.reruns,
      resumed: s.resumed,
      downloads,
    };
  },
});
