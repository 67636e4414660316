// mink/encryption/secret_bytes.hpp — bytes that are wiped (OPENSSL_cleanse) when released.
//
// Plaintext data keys and master keys live in SecretBytes: moved-from and destroyed values
// are zeroed, copies are explicit (Clone), and nothing prints them.
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace mink {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size, '\0') {}
  // Takes the bytes; the caller's string is wiped and emptied.
  static SecretBytes Adopt(std::string& bytes) {
    SecretBytes s;
    s.bytes_.assign(bytes.data(), bytes.size());
    Wipe(bytes);
    return s;
  }
  static SecretBytes CopyOf(std::string_view bytes) {
    SecretBytes s;
    s.bytes_.assign(bytes.data(), bytes.size());
    return s;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    Wipe(other.bytes_);
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe(bytes_);
      bytes_ = std::move(other.bytes_);
      Wipe(other.bytes_);
    }
    return *this;
  }
  ~SecretBytes() { Wipe(bytes_); }

  SecretBytes Clone() const { return CopyOf(bytes_); }
  std::string_view View() const noexcept { return bytes_; }
  unsigned char* Data() noexcept { return reinterpret_cast<unsigned char*>(bytes_.data()); }
  const unsigned char* Data() const noexcept {
    return reinterpret_cast<const unsigned char*>(bytes_.data());
  }
  std::size_t Size() const noexcept { return bytes_.size(); }
  bool Empty() const noexcept { return bytes_.empty(); }
  void Clear() noexcept { Wipe(bytes_); }

  // Zeroes and empties `s` (its whole capacity).
  static void Wipe(std::string& s) noexcept {
    if (s.capacity() > 0) OPENSSL_cleanse(s.data(), s.capacity());
    s.clear();
  }

 private:
  std::string bytes_;
};

}  // namespace mink
