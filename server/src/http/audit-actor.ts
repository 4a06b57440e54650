import type { Context } from 'hono'
import type { AuditActor } from '../services/audit.ts'
import type { AppVariables } from './middleware.ts'

/**
 * Who acts on an admin route and from where, for the audit trail: the signed-in principal's
 * staff ID and the trusted client address. Use after `adminAuth`:
 * `audit.record(tx, { ...auditActor(c, clientAddress), action: 'member.adjust', target, detail })`.
 */
export function auditActor(
  c: Context<{ Variables: AppVariables }>,
  clientAddress: (c: Context) => string,
): AuditActor {
  return { actor: c.get('principal').staffId, address: clientAddress(c) }
}
