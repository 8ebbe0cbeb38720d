"""Who the patient is, from triage and the customer profile: the populations that apply and
the child's age. Shared by the medication checks and the escalation rules."""

from __future__ import annotations

from copilot.schemas import Profile, Triage

ELDERLY_AGE = 65


def active_populations(triage: Triage, profile: Profile, profile_populations: set[str]) -> set[str]:
    """Population ids that hold: named in the conversation (not negated), flagged in the
    profile, the profile's conditions (`profile_populations`, mapped from words), and elderly
    by age."""
    pops = {p.population for p in triage.populations if not p.negated}
    if profile.pregnant:
        pops.add("pregnant")
    if profile.trying_to_conceive:
        pops.add("trying_to_conceive")
    if profile.breastfeeding:
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
