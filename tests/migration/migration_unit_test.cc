// Pure pieces of the migration engine: cursor persistence, key-range SQL,
// value literals, position order, the bounded work queue.
#include <gtest/gtest.h>

#include <thread>

#include "migration/chunk_budget.h"
#include "migration/migration.h"
#include "migration/table_schema.h"

namespace sealgate::migration {
namespace {

TEST(ChunkByteBudget, RowsFitAQuarterOfTheBinlogCache) {
  ChunkByteBudget b;
  EXPECT_GT(b.max_rows(), 1000000u) << "unconfigured: no limit of its own";
  b.Configure(1 << 20, 20000);  // 1 MiB cache, 20 kB rows: 256 kB a chunk
  EXPECT_EQ(b.max_rows(), 13u);
  b.Configure(4096, 1 << 20);  // rows larger than the whole share: still one row a chunk
  EXPECT_EQ(b.max_rows(), 1u);
  b.Configure(0, 0);  // unknown limit and length: the ceiling, row length taken as 1
  EXPECT_EQ(b.max_rows(), ChunkByteBudget::kCeilingBytes);
  b.Configure(18446744073709547520ull, 100);  // MariaDB's default: no limit, so the ceiling
  EXPECT_EQ(b.max_rows(), ChunkByteBudget::kCeilingBytes / 100);
}

TEST(ChunkByteBudget, AChunkThatDidNotFitHalvesTheAllowanceDownToOneRow) {
  ChunkByteBudget b;
  b.Configure(1 << 30, 100);
  EXPECT_TRUE(b.Shrink(1000));
  EXPECT_EQ(b.max_rows(), 500u);
  EXPECT_TRUE(b.Shrink(3000));  // a larger attempt than allowed never raises it
  EXPECT_EQ(b.max_rows(), 500u);
  EXPECT_TRUE(b.Shrink(3));
  EXPECT_EQ(b.max_rows(), 1u);
  EXPECT_FALSE(b.Shrink(1)) << "one row that does not fit cannot be made smaller";
  EXPECT_EQ(b.max_rows(), 1u);
}

TEST(MigrationDeferredIndexes, OnlyPlainSecondaryKeysFromShowCreateTable) {
  std::string create =
      "CREATE TABLE `t` (\n"
      "  `id` int(11) NOT NULL,\n"
      "  `a` varchar(10) DEFAULT NULL,\n"
      "  `KEY x` int DEFAULT NULL,\n"
      "  PRIMARY KEY (`id`),\n"
      "  UNIQUE KEY `u` (`a`),\n"
      "  KEY `k_1` (`a`),\n"
      "  KEY `odd``name` (`a`(5),`id`) COMMENT 'c, d',\n"
      "  FULLTEXT KEY `ft` (`a`),\n"
      "  SPATIAL KEY `sp` (`g`)\n"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  auto got = DeferrableIndexes(create);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "k_1");
  EXPECT_EQ(got[0].definition, "KEY `k_1` (`a`)");
  EXPECT_EQ(got[1].name, "odd`name");
  EXPECT_EQ(got[1].definition, "KEY `odd``name` (`a`(5),`id`) COMMENT 'c, d'");
}

TEST(MigrationCursor, RoundTripsEveryKind) {
  Cursor none;
  EXPECT_FALSE(none.Serialize().has_value());
  EXPECT_EQ(Cursor::Parse(std::nullopt), none);
  Cursor all;
  all.kind = Cursor::kAll;
  EXPECT_EQ(Cursor::Parse(all.Serialize()), all);
  Cursor at;
  at.kind = Cursor::kAt;
  at.literals = {"_utf8mb4 X'41' COLLATE utf8mb4_general_ci", "42", "CAST('2020-01-01' AS DATE)"};
  EXPECT_EQ(Cursor::Parse(at.Serialize()), at);
}

TEST(MigrationKeyAboveSql, ExpandsCompositeKeysIntoRanges) {
  Cursor c;
  c.kind = Cursor::kAt;
  c.literals = {"1", "2"};
  EXPECT_EQ(KeyAboveSql({"`a`", "`b`"}, c), "((`a` > 1 OR (`a` = 1 AND `b` > 2)))");
  c.literals = {"7"};
  EXPECT_EQ(KeyAboveSql({"`id`"}, c), "(`id` > 7)");
  EXPECT_EQ(KeyAboveSql({"`id`"}, Cursor{}), "1");
  Cursor all;
  all.kind = Cursor::kAll;
  EXPECT_EQ(KeyAboveSql({"`id`"}, all), "0");
}

TEST(MigrationKeyAtOrBelowLocally, OrdersIntegerTuplesLikeTheServer) {
  EXPECT_EQ(KeyAtOrBelowLocally({"7"}, {"7"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"6"}, {"7"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"8"}, {"7"}), false);
  EXPECT_EQ(KeyAtOrBelowLocally({"10"}, {"9"}), false);   // by value, not by text
  EXPECT_EQ(KeyAtOrBelowLocally({"-10"}, {"-9"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"-1"}, {"0"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"0"}, {"-1"}), false);
  EXPECT_EQ(KeyAtOrBelowLocally({"18446744073709551615"}, {"9223372036854775807"}), false);  // BIGINT UNSIGNED
  EXPECT_EQ(KeyAtOrBelowLocally({"-9223372036854775808"}, {"-9223372036854775807"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"007"}, {"7"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"-0"}, {"0"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"0"}, {"-0"}), true);
  // Composite: the first column decides unless equal.
  EXPECT_EQ(KeyAtOrBelowLocally({"1", "99"}, {"2", "0"}), true);
  EXPECT_EQ(KeyAtOrBelowLocally({"2", "1"}, {"2", "0"}), false);
  EXPECT_EQ(KeyAtOrBelowLocally({"2", "0"}, {"2", "0"}), true);
  // Anything else goes to the server.
  EXPECT_EQ(KeyAtOrBelowLocally({"NULL"}, {"7"}), std::nullopt);
  EXPECT_EQ(KeyAtOrBelowLocally({"1.5"}, {"7"}), std::nullopt);
  EXPECT_EQ(KeyAtOrBelowLocally({"-"}, {"7"}), std::nullopt);
  EXPECT_EQ(KeyAtOrBelowLocally({""}, {"7"}), std::nullopt);
  EXPECT_EQ(KeyAtOrBelowLocally({"1"}, {"1", "2"}), std::nullopt);
}

ColumnMeta Column(std::string type, std::string charset = "", std::string collation = "") {
  ColumnMeta c;
  c.name = "c";
  c.data_type = std::move(type);
  c.charset = std::move(charset);
  c.collation = std::move(collation);
  return c;
}

TEST(MigrationColumnLiteral, StringsCarryTheOldColumnsCharset) {
  binlog::Value v;
  v.kind = binlog::ValueKind::kBytes;
  v.bytes = "\xE9t\xE9";  // latin1 bytes
  EXPECT_EQ(ColumnLiteral(Column("varchar", "latin1"), v), "_latin1 X'E974E9'");
  EXPECT_EQ(ColumnLiteral(Column("varbinary"), v), "_binary X'E974E9'");
  v.bytes.clear();
  EXPECT_EQ(ColumnLiteral(Column("varchar", "utf8mb4"), v), "_utf8mb4 X''");
}

TEST(MigrationColumnLiteral, EnumAndSetByLabel) {
  ColumnMeta e = Column("enum", "utf8mb4");
  e.enum_labels = {"x", "y", "z"};
  binlog::Value v;
  v.kind = binlog::ValueKind::kEnum;
  v.u = 2;
  EXPECT_EQ(ColumnLiteral(e, v), "_utf8mb4 X'79'");  // 'y'
  ColumnMeta s = Column("set", "utf8mb4");
  s.enum_labels = {"a", "b", "c"};
  v.kind = binlog::ValueKind::kSet;
  v.u = 5;
  EXPECT_EQ(ColumnLiteral(s, v), "_utf8mb4 X'612C63'");  // 'a,c'
}

// Labels are read as UTF-8 (information_schema on a utf8mb4 connection):
// a latin1 column gets them converted by the server, never tagged as latin1.
TEST(MigrationColumnLiteral, NonAsciiLabelsOfALatin1ColumnAreSentAsUtf8) {
  ColumnMeta e = Column("enum", "latin1", "latin1_swedish_ci");
  e.enum_labels = {"\xC3\xBC", "a"};  // 'ü' in UTF-8
  binlog::Value v;
  v.kind = binlog::ValueKind::kEnum;
  v.u = 1;
  EXPECT_EQ(ColumnLiteral(e, v), "CONVERT(_utf8mb4 X'C3BC' USING latin1)");
  // As a key an ENUM is its member number; ranges over it are written with its labels.
  EXPECT_EQ(KeyLiteralFromValue(e, v), "1");
  EXPECT_EQ(KeySelectExpr(e), "(`c` + 0)");
  EXPECT_EQ(EnumKeyAfter(e, "`c`", "1"), "`c` IN (CONVERT(_utf8mb4 X'61' USING latin1))");
  EXPECT_EQ(EnumKeyAfter(e, "`c`", "2"), "0");
  EXPECT_EQ(EnumKeyAfter(e, "`c`", "0"), "`c` IN (CONVERT(_utf8mb4 X'C3BC' USING latin1), CONVERT(_utf8mb4 X'61' USING latin1))");
  EXPECT_EQ(EnumKeyAt(e, "`c`", "1"), "`c` = CONVERT(_utf8mb4 X'C3BC' USING latin1)");
  EXPECT_EQ(EnumKeyAt(e, "`c`", "0"), "(`c` + 0) = 0");     // the empty value an invalid member became
  EXPECT_EQ(EnumKeyAfter(e, "`c`", "7"), "(`c` + 0) > 7");  // not a member: by number
  ColumnMeta s = Column("set", "latin1");
  s.enum_labels = {"gr\xC3\xBCn", "rot"};
  v.kind = binlog::ValueKind::kSet;
  v.u = 3;
  EXPECT_EQ(ColumnLiteral(s, v), "CONVERT(_utf8mb4 X'6772C3BC6E2C726F74' USING latin1)");  // 'grün,rot'
}

TEST(MigrationColumnLiteral, NumbersNullsAndTemporals) {
  binlog::Value v;
  v.kind = binlog::ValueKind::kUInt;
  v.u = 18446744073709551615ull;
  EXPECT_EQ(ColumnLiteral(Column("bigint"), v), "18446744073709551615");
  v.kind = binlog::ValueKind::kNull;
  EXPECT_EQ(ColumnLiteral(Column("int"), v), "NULL");
  v.kind = binlog::ValueKind::kDateTime;
  v.t = {false, 2024, 2, 29, 12, 34, 56, 500000};
  v.fsp = 6;
  EXPECT_EQ(KeyLiteralFromValue(Column("datetime"), v), "CAST('2024-02-29 12:34:56.500000' AS DATETIME(6))");
}

TEST(MigrationKeyLiteral, StringKeysCompareInTheColumnsCollation) {
  ColumnMeta c = Column("varchar", "utf8mb4", "utf8mb4_general_ci");
  EXPECT_EQ(KeyLiteralFromText(c, std::string("4142")), "_utf8mb4 X'4142' COLLATE utf8mb4_general_ci");
  EXPECT_EQ(KeySelectExpr(c), "HEX(`c`)");
  EXPECT_EQ(KeyLiteralFromText(Column("int"), std::string("-5")), "-5");
}

TEST(MigrationPositionAfter, OrdersByFileThenOffset) {
  binlog::BinlogPosition a{"", "binlog.000002", 100}, b{"", "binlog.000002", 200}, c{"", "binlog.000003", 4};
  EXPECT_TRUE(PositionAfter(b, a));
  EXPECT_FALSE(PositionAfter(a, b));
  EXPECT_TRUE(PositionAfter(c, b));
  EXPECT_FALSE(PositionAfter(a, a));
}

TEST(MigrationWorkQueue, BlocksWhenFullAndUnblocksOnClose) {
  WorkQueue q(100);
  WorkItem big;
  big.bytes = 80;
  EXPECT_TRUE(q.Push(big));  // always fits when empty
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    WorkItem more;
    more.bytes = 50;
    pushed = q.Push(more);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(pushed.load());  // 80 + 50 > 100: waits
  EXPECT_EQ(q.PopBatch(10, std::chrono::milliseconds(0)).size(), 1u);
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(q.PopBatch(10, std::chrono::milliseconds(0)).size(), 1u);
  EXPECT_TRUE(q.PopBatch(10, std::chrono::milliseconds(10)).empty());
  q.Close();
  EXPECT_FALSE(q.Push(WorkItem{}));
}

}  // namespace
}  // namespace sealgate::migration
