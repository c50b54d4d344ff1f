// Bindings of the live ingest pipeline (ghostedge/pipeline.hpp). The frame arrays are
// read-only numpy views of the pipeline's own buffers (valid until the next tick).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "batch_args.hpp"
#include "ghostedge/pipeline.hpp"

namespace py = pybind11;
using namespace ghostedge;
using namespace ghostedge_bindings;

namespace {

class PyPipeline {
public:
    PyPipeline(const TagRegistry& registry, const PipelineConfig& cfg) : p_(registry, cfg) {}

    void push(py::handle data) {
        Py_buffer view{};
        if (PyObject_GetBuffer(data.ptr(), &view, PyBUF_C_CONTIGUOUS) != 0) throw py::error_already_set();
        struct Release {
            Py_buffer* v;
            ~Release() { PyBuffer_Release(v); }
        } release_view{&view};
        if (view.itemsize != 1) throw py::type_error("push() expects a buffer of bytes (itemsize 1)");
        Busy busy(*this);
        py::gil_scoped_release release;
        p_.push(static_cast<const uint8_t*>(view.buf), static_cast<std::size_t>(view.len));
    }

    void push_reads(const py::array& reads) {
        using ReadArray = py::array_t<TagRead, py::array::c_style>;
        if (!ReadArray::check_(reads) || reads.ndim() != 1)
            throw py::value_error("reads must be a 1-D C-contiguous array of ghostedge.wire.READ_DTYPE");
        auto arr = py::reinterpret_borrow<ReadArray>(reads);
        Busy busy(*this);
        py::gil_scoped_release release;
        p_.push_reads(arr.data(), static_cast<std::size_t>(arr.shape(0)));
    }

    void tick(int64_t time_us) {
        Busy busy(*this);
        py::gil_scoped_release release;
        p_.tick(time_us);
    }
    void finish_stream() {
        Busy busy(*this);
        p_.finish_stream();
    }
    void reset() {
        Busy busy(*this);
        p_.reset();
    }

    py::dict counters() const { return counters_dict(p_.counters(), p_.decode_stats()); }
    py::dict timings() const {
        const StageTimings& t = p_.timings();
        py::dict d;
        d["decode_s"] = t.decode_s; d["sort_s"] = t.sort_s; d["fuse_s"] = t.fuse_s; d["filter_s"] = t.filter_s;
        d["total_decode_s"] = t.total_decode_s; d["total_sort_s"] = t.total_sort_s;
        d["total_fuse_s"] = t.total_fuse_s; d["total_filter_s"] = t.total_filter_s;
        return d;
    }
    py::tuple rejected_reads() const {
        const auto& r = p_.rejected_reads();
        const auto n = static_cast<py::ssize_t>(r.size());
        py::array_t<int64_t> t(n);
        py::array_t<uint32_t> tag(n);
        py::array_t<uint8_t> reason(n);
        for (py::ssize_t i = 0; i < n; ++i) {
            const RejectedRead& e = r[static_cast<std::size_t>(i)];
            t.mutable_at(i) = e.time_us;
            tag.mutable_at(i) = e.tag_id;
            reason.mutable_at(i) = static_cast<uint8_t>(e.reason);
        }
        return py::make_tuple(t, tag, reason);
    }
    const IngestPipeline& core() const { return p_; }

private:
    struct Busy {
        explicit Busy(PyPipeline& o) : owner(o) {
            if (owner.busy_.exchange(true))
                throw std::runtime_error("IngestPipeline is in use by another thread; use one per thread");
        }
        ~Busy() { owner.busy_ = false; }
        PyPipeline& owner;
    };
    IngestPipeline p_;
    std::atomic<bool> busy_{false};
};

template <class T>
py::array readonly_view(const std::vector<T>& v, py::handle owner) {
    py::array_t<T> a(static_cast<py::ssize_t>(v.size()), v.data(), owner);
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return std::move(a);
}

}  // namespace

void bind_pipeline(py::module_& m) {
    py::class_<PyPipeline> cls(m, "IngestPipeline",
                               "decode -> fuse -> filter; push bytes or reads, tick once per output frame");
    cls.def(py::init([](const TagRegistry& registry, double rate_hz, double read_sigma_yd,
                        double shoulder_half_width_yd, double read_gate_yd, double max_speed_yps,
                        double jerk_psd, double hold_time_s, std::size_t read_buffer_capacity,
                        double delay_s) {
                const PipelineConfig cfg = pipeline_config(
                    rate_hz, read_sigma_yd, shoulder_half_width_yd, read_gate_yd, max_speed_yps,
                    jerk_psd, hold_time_s, read_buffer_capacity, delay_s);
                return new PyPipeline(registry, cfg);  // std::invalid_argument -> ValueError
            }),
            py::arg("registry"), GHOSTEDGE_PIPELINE_KWARGS)
        .def("push", &PyPipeline::push, py::arg("data"), "feed packet bytes (any buffer, any chunking)")
        .def("push_reads", &PyPipeline::push_reads, py::arg("reads"))
        .def("finish_stream", &PyPipeline::finish_stream)
        .def("tick", &PyPipeline::tick, py::arg("time_us"))
        .def("reset", &PyPipeline::reset)
        .def("counters", &PyPipeline::counters)
        .def("timings", &PyPipeline::timings)
        .def("rejected_reads", &PyPipeline::rejected_reads,
             "(time_us, tag_id, reason) of the reads rejected in the last tick; reason 1 off-field, 2 gated")
        .def_property_readonly("n_players", [](const PyPipeline& p) { return p.core().n_players(); })
        .def_property_readonly("rate_hz", [](const PyPipeline& p) { return p.core().config().rate_hz; })
        .def_property_readonly("delay_s", [](const PyPipeline& p) { return p.core().config().delay_s; })
        .def_property_readonly("slot_nfl_ids", [](const PyPipeline& p) {
            const auto& ids = p.core().registry().slot_nfl_ids();
            return py::array_t<int64_t>(static_cast<py::ssize_t>(ids.size()), ids.data());
        })
        .def_property_readonly("frame_time_us", [](const PyPipeline& p) { return p.core().frame().time_us; });
    py::dict defaults;  // configuration the Python side needs to know, from its one source here
    defaults["field_margin_yd"] = FusionConfig{}.field_margin_yd;
    m.attr("PIPELINE_DEFAULTS") = defaults;
    // Views of the frame buffers: rows = player slots, then the ball.
    cls.def_property_readonly("x", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().x, self); })
        .def_property_readonly("y", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().y, self); })
        .def_property_readonly("s", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().s, self); })
        .def_property_readonly("a", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().a, self); })
        .def_property_readonly("dir", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().dir, self); })
        .def_property_readonly("o", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().o, self); })
        .def_property_readonly("raw_x", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().raw_x, self); })
        .def_property_readonly("raw_y", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().raw_y, self); })
        .def_property_readonly("raw_time_us", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().raw_time_us, self); })
        .def_property_readonly("flags", [](py::object self) { return readonly_view(self.cast<const PyPipeline&>().core().frame().flags, self); });
}
