"""Blocking rules as data: ``BlockingRule``, and the rules a run blocks with by default.

No rule blocks on the surname alone (38% of people are Nguyễn): each combines a
discriminating given name, birth date or employer, and one sorted-neighbourhood rule on an
order-free name key catches typos that exact keys miss. A pair needs only one rule, so each
rule can be strict.

Measured on the independent validation set (50k payroll rows): these rules plus the
exact-ID pass keep 99.73% of the true pairs at 593k pairs. A rule's blocks must not grow
with the tables: at a million generated rows, sorted names within a year (22.7M) and
Nguyễn on one birth date (18.3M) made 41M of 77M pairs. The per-row cap
(``blocking.BlockingPlan``) and the given name's initial bring them down for 0.05% of the
true pairs.

A fitted model records the rules it was fitted on (model.json).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

from linkage.errors import ConfigError


@dataclass(frozen=True)
class BlockingRule:
    """One named indexing rule, kept as data and recorded in model.json.

    Without ``sort_on`` the rule pairs records equal on every ``on`` column; with it, records
    within ``window`` of each other in ``sort_on`` order, among those equal on ``on``. With
    ``insured_on`` (block rules only), the insured side's columns are those, paired with
    ``on`` in order: a rule may then be asymmetric, such as a payroll row without any
    birth year against every insured record of the same name.
    """

    name: str
    on: tuple[str, ...] = ()
    _: KW_ONLY
    sort_on: str | None = None
    window: int | None = None  # odd, sorted neighbourhood only
    insured_on: tuple[str, ...] = ()  # insured-side columns, when not those of ``on``
    # False: the rule's pairs are scored but not used to fit m. A broad rule (a name alone)
    # adds namesakes that can pull EM towards describing them instead of true matches.
    train: bool = True
    # Keys (the same column on both sides) that split, one more at a time, the block of a
    # row whose key meets more records than the cap; a sorted neighbourhood first narrows
    # to its exact sort value. See ``refined``.
    refine: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if not self.name:
            problems.append("a blocking rule needs a name")
        if self.sort_on is None and not self.on:
            problems.append(f"blocking rule {self.name!r}: nothing to block on")
        if (self.sort_on is None) != (self.window is None):
            problems.append(
                f"blocking rule {self.name!r}: sort_on and window go together, got "
                f"sort_on={self.sort_on!r}, window={self.window!r}"
            )
        if self.window is not None and (
            isinstance(self.window, bool)
            or not isinstance(self.window, int)
            or self.window < 1
            or self.window % 2 == 0
        ):
            problems.append(
                f"blocking rule {self.name!r}: window must be a positive odd integer, "
                f"got {self.window!r}"
            )
        if self.insured_on and (len(self.insured_on) != len(self.on) or self.sort_on):
            problems.append(
                f"blocking rule {self.name!r}: insured_on pairs one column with each of on "
                f"{self.on!r} and is for block rules only, got {self.insured_on!r}"
            )
        if problems:
            raise ConfigError(problems)

    @property
    def depth(self) -> int:
        """How many levels the rule has: itself, then each refinement."""
        return 1 + (self.sort_on is not None) + len(self.refine)

    def refined(self, level: int) -> BlockingRule:
        """The rule at ``level`` of splitting: 0 is itself; each level adds one key.

        A sorted neighbourhood's first refinement is its exact sort value (window 1 as a
        block); then each ``refine`` key joins ``on`` on both sides.
        """
        if level == 0:
            return self
        extra = ((self.sort_on,) if self.sort_on else ()) + self.refine
        added = extra[:level]
        insured = (self.insured_on + added) if self.insured_on else ()
        return BlockingRule(f"{self.name}/{level}", self.on + added, insured_on=insured)

    @property
    def join_keys(self) -> tuple[tuple[str, str, str], ...]:
        """(key, payroll column, insured column) of every key the rule joins or sorts on."""
        insured = self.insured_on or self.on
        pairs = [*zip(self.on, insured, strict=True)]
        if self.sort_on:
            pairs.append((self.sort_on, self.sort_on))
        return tuple((p if p == i else f"{p}~{i}", p, i) for p, i in pairs)

    @property
    def keys(self) -> tuple[tuple[str, str, str], ...]:
        """The join keys and the refinement keys: every key the rule may read."""
        return self.join_keys + tuple((key, key, key) for key in self.refine)


DEFAULT_BLOCKING: tuple[BlockingRule, ...] = (
    # With the whole birth date: a common given name in a birth month (Nguyễn ... Anh, May
    # 1990) made blocks growing with the table (11.2M of 31.5M pairs at a million generated
    # rows), for 0.2% of the true pairs that no other rule found; year-only births meet
    # their records through the name neighbourhood within the year.
    BlockingRule("birth_date+given_name", ("birth_date", "given_ascii"), refine=("surname_ascii",)),
    # With the given name's initial: Nguyễn on one birth date made blocks growing with the
    # table (15.7M of 45M pairs at a million generated rows); 0.05% of the true pairs it
    # found at 250k had another given initial and met no other rule.
    BlockingRule(
        "birth_date+surname+given_initial",
        ("birth_date", "surname_ascii", "given_initial"),
        refine=("given_ascii",),
    ),
    # A large employer's common given name, or its workers of one birth year, split by
    # the name's other part, then the year (or the initials).
    BlockingRule(
        "given_name+employer",
        ("given_ascii", "employer_root"),
        refine=("surname_ascii", "block_year"),
    ),
    BlockingRule(
        "birth_year+employer",
        ("block_year", "employer_root"),
        refine=("given_initial", "surname_initial", "block_gender"),
    ),
    # Over the cap, a neighbourhood narrows to the exact order-free name within the year,
    # then the sex, the employer's province and the birth month: a common name's namesakes
    # of that year are its real competitors (a row with the year only stops before the
    # month).
    BlockingRule(
        "sorted_name_neighbourhood",
        ("block_year",),
        sort_on="name_sorted",
        window=5,
        refine=("block_gender", "employer_province", "birth_month"),
    ),
    # A row without any birth year (stated or in a CCCD) at another employer meets no rule
    # above. Against the other side's records of the same name it costs few pairs (19k and
    # 3k at 50k payroll rows); they are namesakes mostly, so they do not train the model.
    # A common name has thousands of holders in a province's registry: over the cap, the
    # sex and the employer's province split them (at 3M rows, 35k such rows otherwise
    # met 3,300 namesakes each, 44% of all pairs).
    BlockingRule(
        "name+payroll_without_year",
        ("name_if_no_year",),
        insured_on=("name_sorted",),
        train=False,
        refine=("block_gender", "employer_province"),
    ),
    BlockingRule(
        "name+insured_without_year",
        ("name_sorted",),
        insured_on=("name_if_no_year",),
        train=False,
        refine=("block_gender", "employer_province"),
    ),
)
