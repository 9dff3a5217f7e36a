"""README block ``results:ladder_proxy_web_summary``: the two paired
differences of docs/results/ladder_proxy_web.json that the README quotes
(visual prompts over CoOp; the full method over CoOp), with their 95 %
intervals, and whether each interval excludes 0."""
SOURCES = ('ladder_proxy_web', )
VISUAL_PROMPTS = '+ visual prompts'
HEADLINE = '+ global-local (full method) vs CoOp'


def _paired(diff):
    mean, half = diff['mean'], diff['ci95']
    resolved = 'resolved' if abs(mean) > half else 'not resolved'
    return (f'{mean:+.1f} [{mean - half:+.1f}, {mean + half:+.1f}] '
            f'({resolved})')


def render(results):
    ladder = results['ladder_proxy_web']
    rows = {row['name']: row for row in ladder['rows']}
    seeds = len(rows[VISUAL_PROMPTS]['top1_diff']['seeds'])
    return ('On a stand-in pretrained on captions that seldom name the '
            f'expression, as web captions do (`{ladder["config"]}`, {seeds} '
            'seeds, paired 95 % intervals, last epoch), the top-1 points that '
            'visual prompts add to CoOp are '
            f'{_paired(rows[VISUAL_PROMPTS]["top1_diff"])}, and those of the '
            'full method over CoOp '
            f'{_paired(rows[HEADLINE]["headline"]["top1_diff"])}.')
