// Thin binding of the composite metric (cpp/include/ghostedge/metric.hpp): numpy in without
// copies (float64, C order), GIL released around the batch, ValueError on bad shapes or
// parameters.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "ghostedge/metric.hpp"

namespace py = pybind11;
using ghostedge::kMetricFields;
using ghostedge::MetricParams;
using ghostedge::MetricValue;

namespace {
using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IntArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

MetricParams checked(const MetricParams& p) {
    const std::string err = ghostedge::metric_params_error(p);
    if (!err.empty()) throw py::value_error("metric parameters: " + err);
    return p;
}

// None (the default) = the definition's constants, MetricParams{}.
MetricParams params_arg(const py::object& obj) {
    return checked(obj.is_none() ? MetricParams{} : obj.cast<MetricParams>());
}

py::tuple as_tuple(const MetricValue& v) {
    return py::make_tuple(v.value, v.closing, v.misdirection, v.proximity, v.effort,
                          v.speed_penalty, v.relevance);
}

py::array_t<double> batch(const DoubleArray& defender, const DoubleArray& receiver,
                          const py::object& lengths_obj, const py::object& params_obj) {
    const MetricParams params = params_arg(params_obj);
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
    py::array_t<double> out(
        {static_cast<py::ssize_t>(k), static_cast<py::ssize_t>(kMetricFields)});
    // MetricValue is kMetricFields doubles in the order of as_tuple.
    static_assert(sizeof(MetricValue) == kMetricFields * sizeof(double), "MetricValue layout");
    auto* out_ptr = reinterpret_cast<MetricValue*>(out.mutable_data());
    const double* d = defender.data();
    const double* r = receiver.data();
    {
        py::gil_scoped_release release;
        ghostedge::metric_batch(d, r, k, n_frames, lengths_ptr, params, out_ptr);
    }
    return out;
}
// The engine's per-frame call: arrays must already be float64 C-contiguous (no copies made).
void ghosts(const py::handle& start_obj, const py::handle& mean_obj, const py::handle& rxy_obj,
            const py::handle& rvel_obj, double step_dt, const py::handle& out_obj,
            const py::object& params_obj) {
    using Exact = py::array_t<double, py::array::c_style>;
    const auto exact = [](const py::handle& h, const char* name) {
        if (!Exact::check_(h))
            throw py::value_error(std::string(name) + ": expected a C-contiguous float64 array");
        return py::reinterpret_borrow<Exact>(h);
    };
    const MetricParams params = params_arg(params_obj);
    if (!std::isfinite(step_dt)) throw py::value_error("step_dt must be finite");
    auto start = exact(start_obj, "start_xy");
    auto mean = exact(mean_obj, "mean");
    auto rxy = exact(rxy_obj, "receiver_xy");
    auto rvel = exact(rvel_obj, "receiver_vel");
    auto out = exact(out_obj, "out");
    if (mean.ndim() != 4 || mean.shape(3) != 2)
        throw py::value_error("mean must have shape [D, R, H, 2]");
    const py::ssize_t nd = mean.shape(0), nr = mean.shape(1), h = mean.shape(2);
    const auto is = [](const Exact& a, py::ssize_t n0, py::ssize_t n1) {
        return a.ndim() == 2 && a.shape(0) == n0 && a.shape(1) == n1;
    };
    if (!is(start, nd, 2)) throw py::value_error("start_xy must have shape [D, 2]");
    if (!is(rxy, nr, 2) || !is(rvel, nr, 2))
        throw py::value_error("receiver_xy and receiver_vel must have shape [R, 2]");
    if (!is(out, nd, nr) || !out.writeable()) throw py::value_error("out must be writeable [D, R]");
    const double* sp = start.data();
    const double* mp = mean.data();
    const double* xp = rxy.data();
    const double* vp = rvel.data();
    double* op = out.mutable_data();
    py::gil_scoped_release release;
    ghostedge::metric_ghosts(sp, mp, static_cast<std::size_t>(nd), static_cast<std::size_t>(nr),
                             static_cast<std::size_t>(h), xp, vp, step_dt, params, op);
}
}  // namespace

void bind_metric(py::module_& m) {
    py::class_<MetricParams>(m, "MetricParams",
                             "Constants of the composite metric (docs/metric.md); the defaults "
                             "are the definition.")
        .def(py::init<>())
        .def_readwrite("dt", &MetricParams::dt)
        .def_readwrite("top_speed", &MetricParams::top_speed)
        .def_readwrite("speed_limit", &MetricParams::speed_limit)
        .def_readwrite("effort_weight", &MetricParams::effort_weight)
        .def_readwrite("speed_penalty_weight", &MetricParams::speed_penalty_weight)
        .def_readwrite("reaction_time", &MetricParams::reaction_time)
        .def_readwrite("misdirection_weight", &MetricParams::misdirection_weight)
        .def_readwrite("proximity_weight", &MetricParams::proximity_weight)
        .def_readwrite("relevance_range", &MetricParams::relevance_range)
        .def("error", [](const MetricParams& p) { return std::string(ghostedge::metric_params_error(p)); },
             "'' when the parameters are usable, else what is wrong.");

    m.attr("METRIC_FIELDS") = py::make_tuple("value", "closing", "misdirection", "proximity",
                                             "effort", "speed_penalty", "relevance");

    m.def("metric_batch", &batch, py::arg("defender"), py::arg("receiver"),
          py::arg("lengths") = py::none(), py::arg("params") = py::none(),
          "Composite metric of K trajectories: defender and receiver [K, T, 2] (float64), "
          "optional lengths [K] (frames used per row). Returns [K, 7] in the order of "
          "METRIC_FIELDS (NaN rows where undefined). See docs/metric.md.");

    m.def("metric_ghosts", &ghosts, py::arg("start_xy"), py::arg("mean"), py::arg("receiver_xy"),
          py::arg("receiver_vel"), py::arg("step_dt"), py::arg("out"),
          py::arg("params") = py::none(),
          "Live metric of a frame's ghosts into out [D, R] (float64): ghost (d, r) = start_xy\n"
          "[D, 2] then mean [D, R, H, 2]; receiver r's path = receiver_xy[r] + k * step_dt *\n"
          "receiver_vel[r], k = 0..H. Same values as metric_batch on those paths.");

    py::class_<ghostedge::MetricAccumulator>(
        m, "MetricAccumulator",
        "Per-frame composite metric for the live path: push() once per frame from the throw on.")
        .def(py::init([](const py::object& p) { return ghostedge::MetricAccumulator(params_arg(p)); }),
             py::arg("params") = py::none())
        .def("push", &ghostedge::MetricAccumulator::push, py::arg("defender_x"),
             py::arg("defender_y"), py::arg("receiver_x"), py::arg("receiver_y"),
             "Add one frame; returns the metric of the flight so far (NaN before 2 frames).")
        .def("reset", &ghostedge::MetricAccumulator::reset)
        .def("current",
             [](const ghostedge::MetricAccumulator& a) { return as_tuple(a.current()); },
             "The flight so far, in the order of METRIC_FIELDS.")
        .def_property_readonly("frames", &ghostedge::MetricAccumulator::frames)
        .def_property_readonly("valid", &ghostedge::MetricAccumulator::valid);
}
