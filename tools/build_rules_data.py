"""Regenerate jlpr's plate-rule data (``jlpr/rules/data/*.json``) from the shared fact sheet.

The library never reads the fact sheet at run time: this script copies the fields the code
uses into the package's own compact JSON files, checks the counts the code relies on, and
records where the facts come from.

    python tools/build_rules_data.py            # rewrite the JSON files
    python tools/build_rules_data.py --check    # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "jp-plates" / "plates.json"
DATA_DIR = ROOT / "jlpr" / "rules" / "data"

OFFICES_SOURCE = (
    "kyto64/number-plate-japan.csv (ja.wikipedia 日本のナンバープレート一覧) "
    "+ 2025-05-07 additions (十勝 日光 江戸川 安曇野 南信州: netdenjd.com 314548, "
    "miyazaki-cjt.com, jafmate.jp); withdrawn 彦根: NHK Ōtsu, nordot.app; see docs/rules.md"
)
KANA_SOURCE = (
    "car-toyama.com/diary/9762; panipani.jp rental-car-number; rentalcar-hajimete.com; "
    "toyokeizai.net 229254 p3; kurukura.jp 28839; see docs/rules.md"
)

# Spellings people type that the fact sheet does not list: が is how 袖ヶ浦 is read, and
# typing the reading's kana for the small ヶ is a common slip.
EXTRA_ALIASES: Mapping[str, Sequence[str]] = {"袖ヶ浦": ("袖が浦",)}

# The fact sheet gives no romaji for the withdrawn name; simplified Hepburn of ひこね.
WITHDRAWN_ROMAJI: Mapping[str, str] = {"彦根": "hikone"}

USAGE_KEYS = {
    "private_自家用": "private",
    "commercial_事業用": "commercial",
    "rental_貸渡_レンタカー": "rental",
    "us_forces_駐留軍人軍属私有車両等": "us_forces",
}
CLASS_KEYS = {
    "registered_vehicles_自動車登録番号標": "registered",
    "kei_vehicles_車両番号標(検査対象軽自動車)": "kei",
}
OBSOLETE_KANA = ("ゐ", "ゑ")


def build_offices(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The ``offices.json`` document: 138 names in fact-sheet order, plus withdrawn names."""
    rows: list[dict[str, Any]] = []
    for entry in facts["offices"]:
        row = {
            "kanji": entry["kanji"],
            "kana": entry["kana"],
            "romaji": entry["romaji"],
            "prefecture": entry["prefecture"],
            "kind": entry["kind"],
            "since": entry["since"],
        }
        aliases = [*entry.get("aliases", ()), *EXTRA_ALIASES.get(entry["kanji"], ())]
        if aliases:
            row["aliases"] = aliases
        rows.append(row)
    counts = facts["meta"]["counts"]
    kinds = [row["kind"] for row in rows]
    _require(len(rows) == counts["total_place_names"], "place-name count differs from meta")
    _require(kinds.count("office") == counts["office_names"], "office count differs from meta")
    _require(kinds.count("local") == counts["gotouchi_local_names"], "local count differs")
    _require(len({row["kanji"] for row in rows}) == len(rows), "duplicate place names")
    withdrawn = [
        {
            "kanji": entry["kanji"],
            "kana": entry["kana"],
            "romaji": WITHDRAWN_ROMAJI[entry["kanji"]],
            "status": "approved 2023-04 for 2025, withdrawn 2023-07; never issued",
        }
        for entry in facts["meta"]["withdrawn"]
    ]
    return {"source": OFFICES_SOURCE, "offices": rows, "withdrawn": withdrawn}


def build_kana(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The ``kana.json`` document: the plate kana, Latin letters and the usage tables."""
    kana = facts["kana"]
    hiragana = list(kana["all_hiragana_on_plates"])
    latin = list(kana["latin_letters_in_kana_position"])
    _require(len(hiragana) == kana["all_hiragana_count"] == 42, "expected 42 hiragana")
    usage: dict[str, dict[str, list[str]]] = {}
    for class_key, vehicle_class in CLASS_KEYS.items():
        table = {USAGE_KEYS[key]: list(chars) for key, chars in kana[class_key].items()}
        used = [c for chars in table.values() for c in chars]
        _require(len(used) == len(set(used)), f"{vehicle_class}: a kana has two usages")
        _require(set(used) <= set(hiragana) | set(latin), f"{vehicle_class}: unknown kana")
        usage[vehicle_class] = table
    all_used = {c for table in usage.values() for chars in table.values() for c in chars}
    _require(all_used == set(hiragana) | set(latin), "usage tables do not cover every kana")
    return {
        "source": KANA_SOURCE,
        "hiragana": hiragana,
        "latin": latin,
        "usage": usage,
        "never_used": [item["kana"] for item in kana["never_used"]],
        "obsolete": [item["kana"] for item in kana["also_never_used"]],
    }


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"plates.json is not as expected: {message}")


def dumps(value: Any, indent: int = 0) -> str:
    """JSON with one line per office and per kana list, so that diffs stay readable."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        items = [pad + dumps(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(value, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="plates.json")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    facts = json.loads(args.source.read_text(encoding="utf-8"))
    outputs = {
        DATA_DIR / "offices.json": dumps(build_offices(facts)) + "\n",
        DATA_DIR / "kana.json": dumps(build_kana(facts)) + "\n",
    }
    stale = [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(outputs[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
