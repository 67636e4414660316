// The definitions of mink/encryption/field_encryption.hpp (compiled into libmink by
// src/encryption_field.cpp, or inline in the header-only shape).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/encryption/field_encryption.hpp"
#endif

#include <spdlog/logger.h>

#include <nlohmann/json.hpp>

#include "mink/encryption/aes_gcm.hpp"
#include "mink/encryption/base64.hpp"

namespace mink {
namespace detail {

inline std::vector<std::string_view> SplitFieldPath(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

// The value at `path` inside `root`, or nullptr when it (or a parent) is absent or null.
// A parent that is present but not an object throws `crossing_error`.
inline nlohmann::json* FindField(nlohmann::json& root, std::string_view path,
                                 ErrorCode crossing_error, std::string_view event_type) {
  nlohmann::json* node = &root;
  const auto parts = SplitFieldPath(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (node->is_null()) return nullptr;
    if (!node->is_object()) {
      throw Error(crossing_error, "field path \"" + std::string(path) + "\" of event type \"" +
                                      std::string(event_type) + "\" crosses a non-object");
    }
    auto it = node->find(parts[i]);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

inline std::string FieldAAD(std::string_view stream_id, std::string_view path) {
  std::string aad;
  aad.reserve(stream_id.size() + 1 + path.size());
  aad.append(stream_id).append(1, '\0').append(path);
  return aad;
}

// A copy of `m` without the $encrypt* markers (Metadata has no public eraser for '$' keys).
inline Metadata WithoutEncryptionMarkers(const Metadata& m) {
  Metadata out;
  out.correlation_id = m.correlation_id;
  out.causation_id = m.causation_id;
  out.user_id = m.user_id;
  out.tenant_id = m.tenant_id;
  for (const auto& [k, v] : m.CustomMap()) {
    if (k == kEncryptedFieldsKey || k == kEncryptionKeyIDKey || k == kEncryptedDEKKey ||
        k == kEncryptionAlgorithmKey) {
      continue;
    }
    if (k.empty()) continue;
    if (k.front() == '$') {
      out.SetReserved(k, v);
    } else {
      out.SetCustom(k, v);
    }
  }
  return out;
}

}  // namespace detail

// ---- metadata helpers ----

MINK_INLINE bool IsEncrypted(const Metadata& metadata) {
  return metadata.Custom(kEncryptedFieldsKey) != nullptr;
}

MINK_INLINE std::vector<std::string> GetEncryptedFields(const Metadata& metadata) {
  const std::string* v = metadata.Custom(kEncryptedFieldsKey);
  if (v == nullptr) return {};
  nlohmann::json j = nlohmann::json::parse(*v, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (!e.is_string()) return {};
    out.push_back(e.get<std::string>());
  }
  return out;
}

MINK_INLINE std::string GetEncryptionKeyID(const Metadata& metadata) {
  const std::string* v = metadata.Custom(kEncryptionKeyIDKey);
  return v ? *v : std::string();
}

MINK_INLINE std::string GetEncryptionAlgorithm(const Metadata& metadata) {
  const std::string* v = metadata.Custom(kEncryptionAlgorithmKey);
  return v ? *v : std::string();
}

// ---- FieldEncryption ----

struct FieldEncryption::ActiveKey {
  SecretBytes plaintext;
  std::string key_id;       // as the provider names it (stored in $encryption_key_id)
  std::string wrapped_b64;  // stored in $encrypted_dek
  std::chrono::system_clock::time_point created;
  uint64_t events = 0;  // guarded by FieldEncryption::active_mu_
  uint64_t bytes = 0;   // guarded by FieldEncryption::active_mu_
};

MINK_INLINE FieldEncryption::FieldEncryption(FieldEncryptionConfig config)
    : config_(std::move(config)), cache_(config_.cache, config_.clock) {
  if (!config_.provider) {
    throw Error(errc::kInvalidArgument, "field encryption needs an encryption provider");
  }
  if (!config_.clock) config_.clock = [] { return std::chrono::system_clock::now(); };
  for (const auto& [type, paths] : config_.fields) {
    for (const std::string& p : paths) {
      for (std::string_view part : detail::SplitFieldPath(p)) {
        if (part.empty()) {
          throw Error(errc::kInvalidArgument, "encrypted field path \"" + p +
                                                  "\" of event type \"" + type +
                                                  "\" has an empty segment");
        }
      }
      for (const std::string& q : paths) {
        if (&p != &q &&
            (q == p || (q.size() > p.size() && q.starts_with(p) && q[p.size()] == '.'))) {
          throw Error(errc::kInvalidArgument, "encrypted field paths \"" + p + "\" and \"" + q +
                                                  "\" of event type \"" + type + "\" overlap");
        }
      }
    }
  }
}

MINK_INLINE bool FieldEncryption::HasEncryptedFields(std::string_view event_type) const {
  auto it = config_.fields.find(event_type);
  return it != config_.fields.end() && !it->second.empty();
}

MINK_INLINE std::string FieldEncryption::ResolveKeyID(const Metadata& metadata) const {
  if (config_.tenant_key_resolver && !metadata.tenant_id.empty()) {
    std::string id = config_.tenant_key_resolver(metadata.tenant_id);
    if (!id.empty()) return id;
  }
  if (config_.subject_key_resolver) {
    if (const std::string* tags = metadata.Custom(kSubjectsKey)) {
      nlohmann::json j = nlohmann::json::parse(*tags, nullptr, /*allow_exceptions=*/false);
      if (j.is_array() && !j.empty() && j.front().is_string()) {
        const auto& subject = j.front().get_ref<const std::string&>();
        if (!subject.empty()) {
          std::string id = config_.subject_key_resolver(subject);
          if (!id.empty()) return id;
        }
      }
    }
  }
  if (!config_.default_key_id.empty()) return config_.default_key_id;
  throw Error(errc::kNoEncryptionKey,
              "no encryption key: the tenant and subject resolvers gave none and there is no "
              "default key ID");
}

MINK_INLINE void FieldEncryption::Encode(const Context& ctx, EventRecord& record) const {
  EncodeBatchWithKey(ctx, {}, std::span<EventRecord>(&record, 1), {});
}

MINK_INLINE void FieldEncryption::EncodeBatch(const Context& ctx, std::string_view stream_id,
                                              std::span<EventRecord> records) const {
  EncodeBatchWithKey(ctx, stream_id, records, {});
}

MINK_INLINE void FieldEncryption::EncodeBatchWithKey(const Context& ctx, std::string_view stream_id,
                                                     std::span<EventRecord> records,
                                                     const std::string& key_id) const {
  // Phase 1: find what to seal (nothing is changed yet).
  struct Pending {
    std::size_t index;
    nlohmann::json data;
    std::vector<std::pair<const std::string*, nlohmann::json*>> fields;
    std::vector<std::string> plaintexts;  // wiped below
    uint64_t bytes = 0;
    std::string key_id;
    std::shared_ptr<ActiveKey> key;
  };
  std::vector<Pending> pending;
  struct WipeAll {
    std::vector<Pending>& p;
    ~WipeAll() {
      for (auto& x : p) {
        for (auto& s : x.plaintexts) SecretBytes::Wipe(s);
      }
    }
  } wipe{pending};
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto cfg = config_.fields.find(records[i].type);
    if (cfg == config_.fields.end() || cfg->second.empty()) continue;
    Pending p{i, nlohmann::json::parse(records[i].data, nullptr, false), {}, {}, 0, {}, {}};
    if (!p.data.is_object()) {
      throw Error(errc::kEncryptionFailed,
                  "field encryption needs event data that is a JSON "
                  "object; event type \"" +
                      records[i].type + "\" is not");
    }
    for (const std::string& path : cfg->second) {
      nlohmann::json* v = detail::FindField(p.data, path, errc::kEncryptionFailed, records[i].type);
      if (v == nullptr) continue;  // an absent field (or parent) is left alone, as in go-mink
      p.fields.emplace_back(&path, v);
      p.plaintexts.push_back(v->dump());
      p.bytes += p.plaintexts.back().size();
    }
    if (p.fields.empty()) continue;
    if (stream_id.empty()) {
      throw Error(errc::kInvalidArgument,
                  "field encryption binds each value to its stream: the stream ID is needed "
                  "(PrepareRecords(ctx, stream_id, ...))");
    }
    p.key_id = key_id.empty() ? ResolveKeyID(records[i].metadata) : key_id;
    pending.push_back(std::move(p));
  }
  if (pending.empty()) return;

  // Phase 2: data keys — one per master key for the batch, more only when a bound is reached.
  const DataKeyLimits& lim = config_.data_key_limits;
  std::map<std::string, std::shared_ptr<ActiveKey>, std::less<>> batch;
  auto fits = [&](const ActiveKey& k, uint64_t bytes, bool reuse_across) {
    if (k.events == 0) return true;
    if (reuse_across && config_.clock() - k.created >= lim.max_age) return false;
    return k.events + 1 <= lim.max_events && k.bytes + bytes <= lim.max_bytes;
  };
  auto generate = [&](const std::string& id) {
    DataKey dk;
    try {
      dk = config_.provider->GenerateDataKey(ctx, id);
    } catch (const Error&) {
      throw;
    } catch (const std::exception&) {
      throw KeyError(errc::kEncryptionFailed, id, "the key provider failed to generate a data key",
                     std::current_exception());
    }
    if (dk.plaintext.Size() != kAesGcmKeySize) {
      throw KeyError(errc::kInvalidKey, id,
                     "the provider returned a data key that is not 32 bytes");
    }
    auto k = std::make_shared<ActiveKey>();
    k->plaintext = std::move(dk.plaintext);
    k->key_id = dk.key_id.empty() ? id : dk.key_id;
    k->wrapped_b64 = Base64Encode(dk.ciphertext);
    k->created = config_.clock();
    return k;
  };
  const bool reuse = lim.max_age.count() > 0;
  for (Pending& p : pending) {
    std::shared_ptr<ActiveKey> k;
    {
      std::lock_guard lock(active_mu_);
      if (auto it = batch.find(p.key_id); it != batch.end() && fits(*it->second, p.bytes, reuse)) {
        k = it->second;
      } else if (auto a = active_.find(p.key_id);
                 reuse && a != active_.end() && fits(*a->second, p.bytes, true)) {
        k = a->second;
      }
      if (k) {
        ++k->events;
        k->bytes += p.bytes;
      }
    }
    if (!k) {
      k = generate(p.key_id);
      std::lock_guard lock(active_mu_);
      ++k->events;
      k->bytes += p.bytes;
      if (reuse) active_[p.key_id] = k;
    }
    batch[p.key_id] = k;
    p.key = std::move(k);
  }

  // Phase 3: seal into copies; the records change only when every event sealed.
  std::vector<std::pair<std::string, Metadata>> sealed;
  sealed.reserve(pending.size());
  for (Pending& p : pending) {
    nlohmann::json names = nlohmann::json::array();
    for (std::size_t f = 0; f < p.fields.size(); ++f) {
      const std::string& path = *p.fields[f].first;
      std::string box = AesGcmEncrypt(p.key->plaintext.View(), p.plaintexts[f],
                                      detail::FieldAAD(stream_id, path));
      *p.fields[f].second = Base64Encode(box);
      names.push_back(path);
    }
    Metadata md = records[p.index].metadata;
    md.SetReserved(kEncryptedFieldsKey, names.dump());
    md.SetReserved(kEncryptionKeyIDKey, p.key->key_id);
    md.SetReserved(kEncryptedDEKKey, p.key->wrapped_b64);
    md.SetReserved(kEncryptionAlgorithmKey, std::string(kAesGcmAlgorithm));
    sealed.emplace_back(p.data.dump(), std::move(md));
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    records[pending[i].index].data = std::move(sealed[i].first);
    records[pending[i].index].metadata = std::move(sealed[i].second);
  }
}

MINK_INLINE SecretBytes FieldEncryption::UnwrapDataKey(const Context& ctx,
                                                       const std::string& key_id,
                                                       std::string_view wrapped) const {
  if (auto hit = cache_.Get(key_id, wrapped)) return std::move(*hit);
  const uint64_t epoch = cache_.Epoch();
  SecretBytes dek;
  try {
    dek = config_.provider->DecryptDataKey(ctx, key_id, wrapped);
  } catch (const Error&) {
    throw;
  } catch (const std::exception&) {
    throw KeyError(errc::kDecryptionFailed, key_id, "the key provider failed to unwrap a data key",
                   std::current_exception());
  }
  if (dek.Size() != kAesGcmKeySize) {
    throw KeyError(errc::kDecryptionFailed, key_id, "the unwrapped data key is not 32 bytes");
  }
  cache_.Put(key_id, wrapped, dek, epoch);
  return dek;
}

MINK_INLINE void FieldEncryption::Decode(const Context& ctx, StoredEvent& stored) const {
  if (!IsEncrypted(stored.metadata)) return;
  try {
    DecodeImpl(ctx, stored);
  } catch (const Error& e) {
    if (!config_.on_decryption_error ||
        config_.on_decryption_error(e, stored.type, stored.metadata) !=
            DecryptionErrorAction::kSkip) {
      throw;
    }
    if (config_.logger) {
      config_.logger->warn("event {} of stream {} ({}) kept encrypted: {}", stored.version,
                           stored.stream_id, stored.type, e.code().name());
    }
  }
}

MINK_INLINE void FieldEncryption::DecodeStrict(const Context& ctx, StoredEvent& stored) const {
  if (IsEncrypted(stored.metadata)) DecodeImpl(ctx, stored);
}

MINK_INLINE void FieldEncryption::DecodeImpl(const Context& ctx, StoredEvent& stored) const {
  const std::string key_id = GetEncryptionKeyID(stored.metadata);
  const std::string where = " (event " + std::to_string(stored.version) + " of stream \"" +
                            stored.stream_id + "\", type \"" + stored.type + "\")";
  if (const std::string alg = GetEncryptionAlgorithm(stored.metadata);
      !alg.empty() && alg != kAesGcmAlgorithm) {
    throw KeyError(errc::kUnsupportedAlgorithm, key_id,
                   "unsupported encryption algorithm \"" + alg.substr(0, 64) + "\"" + where);
  }
  if (key_id.empty()) {
    throw Error(errc::kDecryptionFailed, "the envelope names no master key" + where);
  }
  const std::string* dek_b64 = stored.metadata.Custom(kEncryptedDEKKey);
  std::string wrapped;
  if (dek_b64 == nullptr || !TryBase64Decode(*dek_b64, wrapped)) {
    throw KeyError(errc::kDecryptionFailed, key_id,
                   "$encrypted_dek is missing or not base64" + where);
  }
  const std::string* names_text = stored.metadata.Custom(kEncryptedFieldsKey);
  nlohmann::json names = nlohmann::json::parse(*names_text, nullptr, false);
  bool names_ok = names.is_array();
  for (const auto& n : names)
    names_ok = names_ok && n.is_string() && !n.get_ref<const std::string&>().empty();
  if (!names_ok) {
    throw KeyError(errc::kDecryptionFailed, key_id,
                   "$encrypted_fields is not a JSON array of paths" + where);
  }
  SecretBytes dek = UnwrapDataKey(ctx, key_id, wrapped);
  if (names.empty()) return;
  nlohmann::json data = nlohmann::json::parse(stored.data, nullptr, false);
  if (!data.is_object()) {
    throw KeyError(errc::kDecryptionFailed, key_id,
                   "encrypted event data is not a JSON object" + where);
  }
  for (const auto& n : names) {
    const std::string& path = n.get_ref<const std::string&>();
    nlohmann::json* v = detail::FindField(data, path, errc::kDecryptionFailed, stored.type);
    std::string box;
    if (v == nullptr || !v->is_string() ||
        !TryBase64Decode(v->get_ref<const std::string&>(), box)) {
      throw KeyError(errc::kDecryptionFailed, key_id,
                     "encrypted field \"" + path + "\" is missing or not base64" + where);
    }
    std::string plain;
    try {
      plain = AesGcmDecrypt(dek.View(), box, detail::FieldAAD(stored.stream_id, path));
    } catch (const Error&) {
      throw KeyError(errc::kDecryptionFailed, key_id,
                     "encrypted field \"" + path +
                         "\" does not open (tampered, moved to another stream or path, or "
                         "sealed under another key)" +
                         where);
    }
    nlohmann::json value = nlohmann::json::parse(plain, nullptr, false);
    SecretBytes::Wipe(plain);
    if (value.is_discarded()) {
      throw KeyError(errc::kDecryptionFailed, key_id,
                     "encrypted field \"" + path + "\" is not JSON once opened" + where);
    }
    *v = std::move(value);
  }
  stored.data = data.dump();
  stored.metadata = detail::WithoutEncryptionMarkers(stored.metadata);
}

// ---- revocation ----

MINK_INLINE void FieldEncryption::PurgeKey(const std::string& key_id) {
  cache_.PurgeKey(key_id);
  std::lock_guard lock(active_mu_);
  for (auto it = active_.begin(); it != active_.end();) {
    it = (it->first == key_id || it->second->key_id == key_id) ? active_.erase(it) : std::next(it);
  }
}

MINK_INLINE void FieldEncryption::RevokeKey(const Context& ctx, const std::string& key_id) {
  PurgeKey(key_id);
  Revoke(ctx, *config_.provider, key_id);
  PurgeKey(key_id);
}

MINK_INLINE void FieldEncryption::SoftRevokeKey(const Context& ctx, const std::string& key_id,
                                                std::chrono::seconds grace) {
  PurgeKey(key_id);
  SoftRevoke(ctx, *config_.provider, key_id, grace);
  PurgeKey(key_id);
}

MINK_INLINE void FieldEncryption::UnrevokeKey(const Context& ctx, const std::string& key_id) {
  Unrevoke(ctx, *config_.provider, key_id);
}

MINK_INLINE bool FieldEncryption::IsRevoked(const Context& ctx, const std::string& key_id) {
  return mink::IsRevoked(ctx, *config_.provider, key_id);
}

MINK_INLINE RevocationState FieldEncryption::GetRevocationState(const Context& ctx,
                                                                const std::string& key_id) {
  return mink::GetRevocationState(ctx, *config_.provider, key_id);
}

}  // namespace mink
