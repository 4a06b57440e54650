import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfigFromProcess } from '../src/config.ts'

// A working directory of its own with a `.env`: the repository's own `.env` is never touched.
const dir = mkdtempSync(join(tmpdir(), 'membercard-dotenv-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
writeFileSync(
  join(dir, '.env'),
  [
    '# settings as an operator writes them',
    'LINE_LOGIN_CHANNEL_ID=2000000001',
    'LIFF_ID=2000000001-fromfile',
    'STORE_NAME=From the file',
    'LINK_BONUS_POINTS=300',
    'PORT=4000',
    '',
  ].join('\n'),
)

describe('the .env file', () => {
  it('supplies the settings the environment does not set', () => {
    const config = loadConfigFromProcess({ cwd: dir, env: {} })
    expect(config.demo).toBe(false)
    expect(config.port).toBe(4000)
    expect(config.line.loginChannelId).toBe('2000000001')
    expect(config.line.liffId).toBe('2000000001-fromfile')
    expect(config.storeName).toBe('From the file')
    expect(config.linkBonusPoints).toBe(300)
  })

  it('never overrides the environment: a variable set there wins over the file', () => {
    const config = loadConfigFromProcess({
      cwd: dir,
      env: { STORE_NAME: 'From the environment', LINK_BONUS_POINTS: '50', PORT: '3001' },
    })
    expect(config.storeName).toBe('From the environment')
    expect(config.linkBonusPoints).toBe(50)
    expect(config.port).toBe(3001)
    expect(config.line.loginChannelId).toBe('2000000001')
  })
})
