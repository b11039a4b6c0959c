// Positions (MariaDB GTID state, MySQL GTID sets) and replication command
// encodings.
#include <gtest/gtest.h>

#include "binlog/byte_reader.h"
#include "binlog/gtid.h"
#include "binlog/replication_packets.h"

namespace sealgate::binlog {
namespace {

TEST(MariaGtidStateTest, ParseUpdateRender) {
  auto s = MariaGtidState::Parse(" 1-2-7,0-1-42 ");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ToString(), "0-1-42,1-2-7");
  EXPECT_TRUE(s->Contains({0, 9, 42}));
  EXPECT_FALSE(s->Contains({0, 1, 43}));
  EXPECT_FALSE(s->Contains({5, 1, 1}));
  s->Update({5, 3, 1});
  s->Update({0, 1, 43});
  EXPECT_EQ(s->ToString(), "0-1-43,1-2-7,5-3-1");
  EXPECT_FALSE(MariaGtidState::Parse("0-1").ok());
  EXPECT_FALSE(MariaGtidState::Parse("0-1-2,0-1-3").ok());
  EXPECT_FALSE(MariaGtidState::Parse("a-b-c").ok());
  EXPECT_TRUE(MariaGtidState::Parse("")->empty());
}

TEST(MysqlGtidSetTest, ParseMergeAddEncode) {
  auto s = MysqlGtidSet::Parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:6-9:12,\n3e11fa47-71ca-11e1-9e33-c80aa9429562:11");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->ToString(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9:11-12");
  std::array<uint8_t, 16> sid = {0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1,
                                 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62};
  s->Add(sid, 10);
  EXPECT_EQ(s->ToString(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-12");
  EXPECT_TRUE(s->Contains(sid, 12));
  EXPECT_FALSE(s->Contains(sid, 13));
  std::string enc = s->Encode();
  ByteReader r(AsBytes(enc));
  EXPECT_EQ(r.U64(), 1u);
  r.Skip(16);
  EXPECT_EQ(r.U64(), 1u);
  EXPECT_EQ(r.U64(), 1u);
  EXPECT_EQ(r.U64(), 13u);  // exclusive end
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(MysqlGtidSet::Parse("nope:1").ok());
  EXPECT_FALSE(MysqlGtidSet::Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:5-3").ok());
}

TEST(PacketsTest, BinlogDumpGtidLayout) {
  auto s = MysqlGtidSet::Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-3");
  std::string p = EncodeBinlogDumpGtid({77, "bin.000001", 4, s->Encode(), 0x04});
  ByteReader r(AsBytes(p));
  EXPECT_EQ(r.U16(), 0x04);
  EXPECT_EQ(r.U32(), 77u);
  EXPECT_EQ(r.U32(), 10u);
  EXPECT_EQ(r.TakeString(10), "bin.000001");
  EXPECT_EQ(r.U64(), 4u);
  EXPECT_EQ(r.U32(), s->Encode().size());
  EXPECT_EQ(r.TakeString(r.remaining()), s->Encode());
}

TEST(PacketsTest, BinlogDumpAndRegister) {
  std::string d = EncodeBinlogDump({9, "binlog.000003", 1234, 0});
  ByteReader r(AsBytes(d));
  EXPECT_EQ(r.U32(), 1234u);
  EXPECT_EQ(r.U16(), 0u);
  EXPECT_EQ(r.U32(), 9u);
  EXPECT_EQ(r.TakeString(r.remaining()), "binlog.000003");
  std::string g = EncodeRegisterSlave({9, "h", "u", "", 3306});
  EXPECT_EQ(g, std::string("\x09\0\0\0\x01h\x01u\x00\xea\x0c\0\0\0\0\0\0\0\0", 19));
}

}  // namespace
}  // namespace sealgate::binlog
