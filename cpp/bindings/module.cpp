// The one compiled Python module, ghostedge._core. Each concept binds itself in its own
// file (bind_<concept>.cpp); this file only calls them. The C++ below knows nothing of Python.
#include <pybind11/pybind11.h>

#include "ghostedge/version.hpp"

namespace py = pybind11;

void bind_wire(py::module_& m);      // tag-read packet encoder/decoder
void bind_ingest(py::module_& m);    // tag registry, fusion, noise filter
void bind_features(py::module_& m);  // model feature building
void bind_metric(py::module_& m);    // composite ghosting metric
void bind_pipeline(py::module_& m);  // per-frame live pipeline
void bind_smoother(py::module_& m);  // offline two-sided smoother

PYBIND11_MODULE(_core, m) {
    m.doc() = "ghostedge compiled core (C++). Use the Python API in `ghostedge`, not this module.";
    m.attr("__version__") = ghostedge::core_version();
    bind_wire(m);
    bind_ingest(m);
    bind_features(m);
    bind_metric(m);
    bind_pipeline(m);
    bind_smoother(m);
}
