/**
 * Team roles and exactly what each may do (PROTOCOL.md section 4.4). The server enforces
 * the same table from the same code, but clients never rely on that.
 */
import { COLLECTION, type Collection } from '../envelope/header.js';

/** Role numbers as encoded in links. */
export const ROLE = { owner: 1, admin: 2, writer: 3, reader: 4, agent: 5 } as const;
export type Role = (typeof ROLE)[keyof typeof ROLE];
export const ROLES: readonly Role[] = Object.values(ROLE);
export type RoleName = keyof typeof ROLE;

/** The name of a role number. */
export function roleName(r: Role): RoleName {
  return (Object.keys(ROLE) as RoleName[]).find((k) => ROLE[k] === r) as RoleName;
}

/** Whether a member with role `by` may invite or add a member with role `target`. */
export function canGrant(by: Role, target: Role): boolean {
  if (by === ROLE.owner) return true;
  if (by === ROLE.admin) return target !== ROLE.owner;
  return false;
}

/** Whether `by` may remove a member whose role is `target` (self-removal is separate). */
export function canRemove(by: Role, target: Role): boolean {
  return by === ROLE.owner || (by === ROLE.admin && target !== ROLE.owner);
}

/** Whether `by` may change a member from role `from` to role `to`. */
export function canSetRole(by: Role, from: Role, to: Role): boolean {
  if (by === ROLE.owner) return true;
  return by === ROLE.admin && from !== ROLE.owner && to !== ROLE.owner;
}

/** Whether `by` may rotate the team key. */
export function canRotate(by: Role): boolean {
  return by === ROLE.owner || by === ROLE.admin || by === ROLE.writer;
}

/** Whether `by` may rename the team. */
export function canRename(by: Role): boolean {
  return by === ROLE.owner || by === ROLE.admin;
}

/** Whether a member with role `by` may write objects of a collection. Agents may not write secrets. */
export function canWrite(by: Role, collection: Collection): boolean {
  if (by === ROLE.reader) return false;
  if (by === ROLE.agent) return collection !== COLLECTION.secret;
  return true;
}
