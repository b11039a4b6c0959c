#include "protocol/response_tracker.h"

#include "protocol/messages.h"
#include "protocol/wire.h"

namespace sealgate::protocol {

bool ResponseTracker::HasResponse(Command command) {
  switch (command) {
    case Command::kQuit:
    case Command::kStmtClose:
    case Command::kStmtSendLongData:
      return false;
    default:
      return true;
  }
}

ResponseTracker::Cursor ResponseTracker::CursorOf(std::string_view command_packet) {
  // COM_STMT_EXECUTE: command byte, statement id (4), flags (1), iteration count (4), ...
  constexpr size_t kFlagsAt = 5;
  constexpr uint8_t kCursorTypes = 0x01 | 0x02 | 0x04;  // READ_ONLY, FOR_UPDATE, SCROLLABLE
  if (command_packet.size() <= kFlagsAt || static_cast<uint8_t>(command_packet[0]) != uint8_t(Command::kStmtExecute)) {
    return Cursor::kNone;
  }
  return (static_cast<uint8_t>(command_packet[kFlagsAt]) & kCursorTypes) ? Cursor::kRequested : Cursor::kNone;
}

void ResponseTracker::Expect(Command command, uint64_t tag, Cursor cursor) {
  if (!HasResponse(command)) return;
  State state = State::kResultStart;
  switch (command) {
    case Command::kStmtFetch: state = State::kRows; break;
    case Command::kFieldList: state = State::kFieldList; break;
    case Command::kStatistics: state = State::kSinglePacket; break;
    case Command::kChangeUser: state = State::kAuth; break;
    default: break;
  }
  Pending p{command, tag, state};
  if (command == Command::kStmtExecute) p.cursor = cursor;
  pending_.push_back(p);
}

bool ResponseTracker::awaiting_local_infile_data() const {
  return !pending_.empty() && pending_.front().state == State::kInfileData;
}
bool ResponseTracker::in_auth_exchange() const {
  return !pending_.empty() && pending_.front().state == State::kAuth;
}
bool ResponseTracker::streaming() const { return !pending_.empty() && pending_.front().state == State::kStream; }

void ResponseTracker::LocalInfileDataSent() {
  if (awaiting_local_infile_data()) pending_.front().state = State::kResultStart;
}

Status ResponseTracker::Feed(const char* data, size_t n) {
  if (!error_.ok()) return error_;
  scanner_.Feed(data, n, [this](const PacketScanner::Frame& f) { return OnFrame(f); });
  return error_;
}

bool ResponseTracker::OnFrame(const PacketScanner::Frame& frame) {
  if (frame.continuation) return true;  // the rest of a packet >= 16 MiB
  if (pending_.empty()) {
    error_ = Status::InvalidArgument("server sent a packet while no command was pending");
    return false;
  }
  if (pending_.front().state == State::kStream) return true;
  Status s = OnPacket(pending_.front(), frame);
  if (!s.ok()) {
    error_ = s;
    return false;
  }
  return true;
}

void ResponseTracker::Complete(bool ok) {
  const Pending& p = pending_.front();
  completions_.push_back(Completion{p.tag, p.command, ok, status_flags_, ok ? p.statement_id : 0});
  pending_.pop_front();
}

Status ResponseTracker::OnTerminator(Pending& p, std::string_view head, bool eof_format) {
  uint16_t flags;
  if (eof_format) {
    if (head.size() < 5) return Status::InvalidArgument("truncated EOF packet");
    flags = static_cast<uint16_t>(LoadLE(reinterpret_cast<const unsigned char*>(head.data()) + 3, 2));
  } else {
    auto parsed = OkStatusFlags(head);
    if (!parsed) return Status::InvalidArgument("truncated OK packet");
    flags = *parsed;
  }
  status_flags_ = flags;
  if (flags & status::kMoreResultsExist) {
    p.state = State::kResultStart;
  } else {
    Complete(true);
  }
  return Status::Ok();
}

static bool IsTerminator(const PacketScanner::Frame& frame) {
  return !frame.head.empty() && static_cast<uint8_t>(frame.head[0]) == kEofHeader && frame.length < kMaxFramePayload;
}

Status ResponseTracker::OnResultStart(Pending& p, const PacketScanner::Frame& frame) {
  uint8_t first = static_cast<uint8_t>(frame.head[0]);
  if (first == kOkHeader) {
    if (p.command == Command::kStmtPrepare) {
      ByteReader r(frame.head);
      uint8_t hdr;
      uint32_t stmt_id;
      uint16_t columns, params;
      if (!r.U8(&hdr) || !r.U32(&stmt_id) || !r.U16(&columns) || !r.U16(&params)) {
        return Status::InvalidArgument("truncated COM_STMT_PREPARE response");
      }
      p.prepare_columns = columns;
      p.statement_id = stmt_id;
      p.remaining = params;
      p.state = State::kPrepareParams;
      if (params == 0) AfterPrepareParams(p);
      return Status::Ok();
    }
    return OnTerminator(p, frame.head, /*eof_format=*/false);
  }
  if (first == kErrHeader) {
    Complete(false);
    return Status::Ok();
  }
  if (first == kEofHeader && frame.length < kMaxFramePayload) {
    // COM_SET_OPTION and COM_DEBUG answer with EOF; COM_CHANGE_USER never gets here.
    return OnTerminator(p, frame.head, /*eof_format=*/frame.length <= 5);
  }
  if (first == kLocalInfileHeader && p.command == Command::kQuery) {
    p.state = State::kInfileData;
    return Status::Ok();
  }
  if (p.command == Command::kBinlogDump || p.command == Command::kBinlogDumpGtid) {
    p.state = State::kStream;
    return Status::Ok();
  }
  ByteReader r(frame.head);
  uint64_t columns;
  if (!r.LenencInt(&columns) || columns == 0) return Status::InvalidArgument("bad result set column count");
  uint8_t metadata_follows = 1;
  if (format_.cache_metadata && !r.U8(&metadata_follows)) {
    return Status::InvalidArgument("column count without its metadata-follows byte");
  }
  if (metadata_follows == 0) {
    // The client kept this statement's column definitions; the EOF that
    // ends them (without CLIENT_DEPRECATE_EOF) is still sent.
    p.remaining = 0;
    p.state = format_.deprecate_eof ? State::kRows : State::kColumnDefsEof;
    return Status::Ok();
  }
  p.remaining = columns;
  p.state = State::kColumnDefs;
  return Status::Ok();
}

void ResponseTracker::AfterPrepareParams(Pending& p) {
  p.remaining = p.prepare_columns;
  p.state = State::kPrepareColumns;
  if (p.remaining == 0) Complete(true);
}

Status ResponseTracker::OnPacket(Pending& p, const PacketScanner::Frame& frame) {
  if (frame.head.empty()) {
    if (p.state == State::kSinglePacket) {
      Complete(true);
      return Status::Ok();
    }
    return Status::InvalidArgument("unexpected empty packet from server");
  }
  if (format_.progress_reports && IsProgressReport(frame.head)) return Status::Ok();
  uint8_t first = static_cast<uint8_t>(frame.head[0]);
  switch (p.state) {
    case State::kResultStart:
      return OnResultStart(p, frame);
    case State::kColumnDefs:
      if (--p.remaining == 0) p.state = format_.deprecate_eof ? State::kRows : State::kColumnDefsEof;
      return Status::Ok();
    case State::kColumnDefsEof: {
      // A statement that fails once its metadata is out (a cursor execute
      // whose subquery returns more than one row) ends with ERR instead.
      if (first == kErrHeader) {
        Complete(false);
        return Status::Ok();
      }
      if (!IsTerminator(frame)) return Status::InvalidArgument("expected EOF after column definitions");
      auto flags = ParseEofStatus(frame.head);
      if (!flags.ok()) return flags.status();
      status_flags_ = *flags;
      // The cursor a COM_STMT_EXECUTE asked for is open: rows come later
      // through COM_STMT_FETCH. The server opens one for a single SELECT
      // only, never with more results to follow: any other result flagged
      // CURSOR_EXISTS (a stored program's SELECT while one of its own
      // cursors is open, also in a CALL or block executed with a cursor
      // requested, whose results all say MORE_RESULTS_EXIST) has its rows
      // right here.
      if (p.cursor == Cursor::kRequested && (*flags & status::kCursorExists) &&
          !(*flags & status::kMoreResultsExist)) {
        Complete(true);
      } else {
        p.state = State::kRows;
      }
      return Status::Ok();
    }
    case State::kRows:
      if (first == kErrHeader) {
        Complete(false);
        return Status::Ok();
      }
      if (IsTerminator(frame)) return OnTerminator(p, frame.head, /*eof_format=*/!format_.deprecate_eof);
      return Status::Ok();
    case State::kPrepareParams:
      if (--p.remaining == 0) {
        if (format_.deprecate_eof) AfterPrepareParams(p);
        else p.state = State::kPrepareParamsEof;
      }
      return Status::Ok();
    case State::kPrepareParamsEof:
      if (!IsTerminator(frame)) return Status::InvalidArgument("expected EOF after parameter definitions");
      AfterPrepareParams(p);
      return Status::Ok();
    case State::kPrepareColumns:
      if (--p.remaining == 0) {
        if (format_.deprecate_eof) Complete(true);
        else p.state = State::kPrepareColumnsEof;
      }
      return Status::Ok();
    case State::kPrepareColumnsEof:
      if (!IsTerminator(frame)) return Status::InvalidArgument("expected EOF after column definitions");
      Complete(true);
      return Status::Ok();
    case State::kFieldList:
      if (first == kErrHeader) Complete(false);
      else if (IsTerminator(frame)) return OnTerminator(p, frame.head, /*eof_format=*/!format_.deprecate_eof);
      return Status::Ok();
    case State::kSinglePacket:
      Complete(true);
      return Status::Ok();
    case State::kAuth:
      if (first == kOkHeader) {
        auto flags = OkStatusFlags(frame.head);
        if (flags) status_flags_ = *flags;
        Complete(true);
      } else if (first == kErrHeader) {
        Complete(false);
      }
      return Status::Ok();  // 0xfe auth switch / 0x01 more data: the client answers
    case State::kInfileData:
      return Status::InvalidArgument("server sent a packet while waiting for LOCAL INFILE data");
    case State::kStream:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace sealgate::protocol
