// Tag registry (roster): which radio tag belongs to which player slot and shoulder, and which
// tags are in the ball. Static data, built once before a game; lookups never allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ghostedge {

enum class TagRole : uint8_t { kLeftShoulder = 0, kRightShoulder = 1, kBall = 2 };

// Tag ids derived from nflIds: nflId*2 (left) and nflId*2+1 (right); the ball is tag 1.
// Tag id 0 is reserved as "no tag".
constexpr uint32_t kBallTagId = 1;
constexpr uint32_t kNoTag = 0;

struct TagAssignment {
    uint32_t tag_id;
    int64_t nfl_id;  // ignored (may be anything) for ball tags
    TagRole role;
};

struct TagSlot {
    int32_t slot;  // player slot index, or -1 for a ball tag
    TagRole role;
};

// Deterministic tag id for a player's shoulder; throws std::invalid_argument when the nflId
// does not fit (nflId must be in 1 .. 2^31-1).
uint32_t derived_tag_id(int64_t nfl_id, TagRole role);

class TagRegistry {
public:
    // Validates the whole roster; throws std::invalid_argument naming the offending tag/player
    // (duplicate tag id, tag id 0, nflId <= 0, two tags for the same shoulder).
    // Player slots are numbered in order of first appearance.
    explicit TagRegistry(const std::vector<TagAssignment>& tags);

    std::size_t n_players() const noexcept { return slot_nfl_ids_.size(); }
    const std::vector<int64_t>& slot_nfl_ids() const noexcept { return slot_nfl_ids_; }
    // Tag of a slot's shoulder, kNoTag when the roster gives that player only one tag.
    uint32_t shoulder_tag(std::size_t slot, TagRole side) const noexcept;
    std::size_t n_ball_tags() const noexcept { return n_ball_tags_; }
    // Slots whose player has only one shoulder tag (allowed; fusion then always falls back).
    std::vector<int32_t> single_tag_slots() const;
    // Binary search in a sorted table; false for an unknown tag. Never allocates or throws.
    bool lookup(uint32_t tag_id, TagSlot& out) const noexcept;

private:
    struct Entry {
        uint32_t tag_id;
        TagSlot where;
    };
    std::vector<Entry> sorted_;
    std::vector<int64_t> slot_nfl_ids_;
    std::vector<uint32_t> left_tags_, right_tags_;
    std::size_t n_ball_tags_ = 0;
};

}  // namespace ghostedge
