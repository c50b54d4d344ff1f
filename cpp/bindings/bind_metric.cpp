// Thin binding of the composite metric (cpp/include/ghostedge/metric.hpp): numpy in without
// copies (float64, C order), GIL released around the batch, ValueError on bad shapes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "ghostedge/metric.hpp"

namespace py = pybind11;
using ghostedge::MetricParams;
using ghostedge::MetricValue;

namespace {
using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IntArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

MetricParams make_params(double dt, double top_speed, double speed_limit, double effort_weight,
                         double speed_penalty_weight) {
    MetricParams p;
    p.dt = dt;
    p.top_speed = top_speed;
    p.speed_limit = speed_limit;
    p.effort_weight = effort_weight;
    p.speed_penalty_weight = speed_penalty_weight;
    const std::string err = ghostedge::metric_params_error(p);
    if (!err.empty()) throw py::value_error("metric parameters: " + err);
    return p;
}

py::tuple as_tuple(const MetricValue& v) {
    return py::make_tuple(v.value, v.closing, v.effort, v.speed_penalty);
}

py::array_t<double> batch(const DoubleArray& defender, const DoubleArray& receiver,
                          const py::object& lengths_obj, double dt, double top_speed,
                          double speed_limit, double effort_weight, double speed_penalty_weight) {
    const MetricParams params =
        make_params(dt, top_speed, speed_limit, effort_weight, speed_penalty_weight);
    if (defender.ndim() != 3 || defender.shape(2) != 2)
        throw py::value_error("defender must have shape [K, T, 2], got ndim " +
                              std::to_string(defender.ndim()));
    if (receiver.ndim() != 3 || receiver.shape(0) != defender.shape(0) ||
        receiver.shape(1) != defender.shape(1) || receiver.shape(2) != 2)
        throw py::value_error("receiver must have the defender's shape [K, T, 2]");
    const auto k = static_cast<std::size_t>(defender.shape(0));
    const auto n_frames = static_cast<std::size_t>(defender.shape(1));
    IntArray lengths;
    const std::int64_t* lengths_ptr = nullptr;
    if (!lengths_obj.is_none()) {
        lengths = lengths_obj.cast<IntArray>();
        if (lengths.ndim() != 1 || static_cast<std::size_t>(lengths.shape(0)) != k)
            throw py::value_error("lengths must have shape [K] (one frame count per trajectory)");
        lengths_ptr = lengths.data();
    }
    py::array_t<double> out({static_cast<py::ssize_t>(k), static_cast<py::ssize_t>(4)});
    // MetricValue is four doubles in order (value, closing, effort, speed_penalty).
    static_assert(sizeof(MetricValue) == 4 * sizeof(double), "MetricValue layout");
    auto* out_ptr = reinterpret_cast<MetricValue*>(out.mutable_data());
    const double* d = defender.data();
    const double* r = receiver.data();
    {
        py::gil_scoped_release release;
        ghostedge::metric_batch(d, r, k, n_frames, lengths_ptr, params, out_ptr);
    }
    return out;
}
}  // namespace

void bind_metric(py::module_& m) {
    m.def("metric_batch", &batch, py::arg("defender"), py::arg("receiver"),
          py::arg("lengths") = py::none(), py::arg("dt") = 0.1, py::arg("top_speed") = 11.0,
          py::arg("speed_limit") = 12.5, py::arg("effort_weight") = 0.25,
          py::arg("speed_penalty_weight") = 2.0,
          "Composite metric of K trajectories: defender and receiver [K, T, 2] (float64), "
          "optional lengths [K] (frames used per row). Returns [K, 4]: metric, closing, "
          "effort, speed_penalty (NaN rows where undefined). See docs/metric.md.");

    py::class_<ghostedge::MetricAccumulator>(
        m, "MetricAccumulator",
        "Per-frame composite metric for the live path: push() once per frame from the throw on.")
        .def(py::init([](double dt, double top_speed, double speed_limit, double effort_weight,
                         double speed_penalty_weight) {
                 return ghostedge::MetricAccumulator(
                     make_params(dt, top_speed, speed_limit, effort_weight, speed_penalty_weight));
             }),
             py::arg("dt") = 0.1, py::arg("top_speed") = 11.0, py::arg("speed_limit") = 12.5,
             py::arg("effort_weight") = 0.25, py::arg("speed_penalty_weight") = 2.0)
        .def("push", &ghostedge::MetricAccumulator::push, py::arg("defender_x"),
             py::arg("defender_y"), py::arg("receiver_x"), py::arg("receiver_y"),
             "Add one frame; returns the metric of the flight so far (NaN before 2 frames).")
        .def("reset", &ghostedge::MetricAccumulator::reset)
        .def("current",
             [](const ghostedge::MetricAccumulator& a) { return as_tuple(a.current()); },
             "(metric, closing, effort, speed_penalty) of the flight so far.")
        .def_property_readonly("frames", &ghostedge::MetricAccumulator::frames)
        .def_property_readonly("valid", &ghostedge::MetricAccumulator::valid);
}
