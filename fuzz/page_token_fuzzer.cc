// libFuzzer target: page-token decoding (api/page_token.h), the one place a
// client hands the server opaque bytes to trust. The first 8 bytes are the
// expected fingerprint, the rest the token. Properties: a token is accepted
// only with a positive offset, and re-encoding what was accepted gives a
// token that decodes to the same offset.
#include <cstdlib>
#include <string>

#include "api/page_token.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace analytics::api;  // NOLINT: fuzz target
  analytics::fuzz::FuzzInput input(data, size);
  const std::uint64_t fingerprint = input.U64();
  const std::string token(input.Rest());
  absl::StatusOr<std::int64_t> offset = DecodePageToken(token, fingerprint);
  if (!offset.ok()) return 0;
  if (*offset <= 0) std::abort();
  absl::StatusOr<std::int64_t> again =
      DecodePageToken(EncodePageToken(*offset, fingerprint), fingerprint);
  if (!again.ok() || *again != *offset) std::abort();
  if (DecodePageToken(token, fingerprint ^ 1).ok()) std::abort();
  return 0;
}
