/**
 * The server test harness (real relay process), loaded from the server's compiled tests.
 * The relative path differs between source and output, so it is resolved at run time.
 */
import type * as H from '../../server/test/harness.js';

const mod = (await import(
  new URL('../../../server/dist/test/harness.js', import.meta.url).href
)) as typeof H;
export const { spawnServer, Storage, dialects } = mod;
export type ServerProcess = H.ServerProcess;
export type DbKind = H.DbKind;
