// Shared pieces of the encryption tests: PII-bearing events, a provider wrapper that counts
// calls (and can be told to fail), and a store factory.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mink/encryption/field_encryption.hpp"
#include "mink/encryption/local_provider.hpp"
#include "mink/es/aggregate.hpp"

namespace mink::testing {

struct Address {
  std::string street;
  std::string zip;
  std::string city;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Address, street, zip, city)
  friend bool operator==(const Address&, const Address&) = default;
};

struct CustomerCreated {
  static constexpr std::string_view kEventType = "CustomerCreated";
  std::string customer_id;
  std::string name;
  std::string email;
  std::string phone;
  int age = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CustomerCreated, customer_id, name, email, phone, age)
  friend bool operator==(const CustomerCreated&, const CustomerCreated&) = default;
};

struct AddressUpdated {
  static constexpr std::string_view kEventType = "AddressUpdated";
  std::string customer_id;
  Address address;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(AddressUpdated, customer_id, address)
  friend bool operator==(const AddressUpdated&, const AddressUpdated&) = default;
};

// Serializes to a JSON string, not an object.
struct NotAnObject {
  static constexpr std::string_view kEventType = "NotAnObject";
  std::string text;
};
inline void to_json(nlohmann::json& j, const NotAnObject& e) { j = e.text; }

// Its "address" is a string, so the path "address.street" crosses a non-object.
struct FlatAddress {
  static constexpr std::string_view kEventType = "FlatAddress";
  std::string address;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(FlatAddress, address)
};

class Customer : public AggregateBase {
 public:
  explicit Customer(std::string id) : AggregateBase(std::move(id), "Customer") {}
  void ApplyEvent(const Event& event) override {
    if (event.Is<CustomerCreated>()) {
      email = event.As<CustomerCreated>().email;
    } else if (event.IsRaw() || !event.Is<AddressUpdated>()) {
      ++raw;
    } else {
      street = event.As<AddressUpdated>().address.street;
    }
  }
  std::string email;
  std::string street;
  int raw = 0;
};

// Forwards to a provider, counting calls; `fail` makes every call throw `failure` first.
class CountingProvider final : public EncryptionProvider, public RevocableProvider {
 public:
  explicit CountingProvider(std::shared_ptr<LocalProvider> inner) : inner_(std::move(inner)) {}
  std::string Encrypt(const Context& ctx, const std::string& id, std::string_view pt) override {
    Check();
    return inner_->Encrypt(ctx, id, pt);
  }
  SecretBytes Decrypt(const Context& ctx, const std::string& id, std::string_view ct) override {
    Check();
    return inner_->Decrypt(ctx, id, ct);
  }
  DataKey GenerateDataKey(const Context& ctx, const std::string& id) override {
    ++generate_calls;
    Check();
    return inner_->GenerateDataKey(ctx, id);
  }
  SecretBytes DecryptDataKey(const Context& ctx, const std::string& id,
                             std::string_view wrapped) override {
    ++decrypt_calls;
    Check();
    return inner_->DecryptDataKey(ctx, id, wrapped);
  }
  void Close() override { inner_->Close(); }
  void RevokeKey(const Context& ctx, const std::string& id) override { inner_->RevokeKey(ctx, id); }
  bool IsRevoked(const Context& ctx, const std::string& id) override {
    return inner_->IsRevoked(ctx, id);
  }

  std::atomic<int> generate_calls{0};
  std::atomic<int> decrypt_calls{0};
  std::optional<Error> failure;  // set before use, not concurrently

 private:
  void Check() const {
    if (failure) throw *failure;
  }
  std::shared_ptr<LocalProvider> inner_;
};

// A 32-byte master key derived from a name (test data only).
inline std::string TestMasterKey(std::string_view name) {
  std::string k(32, '\0');
  for (std::size_t i = 0; i < k.size(); ++i) {
    k[i] = static_cast<char>(name[i % name.size()] + static_cast<char>(i));
  }
  return k;
}

}  // namespace mink::testing
