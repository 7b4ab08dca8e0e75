"""Estimators that take a parent's parameters: one declaration instead of a copied ``__init__``.

scikit-learn reads an estimator's parameters from the signature of its ``__init__``
(``get_params``, ``clone``, ``repr``, the estimator checks), so a subclass that adds one
parameter normally has to repeat every parameter of its parent and forward them. The
networks of this project share the 16 training parameters of
:class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`; :func:`derived_params`
declares a subclass's parameters as *the parent's, with these defaults changed, these added
and these left out* and writes the ``__init__`` -- with a real signature -- from that.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["derived_params"]

T = TypeVar("T", bound=type)


def derived_params(parent: type, *, drop: Iterable[str] = (),
                   **changes: Any) -> Callable[[T], T]:
    """Class decorator: ``__init__`` takes ``parent``'s parameters, amended.

    Parameters
    ----------
    parent : type
        Class whose ``__init__`` signature is the starting point (a class decorated the same
        way works too: its generated signature is read).
    drop : iterable of str
        Parent parameters the subclass does not take (it keeps the parent's class-level
        default, if any, as a plain attribute).
    **changes
        ``name=default`` for parameters whose default changes, and for new parameters
        (appended after the parent's).

    Returns
    -------
    callable
        The decorator. The generated ``__init__`` accepts keyword arguments only, stores
        each parameter unchanged under its own name (scikit-learn's rule: no validation in
        ``__init__``) and rejects unknown names with a ``TypeError``, as Python would.
    """
    base = inspect.signature(parent.__init__)
    drop = set(drop)
    unknown = drop - set(base.parameters)
    if unknown:
        raise TypeError(f"derived_params: {parent.__name__} has no parameters {sorted(unknown)}")
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [p.replace(kind=keyword, default=changes.get(p.name, p.default))
              for p in base.parameters.values() if p.name != "self" and p.name not in drop]
    inherited = {p.name for p in params}
    params += [inspect.Parameter(name, keyword, default=value)
               for name, value in changes.items() if name not in inherited]
    defaults = {p.name: p.default for p in params}
    signature = inspect.Signature([base.parameters["self"], *params])

    def decorate(cls: T) -> T:
        def __init__(self, **kwargs: Any) -> None:
            extra = sorted(set(kwargs) - set(defaults))
            if extra:
                raise TypeError(f"{cls.__name__}.__init__() got unexpected keyword "
                                f"argument(s) {extra}")
            for name, default in defaults.items():
                setattr(self, name, kwargs.get(name, default))

        __init__.__signature__ = signature  # type: ignore[attr-defined]
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        __init__.__module__ = cls.__module__
        __init__.__doc__ = f"Parameters: see :class:`{cls.__name__}`."
        cls.__init__ = __init__  # type: ignore[misc]
        return cls

    return decorate
