// Bindings of the shared-memory output (ghostedge/shm.hpp): the engine's writer and a reader.
// The writer takes the result's numpy arrays without copies and writes with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "ghostedge/shm.hpp"

namespace py = pybind11;
using namespace ghostedge::shm;

namespace {

template <class T>
using CArray = py::array_t<T, py::array::c_style>;

class PyShmWriter {
public:
    PyShmWriter(const std::string& name, uint32_t max_defenders, uint32_t max_receivers, uint32_t max_horizon)
        : dims_{max_defenders, max_receivers, max_horizon},
          mem_(SharedMemory::create(name, Layout::of(dims_).total_size)),
          writer_(std::make_unique<BlockWriter>(mem_.data(), mem_.size(), dims_)) {}

    void write(int64_t frame_id, int64_t time_us, uint64_t result_sequence, int64_t tick_monotonic_ns,
               uint32_t flags, int32_t phase, int32_t target_index, int64_t target_nfl_id,
               int64_t pass_forward_frame, int64_t pass_arrived_frame, double dt_s, double ball_x,
               double ball_y, const CArray<int64_t>& defender_ids, const CArray<int64_t>& receiver_ids,
               const CArray<double>& defender_xy, const CArray<double>& receiver_xy,
               const CArray<double>& mean, const CArray<double>& sigma, const CArray<double>& metric) {
        if (!writer_) throw std::runtime_error("ShmWriter is closed");
        const py::ssize_t nd = defender_ids.size(), nr = receiver_ids.size();
        if (mean.ndim() != 4 || mean.shape(0) != nd || mean.shape(1) != nr || mean.shape(3) != 2)
            throw py::value_error("mean: expected shape (D, R, H, 2) matching the id arrays");
        const py::ssize_t h = mean.shape(2);
        auto require = [](const py::array& a, py::ssize_t n, const char* what) {
            if (a.size() != n) throw py::value_error(std::string(what) + ": wrong size for the id arrays");
        };
        require(defender_xy, 2 * nd, "defender_xy");
        require(receiver_xy, 2 * nr, "receiver_xy");
        require(sigma, nd * nr * h * 2, "sigma");
        require(metric, nd * nr, "metric");
        if (nd > dims_.max_defenders || nr > dims_.max_receivers || h > dims_.max_horizon)
            throw py::value_error("frame larger than the shared-memory block's dimensions");
        FrameIn f;
        f.frame_id = frame_id;
        f.time_us = time_us;
        f.result_sequence = result_sequence;
        f.tick_monotonic_ns = tick_monotonic_ns;
        f.n_defenders = static_cast<uint32_t>(nd);
        f.n_receivers = static_cast<uint32_t>(nr);
        f.horizon = static_cast<uint32_t>(h);
        f.flags = flags;
        f.phase = phase;
        f.target_index = target_index;
        f.target_nfl_id = target_nfl_id;
        f.pass_forward_frame = pass_forward_frame;
        f.pass_arrived_frame = pass_arrived_frame;
        f.dt_s = dt_s;
        f.ball_x = ball_x;
        f.ball_y = ball_y;
        f.defender_ids = defender_ids.data();
        f.receiver_ids = receiver_ids.data();
        f.defender_xy = defender_xy.data();
        f.receiver_xy = receiver_xy.data();
        f.mean = mean.data();
        f.sigma = sigma.data();
        f.metric = metric.data();
        bool ok;
        {
            py::gil_scoped_release release;
            ok = writer_->write(f);
        }
        if (!ok) throw py::value_error("frame not written (missing arrays)");
    }

    void close() {
        writer_.reset();
        mem_.close();
    }
    std::string name() const { return mem_.name(); }
    std::size_t size() const { return mem_.size(); }
    uint64_t frames_written() const { return writer_ ? writer_->frames_written() : 0; }

private:
    Dims dims_;
    SharedMemory mem_;
    std::unique_ptr<BlockWriter> writer_;
};

class PyShmReader {
public:
    explicit PyShmReader(const std::string& name)
        : mem_(SharedMemory::open_read_only(name)), reader_(std::make_unique<BlockReader>(mem_.data(), mem_.size())) {}

    // The newest complete frame as a dict (None: nothing written yet, or no consistent copy
    // within max_tries). Arrays are compact numpy copies over the frame's counts.
    py::object read(int max_tries) {
        if (!reader_) throw std::runtime_error("ShmReader is closed");
        int got;
        {
            py::gil_scoped_release release;
            got = reader_->read(copy_, max_tries);
        }
        if (got < 0) return py::none();
        const Layout& L = reader_->layout();
        const FrameCopy& c = copy_;
        const uint32_t nd = c.u32(off::kNDefenders), nr = c.u32(off::kNReceivers), h = c.u32(off::kHorizon);
        if (nd > L.dims.max_defenders || nr > L.dims.max_receivers || h > L.dims.max_horizon)
            throw std::runtime_error("shared-memory frame with counts beyond the block");
        const std::size_t R = L.dims.max_receivers, H = L.dims.max_horizon;
        py::dict out;
        out["retries"] = got;
        out["checksum_ok"] = static_cast<uint64_t>(c.i64(off::kChecksum)) == frame_checksum(c, L);
        out["frame_id"] = c.i64(off::kFrameId);
        out["time_us"] = c.i64(off::kTimeUs);
        out["result_sequence"] = static_cast<uint64_t>(c.i64(off::kResultSequence));
        out["tick_monotonic_ns"] = c.i64(off::kTickMonotonicNs);
        out["write_monotonic_ns"] = c.i64(off::kWriteMonotonicNs);
        out["flags"] = c.u32(off::kFlags);
        out["phase"] = c.i32(off::kPhase);
        out["target_index"] = c.i32(off::kTargetIndex);
        out["target_nfl_id"] = c.i64(off::kTargetNflId);
        out["pass_forward_frame"] = c.i64(off::kPassForwardFrame);
        out["pass_arrived_frame"] = c.i64(off::kPassArrivedFrame);
        out["dt_s"] = c.f64(off::kDtS);
        out["ball_xy"] = py::make_tuple(c.f64(off::kBallX), c.f64(off::kBallY));
        CArray<int64_t> dids(nd), rids(nr);
        CArray<double> dxy({py::ssize_t(nd), py::ssize_t(2)}), rxy({py::ssize_t(nr), py::ssize_t(2)});
        CArray<double> mean({py::ssize_t(nd), py::ssize_t(nr), py::ssize_t(h), py::ssize_t(2)});
        CArray<double> sigma({py::ssize_t(nd), py::ssize_t(nr), py::ssize_t(h), py::ssize_t(2)});
        CArray<double> metric({py::ssize_t(nd), py::ssize_t(nr)});
        auto di = dids.mutable_data();
        auto ri = rids.mutable_data();
        for (uint32_t d = 0; d < nd; ++d) di[d] = c.array_i64(L.defender_ids, d);
        for (uint32_t r = 0; r < nr; ++r) ri[r] = c.array_i64(L.receiver_ids, r);
        for (uint32_t i = 0; i < 2 * nd; ++i) dxy.mutable_data()[i] = c.array_f64(L.defender_xy, i);
        for (uint32_t i = 0; i < 2 * nr; ++i) rxy.mutable_data()[i] = c.array_f64(L.receiver_xy, i);
        double* m = mean.mutable_data();
        double* s = sigma.mutable_data();
        double* q = metric.mutable_data();
        for (uint32_t d = 0; d < nd; ++d)
            for (uint32_t r = 0; r < nr; ++r) {
                q[d * nr + r] = c.array_f64(L.metric, d * R + r);
                for (uint32_t k = 0; k < 2 * h; ++k) {
                    const std::size_t dense = (std::size_t(d) * nr + r) * h * 2 + k;
                    m[dense] = c.array_f64(L.mean, (d * R + r) * H * 2 + k);
                    s[dense] = c.array_f64(L.sigma, (d * R + r) * H * 2 + k);
                }
            }
        out["defender_ids"] = dids;
        out["receiver_ids"] = rids;
        out["defender_xy"] = dxy;
        out["receiver_xy"] = rxy;
        out["mean"] = mean;
        out["sigma"] = sigma;
        out["metric"] = metric;
        return out;
    }

    uint64_t sequence() const { return reader_ ? reader_->sequence() : 0; }
    py::tuple dims() const {
        const Dims& d = reader_->layout().dims;
        return py::make_tuple(d.max_defenders, d.max_receivers, d.max_horizon);
    }
    std::size_t size() const { return mem_.size(); }
    void close() {
        reader_.reset();
        mem_.close();
    }

private:
    SharedMemory mem_;
    std::unique_ptr<BlockReader> reader_;
    FrameCopy copy_;
};

}  // namespace

// std::system_error (shm_open, mmap, ...) -> OSError with its errno (FileNotFoundError, ...).
template <class F>
auto os_errors(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::system_error& e) {
        PyErr_SetObject(PyExc_OSError, py::make_tuple(e.code().value(), e.what()).ptr());
        throw py::error_already_set();
    }
}

void bind_shm(py::module_& m) {
    py::class_<PyShmWriter>(m, "ShmWriter", "Writes frames into a new POSIX shared-memory block "
                                            "(docs/shared-memory.md); unlinks it on close().")
        .def(py::init([](const std::string& name, uint32_t d, uint32_t r, uint32_t h) {
                 return os_errors([&] { return new PyShmWriter(name, d, r, h); });
             }),
             py::arg("name"), py::arg("max_defenders"), py::arg("max_receivers"), py::arg("max_horizon"))
        .def("write", &PyShmWriter::write, py::arg("frame_id"), py::arg("time_us"), py::arg("result_sequence"),
             py::arg("tick_monotonic_ns"), py::arg("flags"), py::arg("phase"), py::arg("target_index"),
             py::arg("target_nfl_id"), py::arg("pass_forward_frame"), py::arg("pass_arrived_frame"),
             py::arg("dt_s"), py::arg("ball_x"), py::arg("ball_y"), py::arg("defender_ids"),
             py::arg("receiver_ids"), py::arg("defender_xy"), py::arg("receiver_xy"), py::arg("mean"),
             py::arg("sigma"), py::arg("metric"))
        .def("close", &PyShmWriter::close)
        .def_property_readonly("name", &PyShmWriter::name)
        .def_property_readonly("size", &PyShmWriter::size)
        .def_property_readonly("frames_written", &PyShmWriter::frames_written);
    py::class_<PyShmReader>(m, "ShmReader", "Reads the newest complete frame of a ghostedge "
                                            "shared-memory block (seqlock; never blocks the writer).")
        .def(py::init([](const std::string& name) { return os_errors([&] { return new PyShmReader(name); }); }),
             py::arg("name"))
        .def("read", &PyShmReader::read, py::arg("max_tries") = 10000)
        .def("close", &PyShmReader::close)
        .def_property_readonly("sequence", &PyShmReader::sequence)
        .def_property_readonly("dims", &PyShmReader::dims)
        .def_property_readonly("size", &PyShmReader::size);
    py::dict layout;
    layout["MAGIC"] = kMagic;
    layout["VERSION"] = kVersion;
    layout["HEADER_SIZE"] = kHeaderSize;
    layout["FLAG_OK"] = kFlagOk;
    m.attr("SHM_LAYOUT") = layout;
}
