/**
 * The workspace: the folder `hush mcp` serves (its working directory, or `--workspace`).
 * A model names files relative to it; every such path must stay inside it, on the real
 * path (after symlinks), and may never reach the hush home, which holds the agent's keys.
 * Files are read through `file` and written through `destination`.
 */
import { lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
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
   * the hush home (also a hard link to one of its files), and anything that is not a regular
   * file.
   * @example
   * const file = await ws.file('src/app.ts'); // '/home/me/proj/src/app.ts'
   */
  async file(path: string): Promise<string> {
    const target = await real(this.#lexical(path));
    if (target === undefined) throw new ToolError('NOT_FOUND', `no file ${path} in the workspace`);
    this.#inside(path, target);
    const st = await stat(target);
    if (!st.isFile()) throw usage(`${path} is not a regular file`);
    if (st.nlink > 1 && (await this.#inHome(st.dev, st.ino)))
      throw usage(
        `${path} is a hard link to a file of the hush home, which holds this agent's keys: no tool reads it`,
      );
    return target;
  }

  /** Whether a file (device and inode) is one of the hush home's own files. */
  async #inHome(dev: number, ino: number): Promise<boolean> {
    if (this.home === undefined) return false;
    const entries = await readdir(this.home, { recursive: true }).catch(() => [] as string[]);
    for (const e of entries) {
      const s = await lstat(join(this.home, e)).catch(() => undefined);
      if (s?.isFile() && s.dev === dev && s.ino === ino) return true;
    }
    return false;
  }

  /**
   * The absolute path a tool may write a file to: the same rules as `file` for the path
   * and for every folder above it that exists (folders that do not exist yet are created,
   * inside the workspace). An existing symlink is followed only to a target inside the
   * workspace (that target is written); a folder, or anything but a regular file, is
   * refused, and so is a leftover `<path>.hush-part` that is not a regular file (a
   * download writes there first).
   * @example
   * const out = await ws.destination('downloads/report.pdf'); // '/home/me/proj/downloads/report.pdf'
   */
  async destination(path: string): Promise<string> {
    const lexical = this.#lexical(path);
    if (lexical === this.root) throw usage('give a file path, not the workspace itself');
    const target = await real(lexical);
    if (target !== undefined) {
      this.#inside(path, target);
      if (!(await stat(target)).isFile())
        throw usage(`${path} is not a regular file: name the file to write`);
      await this.#noLinkedPart(path, target);
      return target;
    }
    const exists = (p: string) =>
      lstat(p).then(
        () => true,
        () => false,
      );
    if (await exists(lexical)) throw usage(`${path} is a symlink to nothing: name another path`);
    let dir = dirname(lexical);
    const missing: string[] = [];
    let found: string | undefined;
    while ((found = await real(dir)) === undefined) {
      if (await exists(dir)) throw usage(`${path}: ${dir} is a symlink to nothing`);
      missing.unshift(basename(dir));
      dir = dirname(dir);
    }
    this.#inside(path, found);
    if (!(await stat(found)).isDirectory()) throw usage(`${path}: ${dir} is not a folder`);
    const parent = join(found, ...missing);
    if (missing.length > 0) await mkdir(parent, { recursive: true });
    const out = join(parent, basename(lexical));
    await this.#noLinkedPart(path, out);
    return out;
  }

  /** A path a tool gave, resolved without following links; refuses `..` and the outside. */
  #lexical(path: string): string {
    if (path === '' || path.includes('\0')) throw usage('give a file path');
    if (path.split(/[\\/]/).includes('..'))
      throw usage(`${path}: paths may not contain "..": name the file relative to the workspace`);
    const lexical = resolve(this.root, path);
    if (!within(this.root, lexical)) throw usage(`${path} is outside the workspace ${this.root}`);
    return lexical;
  }

  /** Refuses a real path outside the workspace or inside the hush home. */
  #inside(path: string, target: string): void {
    if (!within(this.root, target))
      throw usage(`${path} leads outside the workspace (a symlink to ${target})`);
    if (this.home !== undefined && within(this.home, target))
      throw usage(
        `${path} is in the hush home, which holds this agent's keys: no tool reads or writes there`,
      );
  }

  /** Refuses a `<out>.hush-part` that a download would write through (a link, a folder). */
  async #noLinkedPart(path: string, out: string): Promise<void> {
    const part = await lstat(`${out}.hush-part`).catch(() => undefined);
    if (part && !part.isFile())
      throw usage(`${path}.hush-part exists and is not a regular file: remove it first`);
  }
}
