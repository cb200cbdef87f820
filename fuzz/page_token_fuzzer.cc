// libFuzzer target: page-token decoding (api/page_token.h), the one place a
// client hands the server opaque bytes to trust. Input: 8 bytes of expected
// fingerprint, 8 bytes of an offset, one byte choosing an edit, then the
// token. Properties: a token is accepted only with a positive offset and
// only for its own fingerprint; a token encoded for any positive offset
// decodes to it; and any one-character edit of an issued token (an edited
// offset, fingerprint or seal) is refused.
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/page_token.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace analytics::api;  // NOLINT: fuzz target
  // A fixed key keeps runs reproducible; the corpus's valid tokens use it.
  const PageTokenCodec codec(std::string("fuzz-page-token-key-0123456789"));
  analytics::fuzz::FuzzInput input(data, size);
  const std::uint64_t fingerprint = input.U64();
  const auto offset = static_cast<std::int64_t>(input.U64());
  const std::uint8_t edit = input.Byte();
  const std::string token(input.Rest());

  if (absl::StatusOr<std::int64_t> decoded = codec.Decode(token, fingerprint); decoded.ok()) {
    if (*decoded <= 0) std::abort();
    if (codec.Decode(token, fingerprint ^ 1).ok()) std::abort();
    if (PageTokenCodec(std::string("another-key-0123456789")).Decode(token, fingerprint).ok()) {
      std::abort();
    }
  }

  if (offset <= 0) return 0;
  const std::string issued = codec.Encode(offset, fingerprint);
  absl::StatusOr<std::int64_t> again = codec.Decode(issued, fingerprint);
  if (!again.ok() || *again != offset) std::abort();
  // Replace one character by another of the token alphabet.
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string edited = issued;
  char& c = edited[edit % edited.size()];
  const std::size_t at = kAlphabet.find(c);
  c = kAlphabet[(at + 1 + edit / edited.size() % (kAlphabet.size() - 1)) % kAlphabet.size()];
  if (edited != issued && codec.Decode(edited, fingerprint).ok()) std::abort();
  return 0;
}
