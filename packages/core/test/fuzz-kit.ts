/**
 * The parser fuzzing kit shared by the `fuzz-*.test.ts` files.
 *
 * Every parser gets inputs made from valid encodings (its seeds) by random mutations: bit
 * flips, overwritten, inserted and deleted bytes, cuts, duplicated or dropped ranges, ranges
 * spliced from another seed, and now and then bytes that have nothing to do with any seed.
 * Each input must either parse (and then pass the parser's own check, usually: serializes
 * back to exactly the same bytes) or throw the parser's typed error. Any other exception
 * fails the run, and so does a hang: the synchronous part of each case runs under a V8
 * watchdog (node:vm's `timeout`, which interrupts even a tight loop in the parser), the
 * asynchronous part under fast-check's per-case timeout.
 *
 * `HUSH_FUZZ_RUNS` sets the number of cases per parser (default 300; `npm run test:soak`
 * runs far more). Each test prints one `fuzz` line with its counts, which the soak run
 * records in docs/THREAT-MODEL.md.
 */
import assert from 'node:assert/strict';
import vm from 'node:vm';
import fc from 'fast-check';

/** Cases per parser. */
export const FUZZ_RUNS = Number(process.env.HUSH_FUZZ_RUNS ?? 300);

/** How long one case may run before it counts as a hang. */
const CASE_TIMEOUT_MS = 10_000;

const guardContext = vm.createContext({ call: undefined as unknown });
const guardScript = new vm.Script('call()');

/** Runs `fn` synchronously, interrupting it (with an error) if it runs past the timeout. */
function guarded<T>(fn: () => T): T {
  guardContext.call = fn;
  try {
    return guardScript.runInContext(guardContext, { timeout: CASE_TIMEOUT_MS }) as T;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new Error(`the parser hung for ${CASE_TIMEOUT_MS} ms`);
    throw e;
  } finally {
    guardContext.call = undefined;
  }
}

/** One mutation step; positions wrap around the current length. */
type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set' | 'insert'; at: number; value: number }
  | { op: 'delete' | 'cut' | 'drop' | 'duplicate'; at: number; len: number }
  | { op: 'splice'; at: number; from: number; len: number; seed: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    op: fc.constantFrom('set' as const, 'insert' as const),
    at: fc.nat(),
    value: fc.oneof(fc.nat(255), fc.constantFrom(0, 1, 0x7f, 0x80, 0xff)),
  }),
  fc.record({
    op: fc.constantFrom('delete' as const, 'cut' as const, 'drop' as const, 'duplicate' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    op: fc.constant('splice' as const),
    at: fc.nat(),
    from: fc.nat(),
    len: fc.integer({ min: 1, max: 64 }),
    seed: fc.nat(),
  }),
);

function apply(input: Uint8Array, ms: readonly Mutation[], seeds: readonly Uint8Array[]) {
  let x = input;
  for (const m of ms) {
    const n = x.length;
    const at = n === 0 ? 0 : m.at % n;
    switch (m.op) {
      case 'flip':
        if (n > 0) (x = x.slice())[at] = (x[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        if (n > 0) (x = x.slice())[at] = m.value;
        break;
      case 'insert':
        x = join(x.subarray(0, at), Uint8Array.of(m.value), x.subarray(at));
        break;
      case 'delete':
        x = join(x.subarray(0, at), x.subarray(at + 1));
        break;
      case 'cut':
        x = x.slice(0, at);
        break;
      case 'drop':
        x = join(x.subarray(0, at), x.subarray(at + m.len));
        break;
      case 'duplicate':
        x = join(x.subarray(0, at + m.len), x.subarray(at));
        break;
      case 'splice': {
        const other = seeds[m.seed % seeds.length] as Uint8Array;
        const from = other.length === 0 ? 0 : m.from % other.length;
        x = join(x.subarray(0, at), other.subarray(from, from + m.len), x.subarray(at + m.len));
        break;
      }
    }
  }
  return x;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Inputs derived from `seeds`, with the index of the seed each started from: mostly one to
 * four mutations of that seed, sometimes the seed as it is (so the accepting path runs
 * too), sometimes unrelated random bytes (with a random index).
 */
export function mutatedSeed(seeds: readonly Uint8Array[]): fc.Arbitrary<[number, Uint8Array]> {
  assert.ok(seeds.length > 0, 'a fuzzer needs at least one seed');
  const index = fc.nat(seeds.length - 1);
  const of = (i: number) => seeds[i] as Uint8Array;
  return fc
    .oneof(
      {
        weight: 16,
        arbitrary: fc.tuple(index, fc.array(mutation, { minLength: 1, maxLength: 4 })),
      },
      { weight: 2, arbitrary: fc.tuple(index, fc.constant([] as Mutation[])) },
      {
        weight: 1,
        arbitrary: fc.tuple(
          index,
          fc.constant([] as Mutation[]),
          fc.uint8Array({ maxLength: 300 }),
        ),
      },
    )
    .map(([i, ms, random]) => [i, apply(random ?? of(i), ms, seeds)]);
}

/** Like `mutatedSeed`, without the index. */
export function mutatedFrom(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return mutatedSeed(seeds).map(([, x]) => x);
}

/** Text inputs derived from seed strings: byte mutations of their UTF-8, read back leniently. */
export function mutatedText(seeds: readonly string[]): fc.Arbitrary<string> {
  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8');
  return fc.oneof(
    {
      weight: 8,
      arbitrary: mutatedFrom(seeds.map((s) => enc.encode(s))).map((b) => dec.decode(b)),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
  );
}

/** What one fuzzer saw. */
export interface FuzzCounts {
  readonly runs: number;
  readonly accepted: number;
  readonly refused: number;
}

/** A parser under fuzzing. */
export interface ParserFuzz<I, O> {
  /** Name in the `fuzz` line. */
  readonly name: string;
  readonly input: fc.Arbitrary<I>;
  /** The parser. Its synchronous part runs under the hang watchdog. */
  readonly parse: (input: I) => O;
  /** What an accepted input must satisfy (e.g. re-serializes to the same bytes). */
  readonly accepted: (input: I, output: Awaited<O>) => void | Promise<void>;
  /** The one error type the parser may throw, with the reasons it may carry. */
  readonly typed: (e: unknown) => boolean;
  readonly runs?: number;
}

/**
 * Runs one parser fuzzer, asserts that both outcomes occurred (a fuzzer that only ever
 * accepts or only ever refuses tests nothing), prints its counts and returns them.
 */
export async function fuzzParser<I, O>(f: ParserFuzz<I, O>): Promise<FuzzCounts> {
  const runs = f.runs ?? FUZZ_RUNS;
  let accepted = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(f.input, async (input) => {
      let out: Awaited<O>;
      try {
        out = await guarded(() => f.parse(input));
      } catch (e) {
        if (!f.typed(e))
          assert.fail(`${f.name}: threw something other than its typed error: ${explain(e)}`);
        refused++;
        return;
      }
      await f.accepted(input, out);
      accepted++;
    }),
    { numRuns: runs, timeout: CASE_TIMEOUT_MS },
  );
  assert.ok(accepted > 0, `${f.name}: no input was accepted`);
  assert.ok(refused > 0, `${f.name}: no input was refused`);
  console.log(`fuzz ${f.name}: ${runs} cases, ${accepted} accepted, ${refused} refused`);
  return { runs, accepted, refused };
}

function explain(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${e.stack ?? ''}`;
  return String(e);
}

/** Asserts two byte strings are equal, with a short message instead of a full dump. */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.ok(
    actual.length === expected.length && actual.every((v, i) => v === expected[i]),
    `${what}: re-serialized to different bytes (${actual.length} vs ${expected.length} bytes)`,
  );
}

/** Whether `x` is byte-identical to one of `seeds` (what an authenticated parser may accept). */
export function isOneOf(x: Uint8Array, seeds: readonly Uint8Array[]): boolean {
  return seeds.some((s) => s.length === x.length && s.every((v, i) => v === x[i]));
}

/** One change to a list of encodings (a chain): one element mutated, dropped, repeated or moved. */
type ListChange =
  | { op: 'mutate'; at: number; bytes: Uint8Array }
  | { op: 'drop' | 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number };

/**
 * Lists derived from `seeds` (each a valid list, such as a chain's links), with the index of
 * the seed each started from: none, one or two changes, where a mutated element comes from
 * `mutatedFrom` over every element of every seed.
 */
export function mutatedList(seeds: readonly Uint8Array[][]): fc.Arbitrary<[number, Uint8Array[]]> {
  const elements = mutatedFrom(seeds.flat());
  const change: fc.Arbitrary<ListChange> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ op: fc.constant('mutate' as const), at: fc.nat(), bytes: elements }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constantFrom('drop' as const, 'duplicate' as const),
        at: fc.nat(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
    },
  );
  return fc
    .tuple(fc.nat(seeds.length - 1), fc.array(change, { minLength: 0, maxLength: 2 }))
    .map(([i, changes]) => {
      const list = [...(seeds[i] as Uint8Array[])];
      for (const c of changes) {
        if (list.length === 0) break;
        const at = c.at % list.length;
        if (c.op === 'mutate') list[at] = c.bytes;
        if (c.op === 'drop') list.splice(at, 1);
        if (c.op === 'duplicate') list.splice(at, 0, list[at] as Uint8Array);
        if (c.op === 'swap') {
          const j = c.with % list.length;
          [list[at], list[j]] = [list[j] as Uint8Array, list[at] as Uint8Array];
        }
      }
      return [i, list];
    });
}

/** Whether `list` is, element by element, a prefix of one of `seeds`. */
export function isPrefixOf(list: readonly Uint8Array[], seeds: readonly Uint8Array[][]): boolean {
  return seeds.some(
    (s) => list.length <= s.length && list.every((x, i) => isOneOf(x, [s[i] as Uint8Array])),
  );
}
