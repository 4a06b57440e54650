/** What the front-end measurements add to the table. */
export interface FrontEndResult {
  rows: {
    scenario: string
    value: string
    baseline: string
    ratio: number | null
    goal: string
    met: boolean | null
    note?: string
  }[]
  raw: Record<string, unknown>
}

export async function measureFrontEnd(log: (s: string) => void): Promise<FrontEndResult> {
  log('front-end: not yet')
  return { rows: [], raw: {} }
}
