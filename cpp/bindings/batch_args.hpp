// Argument handling shared by the bindings of the batch filter (bind_ingest.cpp), the live
// pipeline (bind_pipeline.cpp) and the offline smoother (bind_smoother.cpp): one place for
// the shape checks and for turning keyword arguments into the C++ configurations.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <vector>

#include "ghostedge/kalman_filter.hpp"
#include "ghostedge/pipeline.hpp"

namespace ghostedge_bindings {

namespace py = pybind11;

template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// [T] times and [T, N] positions (and orientations, optional) of a batch of tracks, checked.
struct TrackArrays {
    CArray<int64_t> time_us;
    CArray<double> x, y, o;
    bool has_o = false;
    std::size_t T = 0, N = 0;
};

inline TrackArrays checked_track_arrays(const CArray<int64_t>& time_us, const CArray<double>& x,
                                        const CArray<double>& y, const py::object& o_obj) {
    TrackArrays a{time_us, x, y, {}, false, 0, 0};
    if (time_us.ndim() != 1) throw py::value_error("time_us must be 1-D [T]");
    a.T = static_cast<std::size_t>(time_us.shape(0));
    if (x.ndim() != 2 || y.ndim() != 2 || static_cast<std::size_t>(x.shape(0)) != a.T ||
        x.shape(0) != y.shape(0) || x.shape(1) != y.shape(1)) {
        throw py::value_error("x and y must be [T, N] arrays with T = len(time_us)");
    }
    a.N = static_cast<std::size_t>(x.shape(1));
    if (!o_obj.is_none()) {
        a.o = o_obj.cast<CArray<double>>();
        if (a.o.ndim() != 2 || a.o.shape(0) != x.shape(0) || a.o.shape(1) != x.shape(1))
            throw py::value_error("o must have the shape of x");
        a.has_o = true;
    }
    const int64_t* t = time_us.data();
    for (std::size_t i = 1; i < a.T; ++i) {
        if (t[i] <= t[i - 1])
            throw py::value_error("time_us must be strictly increasing (frame " + std::to_string(i) + ")");
    }
    return a;
}

inline ghostedge::FilterConfig batch_filter_config(bool is_ball, double max_speed_yps,
                                                   double jerk_psd, double hold_time_s) {
    ghostedge::FilterConfig cfg = is_ball ? ghostedge::ball_filter_config() : ghostedge::FilterConfig{};
    if (!is_ball) {
        cfg.max_speed_yps = max_speed_yps;
        cfg.jerk_psd = jerk_psd;
    }
    cfg.hold_time_s = hold_time_s;
    return cfg;
}

// The outputs of a batch over [T, N]: the six float fields are views of one [6, T, N] block
// (one allocation per call instead of six, and one the allocator keeps for the next call of
// the same size), flags apart.
struct TrackOutputs {
    py::array_t<double> block;
    py::array_t<uint16_t> flags;
    double* field(int k) { return block.mutable_data() + static_cast<std::size_t>(k) * plane; }
    std::size_t plane;
};

inline TrackOutputs track_outputs(std::size_t T, std::size_t N) {
    const auto Ts = static_cast<py::ssize_t>(T), Ns = static_cast<py::ssize_t>(N);
    return TrackOutputs{py::array_t<double>(std::vector<py::ssize_t>{6, Ts, Ns}),
                        py::array_t<uint16_t>(std::vector<py::ssize_t>{Ts, Ns}), T * N};
}

inline py::dict track_outputs_dict(TrackOutputs& out, uint64_t rejected) {
    py::dict d;
    const char* names[6] = {"x", "y", "s", "a", "dir", "o"};
    for (py::ssize_t k = 0; k < 6; ++k) d[names[k]] = out.block[py::make_tuple(k)];
    d["flags"] = out.flags;
    d["rejected"] = rejected;
    return d;
}

// The whole batch call shared by filter_tracks and smooth_tracks: checks the [T, N] inputs and
// meas_sigma_yd, allocates the outputs, and runs `run(arrays, config, fields[6], flags)` (which
// returns the rejected count) without the GIL.
template <class Run>
py::dict run_track_batch(const CArray<int64_t>& time_us, const CArray<double>& x, const CArray<double>& y,
                         const py::object& o_obj, double meas_sigma_yd, bool is_ball,
                         double max_speed_yps, double jerk_psd, double hold_time_s, Run&& run) {
    TrackArrays a = checked_track_arrays(time_us, x, y, o_obj);
    if (!(meas_sigma_yd > 0)) throw py::value_error("meas_sigma_yd must be > 0");
    const ghostedge::FilterConfig cfg = batch_filter_config(is_ball, max_speed_yps, jerk_psd, hold_time_s);
    TrackOutputs out = track_outputs(a.T, a.N);
    uint64_t rejected;
    {
        double* f[6];
        for (int k = 0; k < 6; ++k) f[k] = out.field(k);
        uint16_t* pf = out.flags.mutable_data();
        py::gil_scoped_release release;
        rejected = run(a, cfg, f, pf);
    }
    return track_outputs_dict(out, rejected);
}

// The live pipeline's configuration from the keyword arguments both pipelines take.
inline ghostedge::PipelineConfig pipeline_config(double rate_hz, double read_sigma_yd,
                                                 double shoulder_half_width_yd, double read_gate_yd,
                                                 double max_speed_yps, double jerk_psd,
                                                 double hold_time_s, std::size_t read_buffer_capacity,
                                                 double delay_s) {
    ghostedge::PipelineConfig cfg;
    cfg.delay_s = delay_s;
    cfg.rate_hz = rate_hz;
    cfg.fusion.read_sigma_yd = read_sigma_yd;
    cfg.fusion.shoulder_half_width_yd = shoulder_half_width_yd;
    cfg.fusion.read_gate_yd = read_gate_yd;
    cfg.player_filter.max_speed_yps = max_speed_yps;
    cfg.player_filter.jerk_psd = jerk_psd;
    cfg.player_filter.hold_time_s = hold_time_s;
    cfg.ball_filter.hold_time_s = hold_time_s;
    cfg.read_buffer_capacity = read_buffer_capacity;
    return cfg;
}

// Pipeline counters, then the decoder's (prefixed decode_), as the Python API reports them.
inline py::dict counters_dict(const ghostedge::PipelineCounters& c, const ghostedge::DecodeStats& d) {
    py::dict out;
    for (const auto& [name, member] : ghostedge::kPipelineCounters) out[name] = c.*member;
    for (const auto& [name, member] : ghostedge::kDecodeStatCounters)
        out[py::str(std::string("decode_") + name)] = d.*member;
    return out;
}

// Their Python keyword arguments, with the defaults of the C++ configuration.
#define GHOSTEDGE_PIPELINE_KWARGS                                                             \
    py::arg("rate_hz") = 10.0, py::arg("read_sigma_yd") = ghostedge::FusionConfig{}.read_sigma_yd, \
        py::arg("shoulder_half_width_yd") = ghostedge::FusionConfig{}.shoulder_half_width_yd,     \
        py::arg("read_gate_yd") = ghostedge::FusionConfig{}.read_gate_yd,                         \
        py::arg("max_speed_yps") = ghostedge::FilterConfig{}.max_speed_yps,                       \
        py::arg("jerk_psd") = ghostedge::FilterConfig{}.jerk_psd,                                 \
        py::arg("hold_time_s") = ghostedge::FilterConfig{}.hold_time_s,                           \
        py::arg("read_buffer_capacity") = ghostedge::PipelineConfig{}.read_buffer_capacity,       \
        py::arg("delay_s") = ghostedge::PipelineConfig{}.delay_s

}  // namespace ghostedge_bindings
