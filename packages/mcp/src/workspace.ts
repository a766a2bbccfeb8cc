/**
 * The workspace: the folder `hush mcp` serves (its working directory, or `--workspace`).
 * A model names files relative to it; every such path must stay inside it, on the real
 * path (after symlinks), and may never reach the hush home, which holds the agent's keys.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ToolError, usage } from './errors.js';

/** Whether `child` is `parent` or below it (both absolute and normalised). */
function within(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function real(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/** A folder the tools may read files from. */
export class Workspace {
  private constructor(
    /** The workspace's real path. */
    readonly root: string,
    /** The hush home's real path, when it exists: never readable through a tool. */
    readonly home: string | undefined,
  ) {}

  /**
   * Opens a workspace folder (it must exist and be a directory); `home` is the hush home
   * in use, refused to tools even when it lies inside the workspace.
   */
  static async open(dir: string, home?: string): Promise<Workspace> {
    const root = await real(resolve(dir));
    if (root === undefined || !(await stat(root)).isDirectory())
      throw new ToolError('USAGE', `the workspace ${dir} is not a folder`);
    return new Workspace(root, home === undefined ? undefined : await real(resolve(home)));
  }

  /**
   * The real path of a regular file a tool names: relative to the workspace, or absolute
   * inside it. Refuses `..` segments, paths outside the workspace (also through a symlink),
   * the hush home, and anything that is not a regular file.
   * @example
   * const file = await ws.file('src/app.ts'); // '/home/me/proj/src/app.ts'
   */
  async file(path: string): Promise<string> {
    if (path === '' || path.includes('\0')) throw usage('give a file path');
    if (path.split(/[\\/]/).includes('..'))
      throw usage(`${path}: paths may not contain "..": name the file relative to the workspace`);
    const lexical = resolve(this.root, path);
    if (!within(this.root, lexical)) throw usage(`${path} is outside the workspace ${this.root}`);
    const target = await real(lexical);
    if (target === undefined) throw new ToolError('NOT_FOUND', `no file ${path} in the workspace`);
    if (!within(this.root, target))
      throw usage(`${path} leads outside the workspace (a symlink to ${target})`);
    if (this.home !== undefined && within(this.home, target))
      throw usage(`${path} is in the hush home, which holds this agent's keys: it is never shared`);
    if (!(await stat(target)).isFile()) throw usage(`${path} is not a regular file`);
    return target;
  }
}
