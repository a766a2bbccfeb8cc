/** Feeding bytes, in pieces, through the web and Node STREAM adapters (tests only). */
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { concat } from '../src/bytes.js';

/** Pipes `input` through a web TransformStream and collects the output. */
export async function viaWeb(t: TransformStream<Uint8Array, Uint8Array>, input: Uint8Array[]) {
  const src = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of input) c.enqueue(p);
      c.close();
    },
  });
  const out: Uint8Array[] = [];
  const reader = src.pipeThrough(t).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
  return concat(...out);
}

/** Pipes `input` through a Node Transform and collects the output. */
export async function viaNode(t: Transform, input: Uint8Array[]) {
  const out: Uint8Array[] = [];
  const sink = new Writable({
    write(c: Uint8Array, _encoding, callback) {
      out.push(c);
      callback();
    },
  });
  await pipeline(Readable.from(input), t, sink);
  return concat(...out);
}

/** Cuts `b` at the given offsets (sorted, clamped, duplicates give empty pieces). */
export function cut(b: Uint8Array, at: number[]): Uint8Array[] {
  const points = at.map((x) => Math.min(x, b.length)).sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  out.push(b.subarray(prev));
  return out;
}
