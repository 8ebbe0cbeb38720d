"""The customer's health record (用药档案): kept per customer id from the chat system, outliving
any one conversation, read for every suggestion of that customer and edited by agents and
pharmacists (audited, conditional on the version they saw).

What a record holds and why (FACTS.md, personal information: purpose and minimum): what the
safety checks need — allergies, chronic conditions, the medicines taken now, the customer's own
do-not-use list, pregnancy or breastfeeding with the date it was noted, the birth year — and the
medication history the pharmacist reads. Nothing else: no name, phone or address.

Dated states expire: a pregnancy noted more than 300 days ago, or breastfeeding noted more than
a year ago, no longer counts, and the record says it needs checking with the customer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.desk.tables import Conversation, CustomerRecord, User
from copilot.schemas import Profile, ShortList, ShortText

PREGNANCY_VALID = timedelta(days=300)
BREASTFEEDING_VALID = timedelta(days=365)

_LISTS = ("allergies", "conditions", "current_medicines", "do_not_use")
FIELD_NAMES = {
    "birth_year": "出生年份",
    "sex": "性别",
    "pregnant_noted_on": "孕期（记录日期）",
    "breastfeeding_noted_on": "哺乳期（记录日期）",
    "allergies": "过敏史",
    "conditions": "慢性病/状况",
    "current_medicines": "正在使用的药品",
    "do_not_use": "个人禁用清单",
    "medication_history": "用药史",
}


class MedicationEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product: ShortText = Field(min_length=1, description="Label id or drug name.")
    since: date | None = None
    until: date | None = None
    note: ShortText = ""


class HealthRecord(BaseModel):
    """What an agent or pharmacist may write into a record."""

    model_config = ConfigDict(extra="forbid")
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    sex: str | None = Field(default=None, pattern="^(female|male)$")
    pregnant_noted_on: date | None = Field(
        default=None, description="The day the customer said she is pregnant (empty: not)."
    )
    breastfeeding_noted_on: date | None = None
    allergies: ShortList = Field(default_factory=list)
    conditions: ShortList = Field(default_factory=list)
    current_medicines: ShortList = Field(default_factory=list)
    do_not_use: ShortList = Field(default_factory=list)
    medication_history: list[MedicationEntry] = Field(default_factory=list, max_length=200)

    @field_validator("birth_year")
    @classmethod
    def _not_future(cls, year: int | None) -> int | None:
        if year is not None and year > datetime.now(UTC).year:
            raise ValueError("出生年份不能晚于今年")
        return year

    @field_validator("pregnant_noted_on", "breastfeeding_noted_on")
    @classmethod
    def _not_ahead(cls, day: date | None) -> date | None:
        if day is not None and day > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError("记录日期不能晚于今天")
        return day


class RecordView(HealthRecord):
    """A stored record as pages and the API show it."""

    customer_ref: str
    version: int
    updated_at: datetime | None = None
    updated_by: str | None = None
    stale: list[str] = Field(
        default_factory=list, description="Dated states that have lapsed and need asking again."
    )


class RecordConflict(Exception):
    """Someone saved the record after the version this edit started from."""

    def __init__(self, who: str, at: datetime | None) -> None:
        super().__init__(who)
        self.who, self.at = who, at


def today() -> date:
    return datetime.now(UTC).date()


def lapsed(record: HealthRecord, on: date) -> list[str]:
    out = []
    if record.pregnant_noted_on and on - record.pregnant_noted_on > PREGNANCY_VALID:
        out.append("孕期记录已超过300天，请向顾客核实后更新")
    if record.breastfeeding_noted_on and on - record.breastfeeding_noted_on > BREASTFEEDING_VALID:
        out.append("哺乳期记录已超过一年，请向顾客核实后更新")
    return out


def as_profile(record: HealthRecord, on: date | None = None) -> Profile:
    """The record as the safety layer reads it. Age from the birth year is the midpoint of the
    two possible ages (a birth year gives the age only to within a year)."""
    on = on or today()
    age = None
    if record.birth_year is not None:
        age = max(0.0, on.year - record.birth_year - 0.5)
    pregnant = bool(record.pregnant_noted_on and on - record.pregnant_noted_on <= PREGNANCY_VALID)
    breastfeeding = bool(
        record.breastfeeding_noted_on and on - record.breastfeeding_noted_on <= BREASTFEEDING_VALID
    )
    return Profile(
        age_years=age,
        sex=record.sex,
        pregnant=pregnant,
        breastfeeding=breastfeeding,
        allergies=record.allergies,
        conditions=record.conditions,
        current_medicines=record.current_medicines,
        do_not_use=record.do_not_use,
    )


def merged(given: Profile, record: Profile | None) -> Profile:
    """What the chat system sent with the message (or the conversation kept) together with the
    customer's record: lists are joined, a population flag set on either side holds, and the age
    sent with the message wins (it may be a parent asking from the child's account)."""
    if record is None:
        return given
    data = given.model_dump()
    for key in _LISTS:
        data[key] = list(dict.fromkeys([*getattr(given, key), *getattr(record, key)]))[:50]
    for flag in ("pregnant", "breastfeeding", "trying_to_conceive"):
        data[flag] = getattr(given, flag) or getattr(record, flag)
    data["age_years"] = given.age_years if given.age_years is not None else record.age_years
    data["sex"] = given.sex or record.sex
    return Profile.model_validate(data)


def summary(record: HealthRecord | None) -> str:
    """One line for the console and the queue: what the checks will read."""
    if record is None:
        return "未建立"
    parts = []
    if record.birth_year:
        parts.append(f"{record.birth_year}年生")
    profile = as_profile(record)
    if profile.pregnant:
        parts.append("孕期")
    if profile.breastfeeding:
        parts.append("哺乳期")
    for key, name in (
        ("allergies", "过敏"),
        ("conditions", "状况"),
        ("current_medicines", "在用药"),
        ("do_not_use", "禁用"),
    ):
        if getattr(record, key):
            parts.append(f"{name} {'、'.join(getattr(record, key))}")
    return " · ".join(parts) or "无记录项"


def _view(row: CustomerRecord, session: Session) -> RecordView:
    who = session.get(User, row.updated_by) if row.updated_by else None
    data = HealthRecord.model_validate(
        {
            "birth_year": row.birth_year,
            "sex": row.sex,
            "pregnant_noted_on": row.pregnant_noted_on,
            "breastfeeding_noted_on": row.breastfeeding_noted_on,
            **{k: getattr(row, k) or [] for k in _LISTS},
            "medication_history": row.medication_history or [],
        }
    )
    return RecordView(
        **data.model_dump(),
        customer_ref=row.customer_ref,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=who.display_name if who else None,
        stale=lapsed(data, today()),
    )


def read(session: Session, customer_ref: str) -> RecordView | None:
    row = session.get(CustomerRecord, customer_ref) if customer_ref else None
    return _view(row, session) if row else None


def profile_for(session: Session, customer_ref: str) -> Profile | None:
    view = read(session, customer_ref)
    return as_profile(view) if view else None


def save(
    session: Session, user: User, customer_ref: str, record: HealthRecord, *, version: int
) -> tuple[RecordView, list[str]]:
    """Write the record if nobody saved it since `version` (0: the record is new). Returns the
    stored record and the names of the fields that changed (for the audit log: names, never the
    values)."""
    row = session.get(CustomerRecord, customer_ref)
    values = record.model_dump(mode="json")
    for key in ("pregnant_noted_on", "breastfeeding_noted_on"):
        values[key] = getattr(record, key)
    now = datetime.now(UTC)
    if row is None:
        if version != 0:
            raise RecordConflict("其他同事", None)
        try:
            with session.begin_nested():
                session.add(
                    CustomerRecord(
                        customer_ref=customer_ref,
                        **values,
                        version=1,
                        updated_at=now,
                        updated_by=user.id,
                    )
                )
                session.flush()
        except IntegrityError:
            raise _conflict(session, customer_ref) from None
        changed = [k for k, v in values.items() if v not in (None, [], "")]
    else:
        before = _view(row, session).model_dump(mode="json")
        changed = [k for k, v in record.model_dump(mode="json").items() if before.get(k) != v]
        won = session.execute(
            update(CustomerRecord)
            .where(CustomerRecord.customer_ref == customer_ref, CustomerRecord.version == version)
            .values(**values, version=version + 1, updated_at=now, updated_by=user.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise _conflict(session, customer_ref)
    session.flush()
    row = session.get(CustomerRecord, customer_ref, populate_existing=True)
    return _view(row, session), changed


def _conflict(session: Session, customer_ref: str) -> RecordConflict:
    session.rollback()
    row = session.get(CustomerRecord, customer_ref, populate_existing=True)
    who = session.get(User, row.updated_by) if row and row.updated_by else None
    return RecordConflict(who.display_name if who else "其他同事", row.updated_at if row else None)


def conversations_of(session: Session, customer_ref: str, limit: int = 20) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.customer_ref == customer_ref)
            .order_by(Conversation.updated_at.desc())
            .limit(limit)
        )
    )
