#include "ghostedge/registry.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace ghostedge {

uint32_t derived_tag_id(int64_t nfl_id, TagRole role) {
    if (role == TagRole::kBall) return kBallTagId;
    if (nfl_id <= 0 || nfl_id > 0x7FFFFFFFLL) {
        throw std::invalid_argument("nflId " + std::to_string(nfl_id) +
                                    " cannot be turned into a tag id (must be 1 .. 2147483647)");
    }
    return static_cast<uint32_t>(nfl_id) * 2u + (role == TagRole::kRightShoulder ? 1u : 0u);
}

static const char* role_name(TagRole role) {
    switch (role) {
        case TagRole::kLeftShoulder: return "left_shoulder";
        case TagRole::kRightShoulder: return "right_shoulder";
        case TagRole::kBall: return "ball";
    }
    return "?";
}

TagRegistry::TagRegistry(const std::vector<TagAssignment>& tags) {
    std::unordered_map<int64_t, int32_t> slot_of;
    sorted_.reserve(tags.size());
    for (const TagAssignment& t : tags) {
        if (t.tag_id == kNoTag) {
            throw std::invalid_argument("tag id 0 is reserved (nflId " + std::to_string(t.nfl_id) + ")");
        }
        if (t.role != TagRole::kLeftShoulder && t.role != TagRole::kRightShoulder &&
            t.role != TagRole::kBall) {
            throw std::invalid_argument("tag " + std::to_string(t.tag_id) + ": unknown role " +
                                        std::to_string(static_cast<int>(t.role)));
        }
        TagSlot where{-1, t.role};
        if (t.role == TagRole::kBall) {
            ++n_ball_tags_;
        } else {
            if (t.nfl_id <= 0) {
                throw std::invalid_argument("tag " + std::to_string(t.tag_id) + ": bad nflId " +
                                            std::to_string(t.nfl_id) + " for a shoulder tag");
            }
            auto it = slot_of.find(t.nfl_id);
            if (it == slot_of.end()) {
                it = slot_of.emplace(t.nfl_id, static_cast<int32_t>(slot_nfl_ids_.size())).first;
                slot_nfl_ids_.push_back(t.nfl_id);
                left_tags_.push_back(kNoTag);
                right_tags_.push_back(kNoTag);
            }
            where.slot = it->second;
            uint32_t& side = t.role == TagRole::kLeftShoulder ? left_tags_[static_cast<std::size_t>(where.slot)]
                                                              : right_tags_[static_cast<std::size_t>(where.slot)];
            if (side != kNoTag) {
                throw std::invalid_argument("nflId " + std::to_string(t.nfl_id) + " has two " +
                                            role_name(t.role) + " tags (" + std::to_string(side) +
                                            " and " + std::to_string(t.tag_id) + ")");
            }
            side = t.tag_id;
        }
        sorted_.push_back({t.tag_id, where});
    }
    std::sort(sorted_.begin(), sorted_.end(),
              [](const Entry& a, const Entry& b) { return a.tag_id < b.tag_id; });
    for (std::size_t i = 1; i < sorted_.size(); ++i) {
        if (sorted_[i].tag_id == sorted_[i - 1].tag_id) {
            throw std::invalid_argument("duplicate tag id " + std::to_string(sorted_[i].tag_id));
        }
    }
}

uint32_t TagRegistry::shoulder_tag(std::size_t slot, TagRole side) const noexcept {
    if (slot >= slot_nfl_ids_.size()) return kNoTag;
    if (side == TagRole::kLeftShoulder) return left_tags_[slot];
    if (side == TagRole::kRightShoulder) return right_tags_[slot];
    return kNoTag;
}

std::vector<int32_t> TagRegistry::single_tag_slots() const {
    std::vector<int32_t> out;
    for (std::size_t i = 0; i < slot_nfl_ids_.size(); ++i) {
        if (left_tags_[i] == kNoTag || right_tags_[i] == kNoTag) out.push_back(static_cast<int32_t>(i));
    }
    return out;
}

bool TagRegistry::lookup(uint32_t tag_id, TagSlot& out) const noexcept {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), tag_id,
                               [](const Entry& e, uint32_t id) { return e.tag_id < id; });
    if (it == sorted_.end() || it->tag_id != tag_id) return false;
    out = it->where;
    return true;
}

}  // namespace ghostedge
