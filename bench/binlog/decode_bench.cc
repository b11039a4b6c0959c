// Decode throughput on a binlog of sysbench-shaped transactions
// (oltp_write_only on sbtest: id INT, k INT, c CHAR(120), pad CHAR(60)).
//
// Builds the binlog in memory first (MariaDB 10.11 layout, CRC32 on), then
// times EventDecoder::Decode over all of it on one thread: every event is
// framed, checksummed and decoded to typed values, as the stream does.
//
//   binlog_decode_bench [row_events (default 1000000)] [repeat (default 3)]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "binlog/event_builder.h"
#include "binlog/event_decoder.h"

using namespace sealgate::binlog;           // NOLINT
using namespace sealgate::binlog::testing;  // NOLINT

namespace {

std::string SbRow(uint32_t id, uint32_t k, uint32_t seed) {
  std::string img(1, '\0');  // null bitmap: 4 columns, none NULL
  img += Le(id, 4) + Le(k, 4);
  std::string c, pad;
  // sysbench's '###########-###########-...' digit groups
  for (int g = 0; g < 10; ++g) {
    if (g) c.push_back('-');
    for (int d = 0; d < 11; ++d) c.push_back(char('0' + (seed * 7 + g * 13 + d) % 10));
  }
  for (int g = 0; g < 5; ++g) {
    if (g) pad.push_back('-');
    for (int d = 0; d < 11; ++d) pad.push_back(char('0' + (seed * 3 + g + d) % 10));
  }
  img += Le(c.size(), 1) + c + Le(pad.size(), 1) + pad;
  return img;
}

struct Binlog {
  std::string bytes;
  std::vector<std::pair<size_t, size_t>> events;  // offset, length
  size_t row_events = 0;
};

void Append(Binlog* b, const std::string& ev) {
  b->events.push_back({b->bytes.size(), ev.size()});
  b->bytes += ev;
}

Binlog Build(size_t row_events) {
  Binlog b;
  Append(&b, FormatDescriptionEvent());
  std::vector<ColumnSpec> cols = {{kTypeLong, "", false},
                                  {kTypeLong, "", false},
                                  {kTypeString, Meta2(kTypeString, 120), false},
                                  {kTypeString, Meta2(kTypeString, 60), false}};
  std::string table_map = MakeEvent(kTableMapEvent, TableMapBody(42, "sbtest", "sbtest1", cols));
  std::string begin_body = Le(1, 4) + Le(0, 4) + std::string(1, char(6)) + Le(0, 2) + Le(0, 2) + "sbtest" + '\0' + "BEGIN";
  uint64_t seq = 1;
  for (uint32_t i = 0; b.row_events < row_events; ++i) {
    // One sysbench write transaction: UPDATE k, UPDATE c, DELETE, INSERT.
    Append(&b, MakeEvent(kMariaGtidEvent, Le(seq++, 8) + Le(0, 4) + std::string(1, '\0')));
    Append(&b, MakeEvent(kQueryEvent, begin_body));
    Append(&b, table_map);
    uint32_t id = i % 100000 + 1;
    Append(&b, MakeEvent(kUpdateRowsEventV1, RowsBody(42, 4, true, false, SbRow(id, i, i) + SbRow(id, i + 1, i))));
    Append(&b, MakeEvent(kUpdateRowsEventV1, RowsBody(42, 4, true, false, SbRow(id, i, i) + SbRow(id, i, i + 1))));
    Append(&b, MakeEvent(kDeleteRowsEventV1, RowsBody(42, 4, false, false, SbRow(id, i, i + 1))));
    Append(&b, MakeEvent(kWriteRowsEventV1, RowsBody(42, 4, false, false, SbRow(id, i, i + 2))));
    Append(&b, MakeEvent(kXidEvent, Le(seq, 8)));
    b.row_events += 4;
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  Binlog b = Build(n);
  std::printf("binlog: %zu events, %zu row events, %.1f MB\n", b.events.size(), b.row_events, b.bytes.size() / 1e6);
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    EventDecoder d;
    size_t rows = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (auto [off, len] : b.events) {
      auto ev = d.Decode(AsBytes(std::string_view(b.bytes).substr(off, len)));
      if (!ev.ok()) {
        std::fprintf(stderr, "decode failed at %zu: %s\n", off, ev.status().ToString().c_str());
        return 1;
      }
      if (auto* rows_ev = std::get_if<RowsEvent>(&ev->body)) rows += rows_ev->row_count();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rows != b.row_events) {
      std::fprintf(stderr, "decoded %zu rows, want %zu\n", rows, b.row_events);
      return 1;
    }
    std::printf("run %d: %.3f s  %.0f row events/s  %.1f MB/s\n", r + 1, s, b.row_events / s, b.bytes.size() / 1e6 / s);
    if (s < best) best = s;
  }
  std::printf("best: %.0f row events/s, %.1f MB/s\n", b.row_events / best, b.bytes.size() / 1e6 / best);
  return 0;
}
