/** Key-value data: JSON values per team, versioned, with compare-and-set. */
import type { KvEntry } from '@hush/client';
import * as z from 'zod';
import { defineTool, READ, REPLACE } from './tool.js';
import { principalRef, UNTRUSTED } from './shapes.js';

const PREVIEW = 200;

const team = z.string().optional().describe('team id or name; default: your only team');
const key = z.string().min(1).max(1024).describe('the key, e.g. "deploy/lock"');
const ifVersion = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('write only if the key is at this version now (0: only if it is not set yet)');

const entryInfo = z.object({
  key: z.string(),
  version: z.number().int(),
  updatedAt: z.string().describe('ISO 8601, as its author claims'),
  author: principalRef,
  comment: z.string(),
});

const written = z.object({
  key: z.string(),
  version: z.number().int().describe('the key’s version after the call'),
  changed: z.boolean().describe('false: the value was already this, nothing was written'),
});

function infoOut(e: KvEntry): z.output<typeof entryInfo> {
  return {
    key: e.key,
    version: e.version,
    updatedAt: new Date(e.updatedAt).toISOString(),
    author: e.author,
    comment: e.comment,
  };
}

const kvGet = defineTool({
  name: 'kv_get',
  title: 'Get a key',
  description:
    'The current value of one key of a team’s end-to-end encrypted key-value data (JSON), with its version (for compare-and-set with kv_set if_version) and who wrote it. ' +
    UNTRUSTED,
  input: z.object({ key, team }),
  output: entryInfo.extend({ value: z.unknown().describe('the JSON value') }),
  annotations: READ,
  run: async (a, { hush }) => {
    const e = await hush.kv.get(a.key, a.team !== undefined ? { team: a.team } : {});
    return { ...infoOut(e), value: e.value };
  },
});

const kvSet = defineTool({
  name: 'kv_set',
  title: 'Set a key',
  description:
    'Set a key of a team’s key-value data to a JSON value (object, array, string, number, boolean or null), end-to-end encrypted and versioned; every version is kept. ' +
    'Use if_version for compare-and-set (e.g. 0 to take a lock only if nobody holds it); a conflict means someone else wrote first: kv_get and decide again. ' +
    'Keys starting with "hush:" are reserved.',
  input: z.object({
    key,
    value: z.unknown().describe('any JSON value'),
    team,
    if_version: ifVersion,
    comment: z.string().max(4096).optional().describe('stored with the value; default: keep'),
  }),
  output: written,
  annotations: REPLACE,
  run: async (a, { hush }) => {
    const r = await hush.kv.set(a.key, a.value, {
      ...(a.team !== undefined ? { team: a.team } : {}),
      ...(a.if_version !== undefined ? { ifVersion: a.if_version } : {}),
      ...(a.comment !== undefined ? { comment: a.comment } : {}),
    });
    return { key: r.name, version: r.version, changed: r.changed };
  },
});

const kvList = defineTool({
  name: 'kv_list',
  title: 'List keys',
  description:
    `The keys that are set in a team’s key-value data, sorted, each with its version, author and the first ${PREVIEW} characters of its JSON value; kv_get gives a whole value. ` +
    UNTRUSTED,
  input: z.object({
    team,
    prefix: z.string().optional().describe('only keys starting with this'),
    limit: z.number().int().min(1).max(500).default(100),
  }),
  output: z.object({
    entries: z.array(entryInfo.extend({ preview: z.string() })),
    more: z.number().int().describe('matching keys not returned'),
  }),
  annotations: READ,
  run: async (a, { hush }) => {
    const all = (await hush.kv.list(a.team !== undefined ? { team: a.team } : {})).filter(
      (e) => a.prefix === undefined || e.key.startsWith(a.prefix),
    );
    const picked = all.slice(0, a.limit);
    return {
      entries: picked.map((e) => ({
        ...infoOut(e),
        preview: e.json.length > PREVIEW ? `${e.json.slice(0, PREVIEW)}…` : e.json,
      })),
      more: all.length - picked.length,
    };
  },
});

const kvDelete = defineTool({
  name: 'kv_delete',
  title: 'Delete a key',
  description:
    'Delete a key of a team’s key-value data (a deletion version; its history stays, and a later kv_set sets it again). Use if_version to delete only the version you read.',
  input: z.object({ key, team, if_version: ifVersion }),
  output: written.omit({ changed: true }),
  annotations: REPLACE,
  run: async (a, { hush }) => {
    const r = await hush.kv.delete(a.key, {
      ...(a.team !== undefined ? { team: a.team } : {}),
      ...(a.if_version !== undefined ? { ifVersion: a.if_version } : {}),
    });
    return { key: r.name, version: r.version };
  },
});

/** The kv tools. */
export const kvTools = [kvGet, kvSet, kvList, kvDelete];
