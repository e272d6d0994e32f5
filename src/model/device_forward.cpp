// The process-wide factory of device models (see device_forward.h).
#include "model/device_forward.h"

namespace t2::model {

namespace {
DeviceModelFactory& factory_slot() {
  static DeviceModelFactory f;
  return f;
}
}  // namespace

void set_device_model_factory(DeviceModelFactory factory) { factory_slot() = std::move(factory); }

const DeviceModelFactory& device_model_factory() { return factory_slot(); }

}  // namespace t2::model
