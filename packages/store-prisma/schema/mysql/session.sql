-- Sessions of @coatcheck/store-prisma, the table of schema/mysql/session.prisma (MySQL 8, MariaDB 10.5+).
-- utf8mb4_bin is case-sensitive but PAD SPACE ('u' = 'u '), and the NO PAD collations differ between
-- MySQL 8 and MariaDB, so the store compares user ids exactly itself. user_id is VARCHAR(191), Prisma's
-- String on MySQL: longer user ids are refused.
CREATE TABLE IF NOT EXISTS `coatcheck_sessions` (
    `id` VARCHAR(64) NOT NULL,
    `data` LONGTEXT NOT NULL,
    `user_id` VARCHAR(191) NULL,
    `created_at` BIGINT NOT NULL,
    `last_seen_at` BIGINT NOT NULL,
    `authenticated_at` BIGINT NULL,
    `idle_expires_at` BIGINT NOT NULL,
    `absolute_expires_at` BIGINT NOT NULL,
    `version` INTEGER NOT NULL,
    `ip` VARCHAR(191) NULL,
    `user_agent` TEXT NULL,

    INDEX `coatcheck_sessions_user_id_idx`(`user_id`),
    INDEX `coatcheck_sessions_idle_expires_at_idx`(`idle_expires_at`),
    INDEX `coatcheck_sessions_absolute_expires_at_idx`(`absolute_expires_at`),
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
