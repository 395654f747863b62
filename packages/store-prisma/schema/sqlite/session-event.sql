-- Audit trail of @coatcheck/store-prisma, the table of schema/sqlite/session-event.prisma.
-- SQLite's INTEGER is 64-bit, so it holds the model's BigInt id.
CREATE TABLE IF NOT EXISTS "coatcheck_session_events" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "type" TEXT NOT NULL,
    "session_id" TEXT,
    "previous_session_id" TEXT,
    "user_id" TEXT,
    "at" BIGINT NOT NULL,
    "ip" TEXT,
    "user_agent" TEXT,
    "reason" TEXT
);

CREATE INDEX IF NOT EXISTS "coatcheck_session_events_user_id_at_idx" ON "coatcheck_session_events"("user_id", "at");
CREATE INDEX IF NOT EXISTS "coatcheck_session_events_session_id_idx" ON "coatcheck_session_events"("session_id");
