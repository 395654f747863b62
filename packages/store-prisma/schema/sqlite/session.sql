-- Sessions of @coatcheck/store-prisma, the table of schema/sqlite/session.prisma.
CREATE TABLE IF NOT EXISTS "coatcheck_sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "data" TEXT NOT NULL,
    "user_id" TEXT,
    "created_at" BIGINT NOT NULL,
    "last_seen_at" BIGINT NOT NULL,
    "authenticated_at" BIGINT,
    "idle_expires_at" BIGINT NOT NULL,
    "absolute_expires_at" BIGINT NOT NULL,
    "version" INTEGER NOT NULL,
    "ip" TEXT,
    "user_agent" TEXT
);

CREATE INDEX IF NOT EXISTS "coatcheck_sessions_user_id_idx" ON "coatcheck_sessions"("user_id");
CREATE INDEX IF NOT EXISTS "coatcheck_sessions_idle_expires_at_idx" ON "coatcheck_sessions"("idle_expires_at");
CREATE INDEX IF NOT EXISTS "coatcheck_sessions_absolute_expires_at_idx" ON "coatcheck_sessions"("absolute_expires_at");
