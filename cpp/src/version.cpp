#include "ghostedge/version.hpp"

namespace ghostedge {
const char* core_version() { return "0.1.0"; }
}  // namespace ghostedge
