"""The component registry: names, kinds, duplicates and entry-point plugins."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from jlpr import Field, FieldClassifier, FieldReading, RegistryError, registry
from jlpr.interfaces import ImageArray
from jlpr.rectify import PerspectiveRectifier


class _Plugin(FieldClassifier):
    field = Field.KANA

    def classify(self, plate_image: ImageArray) -> FieldReading:
        return FieldReading(Field.KANA, "さ", 1.0)


def test_builtin_rectifier_is_registered_by_name() -> None:
    assert registry.get("rectifier", "perspective") is PerspectiveRectifier
    assert "perspective" in registry.available(registry.ComponentKind.RECTIFIER)


def test_kind_comes_from_the_interface_implemented() -> None:
    assert registry.kind_of(PerspectiveRectifier) is registry.ComponentKind.RECTIFIER
    assert registry.kind_of(_Plugin()) is registry.ComponentKind.CLASSIFIER
    with pytest.raises(RegistryError, match="not a component"):
        registry.kind_of(object())


def test_a_taken_name_cannot_be_registered_to_another_class() -> None:
    with pytest.raises(RegistryError, match="already registered"):
        registry.register("perspective")(type("Other", (PerspectiveRectifier,), {}))


def test_unknown_names_fail_with_the_known_ones_listed() -> None:
    with pytest.raises(RegistryError, match="perspective"):
        registry.get("rectifier", "no-such-rectifier")


def test_plugins_register_through_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint(name="test_kana_plugin", value=f"{__name__}:_Plugin", group="jlpr.components")

    def fake_entry_points(**kwargs: Any) -> list[EntryPoint]:
        return [ep] if kwargs.get("group") == registry.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    assert registry.get("classifier", "test_kana_plugin") is _Plugin
    assert _Plugin.registry_name == "test_kana_plugin"  # type: ignore[attr-defined]


def test_a_broken_plugin_is_reported_as_a_registry_error(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint(name="broken", value="no_such_module_xyz:Thing", group="jlpr.components")
    monkeypatch.setattr(registry, "entry_points", lambda **kwargs: [ep])
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    with pytest.raises(RegistryError, match="broken"):
        registry.get("classifier", "missing-name")
