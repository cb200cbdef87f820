// Reads an IngestTransactionsRequest's order lines (and its `last` mark)
// straight from the message's wire bytes, without building protobuf objects.
//
// Why: parsing a million lines into OrderLine messages (a std::string per
// field, each copied again on the way to the store) cost about a second of
// CPU, a fifth of the whole write. Here each text is a view into the
// message's bytes; the only copy is the one into the write's LineBatch.
// The wire format is read by a small cursor of our own (varints, tags,
// lengths: protobuf's CodedInputStream cost twice as much here, its calls
// not inlined) and follows proto3's rules: a later occurrence of a field
// wins, unknown fields (groups included) and fields of an unexpected wire
// type are skipped, anything malformed fails the message.
// Unlike the generated parser it does not check UTF-8: LineFromWire
// (convert.h) does, and rejects that one line with its field named, instead
// of failing the whole message. The differential test
// (tests/api/ingest_decoder_test.cc) holds it to the generated parser.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "api/convert.h"

namespace analytics::api {

class IngestMessageReader {
 public:
  // `bytes`: one serialized IngestTransactionsRequest, which must outlive
  // the reader and the lines it reads.
  explicit IngestMessageReader(std::string_view bytes);
  ~IngestMessageReader();

  // The next line of the message, or false at its end or at the first
  // malformed byte (then ok() is false).
  bool Next(WireLine& line);
  bool ok() const { return ok_; }
  // The message's `last` field (IngestTransactionsRequest.last): final once
  // Next has returned false with ok().
  bool last() const { return last_; }

  // The message's `source` field (IngestTransactionsRequest.source), read
  // ahead of the lines: on the wire it follows them, and every line's key
  // depends on it. Empty when absent; false when the bytes are malformed
  // before it is found (Next then fails too).
  static bool FindSource(std::string_view bytes, std::string_view& source);

 private:
  class Cursor;
  bool Fail();
  bool ReadLine(std::string_view bytes, WireLine& line);

  std::unique_ptr<Cursor> cursor_;
  bool ok_ = true;
  bool done_ = false;
  bool last_ = false;
};

}  // namespace analytics::api
