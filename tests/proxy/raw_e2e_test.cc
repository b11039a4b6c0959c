// End-to-end at the byte level: pipelined commands and malformed input.
#include <gtest/gtest.h>

#include <thread>

#include "proxy_fixture.h"
#include "support/raw_client.h"

namespace sealgate::test {
namespace {

class RawTest : public ProxyTest {};

std::string Query(const std::string& sql) { return std::string(1, '\x03') + sql; }

TEST_F(RawTest, PipelinedQueriesAreAnsweredInOrder) {
  RawClient c;
  ASSERT_TRUE(c.Connect(proxy_->port()));
  ASSERT_TRUE(c.Login("sealgate", "sealgate")) << c.error();
  std::string batch;
  RawClient::Frame(&batch, 0, Query("SELECT 1"));
  RawClient::Frame(&batch, 0, Query("SELECT * FROM no_such_db.t"));
  RawClient::Frame(&batch, 0, Query("SELECT 1 UNION SELECT 2 UNION SELECT 3"));
  RawClient::Frame(&batch, 0, Query("DO 1"));
  ASSERT_TRUE(c.SendRaw(batch));
  EXPECT_EQ(c.ReadQueryResponse(), "R1");
  EXPECT_EQ(c.ReadQueryResponse(), "ERR1146");
  EXPECT_EQ(c.ReadQueryResponse(), "R3");
  EXPECT_EQ(c.ReadQueryResponse(), "OK");
}

TEST_F(RawTest, CommandSplitAcrossManyWritesIsReassembled) {
  RawClient c;
  ASSERT_TRUE(c.Connect(proxy_->port()));
  ASSERT_TRUE(c.Login("sealgate", "sealgate")) << c.error();
  std::string bytes;
  RawClient::Frame(&bytes, 0, Query("SELECT 'split across writes'"));
  for (char ch : bytes) {
    ASSERT_TRUE(c.SendRaw(std::string(1, ch)));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(c.ReadQueryResponse(), "R1");
}

TEST_F(RawTest, EmptyCommandPacketEndsOnlyThatSession) {
  RawClient bad;
  ASSERT_TRUE(bad.Connect(proxy_->port()));
  ASSERT_TRUE(bad.Login("sealgate", "sealgate")) << bad.error();
  RawClient good;
  ASSERT_TRUE(good.Connect(proxy_->port()));
  ASSERT_TRUE(good.Login("sealgate", "sealgate")) << good.error();
  std::string empty;
  RawClient::Frame(&empty, 0, "");
  ASSERT_TRUE(bad.SendRaw(empty));
  EXPECT_TRUE(bad.WaitClosed());
  std::string q;
  RawClient::Frame(&q, 0, Query("SELECT 2"));
  ASSERT_TRUE(good.SendRaw(q));
  EXPECT_EQ(good.ReadQueryResponse(), "R1");
  EXPECT_NE(proxy_->log().find("empty command packet"), std::string::npos);
}

TEST_F(RawTest, GarbageHandshakeGetsAnErrorAndTheProxyKeepsServing) {
  for (const std::string& junk : {std::string("\x01\x00\x00\x01\x00", 5), std::string("GET / HTTP/1.1\r\n\r\n"),
                                  std::string("\x20\x00\x00\x01\x00\x00\x00\x00", 8)}) {
    RawClient c;
    ASSERT_TRUE(c.Connect(proxy_->port()));
    std::string greeting;
    ASSERT_TRUE(c.ReadPacket(&greeting));
    ASSERT_TRUE(c.SendRaw(junk));
    std::string reply;
    // Either an ERR packet or a closed connection; never a hang.
    if (c.ReadPacket(&reply, nullptr, 5000)) {
      EXPECT_EQ(static_cast<unsigned char>(reply[0]), 0xff);
    }
  }
  auto ok = ViaProxy();
  EXPECT_EQ(ok->Scalar("SELECT 'still serving'"), "still serving");
}

TEST_F(RawTest, PreFourOneClientIsRefusedClearly) {
  RawClient c;
  ASSERT_TRUE(c.Connect(proxy_->port()));
  std::string greeting;
  ASSERT_TRUE(c.ReadPacket(&greeting));
  std::string old;
  RawClient::Frame(&old, 1, std::string("\x05\x00\x00\x00\x00root\x00", 10));
  ASSERT_TRUE(c.SendRaw(old));
  std::string reply;
  ASSERT_TRUE(c.ReadPacket(&reply));
  ASSERT_EQ(static_cast<unsigned char>(reply[0]), 0xff);
  EXPECT_NE(reply.find("pre-4.1"), std::string::npos) << reply;
}

TEST_F(RawTest, CapabilitiesThatHidePacketsAreNotOffered) {
  RawClient c;
  ASSERT_TRUE(c.Connect(proxy_->port()));
  ASSERT_TRUE(c.Login("sealgate", "sealgate")) << c.error();
  EXPECT_EQ(c.server_capabilities() & 0x20, 0u) << "CLIENT_COMPRESS offered";
  EXPECT_EQ(c.server_capabilities() & 0x800, 0u) << "CLIENT_SSL offered without a certificate";
  EXPECT_NE(c.server_capabilities() & 0x200, 0u) << "CLIENT_PROTOCOL_41 missing";
}

TEST_F(RawTest, ClientDisconnectMidResultDoesNotDisturbOthers) {
  for (int i = 0; i < 5; ++i) {
    RawClient c;
    ASSERT_TRUE(c.Connect(proxy_->port()));
    ASSERT_TRUE(c.Login("sealgate", "sealgate", "mysql")) << c.error();
    std::string q;
    RawClient::Frame(&q, 0, Query("SELECT SEQ FROM seq_1_to_200000"));
    ASSERT_TRUE(c.SendRaw(q));
    std::string first;
    ASSERT_TRUE(c.ReadPacket(&first));
  }  // closed with most of the result unread
  auto ok = ViaProxy("mysql");
  EXPECT_EQ(ok->Scalar("SELECT COUNT(*) FROM seq_1_to_1000"), "1000");
}

}  // namespace
}  // namespace sealgate::test
