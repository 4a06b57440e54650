import { z } from 'zod'

/** `POST /api/admin/imports`: the size of the file to come, when known (bytes). */
export const importOpenSchema = z.strictObject({
  size: z.number().int().nonnegative().optional(),
})

/** `GET /api/admin/exports/ledger.csv`: the days (the till's time zone), both included. */
export const exportPeriodSchema = z.strictObject({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
})

/** The stages of an import from the console. */
export type ImportStatus = 'waiting' | 'reading' | 'merging' | 'done' | 'failed'
