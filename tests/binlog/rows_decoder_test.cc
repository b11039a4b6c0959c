// Row images: every column type, signedness from metadata or the consumer,
// NULL and present-column bitmaps, v1/v2/compressed rows, JSON binary.
#include <gtest/gtest.h>

#include "binlog/column_codec.h"
#include "binlog/event_builder.h"
#include "binlog/event_decoder.h"

namespace sealgate::binlog {
namespace {

using namespace testing;  // NOLINT

// Decodes one row of `cols` whose image (after the null bitmap) is `values`.
struct OneRow {
  explicit OneRow(std::vector<ColumnSpec> cols, DecoderOptions opts = {}, std::string optional_meta = "")
      : cols_(std::move(cols)), d_(std::move(opts)) {
    EXPECT_TRUE(d_.Decode(AsBytes(FormatDescriptionEvent())).ok());
    auto tm = d_.Decode(AsBytes(MakeEvent(kTableMapEvent, TableMapBody(7, "db", "t", cols_, optional_meta))));
    EXPECT_TRUE(tm.ok()) << tm.status().ToString();
  }
  StatusOr<Row> Decode(const std::string& values, std::string nulls = "") {
    if (nulls.empty()) nulls.assign((cols_.size() + 7) / 8, '\0');
    auto e = d_.Decode(AsBytes(MakeEvent(kWriteRowsEventV1, RowsBody(7, cols_.size(), false, false, nulls + values))));
    if (!e.ok()) return e.status();
    auto& rows = std::get<RowsEvent>(e->body);
    if (rows.after.size() != 1) return Status::Internal("expected one row");
    return rows.after[0];
  }
  std::string Text(const std::string& values) {
    auto r = Decode(values);
    if (!r.ok()) return "ERR " + r.status().ToString();
    std::string out;
    for (size_t i = 0; i < r->size(); ++i) {
      if (i) out += "|";
      out += ValueToText((*r)[i]);
    }
    return out;
  }
  std::vector<ColumnSpec> cols_;
  EventDecoder d_;
};

TEST(RowsTest, IntegersSignedByDefault) {
  OneRow r({{kTypeTiny, ""}, {kTypeShort, ""}, {kTypeInt24, ""}, {kTypeLong, ""}, {kTypeLongLong, ""}});
  EXPECT_EQ(r.Text(Le(0x80, 1) + Le(0x8000, 2) + Le(0x800000, 3) + Le(0x80000000, 4) + Le(0x8000000000000000, 8)),
            "-128|-32768|-8388608|-2147483648|-9223372036854775808");
  EXPECT_EQ(r.Text(Le(0x7f, 1) + Le(0x7fff, 2) + Le(0x7fffff, 3) + Le(0x7fffffff, 4) + Le(0x7fffffffffffffff, 8)),
            "127|32767|8388607|2147483647|9223372036854775807");
}

TEST(RowsTest, UnsignedFromOptionalMetadata) {
  std::string meta;
  meta.push_back(1);  // SIGNEDNESS
  PutPackedInt(&meta, 1);
  meta.push_back(char(0xA0));  // columns 1 and 3 unsigned
  meta.push_back(4);           // COLUMN_NAME
  std::string names = "\x01" "a" "\x01" "b" "\x01" "c";
  PutPackedInt(&meta, names.size());
  meta += names;
  OneRow r({{kTypeTiny, ""}, {kTypeTiny, ""}, {kTypeLongLong, ""}}, {}, meta);
  auto row = r.Decode(Le(0xff, 1) + Le(0xff, 1) + Le(~0ULL, 8));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ((*row)[0].kind, ValueKind::kUInt);
  EXPECT_EQ((*row)[0].u, 255u);
  EXPECT_EQ((*row)[1].i, -1);
  EXPECT_EQ((*row)[2].u, ~0ULL);
  auto table = r.d_.FindTable(7);
  ASSERT_TRUE(table);
  EXPECT_TRUE(table->has_names);
  EXPECT_EQ(table->columns[2].name, "c");
}

TEST(RowsTest, UnsignedAndNamesFromConsumer) {
  DecoderOptions opts;
  int calls = 0;
  opts.column_lookup = [&](const std::string& schema, const std::string& table) {
    ++calls;
    EXPECT_EQ(schema, "db");
    EXPECT_EQ(table, "t");
    return std::optional<std::vector<ColumnInfo>>({{"id", true, 0, {}}, {"v", false, 0, {}}});
  };
  OneRow r({{kTypeLong, ""}, {kTypeLong, ""}}, opts);
  auto row = r.Decode(Le(0xffffffff, 4) + Le(0xffffffff, 4));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(ValueToText((*row)[0]), "4294967295");
  EXPECT_EQ(ValueToText((*row)[1]), "-1");
  EXPECT_EQ(r.d_.FindTable(7)->columns[0].name, "id");
  EXPECT_EQ(calls, 1);
}

TEST(RowsTest, FloatDoubleYearDate) {
  OneRow r({{kTypeFloat, Meta1(4)}, {kTypeDouble, Meta1(8)}, {kTypeYear, ""}, {kTypeYear, ""}, {kTypeDate, ""}});
  float f = -1.5f;
  double d = 0.1;
  uint32_t fb;
  uint64_t db;
  memcpy(&fb, &f, 4);
  memcpy(&db, &d, 8);
  uint32_t date = (2024u << 9) | (2u << 5) | 29u;
  EXPECT_EQ(r.Text(Le(fb, 4) + Le(db, 8) + Le(0, 1) + Le(255, 1) + Le(date, 3)), "-1.5|0.1|0000|2155|2024-02-29");
  EXPECT_EQ(r.Text(Le(fb, 4) + Le(db, 8) + Le(1, 1) + Le(0, 1) + Le(0, 3)), "-1.5|0.1|1901|0000|0000-00-00");
}

TEST(RowsTest, Decimal) {
  // Examples from the MySQL decimal2bin documentation.
  OneRow r({{kTypeNewDecimal, Meta2(14, 4)}, {kTypeNewDecimal, Meta2(14, 4)}, {kTypeNewDecimal, Meta2(65, 30)}});
  std::string pos = "\x81\x0D\xFB\x38\xD2\x04\xD2";
  std::string neg = "\x7E\xF2\x04\xC7\x2D\xFB\x2D";
  std::string zero(DecimalBinarySize(65, 30), '\0');
  zero[0] = char(0x80);
  EXPECT_EQ(r.Text(pos + neg + zero), "1234567890.1234|-1234567890.1234|0.000000000000000000000000000000");
}

std::string Time2(bool neg, uint32_t h, uint32_t m, uint32_t s, uint32_t micros, int fsp) {
  int64_t packed = (int64_t((h << 12) | (m << 6) | s) << 24) + micros;
  if (neg) packed = -packed;
  // my_time_packed_to_binary
  int n = (fsp + 1) / 2;
  if (fsp == 0) return Be(uint64_t((packed >> 24) + 0x800000), 3);
  if (fsp >= 5) return Be(uint64_t(packed + 0x800000000000LL), 6);
  int64_t ipart = packed >> 24;  // arithmetic floor
  int64_t frac = packed % (1 << 24);
  if (frac < 0 && n == 1) { frac = frac / 10000; frac += 0x100; }
  else if (frac < 0) { frac = frac / 100; frac += 0x10000; }
  else frac = n == 1 ? frac / 10000 : frac / 100;
  return Be(uint64_t(ipart + 0x800000), 3) + Be(uint64_t(frac), n);
}

TEST(RowsTest, Time2AllPrecisionsAndSigns) {
  struct Case { bool neg; uint32_t h, m, s, us; int fsp; const char* text; };
  for (auto c : {Case{false, 838, 59, 59, 0, 0, "838:59:59"}, Case{true, 838, 59, 59, 0, 0, "-838:59:59"},
                 Case{true, 0, 0, 1, 500000, 1, "-00:00:01.5"}, Case{true, 0, 0, 0, 10000, 2, "-00:00:00.01"},
                 Case{false, 12, 34, 56, 789000, 3, "12:34:56.789"}, Case{true, 1, 2, 3, 450000, 4, "-01:02:03.4500"},
                 Case{true, 0, 0, 0, 1, 6, "-00:00:00.000001"}, Case{false, 23, 0, 0, 123450, 5, "23:00:00.12345"}}) {
    OneRow r({{kTypeTime2, Meta1(uint8_t(c.fsp))}});
    EXPECT_EQ(r.Text(Time2(c.neg, c.h, c.m, c.s, c.us, c.fsp)), c.text) << c.text;
  }
}

TEST(RowsTest, DateTime2AndTimestamp2) {
  auto dt = [](int y, int mo, int d, int h, int mi, int s) {
    uint64_t ymd = (uint64_t(y * 13 + mo) << 5) | d;
    uint64_t hms = (h << 12) | (mi << 6) | s;
    return Be(((ymd << 17) | hms) + 0x8000000000ULL, 5);
  };
  OneRow r({{kTypeDateTime2, Meta1(6)}, {kTypeDateTime2, Meta1(0)}, {kTypeTimestamp2, Meta1(3)}, {kTypeTimestamp2, Meta1(0)}});
  EXPECT_EQ(r.Text(dt(9999, 12, 31, 23, 59, 59) + Be(999999, 3) + dt(0, 0, 0, 0, 0, 0) + Be(2147483647, 4) + Be(9990, 2) +
                   Be(0, 4)),
            "9999-12-31 23:59:59.999999|0000-00-00 00:00:00|2038-01-19 03:14:07.999|0000-00-00 00:00:00");
}

TEST(RowsTest, OldTemporalFormats) {
  OneRow r({{kTypeDateTime, ""}, {kTypeTime, ""}, {kTypeTimestamp, ""}});
  EXPECT_EQ(r.Text(Le(20240229235958ULL, 8) + Le(uint32_t(-1234556) & 0xffffff, 3) + Le(86400, 4)),
            "2024-02-29 23:59:58|-123:45:56|1970-01-02 00:00:00");
}

TEST(RowsTest, StringsBlobsEnumSetBit) {
  OneRow r({{kTypeVarchar, Le(20, 2)},
            {kTypeVarchar, Le(1000, 2)},
            {kTypeString, Meta2(kTypeString, 10)},
            {kTypeString, Meta2(0xde, 0x58)},  // CHAR(150) utf8mb4: 600 bytes, length bits 8-9 in the type byte
            {kTypeString, Meta2(kTypeEnum, 2)},
            {kTypeString, Meta2(kTypeSet, 1)},
            {kTypeBlob, Meta1(1)},
            {kTypeBlob, Meta1(3)},
            {kTypeBit, Meta2(3, 1)}});
  auto c = r.d_.FindTable(7)->columns[3];
  EXPECT_EQ(c.real_type, kTypeString);
  EXPECT_EQ(c.max_length, 600u);  // 0x58 | (((0xde & 0x30) ^ 0x30) << 4) = 0x258
  std::string v = Le(3, 1) + "abc" + Le(2, 2) + "\xF0\x9F" + Le(1, 1) + "x" + Le(4, 2) + "\xF0\x9F\x98\x80" + Le(300, 2) +
                  Le(5, 1) + Le(2, 1) + "hi" + Le(0, 3) + Be(0x5a5, 2);
  EXPECT_EQ(r.Text(v), "abc|\xF0\x9F|x|\xF0\x9F\x98\x80|300|5|hi||1445");
}

TEST(RowsTest, NullBitmapAndPresentColumns) {
  OneRow r({{kTypeLong, ""}, {kTypeLong, ""}, {kTypeLong, ""}});
  auto row = r.Decode(Le(9, 4), std::string(1, char(0x05)));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_TRUE((*row)[0].is_null());
  EXPECT_EQ((*row)[1].i, 9);
  EXPECT_TRUE((*row)[2].is_null());
  // Update with a partial after image: present2 = only column 2.
  std::string body = Le(7, 6) + Le(1, 2);
  PutPackedInt(&body, 3);
  body += std::string(1, char(0x07)) + std::string(1, char(0x02));
  body += std::string(1, '\0') + Le(1, 4) + Le(2, 4) + Le(3, 4);  // before
  body += std::string(1, '\0') + Le(20, 4);                       // after
  auto e = r.d_.Decode(AsBytes(MakeEvent(kUpdateRowsEventV1, body)));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto& u = std::get<RowsEvent>(e->body);
  ASSERT_EQ(u.before.size(), 1u);
  EXPECT_EQ(u.before[0][2].i, 3);
  EXPECT_EQ(u.after[0][0].kind, ValueKind::kMissing);
  EXPECT_EQ(u.after[0][1].i, 20);
}

TEST(RowsTest, V2UpdateAndCompressedV1) {
  OneRow r({{kTypeLong, ""}, {kTypeVarchar, Le(10, 2)}});
  std::string img1 = std::string(1, '\0') + Le(1, 4) + Le(1, 1) + "a";
  std::string img2 = std::string(1, '\0') + Le(1, 4) + Le(1, 1) + "b";
  std::string body = Le(7, 6) + Le(1, 2) + Le(5, 2) + "\x01\x02\x03";  // 3 bytes of extra data
  PutPackedInt(&body, 2);
  body += "\x03\x03" + img1 + img2;
  auto e = r.d_.Decode(AsBytes(MakeEvent(kUpdateRowsEventV2, body)));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(std::get<RowsEvent>(e->body).after[0][1].bytes, "b");

  std::string plain = img1 + img2 + img1;
  std::string cbody = Le(7, 6) + Le(1, 2);
  PutPackedInt(&cbody, 2);
  cbody += "\x03" + MariaCompress(plain);
  e = r.d_.Decode(AsBytes(MakeEvent(kDeleteRowsCompressedEventV1, cbody)));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto& del = std::get<RowsEvent>(e->body);
  EXPECT_EQ(del.kind, RowsKind::kDelete);
  ASSERT_EQ(del.before.size(), 3u);
  EXPECT_EQ(del.before[1][1].bytes, "b");
}

TEST(RowsTest, ValuesRunningPastTheEventAreCorruption) {
  OneRow r({{kTypeLong, ""}, {kTypeBlob, Meta1(4)}});
  std::string full = Le(1, 4) + Le(5, 4) + "hello";
  for (size_t n = 1; n < full.size(); ++n) {
    auto row = r.Decode(full.substr(0, n));
    EXPECT_EQ(row.status().code(), StatusCode::kCorruption) << n;
  }
  EXPECT_TRUE(r.Decode(full).ok());
  auto e = r.d_.Decode(AsBytes(MakeEvent(kWriteRowsEventV1, RowsBody(99, 2, false, false, "\0"))));
  EXPECT_EQ(e.status().code(), StatusCode::kCorruption);  // no table map for id 99
}

TEST(RowsTest, RowsOfRefusedTablesAreSkippedNotDecoded) {
  DecoderOptions opts;
  int lookups = 0;
  opts.column_lookup = [&](const std::string&, const std::string&) {
    ++lookups;
    return std::optional<std::vector<ColumnInfo>>();
  };
  opts.want_rows = [](const TableMap& t) { return t.table == "wanted"; };
  EventDecoder d(opts);
  ASSERT_TRUE(d.Decode(AsBytes(FormatDescriptionEvent())).ok());
  std::vector<ColumnSpec> cols = {{kTypeLong, ""}};
  ASSERT_TRUE(d.Decode(AsBytes(MakeEvent(kTableMapEvent, TableMapBody(7, "db", "wanted", cols)))).ok());
  ASSERT_TRUE(d.Decode(AsBytes(MakeEvent(kTableMapEvent, TableMapBody(8, "db", "other", cols)))).ok());
  EXPECT_EQ(lookups, 1);  // only the wanted table's columns are looked up
  std::string two_rows = std::string(1, '\0') + Le(1, 4) + std::string(1, '\0') + Le(2, 4);

  auto wanted = d.Decode(AsBytes(MakeEvent(kWriteRowsEventV1, RowsBody(7, 1, false, false, two_rows))));
  ASSERT_TRUE(wanted.ok()) << wanted.status().ToString();
  EXPECT_FALSE(std::get<RowsEvent>(wanted->body).skipped);
  EXPECT_EQ(std::get<RowsEvent>(wanted->body).after.size(), 2u);

  auto other = d.Decode(AsBytes(MakeEvent(kWriteRowsEventV1, RowsBody(8, 1, false, false, two_rows))));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  const auto& skipped = std::get<RowsEvent>(other->body);
  EXPECT_TRUE(skipped.skipped);
  EXPECT_TRUE(skipped.after.empty());
  ASSERT_TRUE(skipped.table);
  EXPECT_EQ(skipped.table->table, "other");
  // Undecoded rows may be garbage; a header that contradicts the table map is still an error.
  EXPECT_TRUE(d.Decode(AsBytes(MakeEvent(kWriteRowsEventV1, RowsBody(8, 1, false, false, "\xff")))).ok());
  auto bad = d.Decode(AsBytes(MakeEvent(kWriteRowsEventV1, RowsBody(8, 3, false, false, two_rows))));
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
}

TEST(JsonBinaryTest, ObjectArrayScalars) {
  // {"a": [1, "xy", true, null, 3.5], "b": -70000}
  std::string arr;  // small array of 5, offsets relative to its start
  std::string str = "\x02xy";
  std::string dbl;
  double v = 3.5;
  uint64_t bits;
  memcpy(&bits, &v, 8);
  dbl = Le(bits, 8);
  size_t header = 4 + 5 * 3;
  arr += Le(5, 2) + Le(header + str.size() + dbl.size(), 2);
  arr += "\x05" + Le(1, 2);                     // int16 inline
  arr += "\x0c" + Le(header, 2);                // string
  arr += "\x04" + Le(1, 2);                     // true
  arr += "\x04" + Le(0, 2);                     // null
  arr += "\x0b" + Le(header + str.size(), 2);   // double
  arr += str + dbl;
  std::string obj;
  size_t oheader = 4 + 2 * 4 + 2 * 3;
  size_t keys = oheader, arr_off = keys + 2, int_off = arr_off + arr.size();
  obj += Le(2, 2) + Le(int_off + 4, 2);
  obj += Le(keys, 2) + Le(1, 2) + Le(keys + 1, 2) + Le(1, 2);
  obj += "\x02" + Le(arr_off, 2) + "\x07" + Le(int_off, 2);
  obj += "ab" + arr + Le(uint32_t(-70000), 4);
  std::string out;
  ASSERT_TRUE(JsonBinaryToText(AsBytes(std::string(1, '\0') + obj), &out).ok());
  EXPECT_EQ(out, "{\"a\": [1, \"xy\", true, null, 3.5], \"b\": -70000}");
  ASSERT_TRUE(JsonBinaryToText(AsBytes(std::string("\x0c\x03q\"\n", 5)), &out).ok());
  EXPECT_EQ(out, "\"q\\\"\\n\"");
  for (size_t n = 1; n < obj.size(); ++n) {
    EXPECT_FALSE(JsonBinaryToText(AsBytes(std::string(1, '\0') + obj.substr(0, n)), &out).ok()) << n;
  }
}

TEST(JsonBinaryTest, InRowsEvent) {
  OneRow r({{kTypeJson, Meta1(4)}});
  std::string doc = std::string("\x0c\x02hi", 4);
  EXPECT_EQ(r.Text(Le(doc.size(), 4) + doc), "\"hi\"");
}

TEST(ValueTextTest, SqlLiterals) {
  Value v;
  v.kind = ValueKind::kBytes;
  v.bytes = "a'b";
  EXPECT_EQ(ValueToSqlLiteral(v), "X'612762'");
  v.kind = ValueKind::kTime;
  v.t.negative = true;
  v.t.hour = 1;
  v.fsp = 2;
  v.t.micros = 500000;
  EXPECT_EQ(ValueToSqlLiteral(v), "'-01:00:00.50'");
  v.kind = ValueKind::kNull;
  EXPECT_EQ(ValueToSqlLiteral(v), "NULL");
  ColumnDef set;
  set.enum_values = {"a", "b", "c"};
  v.kind = ValueKind::kSet;
  v.u = 5;
  EXPECT_EQ(ValueToText(v, &set), "a,c");
}

}  // namespace
}  // namespace sealgate::binlog
