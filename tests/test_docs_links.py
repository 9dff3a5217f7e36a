"""Every relative link of README.md and docs/**/*.md reaches a file, and a
``#anchor`` reaches a heading of that Markdown file (GitHub's slugs)."""
import glob
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# [text](target) and ![alt](target), <img src="target">
LINK = re.compile(r'\]\(([^)\s]+)\)|<img [^>]*src="([^"]+)"')
FENCE = re.compile(r'^```')
HEADING = re.compile(r'^#{1,6} (.*)')
INLINE_CODE = re.compile(r'`[^`]*`')


def markdown_files():
    return [osp.join(ROOT, 'README.md')] + sorted(
        glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True))


def prose_lines(path):
    """``(line number, line)`` outside fenced code blocks."""
    in_fence = False
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence:
                yield number, line.rstrip('\n')


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped,
    spaces to hyphens."""
    text = heading.strip().lower().replace('`', '')
    text = re.sub(r'\]\([^)]*\)', '', text)  # a link in a heading: its text
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path):
    seen, result = {}, set()
    for _, line in prose_lines(path):
        match = HEADING.match(line)
        if match:
            base = slug(match[1])
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f'{base}-{count}')
    return result


def broken_links(path):
    """``'FILE:LINE: target (why)'`` for each relative link that misses."""
    broken = []
    for number, line in prose_lines(path):
        for match in LINK.finditer(INLINE_CODE.sub('', line)):
            target = match[1] or match[2]
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):  # http:, mailto:
                continue
            file_part, _, anchor = target.partition('#')
            resolved = (
                osp.normpath(osp.join(osp.dirname(path), file_part))
                if file_part else path)
            where = f'{osp.relpath(path, ROOT)}:{number}: {target}'
            if not osp.exists(resolved):
                broken.append(f'{where} (no file {resolved})')
            elif anchor and resolved.endswith('.md') and (
                    anchor not in anchors(resolved)):
                broken.append(f'{where} (no heading #{anchor} in '
                              f'{osp.relpath(resolved, ROOT)})')
    return broken


def test_slug_follows_github():
    assert slug('As an installed package: wheels and `mim`') == (
        'as-an-installed-package-wheels-and-mim')
    assert slug('Quick start, measured') == 'quick-start-measured'
    assert slug(
        'RAF-DB (basic) — `configs/mpafer_rafdb.py`, dataset '
        '`RAFDB`') == 'raf-db-basic--configsmpafer_rafdbpy-dataset-rafdb'


def test_a_missing_file_and_anchor_are_named(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text(
        '# Title\n\n[ok](#title) [gone](other.md) [bad](#nope)\n'
        '```\n[in code](missing.md)\n```\n`[inline](missing.md)`\n')
    found = broken_links(str(page))
    assert len(found) == 2, found
    assert 'page.md:3: other.md (no file' in found[0]
    assert 'page.md:3: #nope (no heading #nope in' in found[1]


@pytest.mark.parametrize(
    'path', markdown_files(), ids=lambda p: osp.relpath(p, ROOT))
def test_relative_links_resolve(path):
    assert broken_links(path) == []
