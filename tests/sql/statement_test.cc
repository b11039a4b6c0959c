// Statement recognition on a table of real-world statements: what migration
// frameworks (Rails, knex, Django, Alembic, Flyway, sqitch, Laravel, Prisma),
// mysqldump, ORMs and people at the mysql/mariadb prompt send.
#include "sql/statement.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "describe.h"

namespace sealgate::sql {
namespace {

using testing::Describe;

struct Case {
  const char* sql;
  const char* expected;
};

void ExpectAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(Describe(Classify(c.sql)), c.expected) << "sql: " << c.sql;
  }
}

TEST(SqlClassify, DeployStatements) {
  ExpectAll({
      {"BEGIN DEPLOY", "BeginDeploy"},
      {"begin deploy", "BeginDeploy"},
      {"Begin Deploy;", "BeginDeploy"},
      {"BEGIN DEPLOY 'release-42'", "BeginDeploy name=release-42"},
      {"BEGIN DEPLOY \"release 42\"", "BeginDeploy name=release 42"},
      {"BEGIN DEPLOY `rel``42`", "BeginDeploy name=rel`42"},
      {"BEGIN DEPLOY nightly", "BeginDeploy name=nightly"},
      {"  /* from deploy.sh */ BEGIN   DEPLOY\n'x' ;  ", "BeginDeploy name=x"},
      {"BEGIN -- start\n DEPLOY 'x'", "BeginDeploy name=x"},
      {"BEGIN # start\n DEPLOY 'x'", "BeginDeploy name=x"},
      {"BEGIN DEPLOY 'it''s'", "BeginDeploy name=it's"},
      {"BEGIN DEPLOY 'a\\'b'", "BeginDeploy name=a'b"},
      {"BEGIN DEPLOY 'x' 'y'", "BeginDeploy name=x error"},
      {"BEGIN DEPLOY 'x' NOW", "BeginDeploy name=x error"},
      {"COMMIT DEPLOY", "CommitDeploy"},
      {"commit deploy;", "CommitDeploy"},
      {"COMMIT DEPLOY 'x'", "CommitDeploy name=x"},
      {"COMMIT DEPLOY 'x' AT '2024-05-01 02:00:00'", "CommitDeploy name=x at=2024-05-01 02:00:00"},
      {"COMMIT DEPLOY AT '2024-05-01'", "CommitDeploy at=2024-05-01"},
      {"COMMIT DEPLOY 'x' AT 5", "CommitDeploy name=x error"},
      {"ROLLBACK DEPLOY", "RollbackDeploy"},
      {"ROLLBACK DEPLOY 'x'", "RollbackDeploy name=x"},
      {"rollback deploy `x`", "RollbackDeploy name=x"},
      {"END DEPLOY", "EndDeploy"},
      {"end deploy ;", "EndDeploy"},
      {"END DEPLOY 'x'", "EndDeploy error"},
      {"REVERT DEPLOY 'x'", "RevertDeploy name=x"},
      {"REVERT DEPLOY", "RevertDeploy error"},
      {"FINALIZE DEPLOY 'x'", "FinalizeDeploy name=x"},
      {"finalize deploy \"x\";", "FinalizeDeploy name=x"},
      {"FINALIZE DEPLOY", "FinalizeDeploy error"},
      {"SHOW DEPLOYS", "ShowDeploys"},
      {"show deploys;", "ShowDeploys"},
      {"SHOW DEPLOYS LIKE 'x'", "ShowDeploys error"},
      {"SHOW DEPLOY STATUS", "ShowDeployStatus"},
      {"SHOW DEPLOY STATUS 'x'", "ShowDeployStatus name=x"},
      {"show /* which */ deploy status `x`", "ShowDeployStatus name=x"},
      {"SHOW DEPLOY CHECK", "ShowDeployCheck"},
      {"show deploy check;", "ShowDeployCheck"},
      {"SHOW DEPLOY CHECK 'x'", "ShowDeployCheck error"},
      {"SHOW DEPLOY", "Other"},
      {"ALTER DEPLOY 'x' THROTTLE", "AlterDeploy name=x action=throttle"},
      {"ALTER DEPLOY 'x' THROTTLE RATIO 0.5", "AlterDeploy name=x action=throttle ratio=0.5"},
      {"ALTER DEPLOY 'x' THROTTLE RATIO 1", "AlterDeploy name=x action=throttle ratio=1"},
      {"ALTER DEPLOY 'x' THROTTLE RATIO '0.25'", "AlterDeploy name=x action=throttle ratio=0.25"},
      {"ALTER DEPLOY 'x' THROTTLE RATIO 3", "AlterDeploy name=x action=throttle ratio=3"},
      {"ALTER DEPLOY 'x' THROTTLE RATIO 11", "AlterDeploy name=x action=throttle error"},
      {"ALTER DEPLOY 'x' THROTTLE RATIO -1", "AlterDeploy name=x action=throttle error"},
      {"ALTER DEPLOY 'x' THROTTLE RATIO abc", "AlterDeploy name=x action=throttle error"},
      {"ALTER DEPLOY 'x' UNTHROTTLE", "AlterDeploy name=x action=unthrottle"},
      {"ALTER DEPLOY 'x' PAUSE", "AlterDeploy name=x action=pause"},
      {"alter deploy 'x' resume;", "AlterDeploy name=x action=resume"},
      {"ALTER DEPLOY 'x'", "AlterDeploy name=x error"},
      {"ALTER DEPLOY 'x' STOP", "AlterDeploy name=x error"},
      {"ALTER DEPLOY", "AlterDeploy error"},
      {"/*!50000 BEGIN DEPLOY 'x' */", "BeginDeploy name=x"},
      {"SHOW STATUS", "Other"},
      {"SHOW DATABASES", "Other"},
      {"END", "Other"},
  });
}

TEST(SqlClassify, AlterTable) {
  ExpectAll({
      {"ALTER TABLE t ADD COLUMN c INT", "AlterTable t"},
      {"alter table t add c int", "AlterTable t"},
      {"ALTER TABLE `t` ADD `c` INT", "AlterTable t"},
      {"ALTER TABLE db.t DROP COLUMN c", "AlterTable db.t"},
      {"ALTER TABLE `db`.`t` DROP c", "AlterTable db.t"},
      {"ALTER TABLE `my.db`.`t` DROP c", "AlterTable my.db.t"},
      {"ALTER TABLE `we``ird` ENGINE=InnoDB", "AlterTable we`ird"},
      {"ALTER TABLE db . t FORCE", "AlterTable db.t"},
      {"ALTER TABLE `db`.t FORCE", "AlterTable db.t"},
      {"ALTER ONLINE TABLE t ADD INDEX (c)", "AlterTable t"},
      {"ALTER IGNORE TABLE t ADD UNIQUE (c)", "AlterTable t"},
      {"ALTER ONLINE IGNORE TABLE t FORCE", "AlterTable t"},
      {"ALTER TABLE IF EXISTS t ADD c INT", "AlterTable t if_exists"},
      {"  \n\tALTER TABLE t ADD c INT ; ", "AlterTable t"},
      {"/* rails */ ALTER TABLE `users` ADD `email` varchar(255)", "AlterTable users"},
      {"ALTER /* x */ TABLE /* y */ t /* z */ ADD c INT", "AlterTable t"},
      {"-- migration 20240101\nALTER TABLE t ADD c INT", "AlterTable t"},
      {"# comment\nALTER TABLE t ADD c INT", "AlterTable t"},
      {"/*!40000 ALTER TABLE `t` DISABLE KEYS */", "AlterTable t keys_only"},
      {"/*!40000 ALTER TABLE `t` ENABLE KEYS */;", "AlterTable t keys_only"},
      {"alter table `db`.`t` disable keys", "AlterTable db.t keys_only"},
      {"ALTER ONLINE TABLE t ENABLE /* again */ KEYS ;", "AlterTable t keys_only"},
      {"ALTER TABLE t DISABLE KEYS, ADD c INT", "AlterTable t"},
      {"ALTER TABLE t ADD c INT, DISABLE KEYS", "AlterTable t"},
      {"ALTER TABLE t DISABLE KEYS ALGORITHM=COPY", "AlterTable t"},
      {"ALTER TABLE t DISABLE", "AlterTable t"},
      {"ALTER TABLE t2 DISABLE KEYS -- from the dump\n", "AlterTable t2 keys_only"},
      {"/*M!100500 ALTER TABLE t ADD c INT */", "AlterTable t"},
      {"/*!ALTER TABLE t ADD c INT*/", "AlterTable t"},
      {"ALTER TABLE t1 RENAME TO t2", "AlterTable t1"},
      {"ALTER TABLE `users` ADD COLUMN `note` text COMMENT 'alter table users;'", "AlterTable users"},
      {"ALTER TABLE ÄÖ ADD c INT", "AlterTable ÄÖ"},
      {"ALTER TABLE t1_2024 ADD c INT", "AlterTable t1_2024"},
      {"ALTER TABLE 2024_logs ADD c INT", "AlterTable 2024_logs"},
      {"ALTER TABLE $t ADD c INT", "AlterTable $t"},
      {"ALTER TABLE `knex_migrations` ADD `migration_time` timestamp", "AlterTable knex_migrations"},
      {"ALTER TABLE `app`.`orders` ADD INDEX `orders_user_id_index`(`user_id`)", "AlterTable app.orders"},
      {"ALTER TABLE `flyway_schema_history` ADD CONSTRAINT `pk` PRIMARY KEY (`installed_rank`)",
       "AlterTable flyway_schema_history"},
      {"ALTER VIEW v AS SELECT 1", "Other"},
      {"ALTER DATABASE d CHARACTER SET utf8mb4", "Other"},
      {"ALTER USER 'u'@'%' IDENTIFIED BY 'p'", "Other"},
      {"ALTER EVENT e DISABLE", "Other"},
      {"ALTER DEFINER=root@localhost VIEW v AS SELECT 1", "Other"},
      {"ALTER TABLE", "Other"},
      {"ALTER", "Other"},
  });
}

TEST(SqlClassify, CreateTable) {
  ExpectAll({
      {"CREATE TABLE t (id INT PRIMARY KEY)", "CreateTable t"},
      {"create table `db`.`t` (id int)", "CreateTable db.t"},
      {"CREATE TABLE IF NOT EXISTS `knex_migrations` (`id` int unsigned not null auto_increment primary key)",
       "CreateTable knex_migrations if_not_exists"},
      {"CREATE TEMPORARY TABLE tmp (a INT)", "CreateTable tmp temporary"},
      {"CREATE OR REPLACE TABLE t (a INT)", "CreateTable t or_replace"},
      {"CREATE TABLE t2 LIKE t1", "CreateTable t2 like=t1"},
      {"CREATE TABLE db.t2 LIKE db.t1", "CreateTable db.t2 like=db.t1"},
      {"CREATE TABLE t2 (LIKE t1)", "CreateTable t2 like=t1"},
      {"CREATE TABLE t2 AS SELECT * FROM t1", "CreateTable t2 select"},
      {"CREATE TABLE t2 SELECT * FROM t1", "CreateTable t2 select"},
      {"CREATE TABLE t2 (a INT) SELECT a FROM t1", "CreateTable t2 select"},
      {"CREATE TABLE t2 (a INT) ENGINE=InnoDB AS SELECT a FROM t1", "CreateTable t2 select"},
      {"CREATE TABLE t2 (SELECT * FROM t1)", "CreateTable t2 select"},
      {"CREATE TABLE t2 IGNORE SELECT * FROM t1", "CreateTable t2 select"},
      {"CREATE TABLE t2 AS TABLE t1", "CreateTable t2 select"},
      {"CREATE TABLE t2 AS VALUES ROW(1)", "CreateTable t2 select"},
      {"CREATE TABLE t2 AS WITH x AS (SELECT 1) SELECT * FROM x", "CreateTable t2 select"},
      {"CREATE TABLE t (a INT COMMENT 'select me') COMMENT='as select'", "CreateTable t"},
      {"CREATE TABLE `schema_migrations` (`version` varchar(255) NOT NULL PRIMARY KEY)", "CreateTable schema_migrations"},
      {"CREATE TABLE `ar_internal_metadata` (`key` varchar(255) NOT NULL PRIMARY KEY, `value` varchar(255), "
       "`created_at` datetime(6) NOT NULL, `updated_at` datetime(6) NOT NULL)",
       "CreateTable ar_internal_metadata"},
      {"CREATE TABLE `django_migrations` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `app` varchar(255) "
       "NOT NULL, `name` varchar(255) NOT NULL, `applied` datetime(6) NOT NULL)",
       "CreateTable django_migrations"},
      {"CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc "
       "PRIMARY KEY (version_num)\n)",
       "CreateTable alembic_version"},
      {"/*!40101 SET @saved_cs_client     = @@character_set_client */", "SetSessionVariable"},
      {"CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `e` enum('a','b;c') DEFAULT NULL,\n"
       "  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4",
       "CreateTable t"},
      {"CREATE TABLE t (a INT) PARTITION BY RANGE (a) (PARTITION p0 VALUES LESS THAN (10))", "CreateTable t"},
      {"CREATE DATABASE d", "Other"},
      {"CREATE SCHEMA IF NOT EXISTS d", "Other"},
      {"CREATE VIEW v AS SELECT * FROM t", "Other"},
      {"CREATE OR REPLACE VIEW v AS SELECT 1", "Other"},
      {"CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", "Other"},
      {"CREATE PROCEDURE p() BEGIN SELECT 1; END", "Other"},
      {"CREATE FUNCTION f() RETURNS INT RETURN 1", "Other"},
      {"CREATE USER 'u'@'%'", "Other"},
      {"CREATE SEQUENCE s", "Other"},
      {"CREATE TABLE", "Other"},
  });
}

TEST(SqlClassify, DropRenameTruncate) {
  ExpectAll({
      {"DROP TABLE t", "DropTable t"},
      {"DROP TABLE IF EXISTS `t`", "DropTable t if_exists"},
      {"DROP TABLE a, b", "DropTable a b"},
      {"DROP TABLE `db`.`a`, db2.b, c", "DropTable db.a db2.b c"},
      {"DROP TABLES a,b", "DropTable a b"},
      {"DROP TEMPORARY TABLE IF EXISTS tmp", "DropTable tmp if_exists temporary"},
      {"DROP TABLE t CASCADE", "DropTable t"},
      {"DROP TABLE t RESTRICT", "DropTable t"},
      {"DROP TABLE t WAIT 5", "DropTable t"},
      {"DROP TABLE IF EXISTS `knex_migrations_lock`", "DropTable knex_migrations_lock if_exists"},
      {"/*!40101 DROP TABLE IF EXISTS `t` */", "DropTable t if_exists"},
      {"DROP TABLE /* generated */ `t`", "DropTable t"},
      {"DROP DATABASE d", "Other"},
      {"DROP VIEW v", "Other"},
      {"DROP USER u", "Other"},
      {"DROP TRIGGER trg", "Other"},
      {"DROP PROCEDURE IF EXISTS p", "Other"},
      {"RENAME TABLE a TO b", "RenameTable a b"},
      {"rename table `db`.`a` to `db`.`b`", "RenameTable db.a db.b"},
      {"RENAME TABLE a TO b, c TO d", "RenameTable a b c d"},
      {"RENAME TABLE t TO _t_old, _t_new TO t", "RenameTable t _t_old _t_new t"},
      {"RENAME TABLES a TO b", "RenameTable a b"},
      {"RENAME TABLE IF EXISTS a TO b", "RenameTable a b if_exists"},
      {"RENAME TABLE a WAIT 3 TO b", "RenameTable a b"},
      {"RENAME TABLE a NOWAIT TO b", "RenameTable a b"},
      {"RENAME TABLE db1.a TO db2.a", "RenameTable db1.a db2.a"},
      {"RENAME USER a TO b", "Other"},
      {"RENAME TABLE a", "Other"},
      {"TRUNCATE TABLE t", "TruncateTable t"},
      {"TRUNCATE t", "TruncateTable t"},
      {"truncate table `db`.`t`;", "TruncateTable db.t"},
      {"TRUNCATE TABLE t WAIT 1", "TruncateTable t"},
  });
}

TEST(SqlClassify, Indexes) {
  ExpectAll({
      {"CREATE INDEX i ON t (c)", "CreateIndex t index=i"},
      {"CREATE UNIQUE INDEX `i` ON `db`.`t` (`c`)", "CreateIndex db.t index=i"},
      {"CREATE FULLTEXT INDEX ft ON t (body)", "CreateIndex t index=ft"},
      {"CREATE SPATIAL INDEX sp ON t (g)", "CreateIndex t index=sp"},
      {"CREATE INDEX i USING BTREE ON t (c)", "CreateIndex t index=i"},
      {"CREATE ONLINE INDEX i ON t (c)", "CreateIndex t index=i"},
      {"CREATE OR REPLACE INDEX i ON t (c)", "CreateIndex t or_replace index=i"},
      {"CREATE INDEX IF NOT EXISTS i ON t (c)", "CreateIndex t if_not_exists index=i"},
      {"CREATE INDEX `index_users_on_email` ON `users` (`email`)", "CreateIndex users index=index_users_on_email"},
      {"CREATE UNIQUE INDEX `idx` ON `t` (`a`, `b`(10)) ALGORITHM=INPLACE LOCK=NONE", "CreateIndex t index=idx"},
      {"DROP INDEX i ON t", "DropIndex t index=i"},
      {"DROP INDEX `i` ON `db`.`t`", "DropIndex db.t index=i"},
      {"DROP INDEX IF EXISTS i ON t", "DropIndex t if_exists index=i"},
      {"DROP INDEX `PRIMARY` ON t", "DropIndex t index=PRIMARY"},
      {"DROP ONLINE INDEX i ON t", "DropIndex t index=i"},
      {"DROP INDEX i ON t ALGORITHM=INPLACE", "DropIndex t index=i"},
      {"DROP INDEX i", "Other"},
  });
}

TEST(SqlClassify, Transactions) {
  ExpectAll({
      {"BEGIN", "BeginTransaction"},
      {"begin;", "BeginTransaction"},
      {"BEGIN WORK", "BeginTransaction"},
      {"BEGIN NOT ATOMIC SELECT 1; END", "Other"},
      {"START TRANSACTION", "BeginTransaction"},
      {"start transaction read only", "BeginTransaction ro"},
      {"START TRANSACTION READ WRITE", "BeginTransaction"},
      {"START TRANSACTION WITH CONSISTENT SNAPSHOT", "BeginTransaction"},
      {"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "BeginTransaction ro"},
      {"/*!40100 START TRANSACTION WITH CONSISTENT SNAPSHOT */", "BeginTransaction"},
      {"START SLAVE", "Other"},
      {"START REPLICA", "Other"},
      {"COMMIT", "Commit"},
      {"commit work", "Commit"},
      {"COMMIT WORK AND CHAIN", "Commit chain"},
      {"COMMIT AND NO CHAIN", "Commit"},
      {"COMMIT RELEASE", "Commit release"},
      {"COMMIT AND CHAIN NO RELEASE", "Commit chain"},
      {"ROLLBACK", "Rollback"},
      {"rollback work;", "Rollback"},
      {"ROLLBACK AND CHAIN", "Rollback chain"},
      {"ROLLBACK TO SAVEPOINT s", "Savepoint"},
      {"ROLLBACK TO s", "Savepoint"},
      {"ROLLBACK WORK TO SAVEPOINT s", "Savepoint"},
      {"SAVEPOINT active_record_1", "Savepoint"},
      {"RELEASE SAVEPOINT active_record_1", "Savepoint"},
      {"XA START 'x'", "Xa xa=start"},
      {"XA BEGIN 'x'", "Xa xa=start"},
      {"XA END 'x'", "Xa xa=end"},
      {"XA PREPARE 'x'", "Xa xa=prepare"},
      {"XA COMMIT 'x'", "Xa xa=commit"},
      {"XA COMMIT 'x' ONE PHASE", "Xa xa=commit"},
      {"XA ROLLBACK 'x'", "Xa xa=rollback"},
      {"XA RECOVER", "Xa xa=recover"},
      {"XA RECOVER FORMAT='SQL'", "Xa xa=recover"},
  });
}

TEST(SqlClassify, LocksAndHandlers) {
  ExpectAll({
      {"LOCK TABLES t READ", "LockTables t"},
      {"LOCK TABLES t WRITE", "LockTables t"},
      {"LOCK TABLE t1 READ, t2 WRITE", "LockTables t1 t2"},
      {"LOCK TABLES `db`.`t1` AS a READ LOCAL, t2 LOW_PRIORITY WRITE", "LockTables db.t1 t2"},
      {"LOCK TABLES t1 a WRITE, t1 READ", "LockTables t1 t1"},
      {"LOCK TABLES t WRITE CONCURRENT", "LockTables t"},
      {"LOCK TABLES t WRITE WAIT 10", "LockTables t"},
      {"/*!40000 LOCK TABLES `t` WRITE */", "LockTables t"},
      {"LOCK INSTANCE FOR BACKUP", "Other"},
      {"LOCK TABLES FOR BACKUP", "Other"},
      {"UNLOCK TABLES", "UnlockTables"},
      {"unlock tables;", "UnlockTables"},
      {"UNLOCK TABLE", "UnlockTables"},
      {"UNLOCK INSTANCE", "Other"},
      {"FLUSH TABLES WITH READ LOCK", "FlushTablesWithReadLock"},
      {"FLUSH TABLES t1, t2 WITH READ LOCK", "FlushTablesWithReadLock t1 t2"},
      {"FLUSH TABLES t FOR EXPORT", "FlushTablesWithReadLock t"},
      {"FLUSH LOCAL TABLES WITH READ LOCK", "FlushTablesWithReadLock"},
      {"FLUSH TABLES", "Other"},
      {"FLUSH TABLES t", "Other"},
      {"FLUSH PRIVILEGES", "Other"},
      {"FLUSH LOGS", "Other"},
      {"HANDLER t OPEN", "Handler t handler=open"},
      {"HANDLER `db`.`t` OPEN AS h", "Handler db.t handler=open"},
      {"HANDLER h READ FIRST", "Handler h handler=read"},
      {"HANDLER h READ `PRIMARY` NEXT", "Handler h handler=read"},
      {"HANDLER h CLOSE", "Handler h handler=close"},
      {"SELECT GET_LOCK('knex_migrations_lock', 10)", "GetLock"},
      {"select get_lock('lock', 0) as l", "GetLock"},
      {"DO GET_LOCK('x', 1)", "GetLock"},
      {"SELECT RELEASE_LOCK('x')", "ReleaseLock"},
      {"SELECT RELEASE_ALL_LOCKS()", "ReleaseLock"},
      {"DO RELEASE_LOCK('x')", "ReleaseLock"},
      {"SELECT IS_FREE_LOCK('x')", "Other"},
      {"SELECT 'GET_LOCK(1)'", "Other"},
      {"SELECT get_lock FROM t", "Other"},
      {"SELECT GET_LOCK ('x', 10)", "GetLock"},
      {"SELECT /* GET_LOCK( */ 1", "Other"},
      {"SELECT `get_lock`(1)", "Other"},
      {"SET @l = GET_LOCK('deploy', 5)", "SetSessionVariable get_lock"},
      {"SELECT GET_LOCK('a', 1), RELEASE_LOCK('b')", "GetLock release_lock"},
      {"INSERT INTO t SELECT RELEASE_LOCK('a')", "ReleaseLock"},
      {"CREATE TABLE t AS SELECT GET_LOCK('a', 1) AS l", "CreateTable t select get_lock"},
  });
}

TEST(SqlClassify, SetVariables) {
  ExpectAll({
      {"SET sql_log_bin=0", "SetSessionVariable vars=sql_log_bin"},
      {"SET SQL_LOG_BIN = 0", "SetSessionVariable vars=sql_log_bin"},
      {"SET SESSION binlog_format='STATEMENT'", "SetSessionVariable vars=binlog_format"},
      {"SET @@session.binlog_row_image = MINIMAL", "SetSessionVariable vars=binlog_row_image"},
      {"SET @@binlog_row_image = 'MINIMAL'", "SetSessionVariable vars=binlog_row_image"},
      {"SET @@SESSION.sql_log_bin=0", "SetSessionVariable vars=sql_log_bin"},
      {"SET @@local.sql_log_bin=0", "SetSessionVariable vars=sql_log_bin"},
      {"SET LOCAL sql_log_bin=0", "SetSessionVariable vars=sql_log_bin"},
      {"SET a=1, sql_log_bin=0", "SetSessionVariable vars=a,sql_log_bin"},
      {"SET @a=1, sql_log_bin=0", "SetSessionVariable vars=sql_log_bin"},
      {"SET @a = 1", "SetSessionVariable"},
      {"SET @a := (SELECT COUNT(*) FROM t), @b = 'x,y'", "SetSessionVariable"},
      {"SET @`weird var` = 1, @'q' = 2", "SetSessionVariable"},
      {"SET GLOBAL binlog_format = 'ROW'", "SetSessionVariable vars=global.binlog_format global"},
      {"SET @@global.binlog_format = 'ROW'", "SetSessionVariable vars=global.binlog_format global"},
      {"SET GLOBAL max_connections = 1000, sort_buffer_size = 1000000",
       "SetSessionVariable vars=global.max_connections,global.sort_buffer_size global"},
      {"SET GLOBAL a = 1, SESSION b = 2", "SetSessionVariable vars=global.a,b global"},
      {"SET @@global.a = 1, b = 2", "SetSessionVariable vars=global.a,b global"},
      {"SET PERSIST max_connections = 10", "SetSessionVariable vars=persist.max_connections global"},
      {"SET PERSIST_ONLY back_log = 100", "SetSessionVariable vars=persist_only.back_log global"},
      {"SET @@persist.max_connections = 10", "SetSessionVariable vars=persist.max_connections global"},
      {"SET NAMES utf8mb4", "SetSessionVariable vars=character_set_client,character_set_connection,character_set_results"},
      {"SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'",
       "SetSessionVariable vars=character_set_client,character_set_connection,character_set_results"},
      {"SET NAMES utf8mb4, sql_mode = ''",
       "SetSessionVariable vars=character_set_client,character_set_connection,character_set_results,sql_mode"},
      {"SET CHARACTER SET utf8",
       "SetSessionVariable vars=character_set_client,character_set_results,character_set_connection"},
      {"SET CHARSET utf8",
       "SetSessionVariable vars=character_set_client,character_set_results,character_set_connection"},
      {"SET autocommit=0", "SetSessionVariable vars=autocommit"},
      {"SET autocommit = 1", "SetSessionVariable vars=autocommit"},
      {"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", "SetSessionVariable vars=transaction_isolation"},
      {"SET TRANSACTION READ ONLY", "SetSessionVariable vars=transaction_read_only"},
      {"SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE",
       "SetSessionVariable vars=global.transaction_isolation,global.transaction_read_only global"},
      {"SET time_zone = '+00:00'", "SetSessionVariable vars=time_zone"},
      {"SET sql_mode=(SELECT REPLACE(@@sql_mode,'ONLY_FULL_GROUP_BY',''))", "SetSessionVariable vars=sql_mode"},
      {"SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES'), time_zone = '+00:00'",
       "SetSessionVariable vars=sql_mode,time_zone"},
      {"/*!40101 SET NAMES utf8mb4 */",
       "SetSessionVariable vars=character_set_client,character_set_connection,character_set_results"},
      {"/*!40103 SET TIME_ZONE='+00:00' */", "SetSessionVariable vars=time_zone"},
      {"/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */", "SetSessionVariable vars=unique_checks"},
      {"/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */", "SetSessionVariable vars=foreign_key_checks"},
      {"/*!40101 SET SQL_MODE=@OLD_SQL_MODE */", "SetSessionVariable vars=sql_mode"},
      {"/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */", "SetSessionVariable vars=sql_notes"},
      {"SET @@SESSION.SQL_LOG_BIN= 0", "SetSessionVariable vars=sql_log_bin"},
      {"SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN", "SetSessionVariable"},
      {"SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'abc:1-5'", "SetSessionVariable vars=global.gtid_purged global"},
      {"SET GLOBAL keycache1.key_buffer_size = 128*1024", "SetSessionVariable vars=global.keycache1.key_buffer_size global"},
      {"SET STATEMENT max_statement_time=60 FOR SELECT * FROM t",
       "SetSessionVariable inner=[SELECT * FROM t] vars=max_statement_time"},
      {"SET STATEMENT sql_log_bin=0, binlog_format='STATEMENT' FOR DELETE FROM t",
       "SetSessionVariable inner=[DELETE FROM t] vars=sql_log_bin,binlog_format"},
      {"SET sql_log_bin := 0", "SetSessionVariable vars=sql_log_bin"},
      {"SET `sql_log_bin` = 0", "SetSessionVariable vars=sql_log_bin"},
      {"SET PASSWORD = 'x'", "Other"},
      {"SET PASSWORD FOR 'u'@'%' = PASSWORD('x')", "Other"},
      {"SET ROLE ALL", "Other"},
      {"SET DEFAULT ROLE r TO u", "Other"},
      {"SET RESOURCE GROUP rg", "Other"},
      {"SET", "Other"},
  });
}

TEST(SqlClassify, PreparedStatements) {
  ExpectAll({
      {"PREPARE s FROM 'ALTER TABLE t ADD c INT'", "Prepare stmt=s inner=[ALTER TABLE t ADD c INT]"},
      {"PREPARE s FROM \"SELECT 'a'\"", "Prepare stmt=s inner=[SELECT 'a']"},
      {"PREPARE s FROM 'SELECT ''a'', \\'b\\''", "Prepare stmt=s inner=[SELECT 'a', 'b']"},
      {"PREPARE `s` FROM @sql", "Prepare stmt=s from=@sql"},
      {"PREPARE s FROM CONCAT('ALTER TABLE ', @t, ' FORCE')", "Prepare stmt=s expr"},
      {"EXECUTE IMMEDIATE 'DROP TABLE t'", "ExecuteImmediate inner=[DROP TABLE t]"},
      {"EXECUTE IMMEDIATE 'SELECT ?' USING 1", "ExecuteImmediate inner=[SELECT ?]"},
      {"EXECUTE IMMEDIATE @q", "ExecuteImmediate from=@q"},
      {"EXECUTE IMMEDIATE CONCAT('SELECT ', 1)", "ExecuteImmediate expr"},
      {"EXECUTE s", "Execute stmt=s"},
      {"EXECUTE s USING @a, @b", "Execute stmt=s"},
      {"DEALLOCATE PREPARE s", "DeallocatePrepare stmt=s"},
      {"DROP PREPARE s", "DeallocatePrepare stmt=s"},
      {"PREPARE s", "Other"},
  });
}

TEST(SqlClassify, UseAndOther) {
  ExpectAll({
      {"USE app", "Use db=app"},
      {"use `my-app`;", "Use db=my-app"},
      {"USE", "Other"},
      {"", "Empty"},
      {"   ", "Empty"},
      {";", "Empty"},
      {";;  ;", "Empty"},
      {"-- just a comment", "Empty"},
      {"/* nothing */", "Empty"},
      {"# nothing", "Empty"},
      {"/*+ hint */", "Empty"},
      {"SELECT 1", "Other"},
      {"select * from `users` where `email` = 'alter table users drop x' limit 1", "Other"},
      {"SELECT * FROM deploys WHERE name = 'BEGIN DEPLOY'", "Other"},
      {"INSERT INTO `schema_migrations` (`version`) VALUES ('20240101000000')", "Other"},
      {"INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('x.js', 1, NOW())", "Other"},
      {"UPDATE t SET drop_count = drop_count + 1 WHERE alter_id = 3", "Other"},
      {"DELETE FROM t WHERE id IN (SELECT id FROM rename_log)", "Other"},
      {"REPLACE INTO t VALUES (1)", "Other"},
      {"SHOW TABLES", "Other"},
      {"SHOW CREATE TABLE t", "Other"},
      {"SHOW FULL COLUMNS FROM `users`", "Other"},
      {"DESCRIBE t", "Other"},
      {"EXPLAIN SELECT 1", "Other"},
      {"OPTIMIZE TABLE t", "Other"},
      {"ANALYZE TABLE t", "Other"},
      {"CHECK TABLE t", "Other"},
      {"LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t", "Other"},
      {"CALL p()", "Other"},
      {"DO 1", "Other"},
      {"WITH x AS (SELECT 1) SELECT * FROM x", "Other"},
      {"(SELECT 1) UNION (SELECT 2)", "Other"},
      {"SELECT @@version, @@session.tx_isolation", "Other"},
      {"SELECT CASE WHEN a THEN 'begin' END FROM t", "Other"},
      {"KILL QUERY 5", "Other"},
      {"GRANT ALTER ON db.* TO u", "Other"},
      {"SELECT 1; ALTER TABLE t ADD c INT", "Other"},
      {";ALTER TABLE t ADD c INT", "AlterTable t"},
      {"SELECT 'unterminated", "Other"},
      {"ALTER TABLE `unterminated", "AlterTable unterminated"},
      {"/* unterminated comment ALTER TABLE t", "Empty"},
      {"--ALTER TABLE t", "Other"},
      {"-- ALTER TABLE t\nSELECT 1", "Other"},
      {"SELECT 1 -- ALTER TABLE t", "Other"},
      {"--\nBEGIN", "BeginTransaction"},
      {"--\tcomment\nCOMMIT", "Commit"},
  });
}

TEST(SqlClassify, FrameworkOutput) {
  ExpectAll({
      // Rails
      {"ALTER TABLE `users` ADD `email` varchar(255) DEFAULT '' NOT NULL", "AlterTable users"},
      {"ALTER TABLE `users` ADD CONSTRAINT `fk_rails_0a1b` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`)",
       "AlterTable users"},
      {"CREATE INDEX `index_users_on_account_id` ON `users` (`account_id`)",
       "CreateIndex users index=index_users_on_account_id"},
      {"SELECT `schema_migrations`.`version` FROM `schema_migrations` ORDER BY `schema_migrations`.`version` ASC",
       "Other"},
      {"SELECT GET_LOCK('3353250932417016980', 0)", "GetLock"},
      {"SELECT RELEASE_LOCK('3353250932417016980')", "ReleaseLock"},
      {"DROP TABLE `widgets` /* CASCADE */", "DropTable widgets"},
      {"RENAME TABLE `old_things` TO `things`", "RenameTable old_things things"},
      // Django
      {"ALTER TABLE `app_book` ADD COLUMN `isbn` varchar(13) DEFAULT '' NOT NULL", "AlterTable app_book"},
      {"ALTER TABLE `app_book` ALTER COLUMN `isbn` DROP DEFAULT", "AlterTable app_book"},
      {"ALTER TABLE `app_book` RENAME COLUMN `title` TO `name`", "AlterTable app_book"},
      {"CREATE TABLE `app_author` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(100) NOT NULL)",
       "CreateTable app_author"},
      {"SET FOREIGN_KEY_CHECKS = 0", "SetSessionVariable vars=foreign_key_checks"},
      {"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", "SetSessionVariable vars=transaction_isolation"},
      {"SELECT engine FROM information_schema.tables WHERE table_name = 'django_migrations'", "Other"},
      // Alembic / SQLAlchemy
      {"ALTER TABLE account MODIFY name VARCHAR(50) NULL", "AlterTable account"},
      {"UPDATE alembic_version SET version_num='ae1027a6acf' WHERE alembic_version.version_num = '1975ea83b712'",
       "Other"},
      {"SELECT @@sql_mode", "Other"},
      {"SELECT CAST('test plain returns' AS CHAR(60)) AS anon_1", "Other"},
      // knex
      {"create table `knex_migrations_lock` (`index` int unsigned not null auto_increment primary key, "
       "`is_locked` int)",
       "CreateTable knex_migrations_lock"},
      {"select * from `knex_migrations_lock` for update", "Other"},
      {"update `knex_migrations_lock` set `is_locked` = 1 where `is_locked` = 0", "Other"},
      {"alter table `users` add `bio` text", "AlterTable users"},
      {"alter table `users` modify `name` varchar(255) not null", "AlterTable users"},
      {"alter table `users` add index `users_name_index`(`name`)", "AlterTable users"},
      {"alter table `users` drop foreign key `users_org_id_foreign`", "AlterTable users"},
      // Laravel
      {"alter table `users` add unique `users_email_unique`(`email`)", "AlterTable users"},
      {"create table `password_resets` (`email` varchar(255) not null, `token` varchar(255) not null) "
       "default character set utf8mb4 collate 'utf8mb4_unicode_ci'",
       "CreateTable password_resets"},
      {"drop table if exists `password_resets`", "DropTable password_resets if_exists"},
      {"rename table `a` to `b`", "RenameTable a b"},
      // Prisma
      {"-- AlterTable\nALTER TABLE `User` ADD COLUMN `bio` VARCHAR(191) NULL", "AlterTable User"},
      {"-- CreateIndex\nCREATE UNIQUE INDEX `User_email_key` ON `User`(`email`)", "CreateIndex User index=User_email_key"},
      {"-- DropIndex\nDROP INDEX `User_email_key` ON `User`", "DropIndex User index=User_email_key"},
      {"-- AddForeignKey\nALTER TABLE `Post` ADD CONSTRAINT `Post_authorId_fkey` FOREIGN KEY (`authorId`) "
       "REFERENCES `User`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE",
       "AlterTable Post"},
      // Flyway / Liquibase
      {"SELECT `installed_rank`,`version`,`description`,`type`,`script`,`checksum`,`installed_on`,`installed_by`,"
       "`execution_time`,`success` FROM `app`.`flyway_schema_history` WHERE `installed_rank` > ? ORDER BY "
       "`installed_rank`",
       "Other"},
      {"SELECT GET_LOCK('flyway-1234', 10)", "GetLock"},
      {"CREATE TABLE app.DATABASECHANGELOGLOCK (ID INT NOT NULL, LOCKED TINYINT(1) NOT NULL, LOCKGRANTED datetime "
       "NULL, LOCKEDBY VARCHAR(255) NULL, CONSTRAINT PK_DATABASECHANGELOGLOCK PRIMARY KEY (ID))",
       "CreateTable app.DATABASECHANGELOGLOCK"},
      {"UPDATE app.DATABASECHANGELOGLOCK SET LOCKED = 1, LOCKEDBY = 'host (10.0.0.1)', LOCKGRANTED = NOW() "
       "WHERE ID = 1 AND LOCKED = 0",
       "Other"},
      // sqitch
      {"SET SESSION sql_mode = ansi, SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')",
       "SetSessionVariable vars=sql_mode,sql_mode"},
      {"LOCK TABLES releases WRITE", "LockTables releases"},
      {"SELECT c.change_id, c.script_hash FROM changes c WHERE c.project = 'p' ORDER BY c.committed_at DESC",
       "Other"},
      // Hibernate / JPA
      {"alter table orders add constraint FK_cust foreign key (customer_id) references customers (id)",
       "AlterTable orders"},
      {"create table hibernate_sequence (next_val bigint) engine=InnoDB", "CreateTable hibernate_sequence"},
      {"select next_val as id_val from hibernate_sequence for update", "Other"},
      // MySQL Workbench / mysqldump / mariadb-dump
      {"SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0", "SetSessionVariable vars=unique_checks"},
      {"/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */", "SetSessionVariable"},
      {"/*M!999999\\- enable the sandbox mode */", "Other"},
      {"/*!50001 DROP VIEW IF EXISTS `v`*/", "Other"},
      {"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t FOR EACH "
       "ROW SET NEW.a = 1 */",
       "Other"},
      {"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */ "
       "/*!50001 VIEW `v` AS select 1 AS `1` */",
       "Other"},
      {"/*!999999\\- enable the sandbox mode */", "Other"},
      // People at the prompt
      {"alter table orders add column shipped_at datetime null after created_at", "AlterTable orders"},
      {"Alter Table Orders Drop Column legacy_flag", "AlterTable Orders"},
      {"ALTER\nTABLE\n\torders\nENGINE = InnoDB", "AlterTable orders"},
      {"select * from orders where note like '%alter table%'", "Other"},
      {"select 'drop table x; alter table y' as s", "Other"},
      {"insert into audit(msg) values ('BEGIN DEPLOY'), (\"COMMIT DEPLOY\")", "Other"},
      {"SELECT * FROM `alter`", "Other"},
      {"SELECT * FROM t WHERE `drop` = 1", "Other"},
      {"SELECT rename FROM t", "Other"},
      {"\xEF\xBB\xBFSELECT 1", "Other"},
  });
}

TEST(SqlSplit, SplitsAtSemicolonsOutsideQuotesAndComments) {
  auto split = [](std::string_view sql) {
    std::vector<std::string> out;
    for (std::string_view p : SplitStatements(sql)) out.emplace_back(p);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(split("SELECT 1"), V({"SELECT 1"}));
  EXPECT_EQ(split("SELECT 1;"), V({"SELECT 1"}));
  EXPECT_EQ(split("SELECT 1; SELECT 2 ;\n"), V({"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(split(";;"), V());
  EXPECT_EQ(split(""), V());
  EXPECT_EQ(split("  -- only\n"), V());
  EXPECT_EQ(split("SELECT ';'; SELECT \";\""), V({"SELECT ';'", "SELECT \";\""}));
  EXPECT_EQ(split("SELECT `a;b` FROM t; SELECT 2"), V({"SELECT `a;b` FROM t", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 'it\\'s;'; SELECT 2"), V({"SELECT 'it\\'s;'", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 'a'';'; SELECT 2"), V({"SELECT 'a'';'", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 1 /* ; */; SELECT 2 -- ;\n; SELECT 3 # ;\n"),
            V({"SELECT 1 /* ; */", "SELECT 2 -- ;", "SELECT 3 # ;"}));
  EXPECT_EQ(split("BEGIN DEPLOY 'x'; ALTER TABLE a ADD c INT; ALTER TABLE b DROP d; COMMIT DEPLOY;"),
            V({"BEGIN DEPLOY 'x'", "ALTER TABLE a ADD c INT", "ALTER TABLE b DROP d", "COMMIT DEPLOY"}));
  EXPECT_EQ(split("/*!40101 SET NAMES utf8 */;\n/*!40103 SET TIME_ZONE='+00:00' */;"),
            V({"/*!40101 SET NAMES utf8 */", "/*!40103 SET TIME_ZONE='+00:00' */"}));
  EXPECT_EQ(split("ALTER TABLE t ADD e ENUM('a;b'), COMMENT 'x;y'; DROP TABLE u"),
            V({"ALTER TABLE t ADD e ENUM('a;b'), COMMENT 'x;y'", "DROP TABLE u"}));
}

TEST(SqlSplit, KeepsStoredProgramBodiesWhole) {
  auto split = [](std::string_view sql) {
    std::vector<std::string> out;
    for (std::string_view p : SplitStatements(sql)) out.emplace_back(p);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(split("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END; SELECT 3"),
            V({"CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "SELECT 3"}));
  EXPECT_EQ(split("CREATE DEFINER=`root`@`%` TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW BEGIN\n"
                  "  IF NEW.a > 0 THEN SET NEW.b = 1; ELSE SET NEW.b = IF(NEW.a < 0, 2, 3); END IF;\n"
                  "  WHILE x < 3 DO SET x = x + 1; END WHILE;\nEND;\nSELECT 1"),
            V({"CREATE DEFINER=`root`@`%` TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW BEGIN\n"
               "  IF NEW.a > 0 THEN SET NEW.b = 1; ELSE SET NEW.b = IF(NEW.a < 0, 2, 3); END IF;\n"
               "  WHILE x < 3 DO SET x = x + 1; END WHILE;\nEND",
               "SELECT 1"}));
  EXPECT_EQ(split("CREATE FUNCTION f() RETURNS INT RETURN 1; SELECT f()"),
            V({"CREATE FUNCTION f() RETURNS INT RETURN 1", "SELECT f()"}));
  EXPECT_EQ(split("BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; END; SELECT 2"),
            V({"BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; END", "SELECT 2"}));
  EXPECT_EQ(split("BEGIN; SELECT 1; COMMIT"), V({"BEGIN", "SELECT 1", "COMMIT"}));
  EXPECT_EQ(split("CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; SELECT CASE WHEN 1 THEN 2 END; END; DO 1"),
            V({"CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; SELECT CASE WHEN 1 THEN 2 END; END", "DO 1"}));
}

TEST(SqlSplit, EachPieceClassifies) {
  std::string dump =
      "-- MySQL dump 10.13\n"
      "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
      "/*!50503 SET NAMES utf8mb4 */;\n"
      "DROP TABLE IF EXISTS `t`;\n"
      "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
      "CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n"
      "LOCK TABLES `t` WRITE;\n"
      "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n"
      "INSERT INTO `t` VALUES (1),(2);\n"
      "/*!40000 ALTER TABLE `t` ENABLE KEYS */;\n"
      "UNLOCK TABLES;\n";
  std::vector<std::string> kinds;
  for (std::string_view p : SplitStatements(dump)) kinds.push_back(StatementKindName(Classify(p).kind));
  EXPECT_EQ(kinds, std::vector<std::string>({"SetSessionVariable", "SetSessionVariable", "DropTable",
                                             "SetSessionVariable", "CreateTable", "LockTables", "AlterTable",
                                             "Other", "AlterTable", "UnlockTables"}));
}

}  // namespace
// /*sealgate:passthrough*/ anywhere in the statement's comments (spaces and
// case aside), never inside a string or an executable comment, nor in the
// next statement of a packet.
TEST(SqlClassify, PassthroughHint) {
  for (const char* sql : {"ALTER TABLE t ADD INDEX i (a) /*sealgate:passthrough*/",
                          "/* sealgate: passthrough */ ALTER TABLE t ADD INDEX i (a)",
                          "ALTER TABLE t /* SealGate:PassThrough */ ADD INDEX i (a);",
                          "/* other */ CREATE INDEX i ON t (a) /*sealgate:passthrough*/ -- done"}) {
    EXPECT_TRUE(Classify(sql).passthrough_hint) << sql;
  }
  for (const char* sql : {"ALTER TABLE t ADD INDEX i (a)", "ALTER TABLE t COMMENT '/*sealgate:passthrough*/'",
                          "ALTER TABLE t ADD INDEX i (a) /* sealgate passthrough */",
                          "ALTER TABLE t ADD INDEX i (a) -- sealgate:passthrough",
                          "ALTER TABLE t ADD INDEX i (a); /*sealgate:passthrough*/ SELECT 1",
                          "ALTER TABLE t ADD INDEX i (a) /*sealgate:passthrough"}) {
    EXPECT_FALSE(Classify(sql).passthrough_hint) << sql;
  }
}

}  // namespace sealgate::sql
