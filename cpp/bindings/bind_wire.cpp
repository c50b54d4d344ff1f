// Bindings of the tag-read packet encoder and streaming decoder (ghostedge/wire.hpp).
// Registers the numpy dtype of TagRead: other binding files use py::array_t<TagRead> freely
// but must not register it again.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ghostedge/crc32c.hpp"
#include "ghostedge/wire.hpp"

namespace py = pybind11;
using ghostedge::TagRead;

namespace {

using ReadArray = py::array_t<TagRead, py::array::c_style>;

// A read-only, C-contiguous byte view of any buffer-protocol object (bytes, bytearray,
// memoryview, numpy uint8/int8 arrays, mmap), held without copying for the view's lifetime.
class ByteView {
public:
    explicit ByteView(py::handle obj) {
        if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0) throw py::error_already_set();
        if (view_.itemsize != 1) {
            const auto itemsize = view_.itemsize;
            PyBuffer_Release(&view_);
            throw py::type_error("expected a buffer of bytes (itemsize 1), got itemsize " +
                                 std::to_string(itemsize));
        }
    }
    ~ByteView() { PyBuffer_Release(&view_); }
    ByteView(const ByteView&) = delete;
    ByteView& operator=(const ByteView&) = delete;
    const uint8_t* data() const { return static_cast<const uint8_t*>(view_.buf); }
    size_t size() const { return static_cast<size_t>(view_.len); }

private:
    Py_buffer view_{};
};

ReadArray checked_reads(const py::array& arr, const char* what, bool writable) {
    if (!ReadArray::check_(arr))
        throw py::value_error(std::string(what) +
                              " must be a C-contiguous numpy array of ghostedge.wire.READ_DTYPE, got dtype " +
                              py::str(arr.dtype()).cast<std::string>());
    if (arr.ndim() != 1) throw py::value_error(std::string(what) + " must be 1-D");
    if (writable && !arr.writeable()) throw py::value_error(std::string(what) + " is read-only");
    return py::reinterpret_borrow<ReadArray>(arr);
}

[[noreturn]] void raise_encode_error(const ghostedge::EncodeResult& result, const TagRead* reads,
                                     size_t packet) {
    std::string msg = "cannot encode packet " + std::to_string(packet) + ": ";
    if (result.status == ghostedge::EncodeStatus::too_many_records ||
        result.status == ghostedge::EncodeStatus::bad_capture_time) {
        msg += ghostedge::to_string(result.status);
    } else {
        const TagRead& r = reads[result.index];
        msg += "read " + std::to_string(result.index) + " (tag_id " + std::to_string(r.tag_id) +
               ", time_us " + std::to_string(r.time_us) + ", x " + std::to_string(r.x) + ", y " +
               std::to_string(r.y) + ", z " + std::to_string(r.z) +
               "): " + ghostedge::to_string(result.status);
    }
    throw py::value_error(msg);
}

py::array_t<uint8_t> vector_to_array(std::vector<uint8_t>&& bytes) {
    auto* owned = new std::vector<uint8_t>(std::move(bytes));
    py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<uint8_t>*>(p); });
    return py::array_t<uint8_t>({static_cast<py::ssize_t>(owned->size())}, {1}, owned->data(),
                                free_when_done);
}

// The decoder as Python sees it. The GIL is released while decoding, so a guard turns
// concurrent use of one decoder from two threads into an error instead of a data race.
class PyDecoder {
public:
    // Returned as py::array (a TagRead structured array): the typed array_t would put the C++
    // type name into the signature that stub generators read.
    py::array feed(py::handle data) {
        ByteView bytes(data);
        Busy busy(*this);
        const size_t capacity = decoder_.max_reads(bytes.size());
        ReadArray out(static_cast<py::ssize_t>(capacity));
        TagRead* dst = out.mutable_data();
        size_t written;
        {
            py::gil_scoped_release release;
            written = decoder_.feed(bytes.data(), bytes.size(), dst, capacity);
        }
        out.resize({static_cast<py::ssize_t>(written)});
        return out;
    }

    size_t feed_into(py::handle data, const py::array& out) {
        ReadArray dst = checked_reads(out, "out", true);
        ByteView bytes(data);
        Busy busy(*this);
        TagRead* ptr = dst.mutable_data();
        const auto capacity = static_cast<size_t>(dst.shape(0));
        py::gil_scoped_release release;
        return decoder_.feed(bytes.data(), bytes.size(), ptr, capacity);
    }

    py::array finish() {
        Busy busy(*this);
        const size_t capacity = decoder_.max_reads(0);
        ReadArray out(static_cast<py::ssize_t>(capacity));
        const size_t written = decoder_.finish(out.mutable_data(), capacity);
        out.resize({static_cast<py::ssize_t>(written)});
        return out;
    }

    py::dict stats() const {
        py::dict d;
        const ghostedge::DecodeStats& s = decoder_.stats();
        for (const auto& [name, member] : ghostedge::kDecodeStatCounters) d[name] = s.*member;
        return d;
    }

    void reset() {
        Busy busy(*this);
        decoder_.reset();
    }
    size_t buffered() const { return decoder_.buffered(); }
    size_t max_reads(size_t n) const { return decoder_.max_reads(n); }

private:
    struct Busy {
        explicit Busy(PyDecoder& d) : owner(d) {
            if (owner.busy_.exchange(true))
                throw std::runtime_error("Decoder is in use by another thread; use one Decoder per thread");
        }
        ~Busy() { owner.busy_ = false; }
        PyDecoder& owner;
    };
    ghostedge::StreamDecoder decoder_;
    std::atomic<bool> busy_{false};
};

}  // namespace

void bind_wire(py::module_& m) {
    PYBIND11_NUMPY_DTYPE(TagRead, time_us, tag_id, x, y, z, quality);
    namespace wire = ghostedge::wire;

    m.attr("WIRE_VERSION") = wire::kVersion;
    m.attr("WIRE_HEADER_SIZE") = wire::kHeaderSize;
    m.attr("WIRE_RECORD_SIZE") = wire::kRecordSize;
    m.attr("WIRE_MAX_RECORDS") = wire::kMaxRecords;
    m.attr("WIRE_MAX_PACKET_SIZE") = wire::kMaxPacketSize;
    m.attr("WIRE_SEQUENCE_WINDOW") = wire::kSequenceWindow;
    m.attr("WIRE_CRC_OFFSET") = wire::kCrcOffset;
    m.attr("WIRE_MAGIC") = py::bytes(reinterpret_cast<const char*>(wire::kMagicBytes), 4);
    m.attr("read_dtype") = py::dtype::of<TagRead>();
    py::list counters;
    for (const auto& entry : ghostedge::kDecodeStatCounters) counters.append(entry.first);
    m.attr("DECODE_STAT_COUNTERS") = py::tuple(counters);

    m.def(
        "crc32c",
        [](py::handle data, uint32_t crc) {
            ByteView bytes(data);
            py::gil_scoped_release release;
            return ghostedge::crc32c(crc, bytes.data(), bytes.size());
        },
        py::arg("data"), py::arg("crc") = 0u,
        "CRC-32C of a bytes-like object; pass a previous result as `crc` to continue it.");
    m.def(
        "read_header",
        [](py::handle data) -> py::object {
            ByteView bytes(data);
            ghostedge::PacketHeader h;
            if (!ghostedge::read_header(bytes.data(), bytes.size(), h)) return py::none();
            py::dict d;
            d["version"] = h.version;
            d["flags"] = h.flags;
            d["record_count"] = h.record_count;
            d["sequence"] = h.sequence;
            d["reserved"] = h.reserved;
            d["capture_time_us"] = h.capture_time_us;
            d["crc32c"] = h.crc32c;
            d["reserved2"] = h.reserved2;
            return std::move(d);
        },
        py::arg("data"),
        "The header fields of the packet at the start of `data` as a dict (unvalidated), or "
        "None when `data` is shorter than a header or does not start with the magic.");
    m.def("crc32c_hardware", &ghostedge::crc32c_hardware,
          "True when crc32c uses the CPU's CRC32 instruction (SSE4.2).");

    m.def(
        "encode_packet",
        [](const py::array& reads, uint32_t sequence, int64_t capture_time_us) {
            const ReadArray r = checked_reads(reads, "reads", false);
            const TagRead* ptr = r.data();
            const auto n = static_cast<size_t>(r.shape(0));
            std::vector<uint8_t> out;
            ghostedge::EncodeResult result;
            {
                py::gil_scoped_release release;
                result = ghostedge::encode_packet(sequence, capture_time_us, ptr, n, out);
            }
            if (!result.ok()) raise_encode_error(result, ptr, 0);
            return py::bytes(reinterpret_cast<const char*>(out.data()), static_cast<py::ssize_t>(out.size()));
        },
        py::arg("reads"), py::arg("sequence"), py::arg("capture_time_us"),
        "Encode one packet; ValueError on out-of-range reads or more than 1024 of them.");

    m.def(
        "encode_packets",
        [](const py::array& reads, py::array_t<int64_t, py::array::c_style | py::array::forcecast> counts,
           py::array_t<uint32_t, py::array::c_style | py::array::forcecast> sequences,
           py::array_t<int64_t, py::array::c_style | py::array::forcecast> capture_times_us) {
            const ReadArray r = checked_reads(reads, "reads", false);
            const auto k = counts.size();
            if (counts.ndim() != 1 || sequences.ndim() != 1 || capture_times_us.ndim() != 1 ||
                sequences.size() != k || capture_times_us.size() != k)
                throw py::value_error("counts, sequences and capture_times_us must be 1-D of equal length");
            const int64_t* cnt = counts.data();
            int64_t total_reads = 0;
            for (py::ssize_t i = 0; i < k; ++i) {
                if (cnt[i] < 0) throw py::value_error("counts must be >= 0");
                total_reads += cnt[i];
            }
            if (total_reads != r.shape(0))
                throw py::value_error("counts sum to " + std::to_string(total_reads) + " but there are " +
                                      std::to_string(r.shape(0)) + " reads");
            std::vector<uint8_t> out;
            std::vector<int64_t> offsets(static_cast<size_t>(k) + 1, 0);
            ghostedge::EncodeResult result;
            size_t failed = 0, first = 0;
            {
                py::gil_scoped_release release;
                out.reserve(static_cast<size_t>(k) * ghostedge::wire::kHeaderSize +
                            static_cast<size_t>(total_reads) * ghostedge::wire::kRecordSize);
                for (size_t i = 0; i < static_cast<size_t>(k); ++i) {
                    const auto n = static_cast<size_t>(cnt[i]);
                    result = ghostedge::encode_packet(sequences.data()[i], capture_times_us.data()[i],
                                                      r.data() + first, n, out);
                    if (!result.ok()) {
                        failed = i;
                        break;
                    }
                    first += n;
                    offsets[i + 1] = static_cast<int64_t>(out.size());
                }
            }
            if (!result.ok()) raise_encode_error(result, r.data() + first, failed);
            py::array_t<int64_t> offsets_array(static_cast<py::ssize_t>(offsets.size()));
            std::copy(offsets.begin(), offsets.end(), offsets_array.mutable_data());
            return py::make_tuple(vector_to_array(std::move(out)), offsets_array);
        },
        py::arg("reads"), py::arg("counts"), py::arg("sequences"), py::arg("capture_times_us"),
        "Encode many packets at once: packet i holds the next counts[i] reads. Returns the "
        "concatenated stream (uint8 array) and the packet offsets (int64, length k + 1).");

    py::class_<PyDecoder>(m, "WireDecoder", "Streaming tag-read packet decoder (one per sender).")
        .def(py::init<>())
        .def("feed", &PyDecoder::feed, py::arg("data"))
        .def("feed_into", &PyDecoder::feed_into, py::arg("data"), py::arg("out"))
        .def("finish", &PyDecoder::finish)
        .def("stats", &PyDecoder::stats)
        .def("reset", &PyDecoder::reset)
        .def("max_reads", &PyDecoder::max_reads, py::arg("nbytes"))
        .def_property_readonly("buffered", &PyDecoder::buffered);
}
