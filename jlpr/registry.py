"""Components by name: the registry behind ``save_pretrained``/``from_pretrained`` and plugins.

A component class is registered under a name with :func:`register`; a saved reader names
each of its components, and :func:`get` finds the class again when the reader is loaded.

Third-party packages register components without being imported first, through the
``jlpr.components`` entry-point group (``name = "package.module:Class"``)::

    # pyproject.toml of your package
    [project.entry-points."jlpr.components"]
    my_office = "my_package.office:MyOfficeClassifier"

The kind of a component (localizer, rectifier or classifier) comes from the interface its
class implements.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from importlib.metadata import entry_points
from typing import Any, TypeVar

from jlpr.errors import RegistryError
from jlpr.interfaces import FieldClassifier, Localizer, Rectifier

__all__ = ["ENTRY_POINT_GROUP", "ComponentKind", "available", "get", "kind_of", "register"]

ENTRY_POINT_GROUP = "jlpr.components"

T = TypeVar("T", bound=type)


class ComponentKind(str, Enum):
    """The three kinds of pipeline component."""

    LOCALIZER = "localizer"
    RECTIFIER = "rectifier"
    CLASSIFIER = "classifier"


_BASES: dict[ComponentKind, type] = {
    ComponentKind.LOCALIZER: Localizer,
    ComponentKind.RECTIFIER: Rectifier,
    ComponentKind.CLASSIFIER: FieldClassifier,
}
_REGISTRY: dict[ComponentKind, dict[str, type]] = {kind: {} for kind in ComponentKind}
_entry_points_loaded = False


def kind_of(component: Any) -> ComponentKind:
    """The kind of a component instance or class; :class:`RegistryError` if it is none."""
    cls = component if isinstance(component, type) else type(component)
    for kind, base in _BASES.items():
        if issubclass(cls, base):
            return kind
    raise RegistryError(
        f"{cls.__qualname__} is not a component: subclass jlpr.interfaces.Localizer, "
        "Rectifier or FieldClassifier"
    )


def register(name: str) -> Callable[[T], T]:
    """Class decorator that registers a component class under ``name``.

    Registering the same class twice is harmless; registering a different class under a
    name that is taken raises :class:`RegistryError`.
    """
    if not name or not isinstance(name, str):
        raise RegistryError(f"component names are non-empty strings, got {name!r}")

    def decorator(cls: T) -> T:
        kind = kind_of(cls)
        taken = _REGISTRY[kind].get(name)
        if taken is not None and _qualified(taken) != _qualified(cls):
            raise RegistryError(
                f"{kind.value} name {name!r} is already registered to {_qualified(taken)}"
            )
        _REGISTRY[kind][name] = cls
        setattr(cls, "registry_name", name)  # noqa: B010 - the class is typed as plain type
        return cls

    return decorator


def get(kind: ComponentKind | str, name: str) -> type:
    """The class registered as ``name`` for ``kind``, loading plugins when needed."""
    kind = ComponentKind(kind)
    if name not in _REGISTRY[kind]:
        _load_entry_points()
    try:
        return _REGISTRY[kind][name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY[kind])) or "none"
        raise RegistryError(
            f"no {kind.value} named {name!r} (known: {known}); if it comes from a plugin "
            f"package, install that package so that it registers under the "
            f"{ENTRY_POINT_GROUP!r} entry-point group"
        ) from None


def available(kind: ComponentKind | str) -> tuple[str, ...]:
    """Names registered for ``kind``, plugins included, sorted."""
    _load_entry_points()
    return tuple(sorted(_REGISTRY[ComponentKind(kind)]))


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not break the library
            raise RegistryError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        if not isinstance(cls, type):
            raise RegistryError(f"plugin {ep.name!r} ({ep.value}) is not a class")
        if getattr(cls, "registry_name", "") != ep.name:
            register(ep.name)(cls)
