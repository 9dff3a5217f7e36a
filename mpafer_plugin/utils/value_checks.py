"""The one check of every numeric option and class list a component takes.

Heads, losses, the backbone, the prompt learner and the inference tools call
:func:`check_number` on each numeric option when they are built (or declare
it a :class:`CheckedNumber`, checked whenever it is set), so a value
the model cannot use (NaN, inf, a boolean, a negative weight, a top-k of 0)
stops the build naming its config key instead of training or evaluating to
a silent wrong result. :func:`check_class_names` does the same for every
class list (dataset ``metainfo.classes``, ``model.head.classnames``,
inference class lists).
"""
import math
import numbers
from collections import Counter
from typing import Iterable, List, Optional


def check_number(value,
                 key: str,
                 low: Optional[float] = None,
                 high: Optional[float] = None,
                 *,
                 low_open: bool = False,
                 high_open: bool = False,
                 integer: bool = False,
                 why: str = ''):
    """Return ``value`` if it is a finite real number in the range, else
    raise ``ValueError`` naming ``key``.

    Args:
        value: the option's value; ``bool`` is refused (``True`` is not a
            weight), as are NaN and ±inf.
        key (str): the config key, as the message names it
            (``'model.head.local_weight'``).
        low, high (float, optional): the bounds, inclusive unless
            ``low_open`` / ``high_open``.
        integer (bool): the value must be a whole number (``int`` or an
            integral float such as ``8.0``, returned as ``int``).
        why (str): what a bad value would do, appended to the message.
    """
    interval = _interval(low, high, low_open, high_open)
    kind = 'an integer' if integer else 'a finite number'
    message = (f'{key}={value!r}: must be {kind}'
               f'{" " + interval if interval else ""}'
               f'{": " + why if why else ""}.')
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    if not math.isfinite(value):
        raise ValueError(message)
    if integer:
        if value != int(value):
            raise ValueError(message)
        value = int(value)
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(message)
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(message)
    return value


class CheckedNumber:
    """A numeric attribute that passes :func:`check_number` each time it is
    set (at build time and by tools that change it later); the value lives
    in ``_<name>`` on the instance.

    Example::

        class Head(BaseModule):
            logit_scale = CheckedNumber(
                'model.head.logit_scale', 0, low_open=True)

    Args:
        key, low, high, **options: as :func:`check_number` takes them.
    """

    def __init__(self,
                 key: str,
                 low: Optional[float] = None,
                 high: Optional[float] = None,
                 **options):
        self.key, self.low, self.high = key, low, high
        self.options = options

    def __set_name__(self, owner, name: str) -> None:
        self.attr = f'_{name}'

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.attr)

    def __set__(self, obj, value) -> None:
        setattr(
            obj, self.attr,
            check_number(value, self.key, self.low, self.high, **self.options))


def _interval(low, high, low_open, high_open) -> str:
    if low is None and high is None:
        return ''
    if high is None:
        return f'{">" if low_open else ">="} {low}'
    if low is None:
        return f'{"<" if high_open else "<="} {high}'
    return (f'in {"(" if low_open else "["}{low}, {high}'
            f'{")" if high_open else "]"}')


def check_class_names(names: Iterable, key: str) -> List[str]:
    """Return ``names`` as a list of strings, or raise ``ValueError`` naming
    ``key`` if one is not a non-empty string or two are the same class
    (compared without case and surrounding blanks: ``'Anger'`` and
    ``'anger '`` are one class, and would give two ``prob_anger``
    columns)."""
    if isinstance(names, str):
        raise ValueError(f'{key}={names!r}: expected a list of class names, '
                         f'got one string.')
    names = list(names)
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise ValueError(f'{key}: class names must be non-empty strings, got '
                         f'{bad[:3]!r} in {names!r}.')
    counts = Counter(name.strip().lower() for name in names)
    twice = [name for name, n in counts.items() if n > 1]
    if twice:
        raise ValueError(
            f'{key}={names!r}: the class(es) {twice} are listed more than '
            f'once; every class must be listed exactly once (a repeated '
            f'class splits its probability and its labels).')
    return names
