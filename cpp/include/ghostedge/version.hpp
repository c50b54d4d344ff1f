#pragma once

namespace ghostedge {
// Version of the C++ core; the Python package checks it matches its own.
const char* core_version();
}  // namespace ghostedge
