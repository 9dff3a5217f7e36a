"""Generate the hard-prompt descriptions file from any OpenAI-compatible LLM.

For every class and granularity this asks the paper's question (docs/method.md
§2: "What are the most useful visual features to distinguish the facial
expression of [class]?"), narrowed to that granularity, and writes the
descriptions file that the configs read (``model.head.descriptions``)::

    {"question": ..., "source": ..., "granularities": [...],
     "classes": {"happiness": {"face": [...], "regions": [...], ...}, ...}}

Usage:
    python tools/misc/generate_descriptions.py \\
        --config configs/mpafer_rafdb.py --out FILE [--base-url URL] \\
        [--model NAME] [--api-key KEY] [--force]
    python tools/misc/generate_descriptions.py --classes happiness anger \\
        --granularities face regions --num-per-granularity 5 --dry-run

``--base-url``, ``--model`` and ``--api-key`` default to the environment
variables OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY; the endpoint is
``POST {base_url}/chat/completions``. ``--dry-run`` prints the requests and
sends nothing. On a timeout, an HTTP or connection error (after
``--retries`` for timeouts, 429 and 5xx) or an answer that is not a list of
phrases, it exits with status 1 and a one-line message, and the output file
is left untouched.
"""
import argparse
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.request
import warnings
from datetime import datetime, timezone

QUESTION = ('What are the most useful visual features to distinguish the '
            'facial expression of {class}?')
# The granularities of the shipped descriptions file; what each asks for.
GRANULARITY_HINTS = {
    'face':
    'Describe the whole face: its overall look and impression, as '
    'seen at a glance.',
    'regions':
    'Describe individual facial regions, each phrase about one '
    'region such as the eyebrows, eyes and eyelids, nose, '
    'cheeks, or mouth and lips.',
    'muscles':
    'Describe fine facial muscle movements, naming the Facial '
    'Action Coding System action units (e.g. AU12) where useful.',
}
SYSTEM = ('You are an expert in facial expression analysis and the Facial '
          'Action Coding System (FACS).')
QUOTED = 200  # characters of an answer or error body quoted in a message


class GenerationError(Exception):
    """An expected failure: reported as one line, exit status 1."""


def _start(text):
    text = ' '.join(str(text).split())
    return text[:QUOTED] + '...' if len(text) > QUOTED else text


# -- requests ----------------------------------------------------------------
def request_body(args, classname, granularity):
    """The chat request for one class at one granularity."""
    name = classname.lower()
    hint = GRANULARITY_HINTS.get(
        granularity, f'Focus on the "{granularity}" level of detail.')
    question = (
        f'{args.question.replace("{class}", name)}\n\n{hint}\n\n'
        f'Answer with a JSON list of exactly {args.num_per_granularity} '
        f'short phrases (at most 15 words each) about what is visible in a '
        f'photo. Each phrase starts with "with" and completes the sentence '
        f'"a photo of a person making a facial expression of {name}, '
        f'<phrase>." Answer with the JSON list only, no other text.')
    return {
        'model':
        args.model or '<model>',
        'messages': [{
            'role': 'system',
            'content': SYSTEM
        }, {
            'role': 'user',
            'content': question
        }],
        'temperature':
        args.temperature
    }


def post_chat(url, body, args, log):
    """POST ``body``; the answer's text. Timeouts, connection errors, 429
    and 5xx are retried ``args.retries`` times, the wait doubling from
    ``args.backoff`` seconds."""
    headers = {'Content-Type': 'application/json'}
    if args.api_key:
        headers['Authorization'] = f'Bearer {args.api_key}'
    data = json.dumps(body).encode('utf-8')
    timed_out = f'no answer from {url} within --timeout {args.timeout:g} s'
    for attempt in range(args.retries + 1):
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(
                    request, timeout=args.timeout) as response:
                raw = response.read().decode('utf-8', 'replace')
            break
        except urllib.error.HTTPError as err:
            problem = (f'HTTP {err.code} {err.reason} from {url}: '
                       f'{_start(err.read().decode("utf-8", "replace"))}')
            retry = err.code == 429 or err.code >= 500
        except urllib.error.URLError as err:
            if isinstance(err.reason, (TimeoutError, socket.timeout)):
                problem = timed_out
            elif isinstance(err.reason, ConnectionRefusedError):
                problem = f'connection refused by {url} (is the server up?)'
            else:
                problem = f'cannot reach {url}: {err.reason}'
            retry = True
        except (TimeoutError, socket.timeout):
            problem, retry = timed_out, True
        except OSError as err:  # e.g. the server closed the connection
            problem, retry = f'connection to {url} failed: {err}', True
        if not retry or attempt == args.retries:
            tries = f' (after {attempt + 1} attempts)' if attempt else ''
            raise GenerationError(problem + tries)
        delay = args.backoff * 2**attempt
        log(f'  retry {attempt + 1}/{args.retries} in {delay:g} s: {problem}')
        time.sleep(delay)
    try:
        content = json.loads(raw)['choices'][0]['message']['content']
    except (ValueError, KeyError, IndexError, TypeError):
        raise GenerationError(
            f'{url} did not answer like a chat completions endpoint '
            f'(expected choices[0].message.content): {_start(raw)}') from None
    if not isinstance(content, str) or not content.strip():
        raise GenerationError(f'{url} answered with no text: {_start(raw)}')
    return content


# -- answers -----------------------------------------------------------------
FENCE = re.compile(r'```[ \t]*[A-Za-z0-9_-]*[ \t]*\n?(.*?)```', re.S)
BULLET = re.compile(r'^\s*(?:[-*+\u2022\u2013\u2014]|\d{1,2}[.):])\s+(.+)$')


def _json_list(text):
    """The list of strings in ``text`` (alone, within prose, or the one list
    of an object), else ``None``."""
    first, last = text.find('['), text.rfind(']')
    for candidate in (text, text[first:last + 1] if first < last else ''):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):  # {"features": [...]}
            lists = [v for v in value.values() if isinstance(v, list)]
            value = lists[0] if len(lists) == 1 else None
        if isinstance(value, list) and value and all(
                isinstance(v, str) for v in value):
            return value
    return None


def parse_answer(answer):
    """Phrases from an answer: a JSON list (possibly in a code fence), else
    one bullet or numbered item a line; cleaned of quotes, markdown and
    trailing punctuation, without duplicates. ``[]`` when there is none."""
    text = answer.strip()
    fenced = FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    items = _json_list(text)
    if items is None:
        items = [m.group(1) for m in map(BULLET.match, text.splitlines()) if m]
    phrases, seen = [], set()
    for item in items:
        phrase = ' '.join(item.split()).replace('**', '').replace('__', '')
        phrase = phrase.strip(' \'"`\u201c\u201d\u2018\u2019').rstrip(' .,;:')
        if phrase and phrase.lower() not in seen:
            seen.add(phrase.lower())
            phrases.append(phrase)
    return phrases


# -- output ------------------------------------------------------------------
def warn_long_prompts(descriptions, log):
    """Warn about each description whose variant-3 hard prompt exceeds
    CLIP's 77-token context (it would be truncated)."""
    from mpafer_plugin.models.utils.hard_prompts import TEMPLATES, tokenize
    for name, levels in descriptions.items():
        for level, phrases in levels.items():
            for phrase in phrases:
                prompt = TEMPLATES[3].format(
                    classname=name, description=phrase)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    tokenize([prompt])
                if caught:
                    log(f'warning: {name}/{level}: the hard prompt is longer '
                        f'than CLIP\'s 77 tokens and will be truncated: '
                        f'{prompt!r}')


def write_descriptions(path, data, classnames, granularities):
    """Write ``data`` atomically, checked with ``load_descriptions`` first."""
    from mpafer_plugin.models.utils.hard_prompts import load_descriptions
    from mpafer_plugin.utils import atomic_write

    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write('\n')
        load_descriptions(tmp, classnames, granularities)

    try:
        atomic_write(path, write)
    except OSError as err:
        raise GenerationError(f'cannot write {path}: {err}') from None


# -- command line ------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        '--config',
        help='take the classes of this config '
        '(model.head.classnames)')
    which.add_argument(
        '--classes',
        nargs='+',
        metavar='NAME',
        help='class names (keys are lower-cased)')
    parser.add_argument(
        '--granularities',
        nargs='+',
        metavar='LEVEL',
        default=list(GRANULARITY_HINTS),
        help='description levels (default: %(default)s)')
    parser.add_argument(
        '--num-per-granularity',
        type=int,
        default=3,
        metavar='N',
        help='phrases per class and level '
        '(default %(default)s)')
    parser.add_argument(
        '--question',
        default=QUESTION,
        help='the question, with {class} for the class '
        '(default: the paper\'s)')
    parser.add_argument(
        '--base-url',
        default=os.environ.get('OPENAI_BASE_URL'),
        help='API root, e.g. https://api.openai.com/v1 '
        '(default: $OPENAI_BASE_URL)')
    parser.add_argument(
        '--model',
        default=os.environ.get('OPENAI_MODEL'),
        help='model name (default: $OPENAI_MODEL)')
    parser.add_argument(
        '--api-key',
        default=os.environ.get('OPENAI_API_KEY'),
        help='bearer token (default: $OPENAI_API_KEY; '
        'optional for servers without auth)')
    parser.add_argument('--temperature', type=float, default=0.7)
    parser.add_argument(
        '--timeout',
        type=float,
        default=60.0,
        help='seconds per request (default %(default)s)')
    parser.add_argument(
        '--retries',
        type=int,
        default=2,
        help='extra attempts after a timeout, connection '
        'error, 429 or 5xx (default %(default)s)')
    parser.add_argument(
        '--backoff',
        type=float,
        default=2.0,
        help='first retry wait in seconds, doubled each time '
        '(default %(default)s)')
    parser.add_argument('--out', help='descriptions file to write')
    parser.add_argument(
        '--force', action='store_true', help='overwrite --out if it exists')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print the requests; send nothing')
    args = parser.parse_args(argv)
    if args.num_per_granularity < 1 or args.timeout <= 0:
        parser.error('--num-per-granularity and --timeout must be positive')
    if args.retries < 0 or args.backoff < 0:
        parser.error('--retries and --backoff must not be negative')
    if args.base_url and not re.match(r'https?://', args.base_url):
        parser.error(f'--base-url must start with http:// or https://, '
                     f'got {args.base_url!r}')
    if '{class}' not in args.question:
        parser.error('--question must contain {class}')
    if args.config:
        from mmengine.config import Config
        classes = Config.fromfile(args.config).model.head.get('classnames')
        if not classes:
            parser.error(f'{args.config} has no model.head.classnames')
    else:
        classes = args.classes
    args.classnames = list(dict.fromkeys(name.strip() for name in classes))
    if not all(args.classnames):
        parser.error('--classes has an empty name')
    if not args.dry_run:
        missing = [
            flag for flag, value in (('--base-url (or $OPENAI_BASE_URL)',
                                      args.base_url),
                                     ('--model (or $OPENAI_MODEL)',
                                      args.model), ('--out', args.out))
            if not value
        ]
        if missing:
            parser.error(f'missing {", ".join(missing)}; only --dry-run '
                         f'runs without them')
    return args


def run(args):

    def log(line):
        print(line, file=sys.stderr, flush=True)

    jobs = [(name, level) for name in args.classnames
            for level in args.granularities]
    url = (args.base_url or '$OPENAI_BASE_URL').rstrip('/') + \
        '/chat/completions'
    if args.dry_run:
        for index, (name, level) in enumerate(jobs, 1):
            print(f'# request {index}/{len(jobs)}: {name.lower()} / {level}: '
                  f'POST {url}')
            print(
                json.dumps(
                    request_body(args, name, level),
                    indent=2,
                    ensure_ascii=False))
        log(f'dry run: {len(jobs)} requests printed, none sent.')
        return 0
    if os.path.exists(args.out) and not args.force:
        raise GenerationError(f'{args.out} exists; pass --force to '
                              f'overwrite it.')
    descriptions = {name.lower(): {} for name in args.classnames}
    for index, (name, level) in enumerate(jobs, 1):
        log(f'[{index}/{len(jobs)}] {name.lower()} / {level} ...')
        answer = post_chat(url, request_body(args, name, level), args, log)
        phrases = parse_answer(answer)[:args.num_per_granularity]
        if not phrases:
            raise GenerationError(
                f'class {name.lower()!r}, granularity {level!r}: the answer '
                f'is not a JSON list or bullet list of phrases; it starts: '
                f'{_start(answer)!r}')
        if len(phrases) < args.num_per_granularity:
            log(f'  warning: asked for {args.num_per_granularity} phrases, '
                f'got {len(phrases)}')
        descriptions[name.lower()][level] = phrases
    warn_long_prompts(descriptions, log)
    data = {
        'question':
        args.question,
        'source':
        f'Generated by tools/misc/generate_descriptions.py with '
        f'model {args.model!r} (temperature '
        f'{args.temperature:g}) on '
        f'{datetime.now(timezone.utc):%Y-%m-%d}.',
        'granularities':
        list(args.granularities),
        'classes':
        descriptions,
    }
    write_descriptions(args.out, data, args.classnames, args.granularities)
    print(f'Wrote {len(descriptions)} classes x {len(args.granularities)} '
          f'granularities to {args.out}')
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.config:  # a config is read with MMEngine: the guard costs nothing
        from mpafer_plugin.utils.output_guard import exit_if_output_is_input
        exit_if_output_is_input({'--out': args.out}, {'--config': args.config})
    try:
        return run(args)
    except GenerationError as err:
        print(f'error: {err}', file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print('error: interrupted; nothing written.', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
