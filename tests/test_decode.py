"""Decoding: the most probable VALID plate, and explicit unreadable fields."""

from __future__ import annotations

from jlpr.decode import decode_readings
from jlpr.rules import ColorScheme
from jlpr.types import Alternative, Field, FieldReading


def reading(field: Field, *candidates: tuple[str, float]) -> FieldReading:
    alts = tuple(Alternative(v, c) for v, c in candidates)
    return FieldReading(field, alts[0].value, alts[0].confidence, alts)


def readings(**overrides: FieldReading) -> dict[Field, FieldReading]:
    base = {
        Field.OFFICE: reading(Field.OFFICE, ("品川", 0.9)),
        Field.CLASSIFICATION: reading(Field.CLASSIFICATION, ("330", 0.9)),
        Field.KANA: reading(Field.KANA, ("さ", 0.9)),
        Field.DESIGNATION: reading(Field.DESIGNATION, ("12-34", 0.9)),
        Field.SCHEME: reading(Field.SCHEME, ("private", 0.9)),
    }
    base.update({Field(k): v for k, v in overrides.items()})
    return base


def test_confident_valid_readings_are_taken_as_they_are() -> None:
    decoded = decode_readings(readings(), 0.3)
    assert decoded.office is not None and decoded.office.kanji == "品川"
    assert (decoded.classification, decoded.kana, decoded.designation) == ("330", "さ", 1234)
    assert decoded.scheme is ColorScheme.PRIVATE
    assert abs(decoded.confidence - 0.9**5) < 1e-9


def test_a_kana_that_does_not_exist_falls_back_to_the_next_valid_candidate() -> None:
    decoded = decode_readings(readings(kana=reading(Field.KANA, ("し", 0.6), ("さ", 0.3))), 0.2)
    assert decoded.kana == "さ"
    assert decoded.confidences[Field.KANA] == 0.3


def test_an_invalid_classification_falls_back_to_a_valid_one() -> None:
    cls = reading(Field.CLASSIFICATION, ("3B0", 0.5), ("380", 0.4))
    assert decode_readings(readings(classification=cls), 0.2).classification == "380"


def test_a_four_digit_number_without_its_hyphen_cell_is_not_chosen() -> None:
    number = reading(Field.DESIGNATION, ("・1234", 0.5), ("12-34", 0.4))
    assert decode_readings(readings(designation=number), 0.2).designation == 1234


def test_kana_and_scheme_are_chosen_together_so_they_agree() -> None:
    # り is kei commercial: on a yellow (private kei) plate it is impossible, so the decoder
    # prefers the consistent pair (る on private_kei) over the two individually best values.
    kana = reading(Field.KANA, ("り", 0.55), ("る", 0.45))
    scheme = reading(Field.SCHEME, ("private_kei", 0.8), ("commercial_kei", 0.2))
    decoded = decode_readings(readings(kana=kana, scheme=scheme), 0.2)
    assert (decoded.kana, decoded.scheme) == ("る", ColorScheme.PRIVATE_KEI)


def test_the_classification_steers_the_scheme_to_its_vehicle_class() -> None:
    # 580 is a kei number (lower two digits 80-99): with the colour unsure, the yellow
    # scheme wins over the individually likelier white one.
    scheme = reading(Field.SCHEME, ("private", 0.55), ("private_kei", 0.45))
    cls = reading(Field.CLASSIFICATION, ("580", 0.9), ("530", 0.05))
    decoded = decode_readings(readings(classification=cls, scheme=scheme), 0.2)
    assert (decoded.classification, decoded.scheme) == ("580", ColorScheme.PRIVATE_KEI)
    assert decoded.confidences[Field.SCHEME] == 0.45


def test_the_scheme_steers_the_classification_to_a_fitting_number() -> None:
    scheme = reading(Field.SCHEME, ("private_kei", 0.9), ("private", 0.1))
    cls = reading(Field.CLASSIFICATION, ("560", 0.6), ("580", 0.35))
    decoded = decode_readings(readings(classification=cls, scheme=scheme), 0.2)
    assert (decoded.classification, decoded.scheme) == ("580", ColorScheme.PRIVATE_KEI)
    assert decoded.confidences[Field.CLASSIFICATION] == 0.35


def test_a_classification_that_fits_no_scheme_is_still_read() -> None:
    # The vehicle-class rule is a preference: with no fitting candidate both stay as read.
    scheme = reading(Field.SCHEME, ("private_kei", 0.9))
    cls = reading(Field.CLASSIFICATION, ("130", 0.8), ("330", 0.1))
    decoded = decode_readings(readings(classification=cls, scheme=scheme), 0.2)
    assert (decoded.classification, decoded.scheme) == ("130", ColorScheme.PRIVATE_KEI)


def test_an_unreadable_classification_constrains_nothing() -> None:
    scheme = reading(Field.SCHEME, ("private", 0.55), ("private_kei", 0.45))
    cls = reading(Field.CLASSIFICATION, ("580", 0.25))
    decoded = decode_readings(readings(classification=cls, scheme=scheme), 0.3)
    assert decoded.classification is None and decoded.scheme is ColorScheme.PRIVATE
    assert decoded.confidences[Field.CLASSIFICATION] == 0.25


def test_with_the_kana_unreadable_the_classification_still_steers_the_scheme() -> None:
    scheme = reading(Field.SCHEME, ("private", 0.55), ("private_kei", 0.45))
    cls = reading(Field.CLASSIFICATION, ("580", 0.9))
    kana = reading(Field.KANA, ("さ", 0.1))
    decoded = decode_readings(readings(classification=cls, scheme=scheme, kana=kana), 0.3)
    assert decoded.kana is None and decoded.confidences[Field.KANA] == 0.1
    assert decoded.scheme is ColorScheme.PRIVATE_KEI


def test_a_field_below_the_threshold_is_unreadable_not_guessed() -> None:
    decoded = decode_readings(readings(office=reading(Field.OFFICE, ("品川", 0.2))), 0.3)
    assert decoded.office is None
    assert decoded.confidences[Field.OFFICE] == 0.2
    assert decoded.classification == "330"


def test_a_field_with_no_valid_candidate_is_unreadable() -> None:
    decoded = decode_readings(readings(office=reading(Field.OFFICE, ("東京", 0.99))), 0.3)
    assert decoded.office is None and decoded.confidence == 0.0


def test_duplicate_spellings_of_one_value_add_up() -> None:
    number = reading(Field.DESIGNATION, ("・・12", 0.3), ("12", 0.3), ("・・13", 0.4))
    decoded = decode_readings(readings(designation=number), 0.2)
    assert decoded.designation == 12
    assert abs(decoded.confidences[Field.DESIGNATION] - 0.6) < 1e-9


def test_a_missing_scheme_classifier_leaves_the_scheme_out() -> None:
    given = readings()
    del given[Field.SCHEME]
    decoded = decode_readings(given, 0.3)
    assert decoded.scheme is None and decoded.kana == "さ"
    assert Field.SCHEME not in decoded.confidences


def test_a_graphic_plate_and_the_plain_one_of_its_kind_count_as_one_kind() -> None:
    # Torn between the picture and none: the plate is surely registered and private.
    scheme = reading(Field.SCHEME, ("private", 0.46), ("graphic", 0.44), ("private_kei", 0.1))
    decoded = decode_readings(readings(scheme=scheme), 0.3)
    assert decoded.scheme is ColorScheme.PRIVATE
    assert abs(decoded.confidences[Field.SCHEME] - 0.9) < 1e-9
    assert abs(decoded.confidence - 0.9**5) < 1e-9


def test_the_kind_of_plate_is_chosen_on_the_sum_over_its_schemes() -> None:
    # Yellow is the likeliest single scheme, but white registered-private (plain or graphic)
    # is the likelier kind; the kind's likeliest scheme names it.
    scheme = reading(Field.SCHEME, ("private_kei", 0.4), ("graphic", 0.31), ("private", 0.29))
    cls = reading(Field.CLASSIFICATION, ("330", 0.1))  # unreadable: constrains nothing
    decoded = decode_readings(readings(scheme=scheme, classification=cls), 0.3)
    assert decoded.scheme is ColorScheme.GRAPHIC
    assert abs(decoded.confidences[Field.SCHEME] - 0.6) < 1e-9


def test_a_kind_below_the_threshold_leaves_the_scheme_unreadable() -> None:
    scheme = reading(Field.SCHEME, ("private", 0.25), ("commercial", 0.25), ("private_kei", 0.25))
    decoded = decode_readings(readings(scheme=scheme), 0.3)
    assert decoded.scheme is None and decoded.confidences[Field.SCHEME] == 0.25
