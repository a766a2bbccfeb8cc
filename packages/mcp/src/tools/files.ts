/**
 * Encrypted files: upload a file of the workspace, list what the agent's teams and members
 * sent, download one into the workspace. Paths go through workspace.ts both ways.
 */
import { lstat } from 'node:fs/promises';
import { relative } from 'node:path';
import type { FileInfo, Progress } from '@hush/client';
import * as z from 'zod';
import { ToolError } from '../errors.js';
import { ADD, defineTool, READ, REPLACE, type ToolContext } from './tool.js';
import {
  latestFrom,
  listFilter,
  principalRef,
  target,
  targetOf,
  teamRef,
  UNTRUSTED,
} from './shapes.js';

const fileInfo = z.object({
  id: z.string().describe('file id (base64url); the same for every version'),
  version: z.number().int(),
  name: z.string().describe('the name its sender gave it'),
  size: z.number().int().describe('bytes'),
  mediaType: z.string().describe('type/subtype, "" when unknown'),
  sha256: z.string().describe('SHA-256 of the content, hex (checked on download)'),
  team: teamRef.optional().describe('absent for a direct file'),
  direct: z.boolean(),
  from: principalRef,
  createdAt: z.string().describe('ISO 8601'),
});

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** Reports a transfer's progress to the client: at most once a second, and at its end. */
function reporter(ctx: ToolContext, what: string): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 1000 && p.done !== p.total) return;
    last = now;
    void ctx.progress(p.done, p.total ?? p.done, what);
  };
}

function fileOut(f: FileInfo): z.output<typeof fileInfo> {
  return {
    id: f.id,
    version: f.version,
    name: f.name,
    size: f.size,
    mediaType: f.mediaType,
    sha256: f.sha256,
    ...(f.team ? { team: { id: f.team.id, name: f.team.name } } : {}),
    direct: f.direct,
    from: { principalId: f.from.principalId, name: f.from.name },
    createdAt: new Date(f.createdAt).toISOString(),
  };
}

const fileUpload = defineTool({
  name: 'file_upload',
  title: 'Upload a file',
  description:
    'Send a file of your workspace, end-to-end encrypted (any size, streamed), to a team or directly to one member. ' +
    'The path is relative to the workspace (see whoami) and must stay inside it. Without team or member it goes to your only team. ' +
    'Returns the file id, which others download with file_download.',
  input: z.object({
    path: z.string().describe('a file in the workspace, e.g. "dist/report.pdf"'),
    ...target,
    name: z.string().max(1024).optional().describe('the name recorded; default: the file’s name'),
  }),
  output: z.object({
    id: z.string(),
    name: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    team: z.string().optional().describe('team id, for a team file'),
    to: z.string().optional().describe('the member, for a direct file'),
    queued: z
      .boolean()
      .describe('true: the content is uploaded, its announcement waits for the relay'),
  }),
  annotations: ADD,
  run: async (a, ctx) => {
    const to = targetOf(a);
    const file = await ctx.session.workspace.file(a.path);
    const r = await ctx.hush.files.put(file, {
      ...(to === undefined ? {} : to.startsWith('@') ? { to } : { team: to }),
      ...(a.name !== undefined ? { name: a.name } : {}),
      onProgress: reporter(ctx, `uploading ${a.path}`),
    });
    return {
      id: r.id,
      name: r.name,
      size: r.size,
      sha256: r.sha256,
      ...(r.team !== undefined ? { team: r.team } : {}),
      ...(r.to !== undefined ? { to: r.to } : {}),
      queued: r.queued,
    };
  },
});

const fileList = defineTool({
  name: 'file_list',
  title: 'List files',
  description:
    'Verified files in your teams and sent to you directly, newest last, without their content: id, name, size, type, sender. Download one with file_download. ' +
    UNTRUSTED,
  input: z.object(listFilter),
  output: z.object({ files: z.array(fileInfo), more: z.number().int() }),
  annotations: READ,
  run: async (a, { hush }) => {
    const all = await hush.files.list(a.team !== undefined ? { team: a.team } : {});
    const { picked, more } = latestFrom(all, a);
    return { files: picked.map(fileOut), more };
  },
});

const fileDownload = defineTool({
  name: 'file_download',
  title: 'Download a file',
  description:
    'Download a file (by id, or by name: the newest with that name) into your workspace. It is written only once its content verified (signature, encryption, size and SHA-256). ' +
    'path is the file to write, relative to the workspace, and must stay inside it (missing folders are created); an existing file is replaced only with overwrite true. ' +
    UNTRUSTED,
  input: z.object({
    file: z.string().describe('the file id or name (see file_list)'),
    path: z.string().describe('where to write it in the workspace, e.g. "downloads/data.csv"'),
    team: z.string().optional().describe('look the name up in this team only'),
    overwrite: z.boolean().default(false).describe('replace an existing file at path'),
  }),
  output: fileInfo.extend({
    path: z.string().describe('the file written, relative to the workspace'),
  }),
  annotations: REPLACE,
  run: async (a, ctx) => {
    const { hush, session } = ctx;
    const out = await session.workspace.destination(a.path);
    if (!a.overwrite && (await exists(out)))
      throw new ToolError(
        'CONFLICT',
        `${a.path} exists: give another path, or overwrite true to replace it`,
      );
    const r = await hush.files.get(a.file, {
      out,
      overwrite: a.overwrite,
      onProgress: reporter(ctx, `downloading ${a.file}`),
      ...(a.team !== undefined ? { team: a.team } : {}),
    });
    return { ...fileOut(r.file), path: relative(session.workspace.root, r.out) };
  },
});

/** The file tools. */
export const fileTools = [fileUpload, fileList, fileDownload];
