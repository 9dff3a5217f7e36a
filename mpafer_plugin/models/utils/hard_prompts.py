"""Hard prompts: fixed sentences from a template, a class name and the
class's LLM-written descriptions (docs/method.md §2), and CLIP tokenisation.

Template variants (the paper's hard-prompt ablation):

1. ``a photo of {classname}.``
2. ``a photo of a person making a facial expression of {classname}.``
3. variant 2 followed by ``, {description}`` — one prompt per description.

The descriptions file is JSON::

    {"classes": {"happiness": {"face": ["...", ...], "regions": [...],
                               "muscles": [...]}, ...}}

keyed by lower-case class name, then by granularity.
"""
import json
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Tuple

import open_clip
import torch

from ...compat import bpe_token_count

DEFAULT_DESCRIPTIONS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(__file__))), 'resources',
    'fer_descriptions.json')

TEMPLATES = {
    1:
    'a photo of {classname}.',
    2:
    'a photo of a person making a facial expression of {classname}.',
    3:
    'a photo of a person making a facial expression of {classname}, '
    '{description}.',
}


def load_descriptions(
        path: str,
        classnames: Sequence[str],
        granularities: Optional[Sequence[str]] = None) -> List[List[str]]:
    """Read the descriptions of each class, in ``classnames`` order.

    Args:
        path: the JSON descriptions file.
        classnames: class names; looked up lower-cased.
        granularities: which levels to use, in order; ``None`` = all.

    Returns:
        One non-empty list of description strings per class.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Descriptions file {path} does not exist.')
    with open(path, encoding='utf-8') as f:
        try:
            classes = json.load(f)['classes']
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}:{err.lineno}:{err.colno}: not valid '
                             f'JSON ({err.msg}).') from err
        except UnicodeDecodeError as err:
            raise ValueError(f'{path}: not UTF-8 text (byte '
                             f'{err.object[err.start]:#04x} at offset '
                             f'{err.start}); a descriptions file is UTF-8 '
                             f'JSON.') from err
        except (KeyError, TypeError) as err:
            raise ValueError(f'{path}: expected a top-level object with a '
                             f'"classes" key.') from err
    if not isinstance(classes, dict):
        raise ValueError(f'{path}: "classes" must be an object of class '
                         f'names, not a {type(classes).__name__}.')
    result = []
    for name in classnames:
        levels = classes.get(name.lower())
        if not isinstance(levels, dict):
            raise ValueError(f'{path}: no descriptions for class {name!r} '
                             f'(key "classes.{name.lower()}"); it has '
                             f'{sorted(classes)}.')
        chosen = list(levels) if granularities is None else granularities
        texts = []
        for level in chosen:
            items = levels.get(level)
            if not isinstance(items, list) or not all(
                    isinstance(t, str) and t.strip() for t in items):
                raise ValueError(f'{path}: "classes.{name.lower()}.{level}" '
                                 f'must be a list of non-empty strings.')
            texts.extend(t.strip() for t in items)
        if not texts:
            raise ValueError(f'{path}: class {name!r} has no descriptions '
                             f'at granularities {list(chosen)}.')
        result.append(texts)
    return result


def build_hard_prompts(
    classnames: Sequence[str],
    variant: int,
    descriptions: Optional[Sequence[Sequence[str]]] = None
) -> Tuple[List[str], List[int]]:
    """Hard-prompt sentences and the class index of each.

    Variants 1 and 2 give one sentence per class; variant 3 one per
    description (``descriptions`` required).
    """
    if variant not in TEMPLATES:
        raise ValueError(f'hard_prompt_variant must be one of '
                         f'{sorted(TEMPLATES)}, got {variant!r}.')
    texts, labels = [], []
    for label, name in enumerate(classnames):
        if variant == 3:
            sentences = [
                TEMPLATES[3].format(classname=name, description=d)
                for d in descriptions[label]
            ]
        else:
            sentences = [TEMPLATES[variant].format(classname=name)]
        texts.extend(sentences)
        labels.extend([label] * len(sentences))
    return texts, labels


def tokenize(texts: Sequence[str],
             context_length: int = 77,
             source: Optional[str] = None) -> torch.Tensor:
    """CLIP BPE token ids ``(P, context_length)``.

    A text longer than the context is truncated, keeping its end-of-text
    token, with a warning that quotes it and names ``source`` (where the
    text came from, e.g. the descriptions file), if given.
    """
    origin = f' (from {source})' if source else ''
    for text in texts:
        length = bpe_token_count(text) + 2  # start- and end-of-text
        if length > context_length:
            warnings.warn(f'Prompt has {length} tokens, more than CLIP\'s '
                          f'{context_length}; truncated{origin}: {text!r}')
    return open_clip.tokenize(list(texts), context_length=context_length)
