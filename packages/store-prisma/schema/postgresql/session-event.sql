-- Audit trail of @coatcheck/store-prisma, the table of schema/postgresql/session-event.prisma.
CREATE TABLE IF NOT EXISTS "coatcheck_session_events" (
    "id" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "session_id" TEXT,
    "previous_session_id" TEXT,
    "user_id" TEXT,
    "at" BIGINT NOT NULL,
    "ip" TEXT,
    "user_agent" TEXT,
    "reason" TEXT,

    CONSTRAINT "coatcheck_session_events_pkey" PRIMARY KEY ("id")
);

CREATE INDEX IF NOT EXISTS "coatcheck_session_events_user_id_at_idx" ON "coatcheck_session_events"("user_id", "at");
CREATE INDEX IF NOT EXISTS "coatcheck_session_events_session_id_idx" ON "coatcheck_session_events"("session_id");
