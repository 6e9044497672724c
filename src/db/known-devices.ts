// The known_devices table: the devices (user agent and IP, hashed) an account has logged in from.
import type { Queryable } from './database.js'

export function knownDevicesTable (db: Queryable) {
  return {
    /** Remembers the device; true when the account had not been seen from it before. */
    async remember (userId: number, deviceHash: string): Promise<boolean> {
      const { rowCount } = await db.query(
        'INSERT INTO known_devices (user_id, device_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, deviceHash])
      return rowCount > 0
    }
  }
}
