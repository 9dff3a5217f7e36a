"""README block ``results:ladder_proxy_web_summary``: the two paired
differences of docs/results/ladder_proxy_web.json that the README quotes
(visual prompts over CoOp; the full method over CoOp), with their 95 %
intervals, and whether each interval excludes 0. :func:`summary` words
any such ladder (the other ``ladder_proxy*_summary`` blocks import it)."""
SOURCES = ('ladder_proxy_web', )
VISUAL_PROMPTS = '+ visual prompts'
HEADLINE = '+ global-local (full method) vs CoOp'


def _paired(diff):
    mean, half = diff['mean'], diff['ci95']
    resolved = 'resolved' if abs(mean) > half else 'not resolved'
    return (f'{mean:+.1f} [{mean - half:+.1f}, {mean + half:+.1f}] '
            f'({resolved})')


def against(mean, half, probe):
    """Where the interval ``mean ± half`` lies against ``probe``: 'above',
    'below' or 'level with' (the interval holds it)."""
    return ('above' if mean - half > probe else 'below' if mean +
            half < probe else 'level with')


def _against_probe(rows, frozen):
    """Where the best row's last-epoch interval lies against the frozen
    linear probe on the class token (test split)."""
    probe = frozen['probe_class_token']
    best = max((row for row in rows if row.get('top1_mean') is not None),
               key=lambda row: row['top1_mean'])
    mean, half = best['top1_mean'], best['top1_ci95']
    return (f' Its best row, {best["name"]} at {mean:.1f} '
            f'[{mean - half:.1f}, {mean + half:.1f}], ends '
            f'{against(mean, half, probe)} the frozen linear probe on the '
            f'class token ({probe:.1f} %).')


def summary(ladder, stand_in, frozen=None):
    """One sentence: on ``stand_in`` (words), what visual prompts add to
    CoOp and the full method over CoOp; with ``frozen`` (a
    ``probe_components.py`` report's ``frozen_clip``), where the best row
    ends against the frozen probe."""
    rows = {row['name']: row for row in ladder['rows']}
    seeds = len(rows[VISUAL_PROMPTS]['top1_diff']['seeds'])
    return (f'On {stand_in} (`{ladder["config"]}`, {seeds} seeds, paired 95 % '
            'intervals, last epoch), the top-1 points that visual prompts '
            f'add to CoOp are {_paired(rows[VISUAL_PROMPTS]["top1_diff"])}, '
            'and those of the full method over CoOp '
            f'{_paired(rows[HEADLINE]["headline"]["top1_diff"])}.' +
            (_against_probe(ladder['rows'], frozen) if frozen else ''))


def render(results):
    return summary(
        results['ladder_proxy_web'], 'a stand-in pretrained on captions '
        'that seldom name the expression, as web captions do')
