/**
 * Table types for Kysely. Ids and blind indexes are canonical base64url text; links,
 * envelopes and key boxes are raw bytes (BLOB / BYTEA). Times are ms since the epoch.
 * The server never stores a key, a plaintext or a token in the clear.
 */
import type { Generated } from 'kysely';

export interface PrincipalsTable {
  id: string;
  kind: number;
  head_seq: number;
  created_at: number;
}
export interface PrincipalLinksTable {
  principal_id: string;
  seq: number;
  hash: string;
  link: Buffer;
}
export interface DevicesTable {
  id: string;
  principal_id: string;
  sig_pk: Buffer;
  kem_pk: Buffer;
  revoked_at: number | null;
}
export interface TeamsTable {
  id: string;
  head_seq: number;
  /** Last per-team object sequence number handed out. */
  object_seq: number;
  bytes_used: number;
  created_at: number;
}
export interface TeamLinksTable {
  team_id: string;
  seq: number;
  hash: string;
  link: Buffer;
}
export interface TeamMembersTable {
  team_id: string;
  principal_id: string;
  role: number;
}
export interface KeyBoxesTable {
  team_id: string;
  generation: number;
  recipient_id: string;
  box: Buffer;
}
export interface ObjectsTable {
  team_id: string;
  seq: number;
  object_id: string;
  version: number;
  collection: number;
  blind_index: string | null;
  author: string;
  device: string;
  tombstone: number;
  size: number;
  envelope: Buffer;
  created_at: number;
}
export interface DirectObjectsTable {
  object_id: string;
  sender: string;
  envelope: Buffer;
  created_at: number;
}
export interface InboxTable {
  principal_id: string;
  seq: number;
  object_id: string;
  acked_at: number | null;
  created_at: number;
}
export interface InboxStateTable {
  principal_id: string;
  next_seq: number;
}
export interface BlobsTable {
  id: string;
  /** The team of a team blob; null for a direct blob (migration 0003). */
  team_id: string | null;
  device: string;
  chunk_count: number | null;
  total_size: number | null;
  complete: number;
  created_at: number;
  updated_at: number;
}
export interface BlobChunksTable {
  blob_id: string;
  n: number;
  size: number;
  /** SHA-256 of the stored chunk bytes, base64url (migration 0002). */
  sha256: string;
}
/** Who may read a direct blob once complete, besides its uploader (migration 0003). */
export interface BlobReadersTable {
  blob_id: string;
  principal_id: string;
}
/** Bytes of direct blobs a principal stores, charged against its quota (migration 0003). */
export interface PrincipalUsageTable {
  principal_id: string;
  bytes_used: number;
}
export interface EventsTable {
  id: Generated<number>;
  team_id: string | null;
  principal_id: string | null;
  type: string;
  data: string;
  created_at: number;
}
export interface ChallengesTable {
  nonce: string;
  device_id: string;
  expires_at: number;
}
export interface TokensTable {
  /** SHA-256 of the token, base64url: tokens are never stored in the clear. */
  hash: string;
  kind: 'access' | 'refresh';
  device_id: string;
  family: string;
  expires_at: number;
  used_at: number | null;
}

export interface Database {
  principals: PrincipalsTable;
  principal_links: PrincipalLinksTable;
  devices: DevicesTable;
  teams: TeamsTable;
  team_links: TeamLinksTable;
  team_members: TeamMembersTable;
  key_boxes: KeyBoxesTable;
  objects: ObjectsTable;
  direct_objects: DirectObjectsTable;
  inbox: InboxTable;
  inbox_state: InboxStateTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
  blob_readers: BlobReadersTable;
  principal_usage: PrincipalUsageTable;
  events: EventsTable;
  challenges: ChallengesTable;
  tokens: TokensTable;
}
