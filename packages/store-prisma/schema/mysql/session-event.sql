-- Audit trail of @coatcheck/store-prisma, the table of schema/mysql/session-event.prisma (MySQL 8, MariaDB 10.5+).
-- utf8mb4_bin is case-sensitive but PAD SPACE ('u' = 'u '), and the NO PAD collations differ between
-- MySQL 8 and MariaDB, so the store compares user ids exactly itself. user_id is VARCHAR(191), Prisma's
-- String on MySQL: longer user ids are refused.
CREATE TABLE IF NOT EXISTS `coatcheck_session_events` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `type` VARCHAR(32) NOT NULL,
    `session_id` VARCHAR(64) NULL,
    `previous_session_id` VARCHAR(64) NULL,
    `user_id` VARCHAR(191) NULL,
    `at` BIGINT NOT NULL,
    `ip` VARCHAR(191) NULL,
    `user_agent` TEXT NULL,
    `reason` TEXT NULL,

    INDEX `coatcheck_session_events_user_id_at_idx`(`user_id`, `at`),
    INDEX `coatcheck_session_events_session_id_idx`(`session_id`),
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
