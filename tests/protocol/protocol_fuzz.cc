// Fuzz target: every decoder of bytes that arrive from clients or the upstream
// in the proxy's connection and command phases. Arbitrary bytes must never
// crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/response_tracker.h"

using namespace sealgate::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  LogicalPacket pkt;
  (void)ParseLogicalPacket(in, &pkt, 1 << 20);
  auto g = ParseGreeting(in);
  std::string copy(in);
  (void)ClearGreetingCapabilities(&copy, OpaqueCapabilities());
  (void)ParseHandshakeResponse(in);
  copy.assign(in);
  (void)ClearResponseCapabilities(&copy, OpaqueCapabilities());
  (void)ParseOk(in);
  (void)ParseErr(in);
  (void)ParseEofStatus(in);
  (void)ParseProgressReport(in);
  (void)OkStatusFlags(in);
  (void)FirstTextValue(in);
  (void)FirstTextRow(in);
  (void)ResponseTracker::CursorOf(in);
  if (size == 0) return 0;
  // The first byte picks the pending commands (bit 7: executes ask for a
  // cursor); the rest is server output, fed in both EOF modes, with and
  // without MariaDB metadata caching and progress reports.
  for (int mode = 0; mode < 8; ++mode) {
    ResponseTracker tracker(ResponseFormat{(mode & 1) != 0, (mode & 2) != 0, (mode & 4) != 0});
    uint8_t selector = data[0];
    static const Command kCommands[] = {Command::kQuery, Command::kStmtPrepare, Command::kStmtExecute,
                                        Command::kFieldList, Command::kStatistics, Command::kChangeUser,
                                        Command::kStmtFetch, Command::kStmtBulkExecute};
    auto cursor = (selector & 0x80) ? ResponseTracker::Cursor::kRequested : ResponseTracker::Cursor::kNone;
    for (int i = 0; i < 4; ++i) tracker.Expect(kCommands[(selector >> (i * 2)) & 7], i, cursor);
    size_t step = 1 + selector % 13;
    for (size_t i = 1; i < size; i += step) {
      if (!tracker.Feed(reinterpret_cast<const char*>(data) + i, std::min(step, size - i)).ok()) break;
      if (tracker.awaiting_local_infile_data()) tracker.LocalInfileDataSent();
      std::vector<ResponseTracker::Completion> done;
      tracker.TakeCompletions(&done);
    }
  }
  return 0;
}
