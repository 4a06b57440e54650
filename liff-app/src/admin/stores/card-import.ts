import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { adminApi } from '../services.ts'
import type { ImportJob } from '../types.ts'

/** How often the job is read while its file uploads and merges. */
const POLL_MS = 300

/**
 * An import of point cards from the console: opens a job, sends the file, and reads the job
 * while it runs for the progress bar (reading: bytes of the file; merging: rows applied).
 */
export const useCardImportStore = defineStore('admin-card-import', () => {
  const job = ref<ImportJob | null>(null)
  const running = ref(false)
  const error = ref<unknown>(null)

  /** 0–100: the first half reads the file, the second applies it. */
  const percent = computed(() => {
    const j = job.value
    if (!j) return 0
    if (j.status === 'done' || j.status === 'failed') return 100
    if (j.status === 'merging') {
      return Math.round(50 + (50 * j.rowsMerged) / Math.max(1, j.rowsStaged))
    }
    const total = j.bytesTotal ?? 0
    return total > 0 ? Math.min(50, Math.round((50 * j.bytesRead) / total)) : 0
  })

  async function start(file: File): Promise<void> {
    running.value = true
    error.value = null
    const api = adminApi()
    let sent = false
    try {
      job.value = await api.openImport(file.size)
      const id = job.value.id
      const wait = () => new Promise((resolve) => setTimeout(resolve, POLL_MS))
      // Read while the file is sent (its progress is the server's once it reads it).
      const poll = async () => {
        while (!sent) {
          await wait()
          if (sent) return
          const seen = await api.importJob(id).catch(() => null)
          if (seen && !sent) job.value = seen
        }
      }
      void poll()
      // Answered once the whole file has arrived: the server reads and merges it afterwards.
      const received = await api.uploadImport(id, file)
      sent = true
      job.value = received
      while (job.value.status !== 'done' && job.value.status !== 'failed') {
        await wait()
        job.value = await api.importJob(id)
      }
    } catch (err) {
      error.value = err
    } finally {
      sent = true
      running.value = false
    }
  }

  return { job, running, error, percent, start }
})
