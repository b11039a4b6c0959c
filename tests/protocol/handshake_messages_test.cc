#include <gtest/gtest.h>

#include "protocol/constants.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/wire.h"

namespace sealgate::protocol {
namespace {

// A MariaDB 10.11 greeting, as the server builds it.
std::string MariaDbGreeting(uint64_t caps) {
  std::string p;
  PutU8(&p, 10);
  PutNulString(&p, "5.5.5-10.11.19-MariaDB-log");
  PutU32(&p, 77);
  p.append("abcdefgh");
  PutU8(&p, 0);
  PutU16(&p, static_cast<uint16_t>(caps));
  PutU8(&p, 45);
  PutU16(&p, status::kAutocommit);
  PutU16(&p, static_cast<uint16_t>(caps >> 16));
  PutU8(&p, 21);
  p.append(6, '\0');
  PutU32(&p, static_cast<uint32_t>(caps >> 32));
  p.append("ijklmnopqrst");
  PutU8(&p, 0);
  PutNulString(&p, "mysql_native_password");
  return p;
}

constexpr uint64_t kServerCaps = cap::kProtocol41 | cap::kSecureConnection | cap::kPluginAuth | cap::kCompress |
                                 cap::kSsl | cap::kDeprecateEof | cap::kMultiResults | cap::kMariaDbProgress |
                                 cap::kMariaDbCacheMetadata | cap::kMariaDbExtendedTypeInfo | cap::kConnectAttrs;

TEST(HandshakeTest, ParsesMariaDbGreeting) {
  auto g = ParseGreeting(MariaDbGreeting(kServerCaps));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->server_version, "5.5.5-10.11.19-MariaDB-log");
  EXPECT_EQ(g->connection_id, 77u);
  EXPECT_EQ(g->auth_plugin_data, "abcdefghijklmnopqrst");
  EXPECT_EQ(g->auth_plugin_name, "mysql_native_password");
  EXPECT_TRUE(g->is_mariadb);
  EXPECT_EQ(g->capabilities, kServerCaps);
}

TEST(HandshakeTest, ClearsOpaqueCapabilitiesInBothWords) {
  std::string p = MariaDbGreeting(kServerCaps);
  size_t size = p.size();
  ASSERT_TRUE(ClearGreetingCapabilities(&p, OpaqueCapabilities()).ok());
  EXPECT_EQ(p.size(), size);
  auto g = ParseGreeting(p);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->capabilities & OpaqueCapabilities(), 0u);
  EXPECT_TRUE(g->capabilities & cap::kDeprecateEof);
  EXPECT_TRUE(g->capabilities & cap::kMariaDbExtendedTypeInfo);
  EXPECT_TRUE(g->capabilities & cap::kMariaDbProgress);  // relayed: the tracker skips progress reports
  EXPECT_EQ(g->auth_plugin_data, "abcdefghijklmnopqrst");
}

TEST(HandshakeTest, EveryTruncatedGreetingFailsCleanly) {
  std::string p = MariaDbGreeting(kServerCaps);
  for (size_t cut = 0; cut < 33; ++cut) {
    EXPECT_FALSE(ParseGreeting(std::string_view(p).substr(0, cut)).ok()) << cut;
  }
  for (size_t cut = 33; cut < p.size(); ++cut) (void)ParseGreeting(std::string_view(p).substr(0, cut));
}

std::string Response(uint64_t caps, const std::string& user, const std::string& auth, const std::string& db) {
  std::string p;
  PutU32(&p, static_cast<uint32_t>(caps));
  PutU32(&p, 1 << 24);
  PutU8(&p, 45);
  p.append(19, '\0');
  PutU32(&p, static_cast<uint32_t>(caps >> 32));
  PutNulString(&p, user);
  PutLenencString(&p, auth);
  if (caps & cap::kConnectWithDb) PutNulString(&p, db);
  PutNulString(&p, "client_ed25519");
  return p;
}

TEST(HandshakeTest, ParsesAndRewritesClientResponse) {
  uint64_t caps = cap::kProtocol41 | cap::kSecureConnection | cap::kPluginAuth | cap::kPluginAuthLenencData |
                  cap::kConnectWithDb | cap::kCompress | cap::kDeprecateEof | cap::kMariaDbProgress;
  std::string p = Response(caps, "app", std::string(32, '\x9'), "shop");
  auto r = ParseHandshakeResponse(p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->user, "app");
  EXPECT_EQ(r->auth_response.size(), 32u);
  EXPECT_EQ(r->database, "shop");
  EXPECT_EQ(r->auth_plugin_name, "client_ed25519");
  EXPECT_EQ(r->capabilities, caps);
  ASSERT_TRUE(ClearResponseCapabilities(&p, OpaqueCapabilities()).ok());
  auto after = ParseHandshakeResponse(p);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->capabilities, caps & ~OpaqueCapabilities());
  EXPECT_EQ(after->user, "app");
  for (size_t cut = 0; cut < 32; ++cut) EXPECT_FALSE(ParseHandshakeResponse(std::string_view(p).substr(0, cut)).ok());
}

TEST(HandshakeTest, SslRequestAndOldClients) {
  std::string ssl;
  PutU32(&ssl, static_cast<uint32_t>(cap::kProtocol41 | cap::kSsl));
  PutU32(&ssl, 1 << 24);
  PutU8(&ssl, 45);
  ssl.append(23, '\0');
  auto r = ParseHandshakeResponse(ssl);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_ssl_request);
  std::string old("\x05\x00\x00\x00\x00root\x00", 10);
  auto o = ParseHandshakeResponse(old);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().mysql_errno(), 1251);
}

TEST(MessagesTest, OkErrEofRoundTrip) {
  auto ok = ParseOk(BuildOk(5, 1234567, status::kInTrans | status::kAutocommit, 2, "Rows matched: 5"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->affected_rows, 5u);
  EXPECT_EQ(ok->last_insert_id, 1234567u);
  EXPECT_EQ(ok->status_flags, status::kInTrans | status::kAutocommit);
  EXPECT_EQ(ok->warnings, 2);
  auto err = ParseErr(BuildErr(1146, "42S02", "Table 'x' doesn't exist"));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->code, 1146);
  EXPECT_EQ(err->sqlstate, "42S02");
  EXPECT_EQ(err->message, "Table 'x' doesn't exist");
  auto eof = ParseEofStatus(BuildEof(status::kMoreResultsExist));
  ASSERT_TRUE(eof.ok());
  EXPECT_EQ(*eof, status::kMoreResultsExist);
  EXPECT_FALSE(ParseOk("").ok());
  EXPECT_FALSE(ParseErr("\xff").ok());
}

TEST(MessagesTest, FirstTextValueOfAResultSet) {
  for (int bits = 0; bits < 8; ++bits) {
    ResultSetEncoding enc{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0};
    std::string rs = BuildTextResultSet({{"CURRENT_USER()"}}, {{"app@10.0.%"}, {"second"}}, 0, enc);
    EXPECT_EQ(FirstTextValue(rs), "app@10.0.%") << bits;
    EXPECT_EQ(FirstTextValue(rs + BuildOk(0, 0, 0, 0)), "app@10.0.%");  // what follows is ignored
    // Every cut short of the row says nothing rather than guessing.
    std::string one = BuildTextResultSet({{"c"}}, {{"v"}}, 0, enc);
    for (size_t n = 0; n + 11 < one.size(); ++n) EXPECT_EQ(FirstTextValue(one.substr(0, n)), std::nullopt) << n;
    EXPECT_EQ(FirstTextValue(BuildTextResultSet({{"c"}}, {}, 0, enc)), std::nullopt);                // no row
    EXPECT_EQ(FirstTextValue(BuildTextResultSet({{"c"}}, {{std::nullopt}}, 0, enc)), std::nullopt);  // NULL
  }
  std::string err;
  AppendPacket(&err, 1, BuildErr(1045, "28000", "Access denied"));
  EXPECT_EQ(FirstTextValue(err), std::nullopt);
  std::string ok;
  AppendPacket(&ok, 1, BuildOk(0, 0, 0, 0));
  EXPECT_EQ(FirstTextValue(ok), std::nullopt);
}

TEST(MessagesTest, FirstTextRowHasEveryValueAndNulls) {
  using Row = std::vector<std::optional<std::string>>;
  for (int bits = 0; bits < 8; ++bits) {
    ResultSetEncoding enc{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0};
    std::string rs = BuildTextResultSet({{"a"}, {"b"}, {"c"}}, {{"x", std::nullopt, ""}, {"y", "z", "w"}}, 0, enc);
    auto row = FirstTextRow(rs + BuildOk(0, 0, 0, 0));
    ASSERT_TRUE(row.has_value()) << bits;
    EXPECT_EQ(*row, (Row{"x", std::nullopt, ""})) << bits;
    // Every cut short of the first row's end says nothing.
    std::string one = BuildTextResultSet({{"a"}, {"b"}, {"c"}}, {{"x", std::nullopt, ""}}, 0, enc);
    for (size_t n = 0; n + 11 < one.size(); ++n) EXPECT_EQ(FirstTextRow(one.substr(0, n)), std::nullopt) << n;
  }
  // A row packet with fewer values than the columns announced is not a row.
  auto two_columns = [](const std::string& row_payload) {
    std::string r;
    AppendPacket(&r, 1, std::string(1, '\x02'));
    AppendPacket(&r, 2, "column a");  // definitions are counted, not read
    AppendPacket(&r, 3, "column b");
    AppendPacket(&r, 4, std::string("\xfe\x00\x00\x02\x00", 5));
    AppendPacket(&r, 5, row_payload);
    return r;
  };
  EXPECT_EQ(FirstTextRow(two_columns(std::string("\x01x", 2))), std::nullopt);
  EXPECT_EQ(FirstTextRow(two_columns(std::string("\x01x\xfb", 3))), (Row{"x", std::nullopt}));
  EXPECT_EQ(FirstTextRow(two_columns(std::string("\x01x\x05" "ab", 5))), std::nullopt);  // value cut short
}

}  // namespace
}  // namespace sealgate::protocol
