"""Who the patient is, from triage and the customer profile: the populations that apply and
the child's age. Shared by the medication checks and the escalation rules."""

from __future__ import annotations

import re

from copilot.safety.quantities import cn_to_number
from copilot.schemas import Profile, Triage

ELDERLY_AGE = 65


def active_populations(triage: Triage, profile: Profile, profile_populations: set[str]) -> set[str]:
    """Population ids that hold: named in the conversation (not negated), flagged in the
    profile, the profile's conditions (`profile_populations`, mapped from words), and elderly
    by age."""
    pops = {p.population for p in triage.populations if not p.negated}
    # the message says the record's state is over (我断奶半年了 档案里还没改, 没怀孕): it holds over
    # the record's flag
    denied = {p.population for p in triage.populations if p.negated} - pops
    if not triage.about_other_person:
        # the record is the customer's own: not what the message asks for another adult
        if profile.pregnant and "pregnant" not in denied:
            pops.add("pregnant")
        if profile.trying_to_conceive and "trying_to_conceive" not in denied:
            pops.add("trying_to_conceive")
        if profile.breastfeeding and "breastfeeding" not in denied:
            pops.add("breastfeeding")
        pops.update(profile.conditions)
        pops |= profile_populations
    age = triage.patient_age_years
    if age is None and not triage.about_other_person:
        age = profile.age_years
    if age is not None and age >= ELDERLY_AGE:
        pops.add("elderly")
    return pops


def child_age_from_profile(profile: Profile | None) -> float | None:
    """A minor's own record (a parent's account for the child): their age; else None."""
    if profile is not None and profile.age_years is not None and profile.age_years < 18:
        return profile.age_years
    return None


def child_age(triage: Triage, profile: Profile) -> float | None:
    """The child's age in years: from the conversation, else a minor's own profile."""
    if triage.child_age_years is not None:
        return triage.child_age_years
    return None if triage.about_other_person else child_age_from_profile(profile)


def child_mentioned(pops: set[str], age: float | None) -> bool:
    return bool(pops & {"child", "infant"}) or age is not None


# Medicines counted in words (每天七八样药, 吃着四五种药, 一大把药, 好几种药): how many the
# patient takes, when the message does not name them.
_COUNTED = re.compile(
    r"([两三四五六七八九十几\d]+|好几|十几|一大堆|一堆|一大把|一把)\s*(种|样|类|个)?的?\s*药"
)
_MANY_WORDS = {"好几": 3, "十几": 10, "一大堆": 5, "一堆": 4, "一大把": 5, "一把": 4}


def medicines_counted(text: str) -> int:
    """The largest count of medicines said in words in `text` (0 when none): 七八样药 → 8."""
    best = 0
    for m in _COUNTED.finditer(text):
        word = m.group(1)
        if word in _MANY_WORDS:
            best = max(best, _MANY_WORDS[word])
            continue
        if m.group(2) is None and not word.isdigit():
            continue  # 三药 is not a count; 三种药, 3样药 are
        digits = [cn_to_number(ch) or 0 for ch in word] if not word.isdigit() else [int(word)]
        best = max(best, int(max(digits)))  # 四五种 → 5, 七八样 → 8
    return best
