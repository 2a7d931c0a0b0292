-- The write-behind parcels whose counted rows D1 has applied (src/storage/write-behind-parcels.ts): a
-- parcel's counted rows add their counts only if its key is not here, and the same transaction records
-- the key, so a parcel delivered twice by the queue (at-least-once), or resent after a send whose answer
-- was lost, counts once. Kept for DELIVERY_KEYS_KEPT_MS (one hour) by the maintenance cron.
CREATE TABLE write_behind_deliveries (
  id TEXT PRIMARY KEY,
  applied_at INTEGER NOT NULL
);
CREATE INDEX write_behind_deliveries_by_time ON write_behind_deliveries (applied_at);
