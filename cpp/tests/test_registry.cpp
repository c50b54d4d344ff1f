// Tag registry: slots, lookups, derived ids and every validation error.
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "ghostedge/registry.hpp"

using namespace ghostedge;

template <class F>
static bool throws(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument&) {
        return true;
    }
    return false;
}

int main() {
    const TagRegistry reg({{10, 5, TagRole::kLeftShoulder},
                           {11, 5, TagRole::kRightShoulder},
                           {1, -1, TagRole::kBall},
                           {20, 9, TagRole::kRightShoulder}});
    CHECK(reg.n_players() == 2);
    CHECK(reg.slot_nfl_ids()[0] == 5 && reg.slot_nfl_ids()[1] == 9);
    CHECK(reg.n_ball_tags() == 1);
    TagSlot where{};
    CHECK(reg.lookup(11, where) && where.slot == 0 && where.role == TagRole::kRightShoulder);
    CHECK(reg.lookup(1, where) && where.slot == -1 && where.role == TagRole::kBall);
    CHECK(!reg.lookup(12, where));
    CHECK(!reg.lookup(0, where));
    CHECK(reg.shoulder_tag(1, TagRole::kLeftShoulder) == kNoTag);
    CHECK(reg.single_tag_slots().size() == 1 && reg.single_tag_slots()[0] == 1);

    CHECK(derived_tag_id(5, TagRole::kLeftShoulder) == 10);
    CHECK(derived_tag_id(5, TagRole::kRightShoulder) == 11);
    CHECK(derived_tag_id(123, TagRole::kBall) == kBallTagId);
    CHECK(throws([] { derived_tag_id(0, TagRole::kLeftShoulder); }));
    CHECK(throws([] { derived_tag_id(0x80000000LL, TagRole::kLeftShoulder); }));

    CHECK(throws([] { TagRegistry({{10, 5, TagRole::kLeftShoulder}, {10, 6, TagRole::kLeftShoulder}}); }));
    CHECK(throws([] { TagRegistry({{10, 5, TagRole::kLeftShoulder}, {12, 5, TagRole::kLeftShoulder}}); }));
    CHECK(throws([] { TagRegistry({{0, 5, TagRole::kLeftShoulder}}); }));
    CHECK(throws([] { TagRegistry({{10, -3, TagRole::kLeftShoulder}}); }));
    CHECK(throws([] { TagRegistry({{10, 5, static_cast<TagRole>(7)}}); }));
    CHECK(TagRegistry(std::vector<TagAssignment>{}).n_players() == 0);
    return check::finish();
}
