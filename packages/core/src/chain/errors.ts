import { HushError } from '../errors.js';

/** Why a chain link or chain was refused. Each maps to a vector `expect` class. */
export type ChainFailure =
  | 'encoding'
  | 'version'
  | 'wrong-chain'
  | 'bad-seq'
  | 'bad-prev'
  | 'time-order'
  | 'bad-genesis'
  | 'unknown-signer'
  | 'bad-signature'
  | 'not-authorized'
  | 'removal-without-rotation'
  | 'rotation-pending'
  | 'bad-generation'
  | 'ghost-recipient'
  | 'unknown-invite'
  | 'invite-expired'
  | 'invite-used'
  | 'unknown-principal'
  | 'principal-pin'
  | 'invalid'
  | 'rollback'
  | 'fork';

/** A chain failed verification. `seq` names the offending link when there is one. */
export class ChainError extends HushError {
  readonly reason: ChainFailure;
  readonly seq: number | undefined;
  constructor(reason: ChainFailure, message: string, seq?: number) {
    super('CHAIN', seq === undefined ? message : `link ${seq}: ${message}`);
    this.reason = reason;
    this.seq = seq;
  }
}
