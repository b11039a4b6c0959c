// libFuzzer target: arbitrary bytes into the event decoder. The first byte
// picks the flavour (MariaDB/MySQL, checksum on/off); the rest is split into
// events by their own length fields, so table maps feed later rows events.
#include <cstddef>
#include <cstdint>

#include "binlog/event_builder.h"
#include "binlog/event_decoder.h"
#include "binlog/value.h"

using namespace sealgate::binlog;  // NOLINT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  DecoderOptions opts;
  opts.verify_checksum = (data[0] & 4) != 0;
  opts.max_event_bytes = 1 << 20;
  if (data[0] & 8) {
    opts.column_lookup = [](const std::string&, const std::string&) {
      return std::optional<std::vector<ColumnInfo>>({{"a", true, 63, {"x", "y"}}, {"b", false, 0, {}}});
    };
  }
  EventDecoder decoder(opts);
  uint8_t alg = (data[0] & 2) ? kChecksumCrc32 : kChecksumOff;
  std::string fde = testing::FormatDescriptionEvent((data[0] & 1) ? "8.0.36" : "10.11.6-MariaDB-log", alg);
  (void)decoder.Decode(AsBytes(fde));
  Bytes rest(data + 1, size - 1);
  while (!rest.empty()) {
    auto frame = FrameEvent(rest, opts.max_event_bytes);
    size_t len = frame.ok() && frame->state == FrameState::kComplete ? frame->length : rest.size();
    auto ev = decoder.Decode(rest.first(len));
    if (ev.ok()) {
      if (auto* rows = std::get_if<RowsEvent>(&ev->body)) {
        for (auto& row : rows->after) {
          for (size_t i = 0; i < row.size(); ++i) (void)ValueToSqlLiteral(row[i], &rows->table->columns[i]);
        }
      }
    }
    rest = rest.subspan(len);
  }
  return 0;
}
