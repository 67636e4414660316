// The definitions of mink/encryption/reencrypt.hpp (compiled into libmink by
// src/encryption_reencrypt.cpp, or inline in the header-only shape).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/encryption/reencrypt.hpp"
#endif

#include <algorithm>
#include <vector>

namespace mink {

MINK_INLINE ReEncryptResult ReEncryptStream(const Context& ctx, EventStore& store,
                                            const FieldEncryption& encryption,
                                            std::string_view source_stream,
                                            std::string_view target_stream,
                                            const ReEncryptOptions& options) {
  if (source_stream == target_stream) {
    throw Error(errc::kInvalidArgument, "re-encryption copies into another stream");
  }
  if (options.batch_size == 0) throw Error(errc::kInvalidArgument, "batch_size must be > 0");
  std::vector<StoredEvent> source = store.LoadRaw(ctx, source_stream, 0);
  const std::vector<StoredEvent> target = store.LoadRaw(ctx, target_stream, 0);
  ReEncryptResult result;
  if (target.size() > source.size()) {
    throw Error(errc::kInvalidArgument, "target stream \"" + std::string(target_stream) +
                                            "\" has more events than its source");
  }
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i].type != source[i].type) {
      throw Error(errc::kInvalidArgument, "target stream \"" + std::string(target_stream) +
                                              "\" is not a copy of \"" +
                                              std::string(source_stream) + "\"");
    }
  }
  result.already_copied = static_cast<int64_t>(target.size());
  int64_t version = result.already_copied;
  const std::string target_id(target_stream);
  for (std::size_t begin = target.size(); begin < source.size(); begin += options.batch_size) {
    const std::size_t end = std::min(source.size(), begin + options.batch_size);
    std::vector<EventRecord> records;
    records.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      StoredEvent& s = source[i];
      if (IsEncrypted(s.metadata)) result.old_key_ids.insert(GetEncryptionKeyID(s.metadata));
      encryption.DecodeStrict(ctx, s);
      records.push_back(EventRecord{s.type, std::move(s.data), std::move(s.metadata)});
    }
    try {
      encryption.EncodeBatchWithKey(ctx, target_stream, records, options.key_id);
    } catch (...) {
      for (EventRecord& r : records) SecretBytes::Wipe(r.data);
      throw;
    }
    const int64_t n = static_cast<int64_t>(records.size());
    store.Adapter().Append(ctx, target_id, std::move(records), version);
    version += n;
    result.copied += n;
  }
  return result;
}

}  // namespace mink
