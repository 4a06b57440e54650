import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HTTPFetchError, type messagingApi } from '@line/bot-sdk'
import type { Clock } from '../clock.ts'
import type { Database, Executor } from '../db/seam.ts'
import type { Logger } from '../logger.ts'
import { type RichMenuName, richMenus } from '../repositories/rich-menus.ts'
import { liffUrl } from './messages.ts'
import type { MessagingClient } from './messaging-client.ts'

/** Every rich menu this product creates has a name starting with this. */
export const RICH_MENU_PREFIX = 'membercard:'

export type { RichMenuName }

/** Where the shipped menu images (and their HTML sources) live. */
export const RICH_MENU_IMAGE_DIR = join(import.meta.dirname, 'rich-menu-images')

/** Postback data the webhook understands (rich menu buttons). */
export const POSTBACK = {
  balance: 'action=balance',
  news: 'action=news',
  help: 'action=help',
  accountLink: 'action=account-link',
} as const

type Area = messagingApi.RichMenuArea

const uri = (label: string, liffId: string | undefined, path: string) => ({
  type: 'uri' as const,
  label,
  uri: liffUrl(liffId, path),
})
const postback = (label: string, data: string, displayText: string) => ({
  type: 'postback' as const,
  label,
  data,
  displayText,
})

/** The menu definitions kept in the repository, for a LIFF ID. */
export function richMenuDefinitions(
  liffId: string | undefined,
): Record<RichMenuName, { request: messagingApi.RichMenuRequest; image: string }> {
  const guestAreas: Area[] = [
    {
      bounds: { x: 0, y: 0, width: 1250, height: 843 },
      action: uri('会員証を連携', liffId, '/link'),
    },
    {
      bounds: { x: 1250, y: 0, width: 1250, height: 421 },
      action: uri('新しく会員登録', liffId, '/issue'),
    },
    {
      bounds: { x: 1250, y: 421, width: 1250, height: 422 },
      action: postback('トークで連携', POSTBACK.accountLink, 'トークで連携'),
    },
  ]
  const w = [833, 834, 833]
  const x = [0, 833, 1667]
  const cell = (col: number, row: number) => ({
    x: x[col] ?? 0,
    y: row * 843,
    width: w[col] ?? 833,
    height: 843,
  })
  const memberAreas: Area[] = [
    { bounds: cell(0, 0), action: uri('会員証', liffId, '/card') },
    { bounds: cell(1, 0), action: uri('ポイント履歴', liffId, '/history') },
    { bounds: cell(2, 0), action: postback('ポイント残高', POSTBACK.balance, 'ポイント残高') },
    { bounds: cell(0, 1), action: postback('お知らせ', POSTBACK.news, 'お知らせ') },
    { bounds: cell(1, 1), action: uri('設定', liffId, '/settings') },
    { bounds: cell(2, 1), action: postback('ヘルプ', POSTBACK.help, 'ヘルプ') },
  ]
  return {
    guest: {
      request: {
        size: { width: 2500, height: 843 },
        selected: true,
        name: `${RICH_MENU_PREFIX}guest`,
        chatBarText: 'メニュー',
        areas: guestAreas,
      },
      image: join(RICH_MENU_IMAGE_DIR, 'guest.png'),
    },
    member: {
      request: {
        size: { width: 2500, height: 1686 },
        selected: true,
        name: `${RICH_MENU_PREFIX}member`,
        chatBarText: '会員メニュー',
        areas: memberAreas,
      },
      image: join(RICH_MENU_IMAGE_DIR, 'member.png'),
    },
  }
}

export interface RichMenuDeps {
  db: Database
  client: MessagingClient
  clock: Clock
  logger: Logger
  liffId: string | undefined
  /** Waits between bulk calls (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>
}

/** The deployed menu's ID, or null before `richmenu:deploy`. */
export async function deployedRichMenuId(db: Executor, name: RichMenuName): Promise<string | null> {
  return (await richMenus.byName(db, name))?.id ?? null
}

/** Bulk endpoints take up to 500 users a call. */
export const BULK_SIZE = 500
/** Pause between bulk calls: well inside the platform's limits. */
export const BULK_PAUSE_MS = 200

function notFound(err: unknown): boolean {
  return err instanceof HTTPFetchError && err.status === 404
}

/** What a deploy did. */
export interface DeployResult {
  menus: Record<RichMenuName, { richMenuId: string; created: boolean }>
  deleted: string[]
  relinkedUsers: number
}

/**
 * Creates or replaces both menus from the definitions and images, sets the guest menu as
 * the default, moves linked users to a replaced member menu, and deletes this product's
 * older menus. Safe to run again: an unchanged menu that still exists is kept as it is.
 */
export async function deployRichMenus(deps: RichMenuDeps): Promise<DeployResult> {
  const { db, client, clock, logger } = deps
  const api = client.api()
  const defs = richMenuDefinitions(deps.liffId)
  const menus = {} as DeployResult['menus']
  for (const name of ['guest', 'member'] as const) {
    const def = defs[name]
    const image = readFileSync(def.image)
    if (image.byteLength > 1024 * 1024) throw new Error(`${def.image} is over 1 MB`)
    const hash = createHash('sha256')
      .update(JSON.stringify(def.request))
      .update(createHash('sha256').update(image).digest())
      .digest('hex')
    const existing = await richMenus.byName(db, name)
    if (existing?.hash === hash && (await menuExists(api, existing.id))) {
      menus[name] = { richMenuId: existing.id, created: false }
      continue
    }
    await api.validateRichMenuObject(def.request)
    const { richMenuId } = await api.createRichMenu(def.request)
    await client.blob().setRichMenuImage(richMenuId, new Blob([image], { type: 'image/png' }))
    await richMenus.save(db, { name, id: richMenuId, hash, at: clock.now() })
    menus[name] = { richMenuId, created: true }
    logger.info('rich menu created', { name, richMenuId })
  }
  await api.setDefaultRichMenu(menus.guest.richMenuId)
  let relinkedUsers = 0
  if (menus.member.created) relinkedUsers = (await syncRichMenus(deps)).linked
  const keep = new Set([menus.guest.richMenuId, menus.member.richMenuId])
  const deleted: string[] = []
  const { richmenus } = await api.getRichMenuList()
  for (const m of richmenus) {
    if (m.name?.startsWith(RICH_MENU_PREFIX) && !keep.has(m.richMenuId)) {
      try {
        await api.deleteRichMenu(m.richMenuId)
      } catch (err) {
        if (!notFound(err)) throw err
      }
      deleted.push(m.richMenuId)
      logger.info('old rich menu deleted', { richMenuId: m.richMenuId })
    }
  }
  return { menus, deleted, relinkedUsers }
}

async function menuExists(api: messagingApi.MessagingApiClient, id: string): Promise<boolean> {
  try {
    await api.getRichMenu(id)
    return true
  } catch (err) {
    if (notFound(err)) return false
    throw err
  }
}

/**
 * Re-applies the right menu to every user: the member menu to every linked user, and
 * removes the per-user menu of everyone who was linked once and is not now (the default
 * shows again). Bulk calls of 500 users, paced. With `dryRun`, makes no call and answers
 * the counts it would apply.
 */
export async function syncRichMenus(
  deps: RichMenuDeps,
  options: { dryRun?: boolean } = {},
): Promise<{ linked: number; unlinked: number }> {
  const { db, client, logger } = deps
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const memberMenu = await deployedRichMenuId(db, 'member')
  if (!memberMenu) throw new Error('No member rich menu deployed: run pnpm richmenu:deploy first.')
  const linked = await richMenus.linkedUsers(db)
  const unlinked = await richMenus.formerlyLinkedUsers(db)
  if (options.dryRun) return { linked: linked.length, unlinked: unlinked.length }
  const api = client.api()
  let calls = 0
  for (let i = 0; i < linked.length; i += BULK_SIZE) {
    if (calls++) await sleep(BULK_PAUSE_MS)
    await api.linkRichMenuIdToUsers({
      richMenuId: memberMenu,
      userIds: linked.slice(i, i + BULK_SIZE),
    })
  }
  for (let i = 0; i < unlinked.length; i += BULK_SIZE) {
    if (calls++) await sleep(BULK_PAUSE_MS)
    await api.unlinkRichMenuIdFromUsers({ userIds: unlinked.slice(i, i + BULK_SIZE) })
  }
  logger.info('rich menus synced', { linked: linked.length, unlinked: unlinked.length })
  return { linked: linked.length, unlinked: unlinked.length }
}
