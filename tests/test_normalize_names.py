"""Names: display cleaning, keys, Telex repair, family-first order, surname table."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage._vector import factorize_arrow
from linkage.folding import LOOKALIKES
from linkage.normalize import clean_name, name_keys, names, surname_share, surname_shares
from linkage.normalize._text import _CHARACTER_REPAIRS, _kept_characters, clean_display, nfc
from linkage.normalize.names import NAME_FIELDS, PLAIN_LETTERS, name_record
from linkage.normalize.surnames import SURNAMES
from linkage.schema import PERSON_FIELDS

VIETNAMESE_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
vietnamese_names = st.lists(
    st.text(
        alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper(),
        min_size=1,
        max_size=7,
    ),
    min_size=1,
    max_size=5,
).map(" ".join)


def keys(name: str) -> dict[str, object]:
    return name_record(name)._asdict()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Nguyễn   Văn  An ", "Nguyễn Văn An"),  # trim and collapse spaces
        ("Nguyễn Văn An 2", "Nguyễn Văn An"),  # stray digit
        ("Nguyễn, Văn. An!", "Nguyễn Văn An"),  # stray punctuation
        ("NGUYỄN VĂN AN", "NGUYỄN VĂN AN"),  # case kept for display
        (unicodedata.normalize("NFD", "Nguyễn"), "Nguyễn"),  # NFD composed to NFC
        ("H\u2019Hen Niê", "H'Hen Niê"),  # typographic apostrophe kept between letters
        ("Y-Moan Enuôl", "Y-Moan Enuôl"),  # in-word hyphen kept
        ("- An -", "An"),  # stray hyphens dropped
        ("\u00d0ức", "Đức"),  # Icelandic eth mistyped for Đ
        ("123", None),  # nothing left
        ("", None),  # empty
        (None, None),  # missing
    ],
)
def test_clean_name(raw: str | None, expected: str | None) -> None:
    result = clean_name(pd.Series([raw], dtype=object))
    assert result.iloc[0] == expected if expected else pd.isna(result.iloc[0])


@pytest.mark.parametrize(
    ("raw", "exact", "ascii_key"),
    [
        ("Nguyễn Văn Đức", "nguyễn văn đức", "nguyen van duc"),  # recordlinkage Đ pitfall
        ("Nguyeenx Vawn An", "nguyễn văn an", "nguyen van an"),  # Telex residue
        ("NGUYEENX VAWN AN", "nguyễn văn an", "nguyen van an"),  # Telex residue, all caps
        ("Traanf Thij Hoafng Lan", "trần thị hoàng lan", "tran thi hoang lan"),  # tones
        ("Ddoox Truwowngf", "đỗ trường", "do truong"),  # dd and uwow
        ("Nguyen Thanh Quang", "nguyen thanh quang", "nguyen thanh quang"),  # plain ASCII
        ("Thomas Evans", "thomas evans", "thomas evans"),  # foreign name: no decode
        ("Wang Wei", "wang wei", "wang wei"),  # w without a Vietnamese reading
        ("An Nguyễn Văn", "nguyễn văn an", "nguyen van an"),  # given name first
        ("AN NGUYEN VAN", "nguyen van an", "nguyen van an"),  # same, caps, no accents
        ("An Van Nguyen", "nguyen van an", "nguyen van an"),  # Western order
        ("Phong Âu Dương", "âu dương phong", "au duong phong"),  # compound surname last
        ("Lan Anh", "lan anh", "lan anh"),  # no surname anywhere: unchanged
        ("Mai Trần", "mai trần", "mai tran"),  # Mai is a surname: no reorder
        ("Trường Doãn Văn", "doãn văn trường", "doan van truong"),  # ends in marker Văn
        ("Hậu Nguyễn Quang", "nguyễn quang hậu", "nguyen quang hau"),  # Hậu is not Hầu
        ("Nguyên Trần An", "nguyên trần an", "nguyen tran an"),  # mistoned Nguyễn: kept
        ("LY NGUYEN THANH", "ly nguyen thanh", "ly nguyen thanh"),  # ASCII Ly may be Lý
        ("Nguyễn Thị Hòa", "nguyễn thị hoà", "nguyen thi hoa"),  # tone placement canonical
        ("Lý Lí Ly", "lý lí ly", "ly li ly"),  # i/y kept distinct
    ],
)
def test_name_keys_table(raw: str, exact: str, ascii_key: str) -> None:
    result = keys(raw)
    assert result["name_exact"] == exact
    assert result["name_ascii"] == ascii_key


@pytest.mark.parametrize(
    ("raw", "surname", "middle", "given"),
    [
        ("Nguyễn Văn An", "nguyen", "van", "an"),  # plain
        ("Nguyễn An", "nguyen", "", "an"),  # no middle name
        ("Tôn Nữ Thị Hoà", "ton nu", "thi", "hoa"),  # compound surname
        ("Tôn Thất Bách", "ton that", "", "bach"),  # compound surname, no middle
        ("Công Tằng Tôn Nữ Bảo Anh", "cong tang ton nu", "bao", "anh"),  # four words
        ("Âu Dương Phong", "au duong", "", "phong"),  # compound surname
        ("Nguyễn Phúc An", "nguyen", "phuc", "an"),  # Phúc read as middle name
        ("Nguyễn Phước Bửu Chánh", "nguyen phuoc", "buu", "chanh"),  # royal compound
        ("An", None, "", "an"),  # one word: given name only
        ("Lí Thị Mai", "li", "thi", "mai"),  # Lí is the surname Lý spelt with i: not reordered
        ("LI THI MAI", "li", "thi", "mai"),  # ... also without diacritics
    ],
)
def test_name_parts(raw: str, surname: str | None, middle: str, given: str) -> None:
    result = keys(raw)
    assert (result["surname_ascii"], result["middle_ascii"], result["given_ascii"]) == (
        surname,
        middle,
        given,
    )


def test_toneless_keeps_vowel_marks_and_merges_placements() -> None:
    assert keys("Hương")["name_toneless"] == "hương"
    assert keys("Hưng")["name_toneless"] != keys("Hương")["name_toneless"]
    assert keys("Hùng")["name_ascii"] == keys("Hưng")["name_ascii"] == "hung"
    assert keys("Hoà")["name_toneless"] == keys("Hòa")["name_toneless"] == "hoa"
    assert keys("Thuý")["name_toneless"] == keys("Thúy")["name_toneless"] == "thuy"
    assert keys("Thuý")["name_exact"] == keys("Thúy")["name_exact"]
    assert keys("Đức")["given_toneless"] == "đưc"


def test_cp1258_style_decomposed_input() -> None:
    # cp1258 encodes tones as combining marks after precomposed â/ê/ơ...: decoded text
    # is neither NFC nor NFD.
    raw = "Nguy\u00ea\u0303n V\u0103n \u0110\u01b0\u0301c".encode("cp1258").decode("cp1258")
    assert raw != unicodedata.normalize("NFC", raw)
    assert keys(raw) == keys("Nguyễn Văn Đức")


def test_all_caps_same_keys_as_title_case() -> None:
    for name in ("Nguyễn Văn Đức", "Trần Thị Thuý", "An Nguyễn Văn", "Tôn Nữ Thị Hoà"):
        title, caps = keys(name), keys(name.upper())
        title.pop("full_name"), caps.pop("full_name")
        assert title == caps


def test_name_keys_frame_contract() -> None:
    names = pd.Series(["Nguyễn Văn An", None, "  ", "Nguyễn Văn An"], index=[10, 11, 12, 13])
    frame = name_keys(names)
    person_types = dict(PERSON_FIELDS)
    assert list(frame.columns) == list(NAME_FIELDS)
    assert list(frame.index) == [10, 11, 12, 13]
    for column in frame.columns:
        assert frame[column].dtype == pd.ArrowDtype(person_types[column])
    assert frame.loc[11].isna().all()
    assert frame.loc[12].isna().all()
    assert frame.loc[13, "name_exact"] == "nguyễn văn an"


def test_surname_table() -> None:
    assert len(SURNAMES) >= 100
    assert surname_share("NGUYEN") == surname_share("Nguyễn") == pytest.approx(0.38)
    assert surname_share("Xyz") == 0.0
    shares = surname_shares(pd.Series(["tran", None, "le"], dtype=pd.ArrowDtype(pa.string())))
    assert shares.iloc[0] == pytest.approx(0.11)
    assert pd.isna(shares.iloc[1])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises_and_clean_is_idempotent(text: str) -> None:
    record = name_record(text)
    if record.full_name is None:
        return
    assert name_record(record.full_name) == record
    assert record.full_name == unicodedata.normalize("NFC", record.full_name)


@settings(max_examples=150, deadline=None)
@given(vietnamese_names)
def test_nfc_and_nfd_give_identical_keys(name: str) -> None:
    assert name_record(unicodedata.normalize("NFD", name)) == name_record(
        unicodedata.normalize("NFC", name)
    )


@settings(max_examples=150, deadline=None)
@given(vietnamese_names)
def test_exact_key_is_a_fixed_point(name: str) -> None:
    exact = name_record(name).name_exact
    assert exact is not None
    again = name_record(exact)
    assert again.name_exact == exact
    assert again.name_toneless == name_record(name).name_toneless


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), vietnamese_names, st.text(max_size=12)), max_size=30))
def test_vectorized_equals_reference_loop(values: list[str | None]) -> None:
    frame = name_keys(pd.Series(values, dtype=object))
    for row, value in enumerate(values):
        expected = name_record(value)._asdict() if value is not None else None
        actual = {k: (None if pd.isna(v) else v) for k, v in frame.iloc[row].to_dict().items()}
        if expected is None:
            assert all(v is None for v in actual.values())
        else:
            assert actual == expected


@given(st.one_of(vietnamese_names, st.text(), st.text(alphabet="aăâ đ'-\u0301 \t2", max_size=12)))
def test_letters_and_single_spaces_take_the_short_path_to_the_same_result(text: str) -> None:
    repaired = nfc(text).translate(_CHARACTER_REPAIRS)
    assert clean_display(text) == _kept_characters(repaired)


# name_keys computes most names in Arrow (``names._plain_keys``) and the rest with the scalar
# ``_keys``; both must give exactly what ``name_record`` gives.


def assert_frame_matches_reference(values: Sequence[object]) -> None:
    frame = name_keys(pd.Series(values, dtype=object))
    for row, value in enumerate(values):
        expected = name_record(value) if isinstance(value, str) else names._NO_NAME
        actual = tuple(None if pd.isna(v) else v for v in frame.iloc[row])
        assert actual == tuple(expected), value
    cleaned = clean_name(pd.Series(values, dtype=object))
    for row, value in enumerate(values):
        expected_display = (clean_display(value) or None) if isinstance(value, str) else None
        assert (None if pd.isna(cleaned.iloc[row]) else cleaned.iloc[row]) == expected_display


def takes_arrow_path(raw: str) -> bool:
    _, uniques = factorize_arrow(pd.Series([raw]))
    display, plain_form = names._displays(uniques)
    plain, _ = names._plain_keys(display, plain_form)
    return bool(plain[0])


@pytest.mark.parametrize(
    ("raw", "arrow"),
    [
        ("Nguyễn Văn An", True),  # family-first, accented
        ("NGUYỄN VĂN AN", True),  # all caps
        ("Nguyen Thi Lan", True),  # ASCII, no Telex keystroke
        ("  Trần   Thị  Hòa ", True),  # extra spaces only; tone placement canonical
        ("Lê An", True),  # no middle name
        ("An", True),  # one word
        ("Lan", True),  # one word that is also a surname
        ("Nguyễn Phúc An", True),  # ambiguous compound, three words: one-word surname
        ("Tôn Nữ", True),  # compound as the whole name: one-word surname
        ("Nguyễn Tôn Nữ", True),  # compound after the first word: not a surname there
        ("Lê Y-Moan", True),  # hyphen splits key words
        ("Y-Moan Enuôl", False),  # first word Y is no surname
        ("Nông H'Hen", True),  # apostrophe dropped in keys
        ("Lý Lí Ly", True),  # sorted key of repeated folds
        ("Nguyeenx Vawn An", False),  # Telex residue
        ("Wang Wei", False),  # w is Telex evidence: the scalar path tries and keeps it
        ("An Nguyễn Văn", False),  # given name first
        ("An Van Nguyen", False),  # Western order
        ("Lan Anh", False),  # no surname first, kept as is
        ("Tôn Nữ Thị Hoà", False),  # compound surname
        ("Nguyễn Phước Bửu Chánh", False),  # ambiguous compound, four words
        ("Nguyễn Văn An 2", True),  # digit removed by clean_display, then Arrow keys
        (unicodedata.normalize("NFD", "Đặng Thị Ánh"), True),  # NFD: clean_display first
        ("H\u2019Hen Niê", False),  # typographic apostrophe repaired; Niê is no surname
        ("Σοφία Παπαδοπούλου", False),  # letters outside PLAIN_LETTERS (final sigma)
        ("İnci Öz", False),  # İ lower-cases to two code points
        ("\t", False),  # whitespace only: no name
        ("", False),  # empty: no name
    ],
)
def test_arrow_and_scalar_paths_match_name_record(raw: str, arrow: bool) -> None:
    assert takes_arrow_path(raw) == arrow
    assert_frame_matches_reference([raw, raw.upper(), raw.lower(), None])


def test_plain_letters_are_kept_nfc_and_lower_case_one_by_one() -> None:
    # What the Arrow path relies on to skip clean_display, NFC and per-name str.lower.
    joiners = " '-"
    for letter in PLAIN_LETTERS:
        assert letter.isalpha()
        assert len(letter.lower()) == 1
        assert letter.lower() in PLAIN_LETTERS
    assert not set(map(chr, _CHARACTER_REPAIRS)) & set(PLAIN_LETTERS)
    alphabet = PLAIN_LETTERS + joiners
    for first in alphabet:
        for second in alphabet:
            assert nfc(first + second) == first + second


SURNAME_WORDS = ["Nguyễn", "Trần", "Lê", "Phạm", "Ngô", "Lâm", "Mai", "Hầu", "Doãn", "Lý", "Lí"]
SURNAME_WORDS += ["Nguyen", "Tran", "Le", "Ly", "Hau", "Lam"]
COMPOUNDS = ["Tôn Nữ", "Tôn Thất", "Âu Dương", "Công Tằng Tôn Nữ", "Công Tôn Nữ", "Nguyễn Phúc"]
COMPOUNDS += ["Nguyễn Phước", "Hoàng Phủ", "Tư Mã", "Ton Nu", "Au Duong", "Nguyen Phuoc"]
GIVEN_WORDS = ["Văn", "Thị", "An", "Hòa", "Hoà", "Thúy", "Thuý", "Hương", "Hưng", "Đức", "Lan"]
GIVEN_WORDS += ["Anh", "Hậu", "Nguyên", "Phúc", "Van", "Thi", "Hoa", "Quang", "Thanh", "Trường"]
TELEX_WORDS = ["Nguyeenx", "Vawn", "Traanf", "Thij", "Ddoox", "Truwowngf", "Hoangf", "Wang"]
TELEX_WORDS += ["Wei", "Thomas", "Lee", "Ngocj"]
ODD_WORDS = [
    "H'Hen",
    "Niê",
    "Y-Moan",
    "Enuôl",
    "O'Brien",
    "2",
    ",",
    "Jr.",
    "\u00d0ức",
    "H\u2019Hen",
]
ODD_WORDS += ["ß", "Σ", "İ", "-", "'", "Nguy\u1ec5n", "e\u0301", "李"]

name_words = st.one_of(
    st.sampled_from(SURNAME_WORDS + COMPOUNDS + GIVEN_WORDS + TELEX_WORDS + ODD_WORDS),
    st.text(alphabet=VIETNAMESE_LETTERS + "wfjz", min_size=1, max_size=6),
)


@st.composite
def raw_names(draw: st.DrawFn) -> str:
    words = draw(st.lists(name_words, min_size=0, max_size=5))
    separators = st.sampled_from([" ", " ", " ", " ", "  ", "-", "'", "\t", ", "])
    text = "".join(word + draw(separators) for word in words).rstrip()
    text = draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " "]))
    casings: list[Callable[[str], str]] = [str, str.upper, str.lower, str.title]
    text = draw(st.sampled_from(casings))(text)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFC", "NFD"])), text)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(raw_names(), st.sampled_from([None, pd.NA, float("nan")]), st.text(max_size=8)),
        max_size=40,
    )
)
def test_name_keys_equals_name_record_on_both_paths(values: list[object]) -> None:
    assert_frame_matches_reference(values)


# Cyrillic and Greek look-alikes (issue 21, item 7): folded to the Latin letter.
_LATIN_NAMES = [
    "Nguyễn Văn Hà",
    "TRẦN THỊ MAI",
    "Phạm Xuân Cường",
    "Hồ Thị Kim Oanh",
    "Bùi Minh Tâm",
    "Lê Hoàng Yến",
    "Võ Phước Sang",
    "Cao Bá Quát",
]


def _spoof(name: str, swap: list[bool]) -> str:
    """``name`` with the letters flagged in ``swap`` written as a Cyrillic/Greek look-alike."""
    table = {chr(t): chr(f) for f, t in LOOKALIKES.items()}
    letters = list(unicodedata.normalize("NFD", name))
    for i, (char, flip) in enumerate(zip(letters, swap, strict=False)):
        if flip and char in table:
            letters[i] = table[char]
    return unicodedata.normalize("NFC", "".join(letters))


@given(name=st.sampled_from(_LATIN_NAMES), swap=st.lists(st.booleans(), min_size=20))
def test_lookalike_letters_fold_to_the_latin_name(name: str, swap: list[bool]) -> None:
    spoofed = _spoof(name, swap)
    keys = name_keys(pd.Series([name, spoofed], dtype="string"))
    assert keys.iloc[0].tolist() == keys.iloc[1].tolist()
    assert name_record(spoofed) == name_record(name)  # the scalar reference agrees


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        (
            "Nguy\u0435\u0302\u0303n V\u0430\u0306n H\u0430\u0300",
            "Nguyễn Văn Hà",
        ),  # Cyrillic a and e (U+0430, U+0435)
        ("\u041d\u041e \u0054\u0048\u1eca", "HO THỊ"),  # Cyrillic capitals H, O beside Latin words
        ("\u0418\u0432\u0430\u043d", "\u0418\u0432\u0430\u043d"),  # a Cyrillic name: kept
        ("\u039c\u0391I", "MAI"),  # Greek capitals beside a Latin I
    ],
)
def test_lookalike_table(raw: str, display: str) -> None:
    assert clean_name(pd.Series([raw])).iloc[0] == display
