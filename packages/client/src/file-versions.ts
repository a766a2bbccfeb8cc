/**
 * From cached envelopes to files: every cached `file` envelope (team objects of collection
 * 5, direct envelopes that open as one) is opened and verified again, its manifest decoded
 * and checked against its header (PROTOCOL.md 10.5), and the versions of each object are
 * reduced to the current one. In a team, a version after the first counts only when its
 * author wrote version 1 or was an owner or admin at the chain position it names: a writer
 * cannot replace or delete another member's file (the relay cannot tell, so the reader does).
 */
import {
  checkManifestHeader,
  COLLECTION,
  decodeFileManifest,
  equalBytes,
  FLAG_TOMBSTONE,
  ROLE,
  toBase64url,
  toHex,
  type EnvelopeHeader,
  type FileManifest,
} from '@hush/core';
import type { Ctx } from './context.js';
import type { CachedEnvelope, Messages, Opened } from './messages.js';

/** A verified file version, as listed (the content key is never part of it). */
export interface FileInfo {
  /** The object id: the same for every version of the file. */
  readonly id: string;
  readonly version: number;
  /** A file name, or a relative path (10.3 rules). */
  readonly name: string;
  readonly size: number;
  /** `type/subtype`, or '' when unknown. */
  readonly mediaType: string;
  /** Modification time claimed by the uploader, ms since the epoch. */
  readonly mtime: number;
  /** SHA-256 of the content, hex. */
  readonly sha256: string;
  readonly blobId: string;
  readonly team?: { readonly id: string; readonly name: string };
  readonly direct: boolean;
  readonly from: { readonly principalId: string; readonly name: string };
  /** Recipient principal ids of a direct file (the sender included). */
  readonly to?: readonly string[];
  /** When this version was written (claimed by its author). */
  readonly createdAt: number;
}

/** The current state of one file object: its live version, or its deletion. */
export interface FileState {
  /** The current version's listing; for a deleted file, its last live version's. */
  readonly info: FileInfo;
  /** The manifest of `info` (holds the content key: never printed). */
  readonly manifest: FileManifest;
  /** The principal who wrote version 1. */
  readonly uploader: string;
  readonly deleted: boolean;
  /** The highest version the relay stores, accepted or not (the next write is this plus one). */
  readonly latest: number;
  /** Every blob a live version of this object named. */
  readonly blobIds: readonly string[];
}

interface Version {
  readonly c: CachedEnvelope;
  readonly header: EnvelopeHeader;
  readonly manifest: FileManifest | undefined;
}

/** Whether a later version's author may change or delete this file (see the module comment). */
function mayAmend(ctx: Ctx, first: EnvelopeHeader, h: EnvelopeHeader): boolean {
  if (equalBytes(first.author, h.author)) return true;
  if (!h.team) return false;
  const role = ctx.chains.teams.get(toBase64url(h.team.teamId))?.roleAt(h.author, h.team.chainSeq);
  return role === ROLE.owner || role === ROLE.admin;
}

/**
 * Opens one cached envelope as a file version: undefined when it is not a file (a direct
 * envelope of another collection) or its manifest is malformed (a warning, as for messages).
 */
async function openVersion(ctx: Ctx, c: CachedEnvelope): Promise<Version | undefined> {
  const { header, body }: Opened = await c.open();
  if (header.collection !== COLLECTION.file) return undefined;
  if ((header.flags & FLAG_TOMBSTONE) !== 0) return { c, header, manifest: undefined };
  try {
    const manifest = decodeFileManifest(body);
    checkManifestHeader(header, manifest);
    return { c, header, manifest };
  } catch (e) {
    ctx.warnings.push(
      `file ${toBase64url(header.objectId)} v${header.objectVersion} has a malformed manifest: ${(e as Error).message}`,
    );
    return undefined;
  }
}

/**
 * The current state of every file among the cached envelopes (of one team when `teamFilter`
 * is given, then without direct files), verified again; oldest first.
 * @example const files = (await currentFiles(ctx, messages)).filter((f) => !f.deleted);
 */
export async function currentFiles(
  ctx: Ctx,
  messages: Messages,
  teamFilter?: string,
): Promise<FileState[]> {
  const byObject = new Map<string, Version[]>();
  for (const c of await messages.cached(COLLECTION.file, teamFilter)) {
    const v = await openVersion(ctx, c);
    if (!v) continue;
    const key = `${c.team?.id ?? 'direct'}:${toBase64url(v.header.objectId)}`;
    byObject.set(key, [...(byObject.get(key) ?? []), v]);
  }
  const out: FileState[] = [];
  for (const versions of byObject.values()) {
    versions.sort((a, b) => a.header.objectVersion - b.header.objectVersion);
    const first = versions[0];
    if (!first?.manifest || first.header.objectVersion !== 1) continue;
    let live: Version = first;
    let latest = first;
    const blobIds = new Set<string>([toBase64url(first.manifest.blobId)]);
    let stored = 1;
    for (const v of versions.slice(1)) {
      // Versions are consecutive at the relay; one missing from what it served ends the history.
      if (v.header.objectVersion !== stored + 1) break;
      stored = v.header.objectVersion;
      if (!mayAmend(ctx, first.header, v.header)) {
        ctx.warnings.push(
          `file ${toBase64url(v.header.objectId)} v${v.header.objectVersion} is ignored: its author may not change another member's file`,
        );
        continue;
      }
      latest = v;
      if (v.manifest) {
        live = v;
        blobIds.add(toBase64url(v.manifest.blobId));
      }
    }
    const m = live.manifest as FileManifest;
    out.push({
      info: {
        id: toBase64url(live.header.objectId),
        version: live.header.objectVersion,
        name: m.name,
        size: m.size,
        mediaType: m.mediaType,
        mtime: m.mtime,
        sha256: toHex(m.sha256),
        blobId: toBase64url(m.blobId),
        ...(live.c.team ? { team: live.c.team } : {}),
        direct: !live.c.team,
        from: {
          principalId: toBase64url(live.header.author),
          name: await messages.nameOf(live.header.author),
        },
        ...(live.header.direct ? { to: live.header.direct.recipients.map(toBase64url) } : {}),
        createdAt: live.header.createdAt,
      },
      manifest: m,
      uploader: toBase64url(first.header.author),
      deleted: latest.manifest === undefined,
      latest: stored,
      blobIds: [...blobIds],
    });
  }
  return out.sort(
    (a, b) => a.info.createdAt - b.info.createdAt || (a.info.id < b.info.id ? -1 : 1),
  );
}
