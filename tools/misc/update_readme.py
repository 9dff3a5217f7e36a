"""Write the README's measured figures from the committed results files.

Usage: python tools/misc/update_readme.py [--check] [FILE.md ...]

A block of a Markdown file (default: README.md and docs/**/*.md)

    <!-- results:NAME -->
    ... generated, do not edit ...
    <!-- /results:NAME -->

is replaced by ``render(results)`` of tools/misc/readme_results/NAME.py,
given the parsed docs/results/NAME.json (a renderer with ``SOURCES``, a
tuple of results names, is given ``{source: parsed file}`` instead; one
with ``RENDER_AS = 'OTHER'`` renders its results as block OTHER does). A new
table is a results file (written by the script that measures it) plus a
renderer of a few lines;
the figures are then never typed by hand.

--check changes nothing and exits with 1, naming each FILE:LINE whose block
differs from its results file (tests/tools/misc/test_update_readme.py runs it).
"""
import argparse
import glob
import importlib.util
import json
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RESULTS_DIR = osp.join(ROOT, 'docs', 'results')
RENDERERS_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'readme_results')
# Markers start a line: an indented one is an example, not a block.
BLOCK = re.compile(
    r'^(<!-- results:(?P<name>[\w-]+) -->\n)(?P<body>.*?)'
    r'^(<!-- /results:(?P=name) -->)', re.S | re.M)


def _renderer(name: str, renderers_dir: str):
    """The module ``renderers_dir/NAME.py``; it may import the renderers
    beside it by name (``from ladder_proxy_web_summary import summary``)."""
    if renderers_dir not in sys.path:
        sys.path.insert(0, renderers_dir)
    spec = importlib.util.spec_from_file_location(
        f'readme_results_{name}', osp.join(renderers_dir, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_block(name: str,
                 where: str,
                 results_dir: str = RESULTS_DIR,
                 renderers_dir: str = RENDERERS_DIR) -> str:
    """The Markdown of block ``name`` from its results file (or, for a
    renderer that names several in ``SOURCES``, from those: ``render`` then
    takes ``{source: results}``)."""
    renderer = osp.join(renderers_dir, f'{name}.py')
    results = osp.join(results_dir, f'{name}.json')
    for path, what in ((results, 'results file'), (renderer, 'renderer')):
        if not osp.isfile(renderer) and not osp.isfile(path):
            raise FileNotFoundError(
                f'{where}: block "results:{name}" has no {what} {path}')
    module = _renderer(name, renderers_dir)
    sources = getattr(module, 'SOURCES', None)
    data = {}
    for source in sources or [name]:
        results = osp.join(results_dir, f'{source}.json')
        if not osp.isfile(results):
            raise FileNotFoundError(f'{where}: block "results:{name}" has no '
                                    f'results file {results}')
        with open(results) as f:
            data[source] = json.load(f)
    render = _renderer(module.RENDER_AS, renderers_dir).render \
        if hasattr(module, 'RENDER_AS') else module.render
    text = render(data if sources else data[name])
    return text if text.endswith('\n') else text + '\n'


def update_text(text: str, path: str, **dirs) -> tuple:
    """``(new text, [FILE:LINE of each block that changed])``."""
    changed = []

    def replace(match):
        line = text.count('\n', 0, match.start()) + 1
        body = render_block(match['name'], f'{path}:{line}', **dirs)
        if body != match['body']:
            changed.append(f'{path}:{line} (results:{match["name"]})')
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(replace, text), changed


def default_files():
    return [osp.join(ROOT, 'README.md')] + sorted(
        glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True))


def main(argv=None, **dirs):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('files', nargs='*', help='default: README.md, docs/')
    parser.add_argument(
        '--check',
        action='store_true',
        help='change nothing; exit 1 if a block is stale')
    args = parser.parse_args(argv)
    stale = []
    for path in args.files or default_files():
        with open(path, encoding='utf-8') as f:
            text = f.read()
        new, changed = update_text(text, osp.relpath(path), **dirs)
        stale += changed
        if changed and not args.check:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(new)
    for where in stale:
        print(f'{"stale" if args.check else "updated"}: {where}')
    if args.check and stale:
        print('run: python tools/misc/update_readme.py', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
