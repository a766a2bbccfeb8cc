/** Code snippets: share a file range of the workspace (or text), list them, get one. */
import * as z from 'zod';
import { usage } from '../errors.js';
import { ADD, defineTool, READ } from './tool.js';
import {
  latestFrom,
  listFilter,
  sent,
  sentOut,
  snippet,
  snippetInfo,
  snippetInfoOut,
  snippetOut,
  target,
  targetOf,
  UNTRUSTED,
} from './shapes.js';

const line = z.number().int().min(1);

const shareCode = defineTool({
  name: 'share_code',
  title: 'Share code',
  description:
    'Share code end-to-end encrypted with a team or one member: either a file of your workspace (optionally a line range; its language, repository path, git remote and commit are recorded) or text you give. ' +
    'Paths are relative to the workspace (see whoami) and must stay inside it. Without team or member it goes to your only team. Returns the snippet id, which others open with get_snippet.',
  input: z.object({
    ...target,
    path: z.string().optional().describe('a file in the workspace, e.g. "src/app.ts"'),
    start_line: line.optional().describe('first line to share (1-based), with end_line'),
    end_line: line.optional().describe('last line to share (inclusive), with start_line'),
    text: z.string().optional().describe('code to share instead of a file'),
    language: z.string().max(64).optional().describe('language of text, e.g. "python"'),
    title: z.string().max(256).optional().describe('default: the path and range'),
    note: z.string().max(4096).optional().describe('what the reader should look at'),
  }),
  output: sent,
  annotations: ADD,
  run: async (a, { hush, session }) => {
    const to = targetOf(a);
    const common = {
      ...(to !== undefined ? { target: to } : {}),
      ...(a.title !== undefined ? { title: a.title } : {}),
      ...(a.note !== undefined ? { note: a.note } : {}),
    };
    if ((a.path === undefined) === (a.text === undefined))
      throw usage('give either path (a workspace file) or text');
    if ((a.start_line === undefined) !== (a.end_line === undefined))
      throw usage('give both start_line and end_line, or neither for the whole file');
    let ref;
    if (a.text !== undefined) {
      if (a.start_line !== undefined) throw usage('a line range needs a path');
      ref = await hush.snippets.shareText({
        ...common,
        text: a.text,
        ...(a.language !== undefined ? { language: a.language } : {}),
      });
    } else {
      if (a.language !== undefined) throw usage('the language of a file comes from its name');
      ref = await hush.snippets.share({
        ...common,
        file: await session.workspace.file(a.path as string),
        cwd: session.workspace.root,
        ...(a.start_line !== undefined && a.end_line !== undefined
          ? { lines: { first: a.start_line, last: a.end_line } }
          : {}),
      });
    }
    return sentOut(ref);
  },
});

const listSnippets = defineTool({
  name: 'list_snippets',
  title: 'List snippets',
  description:
    'Verified code snippets shared with you (in your teams or directly), newest last, without their content: id, title, language, path, lines, sender. Open one with get_snippet. ' +
    UNTRUSTED,
  input: z.object(listFilter),
  output: z.object({ snippets: z.array(snippetInfo), more: z.number().int() }),
  annotations: READ,
  run: async (a, { hush }) => {
    const all = await hush.snippets.list(a.team !== undefined ? { team: a.team } : {});
    const { picked, more } = latestFrom(all, a);
    return { snippets: picked.map(snippetInfoOut), more };
  },
});

const getSnippet = defineTool({
  name: 'get_snippet',
  title: 'Get a snippet',
  description:
    'One verified snippet with its content; a "patch" snippet is a unified diff that `git apply` takes at the repository root. ' +
    UNTRUSTED,
  input: z.object({ id: z.string().describe('the snippet id') }),
  output: snippet,
  annotations: READ,
  run: async ({ id }, { hush }) => snippetOut(await hush.snippets.get(id)),
});

/** The snippet tools. */
export const snippetTools = [shareCode, listSnippets, getSnippet];
