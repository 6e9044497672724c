// Clean-ups run in reverse order at the end, after a failure, and on Ctrl-C or SIGTERM, so that
// no server is left running and the scratch database is dropped.

const cleanups: Array<() => unknown> = []
let cleaning: Promise<void> | undefined

export function atCleanUp (cleanup: () => unknown): void {
  cleanups.push(cleanup)
}

export async function cleanUp (): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup()
      } catch (error) {
        process.stderr.write(`clean-up failed: ${String(error)}\n`)
      }
    }
  })()
  await cleaning
}

export function cleanUpOnSignals (): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping and dropping the scratch database\n`)
      cleanUp().finally(() => process.exit(130))
    })
  }
}
