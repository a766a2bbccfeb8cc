/**
 * Who pays for a blob's bytes: a team blob counts toward its team's `--team-quota-bytes`
 * (shared with objects, `teams.bytes_used`), a direct blob toward its uploader's
 * `--direct-quota-bytes` (`principal_usage`). Charges and refunds run inside the caller's
 * transaction, under the blob lock, so a chunk is charged exactly once.
 */
import { sql } from 'kysely';
import type { Context } from '../context.js';
import type { Trx } from './blob-store.js';

/** The account a blob's bytes are charged to. */
export type Payer =
  | { readonly kind: 'team'; readonly teamId: string }
  | { readonly kind: 'principal'; readonly principalId: string };

/** The payer of a blob: its team, or (direct blob) the principal that uploads it. */
export function payerOf(blob: {
  readonly teamId: string | null;
  readonly uploader: string | null;
}): Payer {
  if (blob.teamId !== null) return { kind: 'team', teamId: blob.teamId };
  return { kind: 'principal', principalId: blob.uploader ?? '' };
}

/** The quota of a payer, in bytes. */
export function quotaOf(ctx: Context, p: Payer): number {
  return p.kind === 'team' ? ctx.config.teamQuotaBytes : ctx.config.directQuotaBytes;
}

/** Bytes a payer stores now. */
export async function usageOf(ctx: Context, p: Payer): Promise<number> {
  const r =
    p.kind === 'team'
      ? await ctx.store.db
          .selectFrom('teams')
          .select('bytes_used')
          .where('id', '=', p.teamId)
          .executeTakeFirst()
      : await ctx.store.db
          .selectFrom('principal_usage')
          .select('bytes_used')
          .where('principal_id', '=', p.principalId)
          .executeTakeFirst();
  return Number(r?.bytes_used ?? 0);
}

/** Adds `bytes` to the payer's usage if that stays within its quota; false when it would not. */
export async function charge(trx: Trx, ctx: Context, p: Payer, bytes: number): Promise<boolean> {
  const quota = quotaOf(ctx, p);
  if (p.kind === 'team') {
    const r = await trx
      .updateTable('teams')
      .set((eb) => ({ bytes_used: eb('bytes_used', '+', bytes) }))
      .where('id', '=', p.teamId)
      .where((eb) => eb(eb('bytes_used', '+', bytes), '<=', quota))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
  await trx
    .insertInto('principal_usage')
    .values({ principal_id: p.principalId, bytes_used: 0 })
    .onConflict((oc) => oc.column('principal_id').doNothing())
    .execute();
  const r = await trx
    .updateTable('principal_usage')
    .set((eb) => ({ bytes_used: eb('bytes_used', '+', bytes) }))
    .where('principal_id', '=', p.principalId)
    .where((eb) => eb(eb('bytes_used', '+', bytes), '<=', quota))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Gives `bytes` back to the payer (never below zero). */
export async function refund(trx: Trx, p: Payer, bytes: number): Promise<void> {
  if (bytes <= 0) return;
  const less = sql<number>`case when bytes_used > ${bytes} then bytes_used - ${bytes} else 0 end`;
  if (p.kind === 'team')
    await trx.updateTable('teams').set({ bytes_used: less }).where('id', '=', p.teamId).execute();
  else
    await trx
      .updateTable('principal_usage')
      .set({ bytes_used: less })
      .where('principal_id', '=', p.principalId)
      .execute();
}

/** The quota error's message for a payer. */
export function quotaMessage(p: Payer): string {
  return p.kind === 'team'
    ? 'the team storage quota is used up'
    : 'your storage quota for direct files is used up';
}
