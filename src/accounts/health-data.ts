// The one place where a policy number and a genetic result become the values written to the
// database, for a genetic profile and for the copy of an old row kept as an import conflict.
// Field-level encryption of health data goes here: every writer of these values calls this.

export interface HealthData {
  policy: string | null
  /** JSON text. */
  geneticResult: string | null
}

/** The values to store for the health data of `userId` (the old id, for a conflict). */
export function storedHealthData (_userId: number, data: HealthData): HealthData {
  return { policy: data.policy, geneticResult: data.geneticResult }
}
