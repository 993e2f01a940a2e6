"""``labsys demo``: a reproducible year of a city's food-safety sampling.

The small things (users, the plan, its quotas and tasks) go through the real services.  The
volume (enterprises, visits, samples, receipts, results, reviews, conclusions) goes through a
bulk path that writes exactly the rows the services would: it calls the services' own pure
helpers for every value that matters (sample numbers, judgement and reported text, due
dates on the working-day calendar, audit payloads) and only replaces their one-row-at-a-time
ORM writes with batched inserts.  ``tests/demo`` checks the two paths agree.

Reproducible: the same ``seed``, ``samples`` and ``year`` give the same data.  With
``samples`` ≥ 10,000 the key-food pass rate is exactly ``KEY_FOOD_RATE`` (Beijing's 2019
figure, 98.89 %).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from labsys.config import base_url
from labsys.core import clock, workdays
from labsys.core.judgement import conclude
from labsys.core.rates import pass_rate
from labsys.demo import national, values, world
from labsys.demo.plant import Plant, plant
from labsys.features import INIT_STEPS
from labsys.models import (
    Conclusion,
    Enterprise,
    FoodCategory,
    InspectionType,
    Link,
    NumberSequence,
    OilProcess,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    TestItem,
    User,
    VerdictValue,
    VisitSampler,
)
from labsys.services import (
    audit,
    calendar,
    catalog,
    grading,
    periods,
    planning,
    reference,
    signatories,
    users,
)
from labsys.services import enterprises as enterprise_service
from labsys.services import results as result_service
from labsys.services import sampling as sampling_service
from labsys.services.access import SYSTEM
from labsys.services.lifecycle import next_state
from labsys.services.receipt import FROZEN_COLUMNS

KEY_FOOD_RATE = Decimal("98.89")
KEY_FOOD_SHARE = 0.36  # of all samples
OTHER_UNQUALIFIED = 0.026  # unqualified share among the other foods (≈2 % overall)
STUCK_SHARE = 0.002  # samples left overdue: never delivered, or untested past the deadline
CHUNK = 2000  # samples written per batch
DEFAULT_SAMPLES = 300  # `labsys demo` and the quick start: a small lab's year, in seconds
REPORT_CAP = 2000  # reports issued by default (the newest concluded samples)
# The list of retest labs (复检机构名录, Order No. 15 Art. 32) the retest lab is drawn from.
RETEST_LABS = (("02", "北京市食品安全复检中心"), ("03", "天津市食品安全检验复检所"))
# (retest, objection, disposal) for the unqualified samples with a report, oldest first (the
# longest walks first, so they have time to end): the first eight show every state of each
# workflow; even the quick start's 300 samples have enough of them (MIN_FOLLOWED_UP).
FOLLOWUP_SCENARIOS = (
    ("retested_unqualified", "dismissed", "completed"),
    ("backup_received", "accepted", "extended"),
    ("lab_chosen", "filed", "under_way"),
    ("accepted", "refused", "completed"),
    ("refused", "upheld", "none"),
    ("applied", "none", "under_way"),
    # the qualified retest supersedes the report and closes the disposal (issue 18 §2)
    ("retested_qualified", "none", "under_way"),
    ("unusable", "none", "under_way"),
    ("none", "none", "none"),
)
# Steps that change a sample's conclusion (a qualified retest, an objection upheld): never on
# a key-food sample, whose pass rate stays KEY_FOOD_RATE.
CONCLUSION_CHANGING = frozenset({"retested_qualified", "upheld"})
# Retest scenarios that need the retest accepted: not for a sample Art. 31 refuses (a failed
# microbiological item, a backup whose shelf life ends first).
NEEDS_RETEST = frozenset(
    {"accepted", "lab_chosen", "backup_received", "unusable", "retested_unqualified",
     "retested_qualified"}
)  # fmt: skip
# At least this many unqualified supervision samples (every follow-up state shows, with a
# margin for those whose notice is not yet sent), and this many risk-monitoring problem
# samples (the risk notice list is not empty), made among the other foods if the year's
# draw gives fewer (a small demo): the key-food figure does not move.
MIN_FOLLOWED_UP = len(FOLLOWUP_SCENARIOS) + 2
MIN_RISK_PROBLEMS = 2
# The year's plans: the code's suffix and the title; a 大类's quota goes to one of them.
PLAN_TYPES = (
    (InspectionType.SUPERVISION, "", "监督抽检"),
    (InspectionType.RISK_MONITORING, "-RM", "风险监测"),
    (InspectionType.EVALUATION, "-EV", "评价性抽检"),
)


def _plan_index(category_index: int) -> int:
    """Which plan the ``category_index``-th 大类 (by id) is sampled under: one in five in
    risk monitoring, one in seven in evaluation, the rest in supervision."""
    if category_index % 5 == 2:
        return 1
    if category_index % 7 == 4:
        return 2
    return 0


Progress = Callable[[str, int, int], None]


@dataclass
class Skeleton:
    """One sample's fate before its food is chosen: when each step happened (or not)."""

    index: int
    sampling_date: date
    received: datetime | None = None
    entered: datetime | None = None
    submitted: datetime | None = None
    reviewed: datetime | None = None
    key_food: bool = False
    unqualified: bool = False
    category: FoodCategory | None = None
    plant: Plant | None = None  # a planted problem (labsys.demo.plant)

    @property
    def concluded(self) -> bool:
        return self.reviewed is not None


@dataclass
class Visit:
    """One team's visit to one sampled unit on one day; its batches are delivered together."""

    day: date
    team: int
    key_food: bool
    received: datetime | None = None
    samples: list[Skeleton] = field(default_factory=list)


@dataclass
class DemoSummary:
    samples: int = 0
    visits: int = 0
    results: int = 0
    concluded: int = 0
    unqualified: int = 0
    key_food_concluded: int = 0
    key_food_unqualified: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def key_food_rate(self) -> Decimal | None:
        if not self.key_food_concluded:
            return None
        return pass_rate(
            self.key_food_concluded - self.key_food_unqualified, self.key_food_concluded
        )


def load_demo(
    session: Session,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 2019,
    year: int | None = None,
    today: date | None = None,
    reports: int | None = None,
    progress: Progress | None = None,
    plants: int = 0,
) -> DemoSummary:
    """Fill an empty database with a year of work; returns what was made.

    ``plants``: plant that many known problems for the risk signals (labsys.demo.plant);
    ``summary.extra["planted"]`` lists them.

    ``reports``: how many concluded samples get their report issued (the newest first);
    default all of them up to REPORT_CAP.  Each report is a real PDF rendered by the
    reports service (tens of milliseconds a page), so city-scale runs cap them.
    """
    started = time.perf_counter()
    today = today or clock.today()
    year = year or today.year
    demo = _Demo(
        session,
        random.Random(seed),
        samples,
        year,
        min(today, date(year, 12, 31)),
        progress or (lambda *_: None),
    )
    demo.report_limit = REPORT_CAP if reports is None else reports
    demo.plants = plants
    summary = demo.run()
    summary.seconds = time.perf_counter() - started
    return summary


def has_samples(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Sample)) > 0


class _Demo:
    def __init__(
        self,
        session: Session,
        rng: random.Random,
        samples: int,
        year: int,
        today: date,
        progress: Progress,
    ):
        self.session, self.rng, self.n, self.year, self.today = session, rng, samples, year, today
        self.progress = progress
        self.summary = DemoSummary()
        self.holidays = None
        self._ids: dict[type, int] = {}
        self._serials: dict[str, int] = defaultdict(int)
        self._spec_cache: dict[tuple[int, date], list] = {}
        self._template_cache: dict[int, list[dict]] = {}
        self._level_cache: dict[int, list] = {}
        self.signatures: dict[int, object] = {}
        self.plants = 0

    # --- the whole run -------------------------------------------------------------------

    def run(self) -> DemoSummary:
        for _name, step in INIT_STEPS():
            step(self.session)
        self.holidays = calendar.holiday_table(self.session)
        self.lab = reference.default_lab(self.session)
        self.people = self._users()
        # The demo's supervisors sign reports: authorised signatories for every 大类.
        signatories.authorise_all_categories(self.session, SYSTEM, self.people[Role.SUPERVISOR])
        self.districts = [(r.code, r.name_zh) for r in reference.districts(self.session)]
        self.leaves_key, self.leaves_other = self._leaves()
        self.units, self.producers, self.local_producers = self._enterprises()
        visits = self._timeline()
        self._assign_foods(visits)
        if self.plants:
            self._plant(visits)
        self._enough_problems(visits)
        self.tasks = self._plan(visits)
        self._write(visits)
        self._finish_sequences()
        self._reports()
        self._followups()
        self._backups()
        self._grades()
        return self.summary

    def _grades(self) -> None:
        """The enterprises' risk grades by the rules, from the year's samples: the register's
        grades (world.sampled_unit, world.producer) are replaced or confirmed, each recorded
        with its score and reasons, as a supervisor's first recomputation would."""
        done = grading.recompute(self.session, self.people[Role.SUPERVISOR][0], self.today)
        self.summary.extra["graded"] = done.graded

    def _plant(self, visits: list[Visit]) -> None:
        planted = plant(self, visits, self.plants, random.Random(self.rng.random()))
        self.summary.extra["planted"] = [p.as_json() for p in planted]

    # --- people, places, plan (through the services) ---------------------------------------

    def _users(self) -> dict[Role, list[User]]:
        people: dict[Role, list[User]] = defaultdict(list)
        for username, full_name, roles in world.DEMO_USERS:
            user = users.get_by_username(self.session, username) or users.create_user(
                self.session,
                SYSTEM,
                username=username,
                password=world.DEMO_PASSWORD,
                roles=roles,
                full_name=full_name,
            )
            for role in roles:
                people[role].append(user)
        return people

    def _enterprises(self) -> tuple[dict, dict, dict]:
        """Sampled units by (district, link); labelled producers by the kind of food they
        make (world.MAKERS), a few of each kind in Beijing, where the production link
        samples them at their own plant; all bulk-written with distinct names."""
        rng, taken = self.rng, set()
        n_units = max(48, self.n // 12)
        rows = []
        units: dict[tuple[str, Link], list[int]] = defaultdict(list)
        shop_links = [link for link in world.LINK_WEIGHTS if link != Link.PRODUCTION]
        for n in range(n_units):
            district = self.districts[n % len(self.districts)]
            link = rng.choices(shop_links, [world.LINK_WEIGHTS[k] for k in shop_links])[0]
            row = {
                "id": self._next_id(Enterprise),
                **world.sampled_unit(rng, taken, district, link),
            }
            units[(district[0], link)].append(row["id"])
            rows.append(row)
        producers: dict[str, list[int]] = defaultdict(list)
        local: dict[str, list[tuple[int, str]]] = defaultdict(list)
        keys = sorted(
            {k for leaf in self.leaves_key + self.leaves_other if (k := world.maker_key(leaf.code))}
        )
        per_key = max(3, self.n // 40 // max(1, len(keys)))
        names = dict(self.districts)
        for key in keys:
            for n in range(per_key):
                row = {
                    "id": self._next_id(Enterprise),
                    **world.producer(rng, taken, key, local=n % 3 == 0, districts=names),
                }
                producers[key].append(row["id"])
                if row["region_code"]:
                    local[key].append((row["id"], row["region_code"]))
                rows.append(row)
        now = self._utc(date(self.year, 1, 2), 9)
        self.licences = {row["id"]: row["licence_no"] for row in rows}
        for row in rows:
            row.update(created_at=now, contact="", version_id=1)
        self._insert(Enterprise, rows)
        self._audit(
            [
                audit.Stamped(
                    audit.Change(
                        "enterprise",
                        row["id"],
                        "create",
                        new=enterprise_service.snapshot(SimpleNamespace(**row)),
                    ),
                    None,
                    now,
                )
                for row in rows
            ]
        )
        return units, producers, local

    def _leaves(self) -> tuple[list[FoodCategory], list[FoodCategory]]:
        key_ids = {c.id for c in catalog.key_food_categories(self.session)}
        key, other = [], []
        for leaf in self.session.scalars(
            select(FoodCategory).where(FoodCategory.level == 4).order_by(FoodCategory.code)
        ):
            if not self._specs(leaf, date(self.year, 6, 30)):
                continue
            (key if key_ids & set(leaf.ancestor_ids) else other).append(leaf)
        if not key or not other:
            raise RuntimeError("the catalog needs key-food and other leaves with test items")
        return key, other

    def _plan(self, visits: list[Visit]) -> dict[tuple[int, int], tuple]:
        """The year's plans (supervision, risk monitoring, evaluation: ``PLAN_TYPES``), a
        quota per 大类 in one of them, and a task per quota and team holding exactly the
        batches that team takes.  Every type is counted in the key-food figure, so the
        split does not move it."""
        actor = self.people[Role.SUPERVISOR][0]
        plans = [
            planning.create_plan(
                self.session,
                actor,
                code=f"DEMO{self.year}{suffix}",
                name=f"{self.year}年北京市食品安全{title}计划",
                year=self.year,
                inspection_type=kind,
            )
            for kind, suffix, title in PLAN_TYPES
        ]
        counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for visit in visits:
            counts[visit.samples[0].category.ancestor_ids[0]][visit.team] += len(visit.samples)
        samplers = self.people[Role.SAMPLER]
        tasks = {}
        types = _l1_plan_indexes(visits)
        for l1_id, by_team in sorted(counts.items()):
            plan = plans[types[l1_id]]
            quota = planning.add_quota(
                self.session, actor, plan, category_id=l1_id, quota=sum(by_team.values())
            )
            for team_index, share in sorted(by_team.items()):
                team = samplers[2 * team_index : 2 * team_index + 2]
                task = planning.create_task(
                    self.session,
                    actor,
                    quota,
                    name=f"{quota.category.name_zh}抽检 · {team[0].full_name}组",
                    number=share,
                    due_date=date(self.year, 12, 31),
                    sampler_ids=[u.id for u in team],
                    lab_id=self.lab.id if self.lab else None,
                    today=date(self.year, 1, 1),
                )
                tasks[(l1_id, team_index)] = (task, team)
        return tasks

    # --- the year's timeline ----------------------------------------------------------------

    def _timeline(self) -> list[Visit]:
        """Visits of 1–4 batches on the year's working days up to today, and how far each
        sample got by today."""
        first = date(self.year, 1, 2)
        days = [first + timedelta(d) for d in range((self.today - first).days + 1)]
        days = [d for d in days if workdays.is_workday(d, self.holidays)] or [self.today]
        rng, teams = self.rng, len(self.people[Role.SAMPLER]) // 2
        visits, count = [], 0
        while count < self.n:
            size = min(self.n - count, rng.choice([1, 2, 2, 3, 3, 4]))
            visit = Visit(rng.choice(days), rng.randrange(teams), rng.random() < KEY_FOOD_SHARE)
            stuck = rng.random() < STUCK_SHARE * 2
            arrive = self._workday_time(visit.day, rng.randint(0, 3), 9, 16)
            visit.received = None if stuck and rng.random() < 0.5 else arrive
            for _ in range(size):
                visit.samples.append(self._progress(Skeleton(count, visit.day), visit, stuck))
                count += 1
            visits.append(visit)
        visits.sort(key=lambda v: (v.day, v.team))
        return visits

    def _progress(self, s: Skeleton, visit: Visit, stuck: bool) -> Skeleton:
        rng = self.rng
        s.key_food = visit.key_food
        if visit.received is None or visit.received.date() > self.today:
            return s
        s.received = visit.received
        entered = None if stuck else self._workday_time(s.received.date(), rng.randint(2, 8), 9, 17)
        if entered is None or entered.date() > self.today:
            return s
        s.entered = entered
        if rng.random() < 0.9 or entered.date() < self.today:
            s.submitted = entered + timedelta(minutes=rng.randint(5, 90))
            reviewed = self._workday_time(entered.date(), rng.randint(1, 2), 9, 17)
            if reviewed.date() <= self.today:
                s.reviewed = reviewed
        return s

    def _assign_foods(self, visits: list[Visit]) -> None:
        """Foods, key foods and failures, so that the key-food pass rate is exactly
        KEY_FOOD_RATE: a few key-food samples stay awaiting review if the count of concluded
        ones admits no exact rate."""
        rng = self.rng
        skeletons = [s for v in visits for s in v.samples]
        key_concluded = sorted(
            (s for s in skeletons if s.key_food and s.concluded), key=lambda s: s.reviewed
        )
        key_count, key_unqualified = _key_food_counts(len(key_concluded))
        for s in key_concluded[key_count:]:
            s.reviewed = None  # the newest few: still awaiting review today
        for s in rng.sample(key_concluded[:key_count], key_unqualified):
            s.unqualified = True
        for s in skeletons:
            if s.concluded and not s.key_food and rng.random() < OTHER_UNQUALIFIED:
                s.unqualified = True
        for visit in visits:
            leaves = self.leaves_key if visit.key_food else self.leaves_other
            first = rng.choice(leaves)
            same_group = [
                leaf for leaf in leaves if self._levels(leaf)[0] == self._levels(first)[0]
            ]
            for s in visit.samples:
                s.category = first if s is visit.samples[0] else rng.choice(same_group)

    def _enough_problems(self, visits: list[Visit]) -> None:
        """A small year (the quick start's 300 samples) draws only a handful of unqualified
        samples: make at least MIN_FOLLOWED_UP supervision samples and MIN_RISK_PROBLEMS
        risk-monitoring ones fail, among the other foods (the key-food figure does not
        move), the earliest concluded first (their follow-up has had time to run), one per
        visit (no unit turns into a repeat offender by this alone)."""
        indexes = _l1_plan_indexes(visits)
        concluded = sorted(
            ((s, v) for v in visits for s in v.samples if s.concluded),
            key=lambda pair: (pair[0].reviewed, pair[0].index),
        )
        failing = {id(v) for s, v in concluded if s.unqualified}
        for kind, least in (
            (InspectionType.SUPERVISION, MIN_FOLLOWED_UP),
            (InspectionType.RISK_MONITORING, MIN_RISK_PROBLEMS),
        ):
            of_kind = [
                (s, v)
                for s, v in concluded
                if PLAN_TYPES[indexes[s.category.ancestor_ids[0]]][0] is kind
            ]
            missing = least - sum(s.unqualified for s, _v in of_kind)
            for s, v in of_kind:
                if missing <= 0:
                    break
                if not s.key_food and not s.unqualified and id(v) not in failing:
                    s.unqualified, missing = True, missing - 1
                    failing.add(id(v))

    # --- writing samples, receipts and results (the bulk path) ------------------------------

    def _write(self, visits: list[Visit]) -> None:
        done = 0
        step = max(1, CHUNK // 3)
        for start in range(0, len(visits), step):
            chunk = visits[start : start + step]
            self._write_chunk(chunk)
            done += sum(len(v.samples) for v in chunk)
            self.progress("samples", done, self.n)

    def _write_chunk(self, visits: list[Visit]) -> None:
        rows: dict[type, list] = defaultdict(list)
        entries: list[tuple] = []
        for visit in visits:
            l1 = self._levels(visit.samples[0].category)[0]
            task, team = self.tasks[(l1, visit.team)]
            self._visit_rows(task, team, visit.samples, rows, entries)
        for model in (SamplingVisit, VisitSampler, Sample, SampleResult):
            self._insert(model, rows[model])
        self._audit(entries)

    def _visit_rows(self, task, team, skeletons, rows, entries) -> None:
        rng = self.rng
        day = skeletons[0].sampling_date
        link = rng.choices(list(world.LINK_WEIGHTS), list(world.LINK_WEIGHTS.values()))[0]
        code = skeletons[0].category.code
        maker = world.maker_key(code)
        if code.startswith(world.SELF_MADE):
            link = Link.CATERING  # self-made food is sampled where it is made and served
        planted = next((s.plant for s in skeletons if s.plant), None)
        if planted and (planted.producer_id or planted.district) and link == Link.PRODUCTION:
            link = Link.RETAIL  # a planted producer's food, or a district's: bought in a shop
        if planted and planted.district:
            district = next(d for d in self.districts if d[0] == planted.district)
            unit_id = rng.choice(
                self.units.get((district[0], link))
                or [u for (d, _l), us in self.units.items() if d == district[0] for u in us]
            )
        elif link == Link.PRODUCTION and self.local_producers.get(maker):
            unit_id, region = rng.choice(self.local_producers[maker])  # at its own plant
            district = next(d for d in self.districts if d[0] == region)
        else:
            link = Link.RETAIL if link == Link.PRODUCTION else link
            district = rng.choice(self.districts)
            unit_id = rng.choice(
                self.units.get((district[0], link))
                or [u for (d, _l), us in self.units.items() if d == district[0] for u in us]
            )
        created = self._utc(day, rng.randint(9, 16), rng.randint(0, 59))
        sampler = team[0]
        visit = {
            "id": self._next_id(SamplingVisit),
            "task_id": task.id,
            "sampled_unit_id": unit_id,
            "sampling_date": day,
            "place": "",
            "link": link,
            "region_code": district[0],
            "created_by_id": sampler.id,
            "created_at": created,
            "version_id": 1,
        }
        received = [x.received for x in skeletons if x.received]
        visit.update(
            national.visit_fields(
                national.sample_rng(self.year, -visit["id"]),
                link=link,
                plan_name=task.plan.name,
                basis=current_app.config.get("SAMPLING_BASIS") or "",
                visit_id=visit["id"],
                lab_address=current_app.config.get("LAB_ADDRESS") or "",
                sampling_date=day,
                received=min(received).date() if received else None,
                today=self.today,
            )
        )
        visit["place"] = self._unit_address(unit_id)
        rows[SamplingVisit].append(visit)
        rows[VisitSampler].extend({"visit_id": visit["id"], "user_id": u.id} for u in team)
        # An online sample's delivery clock starts when its parcel arrives.
        due_delivery = workdays.add_workdays(
            visit["parcel_arrival_date"] or day, periods.value("DELIVERY_WORKDAYS"), self.holidays
        )
        visit_entry_at = len(entries)  # the visit's entry goes first, written once it is paid
        samples = []
        for s in skeletons:
            sample = self._sample_row(s, visit, task, sampler, due_delivery)
            samples.append(sample)
            rows[Sample].append(sample)
            entries.append(
                audit.Stamped(
                    audit.Change(
                        "sample",
                        sample["id"],
                        "create",
                        new=sampling_service.sample_values(SimpleNamespace(**sample)),
                    ),
                    sampler.id,
                    created,
                )
            )
            if s.received:
                self._receipt(s, sample, rows, entries)
        if link == Link.ONLINE:
            paid = sum(Decimal(sample["purchase_cost"]) for sample in samples)
            visit["online_payment_amount"] = f"{paid:.2f}"
        visit_view = SimpleNamespace(
            **visit, sampler_links=[SimpleNamespace(user_id=u.id) for u in team]
        )
        entries.insert(
            visit_entry_at,
            audit.Stamped(
                audit.Change(
                    "sampling_visit",
                    visit["id"],
                    "create",
                    new=sampling_service._visit_values(visit_view),
                ),
                sampler.id,
                created,
            ),
        )

    def _sample_row(self, s: Skeleton, visit: dict, task, sampler: User, due_delivery) -> dict:
        rng = self.rng
        leaf = s.category
        ids = self._levels(leaf)
        region = visit["region_code"]
        self._serials[region] += 1
        config = current_app.config
        maker = world.maker_key(leaf.code)
        fresh = maker is None  # farm produce or self-made: 散装, no label, no producer
        product = (
            world.packed_product(rng, leaf.code)
            if not fresh
            else {"specification": "散装", "quantity_unit": "kg", "shelf_life": ""}
        )
        shelf = product["shelf_life"]
        shelf_days = sampling_service.shelf_life_days(shelf)
        # Made before it was sampled, and still within its shelf life on the sampling day.
        produced = s.sampling_date - timedelta(days=rng.randint(0, min(90, (shelf_days or 91) - 1)))
        unit = product["quantity_unit"]
        if s.plant and s.plant.producer_id and not fresh:
            producer_id = s.plant.producer_id
        elif visit["link"] == Link.PRODUCTION:
            producer_id = visit["sampled_unit_id"]
        elif fresh:
            producer_id = None
        else:
            producer_id = rng.choice(self.producers[maker])
        sample_id = self._next_id(Sample)
        row = {
            "id": sample_id,
            "oil_process": self._oil_process(leaf, s.sampling_date, sample_id),
            "sample_no": sampling_service.format_sample_no(
                config["SAMPLE_NO_PATTERN"],
                prefix=config["SAMPLE_NO_PREFIX"],
                year=self.year,
                region=region,
                lab=self.lab.code if self.lab else config["LAB_CODE"],
                serial=self._serials[region],
            ),
            "visit_id": visit["id"],
            "status": next_state(Sample, None, "register"),
            "category_id": leaf.id,
            "food_name": leaf.name_zh,
            "brand": "" if fresh else world.brand(rng),
            "specification": product["specification"],
            "production_date": produced if not fresh else s.sampling_date,
            "batch_no": "" if fresh else f"{produced:%Y%m%d}{rng.randint(1, 9)}",
            "shelf_life": "" if fresh else shelf,
            "shelf_life_days": None if fresh else shelf_days,
            "quantity": str(rng.choice([2, 3, 4, 6])) if not fresh else "2.0",
            "quantity_unit": unit,
            "backup_quantity": "1" if not fresh else "1.0",
            "sampling_base": f"{rng.randint(20, 500)}{unit}",
            "producer_id": producer_id,
            "remarks": None,
            "sampling_date": s.sampling_date,
            "region_code": region,
            "link": visit["link"],
            "task_id": task.id,
            "plan_id": task.plan_id,
            "inspection_type": task.plan.inspection_type,
            "lab_id": self.lab.id if self.lab else None,
            "sampler_id": sampler.id,
            "cat_l1_id": ids[0],
            "cat_l2_id": ids[1],
            "cat_l3_id": ids[2],
            "cat_l4_id": ids[3],
            "received_at": None,
            "received_by_id": None,
            "seal_state": None,
            "condition": None,
            "temperature": None,
            "rejection_reason": None,
            "conclusion": None,
            "concluded_at": None,
            "due_delivery": due_delivery,
            "due_report": None,
            "due_unqualified_report": None,
            "due_qualified_report": None,
            "due_service": None,
            "delivery_extension_workdays": None,
            "delivery_extension_reason": None,
            "created_at": self._utc(s.sampling_date, 17),
            "version_id": 1,
        }
        # The national form's fields, from a generator of their own (see demo/national.py).
        row.update(
            national.batch_fields(
                national.sample_rng(self.year, sample_id),
                maker=maker,
                code=leaf.code,
                link=visit["link"],
                fresh=fresh,
                licence=self.licences.get(producer_id, "") if producer_id else "",
                quantity=row["quantity"],
                backup=row["backup_quantity"],
                sampling_date=s.sampling_date,
            )
        )
        return row

    def _receipt(self, s: Skeleton, sample: dict, rows, entries) -> None:
        rng = self.rng
        technician = rng.choice(self.people[Role.TECHNICIAN])
        arrived = s.received.astimezone(UTC)
        results = [
            {"id": self._next_id(SampleResult), "sample_id": sample["id"], "seq": seq, **template}
            for seq, template in enumerate(
                self._templates(s.category, s.sampling_date, sample["oil_process"]), 1
            )
        ]
        sample.update(
            status=next_state(Sample, sample["status"], "receive"),
            received_at=arrived,
            received_by_id=technician.id,
            seal_state="完好",
            condition="样品完好，符合检验要求",
            temperature=f"{Decimal(rng.randint(20, 250)) / 10:.1f}",
            due_report=workdays.add_workdays(
                s.received.date(), periods.value("REPORT_WORKDAYS"), self.holidays
            ),
        )
        entries.append(
            audit.Stamped(
                audit.Change(
                    "sample",
                    sample["id"],
                    "receive",
                    old={"status": SampleStatus.REGISTERED},
                    new={
                        "status": sample["status"],
                        "received_at": arrived,
                        "seal_state": "完好",
                        "condition": sample["condition"],
                        "temperature": sample["temperature"],
                        "due_report": sample["due_report"],
                        "test_items": [r["item_name"] for r in results],
                    },
                ),
                technician.id,
                arrived,
            )
        )
        if s.entered:
            self._results(s, sample, results, technician, entries)
        rows[SampleResult].extend(results)

    def _templates(
        self, leaf: FoodCategory, day: date, oil_process: str | None = None
    ) -> list[dict]:
        """The frozen-specification part of a new result row, per spec, as receipt copies it
        (cached: reading ORM attributes for every row would dominate the run)."""
        specs = self._specs(leaf, day, oil_process)
        key = id(specs)
        if key not in self._template_cache:
            self._template_cache[key] = [
                {
                    "test_item_id": spec.test_item_id,
                    "item_name": spec.test_item.name_zh,
                    "is_colony_count": spec.is_colony_count,
                    "status": next_state(SampleResult, None, "create"),
                    "measured_text": None,
                    "unit_values": None,
                    "reported_text": None,
                    "verdict": None,
                    "entered_by_id": None,
                    "entered_at": None,
                    "submitted_at": None,
                    "reviewed_by_id": None,
                    "reviewed_at": None,
                    "return_reason": None,
                    "supersedes_id": None,
                    "version_id": 1,
                    **{column: getattr(spec, column) for column in FROZEN_COLUMNS},
                }
                for spec in specs
            ]
        return self._template_cache[key]

    def _results(
        self, s: Skeleton, sample: dict, results: list[dict], technician: User, entries
    ) -> None:
        failing = self._failing_row(results, s.plant) if s.unqualified else None
        entered_at = s.entered.astimezone(UTC)
        for row in results:
            view = _result_view(row)
            judged = self._judge(view, fail=row is failing)
            before = result_service._values(view)
            changes = dict(
                measured_text=judged.measured_text,
                unit_values=judged.unit_values,
                reported_text=judged.reported_text,
                verdict=judged.verdict,
                lod=judged.lod,
                status=next_state(SampleResult, row["status"], "enter"),
            )
            row.update(changes, entered_by_id=technician.id, entered_at=entered_at)
            for key, value in changes.items():
                setattr(view, key, value)
            entries.append(
                audit.Stamped(
                    audit.Change(
                        "result",
                        row["id"],
                        "enter",
                        old=before,
                        new={**result_service._values(view), "sample_id": row["sample_id"]},
                    ),
                    technician.id,
                    entered_at,
                )
            )
            self.summary.results += 1
        if not s.submitted:
            return
        submitted = s.submitted.astimezone(UTC)
        for row in results:
            row.update(
                status=next_state(SampleResult, row["status"], "submit"), submitted_at=submitted
            )
            entries.append(
                audit.Stamped(
                    audit.Change(
                        "result",
                        row["id"],
                        "submit",
                        old={"status": ResultStatus.ENTERED},
                        new={"status": ResultStatus.SUBMITTED, "sample_id": row["sample_id"]},
                    ),
                    technician.id,
                    submitted,
                )
            )
        if s.reviewed:
            self._review_and_conclude(s, sample, results, technician, entries)

    def _review_and_conclude(self, s, sample, results, technician, entries) -> None:
        reviewers = [u for u in self.people[Role.REVIEWER] if u.id != technician.id]
        reviewer = self.rng.choice(reviewers)
        reviewed = s.reviewed.astimezone(UTC)
        for row in results:
            row.update(
                status=next_state(SampleResult, row["status"], "accept"),
                reviewed_by_id=reviewer.id,
                reviewed_at=reviewed,
            )
            entries.append(
                audit.Stamped(
                    audit.Change(
                        "result",
                        row["id"],
                        "accept",
                        old={"status": ResultStatus.SUBMITTED},
                        new={"status": ResultStatus.ACCEPTED, "sample_id": row["sample_id"]},
                    ),
                    reviewer.id,
                    reviewed,
                )
            )
        old = result_service._sample_values(SimpleNamespace(**sample))
        conclusion = Conclusion(conclude(r["verdict"].value for r in results))
        sample.update(
            conclusion=conclusion,
            concluded_at=reviewed,
            status=next_state(Sample, sample["status"], "conclude"),
        )
        for concluded, column, period in (
            (Conclusion.UNQUALIFIED, "due_unqualified_report", "UNQUALIFIED_REPORT_WORKDAYS"),
            (Conclusion.QUALIFIED, "due_qualified_report", "QUALIFIED_REPORT_WORKDAYS"),
        ):
            if conclusion == concluded:
                sample[column] = workdays.add_workdays(
                    s.reviewed.date(), periods.value(period), self.holidays
                )
        entries.append(
            audit.Stamped(
                audit.Change(
                    "sample",
                    sample["id"],
                    "conclude",
                    old=old,
                    new=result_service._sample_values(SimpleNamespace(**sample)),
                ),
                reviewer.id,
                reviewed,
            )
        )
        self.summary.concluded += 1
        self.summary.unqualified += conclusion == Conclusion.UNQUALIFIED
        if s.key_food:
            self.summary.key_food_concluded += 1
            self.summary.key_food_unqualified += conclusion == Conclusion.UNQUALIFIED

    def _failing_row(self, results: list[dict], planted: Plant | None = None) -> dict:
        judged = [r for r in results if r["limit_text"] not in ("", "/") or r["micro_n"]]
        if planted and planted.hazard:
            hazard = self._hazards()
            judged = [
                r for r in judged if hazard.get(r["test_item_id"]) == planted.hazard
            ] or judged
        weights = [values.failure_weight(r["item_name"]) or 1 for r in judged]
        return self.rng.choices(judged, weights)[0]

    def _hazards(self) -> dict[int, str]:
        if not hasattr(self, "_hazard_cache"):
            self._hazard_cache = {
                i: str(h)
                for i, h in self.session.execute(select(TestItem.id, TestItem.hazard_class))
            }
        return self._hazard_cache

    def _judge(self, view: _ResultView, *, fail: bool):
        """A value meant to pass (or fail), judged by the results service's own function."""
        want = (
            VerdictValue.FAIL
            if fail
            else (
                VerdictValue.PASS
                if view.limit_text not in ("", "/") or view.micro_n
                else VerdictValue.NOT_JUDGED
            )
        )
        for _attempt in range(20):
            if view.is_microbiological:
                units = values.unit_values(self.rng, result_service.micro_plan(view), fail=fail)
                judged = result_service.judge_values(view, None, units)
            else:
                measured = values.numeric_value(
                    self.rng, view.limit_text, view.lod, fail=fail, colony=view.is_colony_count
                )
                judged = result_service.judge_values(view, measured)
            if judged.verdict == want:
                return judged
        raise RuntimeError(f"no {want} value found for {view.item_name} {view.limit_text}")

    # --- reports and follow-ups (through the services) --------------------------------------

    def _reports(self) -> None:
        """Issue the reports of concluded samples (up to ``report_limit``): the unqualified
        ones first (their notice goes with the report, on a statutory deadline), then the
        newest; each 1–4 working days after its conclusion unless that is after today, in
        the order they were issued, signed by a supervisor, through the reports service
        (real PDFs)."""
        from sqlalchemy.orm import selectinload

        from labsys.services import reports as report_service

        chosen: list[tuple[datetime, int]] = []
        for sample_id, concluded_at in self.session.execute(
            select(Sample.id, Sample.concluded_at)
            .where(Sample.status == SampleStatus.CONCLUDED)
            .order_by(
                (Sample.conclusion == Conclusion.UNQUALIFIED).desc(),
                Sample.concluded_at.desc(),
                Sample.id.desc(),
            )
        ):
            if len(chosen) >= self.report_limit:
                break
            concluded = concluded_at.astimezone(clock.LOCAL_TZ).date()
            issued = self._workday_time(concluded, self.rng.randint(1, 4), 10, 17)
            if issued.date() <= self.today:  # later ones are still being written up
                chosen.append((issued, sample_id))
        chosen.sort()
        link_base = base_url(current_app.config)
        supervisors = self.people[Role.SUPERVISOR]
        for start in range(0, len(chosen), 200):
            part = chosen[start : start + 200]
            samples = {
                s.id: s
                for s in self.session.scalars(
                    select(Sample)
                    .where(Sample.id.in_([i for _t, i in part]))
                    .options(selectinload(Sample.results))
                )
            }
            for issued, sample_id in part:
                approver = self.rng.choice(
                    report_service.eligible_approvers(self.session, samples[sample_id], supervisors)
                )
                report_service.issue_report(
                    self.session,
                    approver,
                    samples[sample_id],
                    base_url=link_base,
                    signature=self._signature(approver),
                    issued_at=issued.astimezone(UTC),
                )
            self.progress("reports", start + len(part), len(chosen))
        self.summary.extra["reports"] = len(chosen)

    def _signature(self, approver: User):
        """The approver's electronic signature, made once (the demo knows its users'
        password)."""
        from labsys.services import esign

        if approver.id not in self.signatures:
            self.signatures[approver.id] = esign.sign(
                approver, world.DEMO_PASSWORD, esign.Meaning.APPROVAL
            )
        return self.signatures[approver.id]

    def _followups(self) -> None:
        """Unqualified samples in every state of their follow-up (SAMR Order No. 15: retest,
        objections, disposal), dated in the year: the samples with an issued report go
        through ``FOLLOWUP_SCENARIOS`` in turn, each step only when its day has come."""
        from labsys.services import followup, retests

        for code, name in RETEST_LABS:
            retests.set_retest_lab(self.session, SYSTEM, code=code, name=name, note="演示")
        actor = self.people[Role.SUPERVISOR][0]
        samples = self.session.scalars(
            select(Sample)
            .where(
                Sample.conclusion == Conclusion.UNQUALIFIED,
                Sample.inspection_type == InspectionType.SUPERVISION,  # the others: no follow-up
            )
            .order_by(Sample.concluded_at)
        ).all()
        rng, count = self.rng, 0
        issued = self._report_days([s.id for s in samples])
        key_leaves = {leaf.id for leaf in self.leaves_key}
        queue: list[tuple[str, str, str]] = []
        for sample in samples:
            f = followup.open_followup(self.session, sample, actor)
            count += 1
            concluded = sample.concluded_at.astimezone(clock.LOCAL_TZ).date()
            notified = workdays.add_workdays(concluded, rng.randint(1, 3), self.holidays)
            if sample.id not in issued or rng.random() < 0.08:
                continue  # no report yet (or not yet sent): the board shows it awaiting notice
            notified = max(notified, issued[sample.id])  # the notice goes with the report
            if notified > self.today:
                continue
            followup.record_notification(self.session, actor, f, notified)
            expires = retests.backup_expires_on(sample)
            retestable = not retests.failed_microbiological_items(self.session, sample.id) and (
                expires is None or expires > notified + timedelta(days=60)
            )
            retest, objection, disposal = self._scenario(
                queue, key_food=sample.category_id in key_leaves, retestable=retestable
            )
            self._disposal(sample, issued[sample.id], disposal)
            self._retest(sample, notified, retest)
            self._objection(sample, notified, objection)
        self.summary.extra["followups"] = count

    @staticmethod
    def _scenario(queue: list, *, key_food: bool, retestable: bool) -> tuple[str, str, str]:
        """The next of FOLLOWUP_SCENARIOS in turn that fits the sample: a key-food sample
        keeps its conclusion (the key-food figure stays KEY_FOOD_RATE), a sample Art. 31
        refuses a retest does not walk one."""

        def fits(scenario) -> bool:
            changes = key_food and CONCLUSION_CHANGING & set(scenario)
            return not changes and (retestable or scenario[0] not in NEEDS_RETEST)

        if not queue:
            queue.extend(FOLLOWUP_SCENARIOS)
        for scenario in queue:
            if fits(scenario):
                queue.remove(scenario)
                return scenario
        return next(s for s in FOLLOWUP_SCENARIOS if fits(s))

    def _backups(self) -> None:
        """The retest backup register: every received sample's backup entered with its
        retention; the first shelves filled, and the oldest backups past their retention
        disposed of (the rest are listed as disposable this week)."""
        from labsys.models import BackupSample, BackupStatus
        from labsys.services import backups

        counts = backups.sync_register(self.session, SYSTEM)
        keeper = self.people[Role.TECHNICIAN][0]
        held = self.session.scalars(
            select(BackupSample)
            .where(BackupSample.status == BackupStatus.HELD)
            .order_by(
                BackupSample.retain_until.is_(None), BackupSample.retain_until, BackupSample.id
            )
            .limit(60)
        ).all()
        disposed = 0
        for index, backup in enumerate(held):
            stored = clock.local_date(backup.created_at)
            backups.store(
                self.session,
                keeper,
                backup,
                location=f"留样室 {'ABCDEF'[index % 6]}柜-{index // 6 + 1}层",
                stored_on=min(stored, self.today, clock.today()),
            )
            kept = backup.retain_until
            if kept is None or index % 3 == 2:
                continue  # kept, or still to be disposed of
            day = kept + timedelta(days=1 + index % 5)
            if day + timedelta(days=2) < min(self.today, clock.today()):
                backups.dispose(
                    self.session, keeper, backup, disposed_on=day, method="按规定作无害化销毁处理"
                )
                disposed += 1
        self.summary.extra["backups"] = counts["added"]
        self.summary.extra["backups_disposed"] = disposed

    def _report_days(self, sample_ids: list[int]) -> dict[int, date]:
        """The local date each sample's report was issued on (samples with a report only)."""
        from labsys.models import Report

        days: dict[int, date] = {}
        for start in range(0, len(sample_ids), 500):
            for sample_id, issued_at in self.session.execute(
                select(Report.sample_id, Report.issued_at).where(
                    Report.sample_id.in_(sample_ids[start : start + 500]),
                    Report.issued_at.is_not(None),
                )
            ):
                day = issued_at.astimezone(clock.LOCAL_TZ).date()
                days[sample_id] = min(day, days.get(sample_id, day))  # the first report
        return days

    def _day(self, start: date, low: int, high: int) -> date | None:
        """A working day ``low``..``high`` working days after ``start``; None after today."""
        day = workdays.add_workdays(start, self.rng.randint(low, high), self.holidays)
        return day if day <= self.today else None

    def _retest(self, sample: Sample, notified: date, scenario: str) -> None:
        """A retest up to the scenario's state (applied … retested, refused, unusable)."""
        from labsys.models import Applicant, RetestGround
        from labsys.services import ServiceError, retests

        if scenario == "none":
            return
        actor = self.people[Role.SUPERVISOR][0]
        late = scenario == "refused"
        after = {"refused": 8, "applied": 1}.get(scenario, 3)  # working days after the notice
        applied = workdays.add_workdays(notified, after, self.holidays)
        if applied > self.today:
            return
        retest = retests.apply_for_retest(
            self.session,
            actor,
            sample,
            applicant=Applicant.SAMPLED_UNIT,
            applicant_name=sample.visit.sampled_unit.name,
            conclusion_received_on=notified,
            applied_on=applied,
        )
        decided = self._day(applied, 1, 4)
        if scenario == "applied" or decided is None:
            return
        try:
            if late:
                raise ServiceError("late")
            retests.accept_retest(self.session, actor, retest, decided_on=decided)
        except ServiceError:
            found = retests.grounds(self.session, retest, decided)
            ground = next(iter(found), RetestGround.BACKUP_UNUSABLE)
            retests.refuse_retest(
                self.session, actor, retest, decided_on=decided, ground=ground, note="演示"
            )
            return
        chosen = self._day(decided, 1, 4)
        if scenario == "accepted" or chosen is None:
            return
        retests.choose_retest_lab(
            self.session, actor, retest, chosen_on=chosen, seed=self.rng.randrange(2**48)
        )
        received = self._day(chosen, 1, 3)
        if scenario == "lab_chosen" or received is None:
            return
        if scenario == "unusable":
            retests.record_backup_unusable(
                self.session, actor, retest, on=received, note="备份样品封条破损，已书面报告"
            )
            return
        retests.record_backup_handover(
            self.session,
            actor,
            retest,
            received_on=received,
            seal_intact=True,
            seal_note="封条完好，已拍照留存",
        )
        reported = self._day(received, 4, 10)
        if scenario == "backup_received" or reported is None:
            return
        qualified = scenario == "retested_qualified"
        signer = self._report_signer(sample) if qualified else actor
        retests.record_retest_result(
            self.session,
            signer,
            retest,
            conclusion=Conclusion.QUALIFIED if qualified else Conclusion.UNQUALIFIED,
            result="复检结果符合标准要求" if qualified else "复检结果与初检一致",
            reported_on=reported,
            base_url=base_url(current_app.config),
            signature=self._signature(signer) if qualified else None,
        )

    def _report_signer(self, sample: Sample) -> User:
        """A supervisor who may sign the report that supersedes (or withdraws) the sample's
        report: a change of a reported conclusion goes through one (issue 18 §2)."""
        from labsys.services import reports as report_service

        supervisors = self.people[Role.SUPERVISOR]
        eligible = report_service.eligible_approvers(self.session, sample, supervisors)
        return eligible[0] if eligible else supervisors[0]

    def _objection(self, sample: Sample, notified: date, scenario: str) -> None:
        """An objection about the test method up to the scenario's state."""
        from labsys.models import Applicant, ObjectionEffect, ObjectionKind
        from labsys.services import objections

        if scenario == "none":
            return
        actor = self.people[Role.SUPERVISOR][0]
        late = scenario == "refused"
        filed = workdays.add_workdays(notified, 9 if late else 2, self.holidays)
        if filed > self.today:
            return
        objection = objections.file_objection(
            self.session,
            actor,
            sample,
            kind=ObjectionKind.STANDARD if late else ObjectionKind.TEST_METHOD,
            applicant=Applicant.PRODUCER,
            applicant_name=sample.producer.name if sample.producer else "标称生产者",
            grounds="对检验方法的适用提出异议，附检测报告一份",
            filed_on=filed,
        )
        decided = self._day(filed, 1, 4)
        if scenario == "filed" or decided is None:
            return
        if late:
            objections.refuse_objection(self.session, actor, objection, decided_on=decided, note="")
            return
        objections.accept_objection(self.session, actor, objection, decided_on=decided)
        concluded = self._day(decided, 5, 15)
        if scenario == "accepted" or concluded is None:
            return
        if scenario == "upheld":
            signer = self._report_signer(sample)
            objections.uphold_objection(
                self.session,
                signer,
                objection,
                outcome_on=concluded,
                note="检验方法适用有误，撤销原检验结论",
                effect=ObjectionEffect.WITHDRAWN,
                signature=self._signature(signer),
            )
            return
        objections.dismiss_objection(
            self.session, actor, objection, outcome_on=concluded, note="经审核，原检验结论维持"
        )

    def _disposal(self, sample: Sample, issued: date, scenario: str) -> None:
        """The disposal from the regulator's receipt of the report, up to the scenario."""
        from labsys.services import disposals

        if scenario == "none":
            return
        actor, rng = self.people[Role.SUPERVISOR][0], self.rng
        received = issued + timedelta(days=rng.randint(0, 2))
        if received > self.today:
            return
        disposal = disposals.record_conclusion_received(
            self.session, actor, sample, received_on=received
        )
        first = received + timedelta(days=rng.randint(3, 6))
        if first <= self.today:
            disposals.record_milestone(
                self.session, actor, disposal, milestone="first", done_on=first
            )
        if scenario == "extended" and received + timedelta(days=60) <= self.today:
            disposals.extend_disposal(
                self.session,
                actor,
                disposal,
                days=30,
                approved_by="局长 王某",
                approved_on=received + timedelta(days=60),
                reason="涉及跨省协查",
            )
        done = received + timedelta(days=rng.randint(40, 85))
        if scenario != "completed" or done > self.today:
            return  # still under way (some past their deadline)
        disposals.complete_disposal(
            self.session,
            actor,
            disposal,
            completed_on=done,
            removed_quantity=str(rng.randint(5, 120)),
            sealed_quantity=str(rng.randint(0, 40)),
            recalled_quantity=str(rng.randint(0, 300)),
            quantity_unit="袋",
            cause="原料把关不严",
            corrections="更换供应商，加强进货查验",
            case_filed=rng.random() < 0.5,
            case_no=f"京市监立〔{done.year}〕{rng.randint(1, 999)}号",
            penalty="没收违法所得，罚款",
            penalty_amount=str(rng.randint(5, 50) * 1000),
        )

    # --- helpers ---------------------------------------------------------------------------

    def _specs(self, leaf: FoodCategory, day: date, oil_process: str | None = None) -> list:
        """The specification that applies on ``day`` (cached per date it can change on), for
        an oil's process (压榨/浸出) when given."""
        boundary = max((d for d in self._effective_dates() if d <= day), default=day)
        key = (leaf.id, boundary, oil_process)
        if key not in self._spec_cache:
            self._spec_cache[key] = catalog.applicable_specifications(
                self.session, leaf.id, day, oil_process
            )
        return self._spec_cache[key]

    def _oil_process(self, leaf: FoodCategory, day: date, sample_id: int) -> str | None:
        """压榨 or 浸出 for an oil whose limits depend on it (alternating: no random draw, so
        the rest of the demo stays as it was)."""
        if not catalog.needs_oil_process(self._specs(leaf, day)):
            return None
        return (OilProcess.PRESSED if sample_id % 2 else OilProcess.SOLVENT).value

    def _effective_dates(self) -> list[date]:
        if not hasattr(self, "_dates"):
            from labsys.models import Specification

            self._dates = sorted(
                set(self.session.scalars(select(Specification.effective_from).distinct()))
            )
        return self._dates

    def _levels(self, leaf: FoodCategory) -> list:
        """The category ids of levels 1–4 (cached per leaf)."""
        if leaf.id not in self._level_cache:
            self._level_cache[leaf.id] = (leaf.ancestor_ids + [None] * 4)[:4]
        return self._level_cache[leaf.id]

    def _unit_address(self, unit_id: int) -> str:
        if not hasattr(self, "_addresses"):
            self._addresses = dict(
                self.session.execute(select(Enterprise.id, Enterprise.address)).all()
            )
        return self._addresses[unit_id]

    def _workday_time(
        self, day: date, workdays_after: int, first_hour: int, last_hour: int
    ) -> datetime:
        local_day = workdays.add_workdays(day, workdays_after, self.holidays)
        return datetime(
            local_day.year,
            local_day.month,
            local_day.day,
            self.rng.randint(first_hour, last_hour - 1),
            self.rng.randint(0, 59),
            tzinfo=clock.LOCAL_TZ,
        )

    @staticmethod
    def _utc(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(
            day.year, day.month, day.day, hour, minute, tzinfo=clock.LOCAL_TZ
        ).astimezone(UTC)

    def _next_id(self, model) -> int:
        """Ids are drawn here for bulk rows (their audit entries need them before insert);
        the counter restarts from the table's max at every batch, since services may have
        added rows in between."""
        if model not in self._ids:
            self._ids[model] = self.session.scalar(select(func.max(model.id))) or 0
        self._ids[model] += 1
        return self._ids[model]

    def _insert(self, model, rows: list[dict]) -> None:
        if rows:
            self.session.connection().execute(model.__table__.insert(), rows)
            self._sync_sequence(model)
            self.summary.extra[model.__tablename__] = self.summary.extra.get(
                model.__tablename__, 0
            ) + len(rows)
        if model is Sample:
            self.summary.samples += len(rows)
        if model is SamplingVisit:
            self.summary.visits += len(rows)

    def _audit(self, entries: Iterable[audit.Stamped]) -> None:
        """The audit entries the services would have written, each stamped with the time
        its change happened in the simulated year."""
        audit.append(self.session, entries)

    def _sync_sequence(self, model) -> None:
        """After rows with explicit ids, PostgreSQL's id sequence must move past them, or
        the next service insert would collide; the batch's id counter restarts too."""
        self._ids.pop(model, None)
        if "id" in model.__table__.c and self.session.get_bind().dialect.name == "postgresql":
            table = model.__tablename__
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )

    def _finish_sequences(self) -> None:
        """Numbers drawn later continue after the demo's; PostgreSQL's id sequences too."""
        for region, last in self._serials.items():
            name = f"sample:{self.year}:{region}"
            if self.session.get(NumberSequence, name) is None:
                self.session.add(NumberSequence(name=name, last_value=last))
            else:
                self.session.execute(
                    update(NumberSequence)
                    .where(NumberSequence.name == name)
                    .values(last_value=last)
                )
        self.session.flush()


class _ResultView(SimpleNamespace):
    """A result row's values with the one SampleResult property the services' helpers read
    (an ORM instance per row would cost more than the rest of the work)."""

    @property
    def is_microbiological(self) -> bool:
        return self.micro_n is not None


def _result_view(row: dict) -> _ResultView:
    return _ResultView(**row)


def _l1_plan_indexes(visits: list[Visit]) -> dict[int, int]:
    """The plan (index into PLAN_TYPES) each 大类 sampled in ``visits`` is sampled under."""
    l1_ids = sorted({v.samples[0].category.ancestor_ids[0] for v in visits})
    return {l1_id: _plan_index(index) for index, l1_id in enumerate(l1_ids)}


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _key_food_counts(concluded: int) -> tuple[int, int]:
    """Of ``concluded`` key-food samples, how many to keep concluded and how many of those
    fail, so that the pass rate is exactly KEY_FOOD_RATE.  A rate to 0.01 % needs about
    10,000 samples to be reachable from every count; from a few thousand on, holding back at
    most a few dozen reaches it.  Below that, the nearest rate with all of them."""
    for key in range(concluded, max(concluded - 50, 0), -1):
        unqualified = round(key * (100 - KEY_FOOD_RATE) / 100)
        for candidate in (unqualified, unqualified - 1, unqualified + 1):
            if 0 <= candidate <= key and pass_rate(key - candidate, key) == KEY_FOOD_RATE:
                return key, candidate
    return concluded, max(0, round(concluded * (100 - KEY_FOOD_RATE) / 100))
