"""One label space for every FER benchmark: the basic expressions.

RAF-DB (7), FERPlus (8, with contempt), AffectNet-7 and -8 name the same
expressions in other words and orders; :func:`basic_expression` maps a
dataset's (or a prompt's) class name onto one of :data:`BASIC_EXPRESSIONS`,
so a checkpoint trained on one benchmark can be scored on another class by
class (:class:`CrossDatasetAccuracy`).
"""
from typing import Dict, List, Mapping, Optional, Sequence

BASIC_EXPRESSIONS = ('neutral', 'happiness', 'surprise', 'sadness', 'anger',
                     'disgust', 'fear', 'contempt')
# Other words the readers and configs use for them (lower case).
ALIASES = {
    'happy': 'happiness',
    'sad': 'sadness',
    'angry': 'anger',
    'surprised': 'surprise',
    'fearful': 'fear',
    'disgusted': 'disgust',
    'contemptuous': 'contempt',
}


def basic_expression(
        name: str,
        mapping: Optional[Mapping[str,
                                  Optional[str]]] = None) -> Optional[str]:
    """The basic expression class ``name`` stands for, ``None`` where
    ``mapping`` (a declared exception, e.g. ``{'Other': None}``) says it
    is none.

    Raises:
        ValueError: ``name`` is neither a basic expression, an alias nor a
            key of ``mapping``.
    """
    mapping = {str(k).lower(): v for k, v in (mapping or {}).items()}
    key = str(name).strip().lower()
    if key in mapping:
        value = mapping[key]
        return None if value is None else basic_expression(value)
    key = ALIASES.get(key, key)
    if key not in BASIC_EXPRESSIONS:
        raise ValueError(
            f'Class {name!r} is not a basic expression '
            f'{BASIC_EXPRESSIONS} nor one of their aliases {sorted(ALIASES)}'
            f'; declare it in the metric\'s mapping, e.g. '
            f'mapping={{{str(name)!r}: \'happiness\'}} (or None).')
    return key


def map_classes(
        source: Sequence[str],
        target: Sequence[str],
        mapping: Optional[Mapping[str,
                                  Optional[str]]] = None) -> Dict[str, List]:
    """How ``source`` classes (a model's) meet ``target`` classes (a test
    set's) in the basic-expression space:

    - ``source_to_target``: per source class, the target index of the same
      expression, or ``None`` (the target has no such class);
    - ``shared``: target indices the model has a class for;
    - ``unseen``: target indices the model never saw (no source class).

    Raises:
        ValueError: two classes of one side are the same expression (a
            merge would be silent).
    """
    sides = {}
    for side, names in (('source', source), ('target', target)):
        expressions = [basic_expression(n, mapping) for n in names]
        seen = {}
        for name, expression in zip(names, expressions):
            if expression is not None and expression in seen:
                raise ValueError(
                    f'The {side} classes {list(names)} name {expression!r} '
                    f'twice ({seen[expression]!r} and {name!r}): classes '
                    f'are not merged; declare one of them in the mapping.')
            seen[expression] = name
        sides[side] = expressions
    index = {e: i for i, e in enumerate(sides['target']) if e is not None}
    source_to_target = [
        index.get(e) if e is not None else None for e in sides['source']
    ]
    reached = {i for i in source_to_target if i is not None}
    return dict(
        source_to_target=source_to_target,
        shared=sorted(reached),
        unseen=[i for i in range(len(target)) if i not in reached])
