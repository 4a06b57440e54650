import { type Member, maskCardNumber } from '@membercard/shared'
import type { ActiveLink } from '../repositories/links.ts'

/** A linked card as the API shows a member (the number masked). */
export function toMember(row: Pick<ActiveLink, 'cardNumber' | 'name' | 'rank' | 'points'>): Member {
  return {
    cardNumber: maskCardNumber(row.cardNumber),
    name: row.name,
    points: row.points,
    rank: row.rank,
  }
}
