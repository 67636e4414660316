// mink/encryption/reencrypt.hpp — ReEncryptStream: copy a stream under a new master key
// (go-mink's ReEncryptStream), for key rotation and for moving a subject off a shared key.
//
//   mink::ReEncryptResult r = mink::ReEncryptStream(ctx, store, *encryption, "Customer-bob",
//                                                   "Customer-bob-v2", {.key_id = "tenant-B-2"});
//
// Copy-based: the source stream is read (and decrypted strictly: a revoked key is an error,
// never a copy of ciphertext), each batch is sealed under `key_id` with one data key and
// appended to the target with the target's expected version. Resumable and idempotent: the
// events already in the target (a previous, interrupted or complete run) are checked to be
// the source's prefix and skipped, so running it again copies only what is missing, and two
// concurrent runs cannot both append (one gets ConcurrencyError). The source is not changed;
// switching readers to the target and revoking the old key are the caller's steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "mink/detail/config.hpp"
#include "mink/encryption/field_encryption.hpp"
#include "mink/es/event_store.hpp"

namespace mink {

struct ReEncryptOptions {
  std::string key_id;            // master key to seal under; empty: resolve as for an append
  std::size_t batch_size = 100;  // events per append (one data key each)
};

struct ReEncryptResult {
  int64_t copied = 0;                 // events appended by this call
  int64_t already_copied = 0;         // events the target already held
  std::set<std::string> old_key_ids;  // master keys the copied events were sealed under
};

MINK_API ReEncryptResult ReEncryptStream(const Context& ctx, EventStore& store,
                                         const FieldEncryption& encryption,
                                         std::string_view source_stream,
                                         std::string_view target_stream,
                                         const ReEncryptOptions& options = {});

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/encryption/reencrypt-inl.hpp"
#endif
