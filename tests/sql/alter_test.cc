// ALTER analysis: what each specification does, the re-rendering for the
// shadow table, refusals, and column projection.
#include "sql/alter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql/errors.h"

namespace sealgate::sql {
namespace {

std::string DescribeSpec(const AlterSpec& s) {
  static const char* kIndex[] = {"", "primary", "unique", "index", "fulltext", "spatial"};
  std::string o = AlterSpecKindName(s.kind);
  if (!s.column.empty()) o += " col=" + s.column;
  if (!s.new_column.empty()) o += " new=" + s.new_column;
  if (!s.definition.empty()) o += " def=[" + s.definition + "]";
  if (s.first) o += " first";
  if (s.after) o += " after=" + *s.after;
  if (s.if_exists) o += " if_exists";
  if (s.if_not_exists) o += " if_not_exists";
  if (s.index_type != IndexType::kNone) o += std::string(" ") + kIndex[static_cast<int>(s.index_type)];
  if (!s.index_name.empty()) o += " idx=" + s.index_name;
  if (!s.new_index_name.empty()) o += " new_idx=" + s.new_index_name;
  if (!s.index_columns.empty()) {
    o += " cols=";
    for (size_t i = 0; i < s.index_columns.size(); ++i) o += (i ? "," : "") + s.index_columns[i];
  }
  if (!s.ref_table.name.empty()) {
    o += " ref=" + (s.ref_table.schema.empty() ? "" : s.ref_table.schema + ".") + s.ref_table.name + "(";
    for (size_t i = 0; i < s.ref_columns.size(); ++i) o += (i ? "," : "") + s.ref_columns[i];
    o += ")";
  }
  if (s.foreign_key) o += " fk";
  if (!s.option_name.empty()) o += " " + s.option_name + "=" + s.option_value;
  return o;
}

// "<table>: spec; spec; ..." or "error <errno>".
std::string Describe(std::string_view sql) {
  StatusOr<AlterTable> a = AnalyzeAlter(sql);
  if (!a.ok()) return "error " + std::to_string(a.status().mysql_errno());
  std::string o = a->table.schema.empty() ? a->table.name : a->table.schema + "." + a->table.name;
  o += ":";
  for (size_t i = 0; i < a->specs.size(); ++i) o += (i ? "; " : " ") + DescribeSpec(a->specs[i]);
  return o;
}

struct Case {
  const char* sql;
  const char* expected;
};

void ExpectAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) EXPECT_EQ(Describe(c.sql), c.expected) << "sql: " << c.sql;
}

TEST(SqlAlter, ColumnChanges) {
  ExpectAll({
      {"ALTER TABLE t ADD COLUMN c INT", "t: AddColumn col=c def=[INT]"},
      {"alter table t add c int not null default 0", "t: AddColumn col=c def=[int not null default 0]"},
      {"ALTER TABLE `db`.`t` ADD `c` VARCHAR(255) NULL AFTER `b`",
       "db.t: AddColumn col=c def=[VARCHAR(255) NULL] after=b"},
      {"ALTER TABLE t ADD c INT FIRST", "t: AddColumn col=c def=[INT] first"},
      {"ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT", "t: AddColumn col=c def=[INT] if_not_exists"},
      {"ALTER TABLE t ADD (a INT, b TEXT)", "t: AddColumn col=a def=[INT]; AddColumn col=b def=[TEXT]"},
      {"ALTER TABLE t ADD COLUMN (a DECIMAL(10,2), b ENUM('x,y','z'))",
       "t: AddColumn col=a def=[DECIMAL(10,2)]; AddColumn col=b def=[ENUM('x,y','z')]"},
      {"ALTER TABLE t ADD e ENUM('a,b', 'c') DEFAULT 'a,b', ADD s SET('x','y')",
       "t: AddColumn col=e def=[ENUM('a,b', 'c') DEFAULT 'a,b']; AddColumn col=s def=[SET('x','y')]"},
      {"ALTER TABLE t ADD sep CHAR(1) DEFAULT ',', ADD q VARCHAR(3) DEFAULT 'it''s', DROP x",
       "t: AddColumn col=sep def=[CHAR(1) DEFAULT ',']; AddColumn col=q def=[VARCHAR(3) DEFAULT 'it''s']; "
       "DropColumn col=x"},
      {"ALTER TABLE t ADD note TEXT COMMENT 'first, after; (x'",
       "t: AddColumn col=note def=[TEXT COMMENT 'first, after; (x']"},
      {"ALTER TABLE t ADD g INT GENERATED ALWAYS AS (a + b) VIRTUAL",
       "t: AddColumn col=g def=[INT GENERATED ALWAYS AS (a + b) VIRTUAL]"},
      {"ALTER TABLE t ADD ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
       "t: AddColumn col=ts def=[TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP]"},
      {"ALTER TABLE t ADD j JSON CHECK (JSON_VALID(j))", "t: AddColumn col=j def=[JSON CHECK (JSON_VALID(j))]"},
      {"ALTER TABLE t ADD `first` INT AFTER `after`", "t: AddColumn col=first def=[INT] after=after"},
      {"ALTER TABLE t ADD c INT /* why */ NOT NULL", "t: AddColumn col=c def=[INT NOT NULL]"},
      {"ALTER TABLE t DROP COLUMN c", "t: DropColumn col=c"},
      {"ALTER TABLE t DROP c", "t: DropColumn col=c"},
      {"ALTER TABLE t DROP COLUMN IF EXISTS c", "t: DropColumn col=c if_exists"},
      {"ALTER TABLE t DROP `index`", "t: DropColumn col=index"},
      {"ALTER TABLE t DROP a, DROP b", "t: DropColumn col=a; DropColumn col=b"},
      {"ALTER TABLE t RENAME COLUMN a TO b", "t: RenameColumn col=a new=b"},
      {"ALTER TABLE t RENAME COLUMN `a b` TO `c``d`", "t: RenameColumn col=a b new=c`d"},
      {"ALTER TABLE t CHANGE a b INT", "t: ChangeColumn col=a new=b def=[INT]"},
      {"ALTER TABLE t CHANGE COLUMN `a` `a` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT",
       "t: ChangeColumn col=a new=a def=[BIGINT UNSIGNED NOT NULL AUTO_INCREMENT]"},
      {"ALTER TABLE t CHANGE COLUMN IF EXISTS a b INT FIRST", "t: ChangeColumn col=a new=b def=[INT] first if_exists"},
      {"ALTER TABLE t CHANGE a b VARCHAR(10) AFTER c", "t: ChangeColumn col=a new=b def=[VARCHAR(10)] after=c"},
      {"ALTER TABLE t MODIFY c BIGINT", "t: ModifyColumn col=c def=[BIGINT]"},
      {"ALTER TABLE t MODIFY COLUMN c VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
       "t: ModifyColumn col=c def=[VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL]"},
      {"ALTER TABLE t MODIFY IF EXISTS c INT AFTER d", "t: ModifyColumn col=c def=[INT] after=d if_exists"},
      {"ALTER TABLE t ALTER COLUMN c SET DEFAULT 5", "t: AlterColumn col=c def=[SET DEFAULT 5]"},
      {"ALTER TABLE t ALTER c DROP DEFAULT", "t: AlterColumn col=c def=[DROP DEFAULT]"},
      {"ALTER TABLE t ALTER COLUMN c SET DEFAULT (UUID())", "t: AlterColumn col=c def=[SET DEFAULT (UUID())]"},
      {"ALTER TABLE t ALTER COLUMN c SET INVISIBLE", "t: AlterColumn col=c def=[SET INVISIBLE]"},
  });
}

TEST(SqlAlter, KeyChanges) {
  ExpectAll({
      {"ALTER TABLE t ADD PRIMARY KEY (id)", "t: AddIndex primary idx=PRIMARY cols=id"},
      {"ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (a, b)", "t: AddIndex primary idx=PRIMARY cols=a,b"},
      {"ALTER TABLE t ADD PRIMARY KEY USING BTREE (`id`)", "t: AddIndex primary idx=PRIMARY cols=id"},
      {"ALTER TABLE t ADD UNIQUE (email)", "t: AddIndex unique cols=email"},
      {"ALTER TABLE t ADD UNIQUE KEY `uk_email` (`email`(100))", "t: AddIndex unique idx=uk_email cols=email"},
      {"ALTER TABLE t ADD UNIQUE INDEX uk (a ASC, b DESC)", "t: AddIndex unique idx=uk cols=a,b"},
      {"ALTER TABLE t ADD CONSTRAINT uk UNIQUE (a)", "t: AddIndex unique idx=uk cols=a"},
      {"ALTER TABLE t ADD INDEX (c)", "t: AddIndex index cols=c"},
      {"ALTER TABLE t ADD INDEX idx_c (c)", "t: AddIndex index idx=idx_c cols=c"},
      {"ALTER TABLE t ADD KEY `idx` USING HASH (`a`, `b`)", "t: AddIndex index idx=idx cols=a,b"},
      {"ALTER TABLE t ADD INDEX IF NOT EXISTS i (a)", "t: AddIndex if_not_exists index idx=i cols=a"},
      {"ALTER TABLE t ADD INDEX i ((lower(email)))", "t: AddIndex index idx=i cols="},
      {"ALTER TABLE t ADD INDEX i (a) COMMENT 'x' INVISIBLE", "t: AddIndex index idx=i cols=a"},
      {"ALTER TABLE t ADD FULLTEXT INDEX ft (title, body)", "t: AddIndex fulltext idx=ft cols=title,body"},
      {"ALTER TABLE t ADD FULLTEXT (body) WITH PARSER ngram", "t: AddIndex fulltext cols=body"},
      {"ALTER TABLE t ADD SPATIAL KEY sp (g)", "t: AddIndex spatial idx=sp cols=g"},
      {"ALTER TABLE t DROP PRIMARY KEY", "t: DropPrimaryKey primary idx=PRIMARY"},
      {"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, ts)",
       "t: DropPrimaryKey primary idx=PRIMARY; AddIndex primary idx=PRIMARY cols=id,ts"},
      {"ALTER TABLE t DROP INDEX i", "t: DropIndex idx=i"},
      {"ALTER TABLE t DROP KEY `i`", "t: DropIndex idx=i"},
      {"ALTER TABLE t DROP INDEX IF EXISTS i", "t: DropIndex if_exists idx=i"},
      {"ALTER TABLE t RENAME INDEX a TO b", "t: RenameIndex idx=a new_idx=b"},
      {"ALTER TABLE t RENAME KEY `a` TO `b`", "t: RenameIndex idx=a new_idx=b"},
      {"ALTER TABLE t ALTER INDEX i INVISIBLE", "t: AlterIndex idx=i"},
      {"ALTER TABLE t ALTER INDEX i NOT IGNORED", "t: AlterIndex idx=i"},
      {"ALTER TABLE t ADD CONSTRAINT chk CHECK (a > 0)", "t: AddCheck idx=chk"},
      {"ALTER TABLE t ADD CHECK (a > 0)", "t: AddCheck"},
      {"ALTER TABLE t DROP CHECK chk", "t: DropConstraint idx=chk"},
      {"ALTER TABLE t DROP CONSTRAINT IF EXISTS chk", "t: DropConstraint if_exists idx=chk"},
      {"ALTER TABLE t DROP FOREIGN KEY fk_user", "t: DropConstraint idx=fk_user fk"},
      {"ALTER TABLE t ADD (c INT, INDEX (c))", "t: AddColumn col=c def=[INT]; AddIndex index cols=c"},
  });
}

TEST(SqlAlter, TableOptions) {
  ExpectAll({
      {"ALTER TABLE t ENGINE=InnoDB", "t: TableOption engine=InnoDB"},
      {"ALTER TABLE t ENGINE = 'innodb'", "t: TableOption engine=innodb"},
      {"ALTER TABLE t ENGINE InnoDB", "t: TableOption engine=InnoDB"},
      {"ALTER TABLE t FORCE", "t: Force"},
      {"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
       "t: ConvertCharset convert to character set=utf8mb4"},
      {"ALTER TABLE t CONVERT TO CHARSET latin1", "t: ConvertCharset convert to character set=latin1"},
      {"ALTER TABLE t DEFAULT CHARSET=utf8mb4", "t: TableOption default charset=utf8mb4"},
      {"ALTER TABLE t DEFAULT CHARACTER SET = utf8mb4", "t: TableOption default character set=utf8mb4"},
      {"ALTER TABLE t CHARACTER SET utf8mb4", "t: TableOption character set=utf8mb4"},
      {"ALTER TABLE t DEFAULT COLLATE utf8mb4_bin", "t: TableOption default collate=utf8mb4_bin"},
      {"ALTER TABLE t COMMENT = 'orders, per user'", "t: TableOption comment=orders, per user"},
      {"ALTER TABLE t COMMENT 'x'", "t: TableOption comment=x"},
      {"ALTER TABLE t AUTO_INCREMENT = 1000", "t: TableOption auto_increment=1000"},
      {"ALTER TABLE t ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8",
       "t: TableOption row_format=COMPRESSED; TableOption key_block_size=8"},
      {"ALTER TABLE t ENGINE=InnoDB ROW_FORMAT=DYNAMIC, ADD c INT",
       "t: TableOption engine=InnoDB; TableOption row_format=DYNAMIC; AddColumn col=c def=[INT]"},
      {"ALTER TABLE t STATS_PERSISTENT=1", "t: TableOption stats_persistent=1"},
      {"ALTER TABLE t ORDER BY a", "t: Other"},
      {"ALTER TABLE t DISABLE KEYS", "t: Other"},
      {"ALTER TABLE t ENABLE KEYS", "t: Other"},
      {"ALTER TABLE t PARTITION BY HASH(id) PARTITIONS 4", "t: Partitioning"},
      {"ALTER TABLE t ADD c INT PARTITION BY KEY(id) PARTITIONS 2", "t: AddColumn col=c def=[INT]; Partitioning"},
      {"ALTER TABLE t REMOVE PARTITIONING", "t: Partitioning"},
      {"ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (2000))", "t: Partitioning"},
      {"ALTER TABLE t REORGANIZE PARTITION p0 INTO (PARTITION a VALUES LESS THAN (5), PARTITION b VALUES "
       "LESS THAN (10))",
       "t: Partitioning"},
      {"ALTER TABLE t COALESCE PARTITION 2", "t: Partitioning"},
      {"ALTER TABLE t", "t:"},
      {"ALTER TABLE t;", "t:"},
  });
}

TEST(SqlAlter, FrameworkOutput) {
  ExpectAll({
      {"ALTER TABLE `users` ADD `email` varchar(255) DEFAULT '' NOT NULL",
       "users: AddColumn col=email def=[varchar(255) DEFAULT '' NOT NULL]"},
      {"alter table `users` add unique `users_email_unique`(`email`)",
       "users: AddIndex unique idx=users_email_unique cols=email"},
      {"alter table `users` add index `users_name_index`(`name`)", "users: AddIndex index idx=users_name_index cols=name"},
      {"alter table `users` modify `name` varchar(255) not null", "users: ModifyColumn col=name def=[varchar(255) not null]"},
      {"ALTER TABLE `app_book` ALTER COLUMN `isbn` DROP DEFAULT", "app_book: AlterColumn col=isbn def=[DROP DEFAULT]"},
      {"-- AlterTable\nALTER TABLE `User` ADD COLUMN `bio` VARCHAR(191) NULL,\n    MODIFY `name` VARCHAR(191) NOT NULL",
       "User: AddColumn col=bio def=[VARCHAR(191) NULL]; ModifyColumn col=name def=[VARCHAR(191) NOT NULL]"},
      {"ALTER TABLE `Post` DROP FOREIGN KEY `Post_authorId_fkey`", "Post: DropConstraint idx=Post_authorId_fkey fk"},
      {"ALTER TABLE t ADD COLUMN `data` JSON NOT NULL DEFAULT (JSON_OBJECT()), ADD INDEX `k` ((CAST(data->>'$.k' AS "
       "CHAR(10))))",
       "t: AddColumn col=data def=[JSON NOT NULL DEFAULT (JSON_OBJECT())]; AddIndex index idx=k cols="},
      {"ALTER TABLE sbtest1 ADD COLUMN pad2 CHAR(60) NOT NULL DEFAULT '', ALGORITHM=COPY",
       "sbtest1: AddColumn col=pad2 def=[CHAR(60) NOT NULL DEFAULT '']"},
      {"ALTER TABLE orders ADD INDEX idx_user_created (user_id, created_at DESC), DROP INDEX idx_user",
       "orders: AddIndex index idx=idx_user_created cols=user_id,created_at; DropIndex idx=idx_user"},
  });
  EXPECT_EQ(Describe("ALTER TABLE `Post` ADD CONSTRAINT `Post_authorId_fkey` FOREIGN KEY (`authorId`) REFERENCES "
                     "`User`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE"),
            "Post: AddForeignKey idx=Post_authorId_fkey cols=authorId ref=User(id) fk");
}

TEST(SqlAlter, AlgorithmAndLockAreRemoved) {
  StatusOr<AlterTable> a = AnalyzeAlter("ALTER TABLE t ADD c INT, ALGORITHM=INPLACE, LOCK=NONE");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(Describe("ALTER TABLE t ADD c INT, ALGORITHM=INPLACE, LOCK=NONE"), "t: AddColumn col=c def=[INT]");
  EXPECT_EQ(a->algorithm, "INPLACE");
  EXPECT_EQ(a->lock, "NONE");
  EXPECT_EQ(Describe("ALTER TABLE t ALGORITHM=INSTANT, ADD c INT"), "t: AddColumn col=c def=[INT]");
  EXPECT_EQ(Describe("ALTER TABLE t ALGORITHM = COPY LOCK = SHARED"), "t:");
  EXPECT_EQ(Describe("ALTER TABLE t LOCK=EXCLUSIVE, DROP c, algorithm=nocopy"), "t: DropColumn col=c");
  StatusOr<AlterTable> b = AnalyzeAlter("ALTER TABLE t ADD c INT");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->algorithm.has_value());
  EXPECT_FALSE(b->lock.has_value());
}

TEST(SqlAlter, Head) {
  ExpectAll({
      {"ALTER ONLINE TABLE t ADD c INT", "t: AddColumn col=c def=[INT]"},
      {"ALTER IGNORE TABLE `db`.`t` ADD UNIQUE (a)", "db.t: AddIndex unique cols=a"},
      {"ALTER TABLE IF EXISTS t ADD c INT", "t: AddColumn col=c def=[INT]"},
      {"ALTER TABLE t WAIT 10 ADD c INT", "t: AddColumn col=c def=[INT]"},
      {"ALTER TABLE t NOWAIT ADD c INT", "t: AddColumn col=c def=[INT]"},
      {"ALTER TABLE `my.db`.`my``t` ADD c INT", "my.db.my`t: AddColumn col=c def=[INT]"},
      {"/* knex */ ALTER TABLE `t` ADD `c` int -- trailing\n;", "t: AddColumn col=c def=[int]"},
      {"/*!50100 ALTER TABLE t ADD c INT */", "t: AddColumn col=c def=[INT]"},
  });
  StatusOr<AlterTable> a = AnalyzeAlter("ALTER ONLINE IGNORE TABLE t FORCE");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->online);
  EXPECT_TRUE(a->ignore);
}

// Foreign keys are read, not refused: a plain ALTER adds or drops them
// without a copy; a staged copy refuses them (engine), not the parser.
TEST(SqlAlter, ForeignKeys) {
  ExpectAll({
      {"ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES users(id)", "t: AddForeignKey cols=u ref=users(id) fk"},
      {"ALTER TABLE t ADD CONSTRAINT fk_u FOREIGN KEY (u) REFERENCES users(id) ON DELETE CASCADE",
       "t: AddForeignKey idx=fk_u cols=u ref=users(id) fk"},
      {"ALTER TABLE t ADD CONSTRAINT FOREIGN KEY (u) REFERENCES users(id)", "t: AddForeignKey cols=u ref=users(id) fk"},
      {"ALTER TABLE t ADD CONSTRAINT `fk` FOREIGN KEY IF NOT EXISTS `ix` (`a`, `b`) REFERENCES `db`.`p` (`x`, `y`) "
       "MATCH FULL ON UPDATE SET NULL",
       "t: AddForeignKey if_not_exists idx=fk cols=a,b ref=db.p(x,y) fk"},
      {"ALTER TABLE t ADD u INT REFERENCES users(id)", "t: AddColumn col=u def=[INT REFERENCES users(id)] fk"},
      {"ALTER TABLE t ADD c INT, ADD CONSTRAINT `fk` FOREIGN KEY (`c`) REFERENCES `p` (`id`)",
       "t: AddColumn col=c def=[INT]; AddForeignKey idx=fk cols=c ref=p(id) fk"},
      {"ALTER TABLE t DROP FOREIGN KEY fk_u, DROP CONSTRAINT chk",
       "t: DropConstraint idx=fk_u fk; DropConstraint idx=chk"},
      {"ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES users", "t: AddForeignKey cols=u ref=users() fk"},
  });
}

TEST(SqlAlter, Refusals) {
  const std::string rename = std::to_string(error::kAlterRenamesTable);
  const std::string partition = std::to_string(error::kAlterPartitionOperation);
  const std::string engine = std::to_string(error::kAlterNonTransactionalEngine);
  const std::string tablespace = std::to_string(error::kAlterTablespace);
  const std::string syntax = std::to_string(error::kAlterSyntax);
  struct Refusal {
    const char* sql;
    std::string expected;
  };
  std::vector<Refusal> cases = {
      {"ALTER TABLE t RENAME TO u", "error " + rename},
      {"ALTER TABLE t RENAME AS u", "error " + rename},
      {"ALTER TABLE t RENAME u", "error " + rename},
      {"ALTER TABLE t ADD c INT, RENAME TO db2.t", "error " + rename},
      {"ALTER TABLE t EXCHANGE PARTITION p0 WITH TABLE t2", "error " + partition},
      {"ALTER TABLE t DROP PARTITION p0", "error " + partition},
      {"ALTER TABLE t TRUNCATE PARTITION p0, p1", "error " + partition},
      {"ALTER TABLE t TRUNCATE PARTITION ALL", "error " + partition},
      {"ALTER TABLE t CONVERT PARTITION p0 TO TABLE t0", "error " + partition},
      {"ALTER TABLE t CONVERT TABLE t0 TO PARTITION p0 VALUES LESS THAN (10)", "error " + partition},
      {"ALTER TABLE t OPTIMIZE PARTITION p0", "error " + partition},
      {"ALTER TABLE t REBUILD PARTITION p0", "error " + partition},
      {"ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES", "error " + syntax},
      {"ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY REFERENCES p (id)", "error " + syntax},
      {"ALTER TABLE t ENGINE=MyISAM", "error " + engine},
      {"ALTER TABLE t ENGINE = MEMORY", "error " + engine},
      {"ALTER TABLE t ENGINE=Aria", "error " + engine},
      {"ALTER TABLE t ENGINE='CSV'", "error " + engine},
      {"ALTER TABLE t ENGINE ARCHIVE", "error " + engine},
      {"ALTER TABLE t ADD c INT, ENGINE=BLACKHOLE", "error " + engine},
      {"ALTER TABLE t ROW_FORMAT=DYNAMIC ENGINE=MyISAM", "error " + engine},
      {"ALTER TABLE t DISCARD TABLESPACE", "error " + tablespace},
      {"ALTER TABLE t IMPORT TABLESPACE", "error " + tablespace},
      {"ALTER TABLE t DISCARD PARTITION p0 TABLESPACE", "error " + tablespace},
      {"ALTER VIEW v AS SELECT 1", "error " + syntax},
      {"SELECT 1", "error " + syntax},
      {"ALTER TABLE", "error " + syntax},
      {"ALTER TABLE t ADD c INT,", "error " + syntax},
      {"ALTER TABLE t ADD c INT,, DROP d", "error " + syntax},
      {"ALTER TABLE t ADD c DECIMAL(10,2", "error " + syntax},
      {"ALTER TABLE t ADD c INT)", "error " + syntax},
      {"ALTER TABLE t ADD INDEX i", "error " + syntax},
      {"ALTER TABLE t RENAME COLUMN a b", "error " + syntax},
      {"ALTER TABLE t ADD c INT; DROP TABLE u", "error " + syntax},
  };
  for (const Refusal& c : cases) EXPECT_EQ(Describe(c.sql), c.expected) << "sql: " << c.sql;
}

TEST(SqlAlter, RefusalsSayWhatToDo) {
  StatusOr<AlterTable> a = AnalyzeAlter("ALTER TABLE t ENGINE=MyISAM");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().sqlstate(), "0A000");
  EXPECT_NE(a.status().message().find("InnoDB"), std::string::npos) << a.status().message();
  EXPECT_NE(a.status().message().find("passthrough"), std::string::npos) << a.status().message();
  StatusOr<AlterTable> b = AnalyzeAlter("ALTER TABLE t RENAME TO u");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("RENAME TABLE"), std::string::npos) << b.status().message();
  StatusOr<AlterTable> c = AnalyzeAlter("ALTER TABLE t ADD c INT,");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().sqlstate(), "42000");
}

TEST(SqlAlter, RendersForTheShadowTable) {
  struct RenderCase {
    const char* sql;
    const char* expected;
  };
  const TableName shadow{"db", "_t_new"};
  std::vector<RenderCase> cases = {
      {"ALTER TABLE t ADD c INT", "ALTER TABLE `db`.`_t_new` ADD c INT"},
      {"ALTER TABLE `db`.`t` ADD COLUMN `c` varchar(255) NOT NULL DEFAULT ',' AFTER `b`, ALGORITHM=INPLACE, "
       "LOCK=NONE",
       "ALTER TABLE `db`.`_t_new` ADD COLUMN `c` varchar(255) NOT NULL DEFAULT ',' AFTER `b`"},
      {"ALTER ONLINE IGNORE TABLE t ALGORITHM=INSTANT, DROP a, ADD UNIQUE KEY uk (b)",
       "ALTER TABLE `db`.`_t_new` DROP a, ADD UNIQUE KEY uk (b)"},
      {"ALTER TABLE t ADD e ENUM('a,b','c')  /* note */ NOT NULL,\n  MODIFY x\n  BIGINT",
       "ALTER TABLE `db`.`_t_new` ADD e ENUM('a,b','c') NOT NULL, MODIFY x\n  BIGINT"},
      {"ALTER TABLE t ADD (a INT, b INT)", "ALTER TABLE `db`.`_t_new` ADD a INT, ADD b INT"},
      {"ALTER TABLE t ENGINE=InnoDB ROW_FORMAT=DYNAMIC", "ALTER TABLE `db`.`_t_new` ENGINE=InnoDB, ROW_FORMAT=DYNAMIC"},
      {"ALTER TABLE t ADD c INT PARTITION BY HASH(id) PARTITIONS 4",
       "ALTER TABLE `db`.`_t_new` ADD c INT PARTITION BY HASH(id) PARTITIONS 4"},
      {"ALTER TABLE t ALGORITHM=COPY", "ALTER TABLE `db`.`_t_new`"},
      {"/*!50100 ALTER TABLE t ADD c INT */", "ALTER TABLE `db`.`_t_new` ADD c INT"},
      {"ALTER TABLE t COMMENT 'it''s \\'x\\''", "ALTER TABLE `db`.`_t_new` COMMENT 'it''s \\'x\\''"},
  };
  for (const RenderCase& c : cases) {
    StatusOr<AlterTable> a = AnalyzeAlter(c.sql);
    ASSERT_TRUE(a.ok()) << c.sql << ": " << a.status().ToString();
    std::string rendered = RenderAlter(*a, shadow);
    EXPECT_EQ(rendered, c.expected) << "sql: " << c.sql;
    // The rendering reads back as the same specs.
    StatusOr<AlterTable> again = AnalyzeAlter(rendered);
    ASSERT_TRUE(again.ok()) << rendered;
    EXPECT_EQ(again->specs.size(), a->specs.size()) << rendered;
  }
  StatusOr<AlterTable> a = AnalyzeAlter("ALTER TABLE t FORCE");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(RenderAlter(*a, TableName{"", "we`ird"}), "ALTER TABLE `we``ird` FORCE");
}

TEST(SqlAlter, ProjectsColumnsThroughRenamesAndDrops) {
  using Names = std::vector<std::string>;
  using Sources = std::vector<std::optional<std::string>>;
  auto project = [](const char* sql, const Names& old_cols, const Names& new_cols) {
    StatusOr<AlterTable> a = AnalyzeAlter(sql);
    EXPECT_TRUE(a.ok()) << sql;
    return a.ok() ? ProjectColumns(*a, old_cols, new_cols) : Sources();
  };
  EXPECT_EQ(project("ALTER TABLE t ADD c INT", {"id", "a"}, {"id", "a", "c"}),
            Sources({"id", "a", std::nullopt}));
  EXPECT_EQ(project("ALTER TABLE t DROP a", {"id", "a", "b"}, {"id", "b"}), Sources({"id", "b"}));
  EXPECT_EQ(project("ALTER TABLE t RENAME COLUMN a TO x", {"id", "a"}, {"id", "x"}), Sources({"id", "a"}));
  EXPECT_EQ(project("ALTER TABLE t CHANGE a x BIGINT", {"id", "a"}, {"id", "x"}), Sources({"id", "a"}));
  EXPECT_EQ(project("ALTER TABLE t CHANGE `A` `A` BIGINT", {"id", "a"}, {"id", "a"}), Sources({"id", "a"}));
  EXPECT_EQ(project("ALTER TABLE t RENAME COLUMN a TO b, RENAME COLUMN b TO a", {"a", "b"}, {"b", "a"}),
            Sources({"a", "b"}));
  EXPECT_EQ(project("ALTER TABLE t DROP a, ADD a TEXT", {"id", "a"}, {"id", "a"}),
            Sources({"id", std::nullopt}));
  EXPECT_EQ(project("ALTER TABLE t MODIFY a TEXT FIRST", {"id", "a"}, {"a", "id"}), Sources({"a", "id"}));
  EXPECT_EQ(project("ALTER TABLE t ADD INDEX (a), ENGINE=InnoDB", {"Id", "A"}, {"id", "a"}), Sources({"Id", "A"}));
}

}  // namespace
}  // namespace sealgate::sql
