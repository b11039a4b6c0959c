// ResponseTracker follows the server's side of the command phase: for every
// command forwarded to the server it knows which packets make up the response
// and when the response is complete, while the bytes themselves are forwarded
// untouched. It keeps the session state the seal needs: status flags (in a
// transaction or not) and whether the connection is idle at a statement
// boundary. Pipelined commands are answered in order, so a FIFO suffices.
//
// Not thread-safe; one per session.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/constants.h"
#include "protocol/frame.h"

namespace sealgate::protocol {

// What both sides negotiated that changes the shape of responses.
struct ResponseFormat {
  bool deprecate_eof = false;   // CLIENT_DEPRECATE_EOF: no EOF after metadata, result sets end with OK
  // MARIADB_CLIENT_CACHE_METADATA: a column count is followed by a
  // "metadata follows" byte; when it is 0 the column definitions are left out
  // (a prepared statement's result, unchanged since the client last saw it).
  bool cache_metadata = false;
  // MARIADB_CLIENT_PROGRESS: progress reports (protocol::IsProgressReport)
  // may come before and between a command's results; they end nothing.
  bool progress_reports = false;
};

class ResponseTracker {
 public:
  explicit ResponseTracker(ResponseFormat format) : format_(format) {}
  explicit ResponseTracker(bool deprecate_eof) : ResponseTracker(ResponseFormat{deprecate_eof, false}) {}

  struct Completion {
    uint64_t tag;        // what the caller passed to Expect()
    Command command;
    bool ok;             // false: the response ended with an ERR packet
    uint16_t status_flags;
    uint32_t statement_id = 0;  // of a COM_STMT_PREPARE that succeeded
  };

  // Whether a COM_STMT_EXECUTE asked the server for a cursor (its flags byte:
  // read-only, for update or scrollable). Only then may a result set end
  // after its metadata, its rows left for COM_STMT_FETCH.
  enum class Cursor : uint8_t { kNone, kRequested };
  // The cursor request of a command packet (payload, command byte first);
  // kNone for every command but a COM_STMT_EXECUTE that asks for one.
  static Cursor CursorOf(std::string_view command_packet);

  // Registers a command just forwarded to the server. Commands that get no
  // response (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA, COM_QUIT) are ignored.
  void Expect(Command command, uint64_t tag, Cursor cursor = Cursor::kNone);
  static bool HasResponse(Command command);

  // Follows server bytes. An error means the server sent something that no
  // response to the pending commands may contain (the session should end).
  Status Feed(const char* data, size_t n);

  // The client finished sending LOCAL INFILE data (its empty packet was forwarded).
  void LocalInfileDataSent();

  // Moves the completed commands since the last call (oldest first) into
  // `*out`, which is cleared first. Swapping buffers keeps both capacities,
  // so following responses allocate nothing.
  void TakeCompletions(std::vector<Completion>* out) {
    out->clear();
    out->swap(completions_);
  }

  bool idle() const { return pending_.empty() && scanner_.at_frame_boundary(); }
  size_t pending() const { return pending_.size(); }
  // The server asked for LOCAL INFILE data: client packets are file data now.
  bool awaiting_local_infile_data() const;
  // A COM_CHANGE_USER authentication exchange is in progress: client packets are auth data.
  bool in_auth_exchange() const;
  // The server streams binlog events: the response never ends.
  bool streaming() const;
  // Status flags of the last OK/EOF seen.
  uint16_t status_flags() const { return status_flags_; }
  bool in_transaction() const { return (status_flags_ & status::kInTrans) != 0; }
  // Resets the status flags to a fresh session's (after COM_CHANGE_USER / COM_RESET_CONNECTION).
  void ResetSessionState() { status_flags_ = status::kAutocommit; }

 private:
  enum class State : uint8_t {
    kResultStart,      // first packet of a (further) result
    kColumnDefs,       // `remaining` column definitions follow
    kColumnDefsEof,    // EOF after column definitions (no CLIENT_DEPRECATE_EOF)
    kRows,             // rows until EOF/OK terminator or ERR
    kPrepareParams,    // COM_STMT_PREPARE: parameter definitions
    kPrepareParamsEof,
    kPrepareColumns,
    kPrepareColumnsEof,
    kFieldList,        // COM_FIELD_LIST: column definitions until EOF
    kSinglePacket,     // COM_STATISTICS
    kAuth,             // COM_CHANGE_USER: until OK or ERR
    kInfileData,       // waiting for the client's LOCAL INFILE data
    kStream,           // COM_BINLOG_DUMP: never ends
  };
  struct Pending {
    Command command;
    uint64_t tag;
    State state;
    uint64_t remaining = 0;  // column/param definitions left
    uint16_t prepare_columns = 0;
    uint32_t statement_id = 0;
    Cursor cursor = Cursor::kNone;
  };

  bool OnFrame(const PacketScanner::Frame& frame);
  Status OnPacket(Pending& p, const PacketScanner::Frame& frame);
  Status OnResultStart(Pending& p, const PacketScanner::Frame& frame);
  Status OnTerminator(Pending& p, std::string_view head, bool eof_format);
  void AfterPrepareParams(Pending& p);
  void Complete(bool ok);

  ResponseFormat format_;
  PacketScanner scanner_;
  std::deque<Pending> pending_;
  std::vector<Completion> completions_;
  uint16_t status_flags_ = status::kAutocommit;
  Status error_;
};

}  // namespace sealgate::protocol
