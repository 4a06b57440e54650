import type { Segment } from '@membercard/shared'
import type { LineMessage } from './flex-card.ts'

/** The shapes of the segment, campaign and automation routes (`WAVE3-API.md`, issue 15). */

export interface SavedSegment {
  id: number
  name: string
  segment: Segment
  createdAt: string
}

export interface SegmentCount {
  matched: number
  reachable: number
}

export interface SampleMember {
  cardId: string
  cardNumber: string
  name: string | null
  rank: string
  points: number
  reachable: boolean
}

export type CampaignStatus = 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed'

export interface Campaign {
  id: number
  name: string
  status: CampaignStatus
  recipients: number
  sent: number
  failed: number
  excluded: number
  excludedBy: { optedOut: number; blocked: number; frequencyCap: number }
  segment: Segment
  messages: LineMessage[]
  scheduledAt: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  aggregationUnit: string
}

export interface CampaignInsight {
  aggregationUnit: string
  uniqueImpression: number | null
  uniqueClick: number | null
  note: string
}

export interface TestRecipient {
  lineUserId: string
  label: string
}

export interface Quota {
  type: 'limited' | 'none'
  limit: number | null
  used: number
  remaining: number | null
}

export interface MessagingSettings {
  frequencyCap: { messages: number; days: number }
  automationHour: number
}

export type AutomationKind = 'birthday' | 'pointsExpiring' | 'winBack' | 'couponExpiring'

export interface Automation {
  kind: AutomationKind
  enabled: boolean
  messages: LineMessage[]
  params: { daysBefore?: number; daysWithoutVisit?: number; couponId?: number | null }
  lastRun: AutomationRun | null
}

export interface AutomationRun {
  id: number
  kind: AutomationKind
  runDate: string
  startedAt: string
  finishedAt: string | null
  targeted: number
  sent: number
  excluded: number
  failed: number
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}
