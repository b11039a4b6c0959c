// Which statements change a schema: the targets of DML and DDL, and the guard
// that keeps sealgate's metadata schema read-only through the proxy.
#include "sql/schema_writes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sealgate::sql {
namespace {

// "s.t s2.t2 db:name ..." (objects, then databases as db:<name>).
std::string Targets(const char* sql) {
  WriteTargets t = FindWriteTargets(sql);
  std::string out;
  for (const auto& o : t.objects) out += (out.empty() ? "" : " ") + (o.schema.empty() ? o.name : o.schema + "." + o.name);
  for (const auto& d : t.databases) out += (out.empty() ? "db:" : " db:") + d;
  return out;
}

TEST(SqlWriteTargets, DataChangingStatements) {
  struct Case {
    const char* sql;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"INSERT INTO m.deploys VALUES (1)", "m.deploys"},
      {"insert low_priority ignore into `m`.`deploys` (a) values (1)", "m.deploys"},
      {"INSERT deploys SET a = 1", "deploys"},
      {"INSERT INTO app.t SELECT * FROM m.deploys", "app.t"},
      {"REPLACE INTO m.deploys VALUES (1)", "m.deploys"},
      {"UPDATE m.deploys SET state = 'x' WHERE name = (SELECT 1 FROM other.t)", "m.deploys"},
      {"UPDATE LOW_PRIORITY IGNORE m.deploys d SET d.state = 'x'", "m.deploys"},
      {"UPDATE app.t JOIN m.deploys d ON d.name = app.t.n SET app.t.x = 1", "app.t m.deploys"},
      {"UPDATE app.t, m.deploys SET app.t.x = 1", "app.t m.deploys"},
      {"UPDATE app.t AS a LEFT JOIN app.u USING (id) SET a.x = 1", "app.t app.u"},
      {"UPDATE app.t SET x = (SELECT COUNT(*) FROM m.deploys)", "app.t"},
      {"UPDATE (SELECT 1) AS d, app.t SET t.x = 1", "app.t"},
      {"DELETE FROM m.deploys WHERE name = 'x'", "m.deploys"},
      {"DELETE QUICK IGNORE FROM m.deploys PARTITION (p1) ORDER BY a LIMIT 1", "m.deploys"},
      {"DELETE d FROM m.deploys d JOIN app.t ON d.a = app.t.b WHERE 1", "d m.deploys app.t"},
      {"DELETE FROM d USING m.deploys AS d WHERE d.x = 1", "d m.deploys"},
      {"DELETE FROM app.t WHERE id IN (SELECT id FROM m.deploys)", "app.t"},
      {"WITH x AS (SELECT 1 FROM m.deploys) DELETE FROM app.t", "app.t"},
      {"LOAD DATA LOCAL INFILE '/tmp/f' REPLACE INTO TABLE m.deploys (a, b)", "m.deploys"},
      {"SELECT * FROM m.deploys", ""},
      {"SELECT * FROM m.deploys FOR UPDATE", ""},
      {"SHOW TABLES FROM m", ""},
      {"/*!40101 INSERT INTO m.t VALUES (1) */", "m.t"},
  };
  for (const Case& c : cases) EXPECT_EQ(Targets(c.sql), c.expected) << c.sql;
}

TEST(SqlWriteTargets, SchemaStatements) {
  struct Case {
    const char* sql;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"TRUNCATE m.deploys", "m.deploys"},
      {"TRUNCATE TABLE deploys", "deploys"},
      {"ALTER TABLE m.deploys ADD COLUMN x INT", "m.deploys"},
      {"ALTER TABLE app.t RENAME TO m.t", "app.t m.t"},
      {"ALTER TABLE app.t RENAME COLUMN a TO b", "app.t"},
      {"DROP TABLE app.a, m.deploys", "app.a m.deploys"},
      {"CREATE TABLE m.x (id INT)", "m.x"},
      {"CREATE TABLE app.copy LIKE m.deploys", "app.copy"},
      {"CREATE TABLE app.copy AS SELECT * FROM m.deploys", "app.copy"},
      {"RENAME TABLE m.deploys TO app.d, app.e TO m.e", "m.deploys app.d app.e m.e"},
      {"CREATE INDEX i ON m.deploys (a)", "m.deploys"},
      {"DROP INDEX i ON m.deploys", "m.deploys"},
      {"DROP DATABASE m", "db:m"},
      {"DROP SCHEMA IF EXISTS `m`", "db:m"},
      {"CREATE DATABASE IF NOT EXISTS m", "db:m"},
      {"ALTER DATABASE m CHARACTER SET latin1", "db:m"},
      {"ALTER DATABASE DEFAULT CHARACTER SET latin1", "db:"},
      {"CREATE OR REPLACE DEFINER = 'root'@'localhost' SQL SECURITY INVOKER VIEW m.v AS SELECT 1", "m.v"},
      {"CREATE VIEW app.v AS SELECT * FROM m.deploys", "app.v"},
      {"DROP VIEW IF EXISTS m.v, app.w", "m.v app.w"},
      {"CREATE PROCEDURE m.p() BEGIN END", "m.p"},
      {"DROP FUNCTION IF EXISTS m.f", "m.f"},
      {"CREATE DEFINER=CURRENT_USER TRIGGER app.tr BEFORE INSERT ON m.deploys FOR EACH ROW SET @x = 1",
       "app.tr m.deploys"},
      {"CREATE EVENT m.e ON SCHEDULE EVERY 1 HOUR DO SELECT 1", "m.e"},
      {"DROP USER 'u'@'%'", ""},
      {"CREATE USER m", ""},
      {"DROP PREPARE s", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(Targets(c.sql), c.expected) << c.sql;
}

TEST(SqlSchemaWriteGuard, RefusesWritesToTheSchemaOnly) {
  SchemaWriteGuard guard("_sealgate");
  for (const char* sql : {
           "INSERT INTO _sealgate.deploys (name) VALUES ('x')",
           "insert into `_SEALGATE`.`deploys` values ('x')",
           "UPDATE _sealgate.deploys SET state = 'sealed'",
           "DELETE FROM _sealgate.migrations",
           "REPLACE INTO _sealgate.lease VALUES (1)",
           "TRUNCATE TABLE _sealgate.deploy_items",
           "ALTER TABLE _sealgate.deploys ADD COLUMN x INT",
           "DROP TABLE _sealgate.deploys",
           "CREATE TABLE _sealgate.mine (id INT)",
           "RENAME TABLE _sealgate.deploys TO app.deploys",
           "DROP DATABASE _sealgate",
           "drop schema if exists `_sealgate`",
           "SELECT 1; DELETE FROM _sealgate.deploys",
           "USE _sealgate; DELETE FROM deploys",
           "PREPARE s FROM 'DELETE FROM _sealgate.deploys'",
           "EXECUTE IMMEDIATE 'UPDATE _sealgate.deploys SET state = 1'",
           "SET STATEMENT max_statement_time = 5 FOR DELETE FROM _sealgate.deploys",
           "/*!40101 DELETE FROM _sealgate.deploys */",
       }) {
    EXPECT_TRUE(guard.Refuses(sql, "app")) << sql;
  }
  for (const char* sql : {
           "SELECT * FROM _sealgate.deploys",
           "SHOW TABLES FROM _sealgate",
           "SELECT '_sealgate.deploys'",
           "INSERT INTO app.t SELECT name FROM _sealgate.deploys",
           "CREATE TABLE app.backup AS SELECT * FROM _sealgate.deploys",
           "CREATE TABLE app.backup LIKE _sealgate.deploys",
           "USE _sealgate",
           "USE _sealgate; USE app; DELETE FROM deploys",
           "INSERT INTO _sealgate_not.deploys VALUES (1)",
           "DROP DATABASE _sealgate2",
           "DELETE FROM deploys",
           "SHOW DEPLOYS",
       }) {
    EXPECT_FALSE(guard.Refuses(sql, "app")) << sql;
  }
  // The session's current database is the schema: unqualified writes are refused, reads are not.
  EXPECT_TRUE(guard.Refuses("DELETE FROM deploys", "_sealgate"));
  EXPECT_TRUE(guard.Refuses("UPDATE migrations SET state = 'failed'", "_Sealgate"));
  EXPECT_TRUE(guard.Refuses("ALTER DATABASE CHARACTER SET latin1", "_sealgate"));
  EXPECT_TRUE(guard.Refuses("TRUNCATE deploys", "_sealgate"));
  EXPECT_FALSE(guard.Refuses("SELECT * FROM deploys", "_sealgate"));
  EXPECT_FALSE(guard.Refuses("INSERT INTO app.t VALUES (1)", "_sealgate"));
  EXPECT_FALSE(guard.Refuses("USE app; DELETE FROM deploys", "_sealgate"));
}

TEST(SqlSchemaWriteGuard, PrefilterLooksAtTheTextOnlyForTheName) {
  SchemaWriteGuard guard("meta_sg");
  EXPECT_FALSE(guard.MayConcern("INSERT INTO app.t VALUES (1, 'x')", "app"));
  EXPECT_FALSE(guard.MayConcern("", ""));
  EXPECT_FALSE(guard.MayConcern("meta_s", ""));
  EXPECT_TRUE(guard.MayConcern("INSERT INTO META_SG.t VALUES (1)", "app"));
  EXPECT_TRUE(guard.MayConcern("SELECT 1", "Meta_Sg"));
  EXPECT_TRUE(guard.Refuses("DELETE FROM `meta_sg`.deploys", ""));
  EXPECT_FALSE(guard.Refuses("DELETE FROM _sealgate.deploys", ""));
  SchemaWriteGuard none("");
  EXPECT_FALSE(none.Refuses("DELETE FROM x.y", ""));
}

}  // namespace
}  // namespace sealgate::sql
