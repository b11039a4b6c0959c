#include <gtest/gtest.h>

#include <tuple>

#include "protocol/frame.h"
#include "protocol/wire.h"

namespace sealgate::protocol {
namespace {

TEST(WireTest, LenencIntRoundTripsAtEveryWidthBoundary) {
  for (uint64_t v : {0ull, 1ull, 250ull, 251ull, 0xffffull, 0x10000ull, 0xffffffull, 0x1000000ull, ~0ull}) {
    std::string out;
    PutLenencInt(&out, v);
    ByteReader r(out);
    uint64_t back = 0;
    ASSERT_TRUE(r.LenencInt(&back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_TRUE(r.at_end());
    // Every truncation fails cleanly.
    for (size_t cut = 0; cut < out.size(); ++cut) {
      ByteReader t(std::string_view(out).substr(0, cut));
      EXPECT_FALSE(t.LenencInt(&back)) << v << " cut " << cut;
      EXPECT_FALSE(t.ok());
    }
  }
}

TEST(WireTest, LenencNullOnlyWhereAllowed) {
  std::string nul("\xfb", 1);
  ByteReader a(nul);
  uint64_t v;
  EXPECT_FALSE(a.LenencInt(&v));
  ByteReader b(nul);
  bool is_null = false;
  EXPECT_TRUE(b.LenencInt(&v, &is_null));
  EXPECT_TRUE(is_null);
  std::string bad("\xff", 1);
  ByteReader c(bad);
  EXPECT_FALSE(c.LenencInt(&v, &is_null));
}

TEST(WireTest, StringsAndFailureIsSticky) {
  std::string out;
  PutNulString(&out, "abc");
  PutLenencString(&out, std::string(300, 'z'));
  ByteReader r(out);
  std::string_view s;
  ASSERT_TRUE(r.NulString(&s));
  EXPECT_EQ(s, "abc");
  ASSERT_TRUE(r.LenencString(&s));
  EXPECT_EQ(s.size(), 300u);
  EXPECT_FALSE(r.Skip(1));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  uint8_t b;
  EXPECT_FALSE(r.U8(&b));
}

TEST(FrameTest, SmallPacketRoundTripAndTruncation) {
  std::string out;
  EXPECT_EQ(AppendPacket(&out, 3, "hello"), 4);
  LogicalPacket p;
  ASSERT_EQ(ParseLogicalPacket(out, &p), FrameResult::kComplete);
  EXPECT_EQ(p.seq, 3);
  EXPECT_EQ(p.payload, "hello");
  EXPECT_EQ(p.wire_size, out.size());
  for (size_t cut = 0; cut < out.size(); ++cut) {
    EXPECT_EQ(ParseLogicalPacket(std::string_view(out).substr(0, cut), &p), FrameResult::kNeedMore) << cut;
  }
}

TEST(FrameTest, PacketOf16MiBAndMoreSpansFrames) {
  for (size_t size : {size_t{0xffffff} - 1, size_t{0xffffff}, size_t{0xffffff} + 1, size_t{2} * 0xffffff + 5}) {
    std::string payload(size, 'q');
    payload[size / 2] = 'm';
    std::string out;
    uint8_t next = AppendPacket(&out, 0, payload);
    size_t frames = size / 0xffffff + 1;
    EXPECT_EQ(next, frames);
    EXPECT_EQ(out.size(), size + 4 * frames);
    LogicalPacket p;
    ASSERT_EQ(ParseLogicalPacket(out, &p), FrameResult::kComplete);
    EXPECT_EQ(p.payload.size(), size);
    EXPECT_TRUE(p.payload == payload);
    EXPECT_EQ(p.last_seq, frames - 1);
    // Truncated just before the end of the final frame header.
    EXPECT_EQ(ParseLogicalPacket(std::string_view(out).substr(0, out.size() - 1 - (size % 0xffffff)), &p),
              FrameResult::kNeedMore);
  }
}

TEST(FrameTest, OversizedPacketIsInvalid) {
  std::string out;
  AppendPacket(&out, 0, std::string(100, 'a'));
  LogicalPacket p;
  EXPECT_EQ(ParseLogicalPacket(out, &p, 50), FrameResult::kInvalid);
}

TEST(PacketScannerTest, ReportsFramesAcrossArbitrarySplits) {
  std::string stream;
  AppendPacket(&stream, 0, "first");
  AppendPacket(&stream, 1, "");
  AppendPacket(&stream, 2, std::string(200, 'x'));
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, stream.size()}) {
    PacketScanner scanner;
    std::vector<std::pair<int, std::string>> seen;
    for (size_t i = 0; i < stream.size(); i += step) {
      size_t n = std::min(step, stream.size() - i);
      scanner.Feed(stream.data() + i, n, [&](const PacketScanner::Frame& f) {
        seen.emplace_back(f.seq, std::string(f.head));
        return true;
      });
    }
    ASSERT_EQ(seen.size(), 3u) << step;
    EXPECT_EQ(seen[0].second, "first");
    EXPECT_EQ(seen[1].second, "");
    EXPECT_EQ(seen[2].second.size(), PacketScanner::kPeekBytes);
    EXPECT_TRUE(scanner.at_frame_boundary());
  }
}

TEST(PacketScannerTest, SameFramesWhereverTheStreamIsCut) {
  std::string stream;
  AppendPacket(&stream, 0, "first");
  AppendPacket(&stream, 1, "");
  AppendPacket(&stream, 2, std::string(PacketScanner::kPeekBytes, 'p'));
  AppendPacket(&stream, 3, std::string(200, 'x'));
  auto frames_of = [&](size_t cut) {
    PacketScanner scanner;
    std::vector<std::tuple<int, uint32_t, std::string>> seen;
    auto visit = [&](const PacketScanner::Frame& f) {
      seen.emplace_back(f.seq, f.length, std::string(f.head));
      return true;
    };
    EXPECT_EQ(scanner.Feed(stream.data(), cut, visit), cut);
    EXPECT_EQ(scanner.Feed(stream.data() + cut, stream.size() - cut, visit), stream.size() - cut);
    EXPECT_TRUE(scanner.at_frame_boundary());
    return seen;
  };
  auto whole = frames_of(stream.size());
  ASSERT_EQ(whole.size(), 4u);
  EXPECT_EQ(whole[0], std::make_tuple(0, 5u, std::string("first")));
  EXPECT_EQ(whole[1], std::make_tuple(1, 0u, std::string()));
  EXPECT_EQ(whole[2], std::make_tuple(2, uint32_t{PacketScanner::kPeekBytes}, std::string(PacketScanner::kPeekBytes, 'p')));
  EXPECT_EQ(whole[3], std::make_tuple(3, 200u, std::string(PacketScanner::kPeekBytes, 'x')));
  for (size_t cut = 0; cut < stream.size(); ++cut) EXPECT_EQ(frames_of(cut), whole) << "cut at " << cut;
}

TEST(PacketScannerTest, StopsAfterTheFrameTheVisitorRefuses) {
  std::string stream;
  AppendPacket(&stream, 0, std::string(100, 'a'));
  AppendPacket(&stream, 1, "next");
  PacketScanner scanner;
  std::vector<int> seen;
  size_t used = scanner.Feed(stream.data(), stream.size(), [&](const PacketScanner::Frame& f) {
    seen.push_back(f.seq);
    return false;
  });
  // Consumed: the header and the head bytes of the first frame, not its rest.
  EXPECT_EQ(used, 4 + PacketScanner::kPeekBytes);
  EXPECT_EQ(seen, std::vector<int>{0});
  EXPECT_FALSE(scanner.at_frame_boundary());
  scanner.Feed(stream.data() + used, stream.size() - used, [&](const PacketScanner::Frame& f) {
    seen.push_back(f.seq);
    EXPECT_EQ(f.head, "next");
    return true;
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 1}));
  EXPECT_TRUE(scanner.at_frame_boundary());
}

TEST(PacketScannerTest, MarksContinuationFrames) {
  std::string stream;
  AppendPacket(&stream, 0, std::string(0xffffff + 10, 'b'));
  AppendPacket(&stream, 2, "after");
  PacketScanner scanner;
  std::vector<bool> continuation;
  scanner.Feed(stream.data(), stream.size(), [&](const PacketScanner::Frame& f) {
    continuation.push_back(f.continuation);
    return true;
  });
  ASSERT_EQ(continuation.size(), 3u);
  EXPECT_FALSE(continuation[0]);
  EXPECT_TRUE(continuation[1]);
  EXPECT_FALSE(continuation[2]);
}

}  // namespace
}  // namespace sealgate::protocol
