"""New ORM objects at a fraction of a table model's constructor: ``new_row``.

A SQLModel table model's ``__init__`` sets every field twice, once through SQLAlchemy's
attribute instrumentation (an event and a history entry per column) and once through
pydantic, and copies each default: 92 µs for a ``Case``, 42 for a party, 20 for an event
and 31 for an outbox message on this machine, about 0.3 ms of CPU for the eight objects a
report makes, the whole gap between intake written through the shared helpers and the
hand-made rows it replaced (docs/BENCHMARKS.md, "One write path"). ``new_row`` builds
the same object the way SQLAlchemy builds one it loads from the database: the instance
and its state from the mapper's class manager (``ClassManager.new_instance``, which does
not call ``__init__``), then the column values straight into its ``__dict__``, defaults
included, as the constructor would have left them. 17 × faster for a ``Case``.

The object is a true, transient instance of the model: ``session.add`` inserts it (a
pending object's INSERT takes every value in its ``__dict__``), changes after this go
through the instrumentation as usual, and pydantic reads and dumps it alike.
``tests/kit/test_rows.py`` holds it to the constructor for the models it builds (and a
partner) and writes its objects on both databases. It does not validate, as the
constructor of a table model does not either; relationships are not set.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import inspect
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)

_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)


class _Defaults:
    """A model's defaults: the constant ones (copied when mutable) and the factories."""

    def __init__(self, model: type[SQLModel]) -> None:
        self.constant: dict[str, Any] = {}
        self.mutable: dict[str, Any] = {}
        self.factories: dict[str, Callable[[], Any]] = {}
        for name, field in model.model_fields.items():
            if field.default_factory is not None:
                self.factories[name] = field.default_factory  # type: ignore[assignment]
            elif field.default is not PydanticUndefined:
                if isinstance(field.default, _IMMUTABLE):
                    self.constant[name] = field.default
                else:
                    self.mutable[name] = field.default
        self.fields = frozenset(model.model_fields)
        self.manager = inspect(model).class_manager


@cache
def _defaults(model: type[SQLModel]) -> _Defaults:
    return _Defaults(model)


def new_row(model: type[M], /, **values: Any) -> M:
    """``model(**values)`` for a table model, without the per-field instrumentation."""
    defaults = _defaults(model)
    unknown = values.keys() - defaults.fields
    if unknown:
        raise TypeError(f"{model.__name__} has no fields {sorted(unknown)}")
    instance: M = defaults.manager.new_instance()
    state = instance.__dict__
    state.update(defaults.constant)
    for name, value in defaults.mutable.items():
        if name not in values:
            state[name] = copy.deepcopy(value)
    for name, factory in defaults.factories.items():
        if name not in values:
            state[name] = factory()
    state.update(values)
    # What the constructor records as given (pydantic's model_fields_set).
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    return instance
