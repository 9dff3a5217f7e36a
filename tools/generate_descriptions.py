"""Generate the hard-prompt descriptions file from any OpenAI-compatible LLM.

For every class and granularity this asks the paper's question (METHOD.md
§2: "What are the most useful visual features to distinguish the facial
expression of [class]?"), narrowed to that granularity, and writes the
descriptions file that ``load_descriptions`` reads::

    {"question": ..., "source": ..., "granularities": [...],
     "classes": {"happiness": {"face": [...], "regions": [...], ...}, ...}}

Usage:
    python tools/generate_descriptions.py --dataset rafdb --out FILE \\
        [--base-url URL] [--model NAME] [--api-key KEY] [--force]
    python tools/generate_descriptions.py --classes happiness anger \\
        --granularities face regions --num-per-granularity 5 --dry-run

``--base-url``, ``--model`` and ``--api-key`` default to the environment
variables OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY. The endpoint is
``POST {base_url}/chat/completions``. Exits with status 1 and a one-line
message on a timeout, an HTTP or connection error, or an answer that is not
a list of phrases; the output file is then left untouched.
"""
import argparse
import http.client
import json
import os
import os.path as osp
import re
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from datetime import datetime, timezone

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHIPPED = osp.join(REPO_ROOT, 'mpafer_plugin', 'resources',
                   'fer_descriptions.json')

QUESTION = ('What are the most useful visual features to distinguish the '
            'facial expression of {class}?')

DATASETS = {
    'rafdb': ['Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness',
              'Anger', 'Neutral'],
    'affectnet7': ['Neutral', 'Happiness', 'Sadness', 'Surprise', 'Fear',
                   'Disgust', 'Anger'],
    'affectnet8': ['Neutral', 'Happiness', 'Sadness', 'Surprise', 'Fear',
                   'Disgust', 'Anger', 'Contempt'],
    'ferplus': ['Neutral', 'Happiness', 'Surprise', 'Sadness', 'Anger',
                'Disgust', 'Fear', 'Contempt'],
}

# What each granularity asks for; any other name gets a generic focus line.
GRANULARITY_HINTS = {
    'face': 'Describe the whole face: its overall look and impression, as '
            'seen at a glance.',
    'regions': 'Describe individual facial regions, each phrase about one '
               'region such as the eyebrows, eyes and eyelids, nose, '
               'cheeks, or mouth and lips.',
    'muscles': 'Describe fine facial muscle movements, naming the Facial '
               'Action Coding System action units (e.g. AU12) where useful.',
}

SYSTEM = ('You are an expert in facial expression analysis and the Facial '
          'Action Coding System (FACS).')

ANSWER_START = 200  # characters of an answer or body quoted in an error
MAX_BACKOFF = 60.0


class GenerationError(Exception):
    """An expected failure: reported as one line, exit status 1."""


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------


def shipped_granularities():
    """The granularities of the shipped descriptions file, in its order."""
    try:
        with open(SHIPPED, encoding='utf-8') as f:
            data = json.load(f)
        levels = data.get('granularities') or list(
            next(iter(data['classes'].values())))
        if levels and all(isinstance(g, str) for g in levels):
            return list(levels)
    except (OSError, ValueError, KeyError, StopIteration, AttributeError):
        pass
    return ['face', 'regions', 'muscles']


def user_message(question, classname, granularity, num):
    """The question for one class at one granularity, with the format."""
    hint = GRANULARITY_HINTS.get(
        granularity, f'Focus on the "{granularity}" level of detail.')
    name = classname.lower()
    return (
        f'{question.replace("{class}", name)}\n\n'
        f'{hint}\n\n'
        f'Answer with a JSON list of exactly {num} short phrases (at most 15 '
        f'words each) about what is visible in a photo. Each phrase starts '
        f'with "with" and completes the sentence "a photo of a person '
        f'making a facial expression of {name}, <phrase>." Answer with the '
        f'JSON list only, no other text.')


def request_body(model, temperature, question, classname, granularity, num):
    return {
        'model': model,
        'messages': [
            {'role': 'system', 'content': SYSTEM},
            {'role': 'user',
             'content': user_message(question, classname, granularity, num)},
        ],
        'temperature': temperature,
    }


def _start(text):
    text = text if isinstance(text, str) else repr(text)
    text = ' '.join(text.split())
    if len(text) > ANSWER_START:
        text = text[:ANSWER_START] + '...'
    return text


def _retryable_http(code):
    return code in (408, 409, 425, 429) or code >= 500


def post_chat(url, body, api_key, timeout, retries, backoff, log=None):
    """POST ``body`` to ``url``; the answer's text. Retries timeouts,
    connection errors, 429 and 5xx with exponential backoff."""
    data = json.dumps(body).encode('utf-8')
    headers = {'Content-Type': 'application/json',
               'Accept': 'application/json'}
    if api_key:
        headers['Authorization'] = f'Bearer {api_key}'
    attempt = 0
    while True:
        request = urllib.request.Request(url, data=data, headers=headers,
                                         method='POST')
        delay = backoff * (2 ** attempt)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
            break
        except urllib.error.HTTPError as err:
            try:
                text = err.read().decode('utf-8', 'replace')
            except Exception:  # noqa: BLE001  the body is only for the message
                text = ''
            problem = (f'HTTP {err.code} {err.reason} from {url}: '
                       f'{_start(text)}')
            retry = _retryable_http(err.code)
            after = err.headers.get('Retry-After') if err.headers else None
            if after and after.strip().isdigit():
                delay = max(delay, float(after))
        except (socket.timeout, TimeoutError):
            problem = f'no answer from {url} within --timeout {timeout:g} s'
            retry = True
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                problem = (f'no answer from {url} within --timeout '
                           f'{timeout:g} s')
            elif isinstance(reason, ConnectionRefusedError):
                problem = f'connection refused by {url} (is the server up?)'
            else:
                problem = f'cannot reach {url}: {reason}'
            retry = True
        except (OSError, http.client.HTTPException) as err:
            problem = f'connection to {url} failed: {err}'
            retry = True
        if not retry or attempt >= retries:
            tries = f' (after {attempt + 1} attempts)' if attempt else ''
            raise GenerationError(problem + tries)
        delay = min(delay, MAX_BACKOFF)
        if log:
            log(f'  retry {attempt + 1}/{retries} in {delay:g} s: {problem}')
        time.sleep(delay)
        attempt += 1
    try:
        reply = json.loads(raw.decode('utf-8', 'replace'))
        content = reply['choices'][0]['message']['content']
    except (ValueError, KeyError, IndexError, TypeError):
        raise GenerationError(
            f'{url} did not answer like a chat completions endpoint '
            f'(expected choices[0].message.content): '
            f'{_start(raw.decode("utf-8", "replace"))}') from None
    if not isinstance(content, str) or not content.strip():
        raise GenerationError(f'{url} answered with no text: '
                              f'{_start(json.dumps(reply))}')
    return content


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------

FENCE = re.compile(r'```[ \t]*[A-Za-z0-9_-]*[ \t]*\n?(.*?)```', re.S)
BULLET = re.compile(r'^\s*(?:[-*+\u2022\u2013\u2014]|\d{1,2}[.):])\s+(.+)$')


def clean_phrase(text):
    """One description: no quotes, bullets, markdown, trailing period."""
    text = ' '.join(str(text).split())
    text = text.replace('**', '').replace('__', '')
    text = text.strip(' \'"`\u201c\u201d\u2018\u2019')
    text = text.rstrip(' .,;:')
    return text.strip()


def _json_list(text):
    """The list of strings in ``text`` if it holds one, else ``None``."""
    candidates = [text]
    first, last = text.find('['), text.rfind(']')
    if 0 <= first < last:
        candidates.append(text[first:last + 1])
    for candidate in candidates:
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
    """Phrases from an answer: a JSON list (possibly in a code fence, or
    in an object with one list), else one bullet or numbered item a line.
    ``[]`` when there is no such list."""
    text = answer.strip()
    fenced = FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    items = _json_list(text)
    if items is None:
        items = [m.group(1) for m in map(BULLET.match, text.splitlines())
                 if m]
    phrases, seen = [], set()
    for item in items:
        phrase = clean_phrase(item)
        if phrase and phrase.lower() not in seen:
            seen.add(phrase.lower())
            phrases.append(phrase)
    return phrases


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def check_prompt_lengths(descriptions, classnames, warn):
    """Warn about each description whose variant-3 hard prompt would exceed
    CLIP's 77-token context (it would be truncated)."""
    from mpafer_plugin.models.utils.hard_prompts import TEMPLATES, tokenize
    for name in classnames:
        for level, phrases in descriptions[name.lower()].items():
            for phrase in phrases:
                prompt = TEMPLATES[3].format(classname=name,
                                             description=phrase)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    tokenize([prompt])
                if caught:
                    warn(f'warning: {name.lower()}/{level}: the hard prompt '
                         f'is longer than CLIP\'s 77 tokens and will be '
                         f'truncated: {prompt!r}')


def write_atomically(path, data, classnames, granularities):
    """Write ``data`` as JSON to ``path`` via a temp file in the same
    folder, checked with ``load_descriptions``, then ``os.replace``."""
    from mpafer_plugin.models.utils.hard_prompts import load_descriptions
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.',
                               suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write('\n')
            f.flush()
            os.fsync(f.fileno())
        load_descriptions(tmp, classnames, granularities)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument('--classes', nargs='+', metavar='NAME',
                       help='class names (keys are lower-cased)')
    which.add_argument('--dataset', choices=sorted(DATASETS),
                       help='use the class list of this dataset')
    parser.add_argument('--granularities', nargs='+', metavar='LEVEL',
                        default=shipped_granularities(),
                        help='description levels (default: those of the '
                        'shipped file: %(default)s)')
    parser.add_argument('--num-per-granularity', type=int, default=3,
                        metavar='N', help='phrases asked for per class and '
                        'level (default %(default)s)')
    parser.add_argument('--question', default=QUESTION,
                        help='the question, with {class} for the class '
                        '(default: the paper\'s)')
    parser.add_argument('--base-url', default=os.environ.get(
        'OPENAI_BASE_URL'), help='API root, e.g. https://api.openai.com/v1 '
        '(default: $OPENAI_BASE_URL)')
    parser.add_argument('--model', default=os.environ.get('OPENAI_MODEL'),
                        help='model name (default: $OPENAI_MODEL)')
    parser.add_argument('--api-key', default=None,
                        help='bearer token (default: $OPENAI_API_KEY; '
                        'optional for servers without auth)')
    parser.add_argument('--temperature', type=float, default=0.7)
    parser.add_argument('--timeout', type=float, default=60.0,
                        help='seconds per request (default %(default)s)')
    parser.add_argument('--retries', type=int, default=3,
                        help='extra attempts after a timeout, connection '
                        'error, 429 or 5xx (default %(default)s)')
    parser.add_argument('--backoff', type=float, default=2.0,
                        help='first retry delay in seconds, doubled each '
                        'retry (default %(default)s)')
    parser.add_argument('--out', help='descriptions file to write')
    parser.add_argument('--force', action='store_true',
                        help='overwrite --out if it exists')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the request bodies; send nothing')
    args = parser.parse_args(argv)
    if args.api_key is None:
        args.api_key = os.environ.get('OPENAI_API_KEY')
    if args.num_per_granularity < 1:
        parser.error('--num-per-granularity must be at least 1')
    if args.timeout <= 0:
        parser.error('--timeout must be positive')
    if args.retries < 0 or args.backoff < 0:
        parser.error('--retries and --backoff must not be negative')
    if args.base_url and not re.match(r'https?://', args.base_url):
        parser.error(f'--base-url must start with http:// or https://, '
                     f'got {args.base_url!r}')
    if '{class}' not in args.question:
        parser.error('--question must contain {class}')
    if len(set(args.granularities)) != len(args.granularities):
        parser.error('--granularities has a duplicate')
    classes = args.classes or DATASETS[args.dataset]
    args.classnames, seen = [], set()
    for name in classes:
        name = name.strip()
        if not name:
            parser.error('--classes has an empty name')
        if name.lower() not in seen:
            seen.add(name.lower())
            args.classnames.append(name)
    if not args.dry_run:
        missing = [flag for flag, value in (
            ('--base-url (or $OPENAI_BASE_URL)', args.base_url),
            ('--model (or $OPENAI_MODEL)', args.model),
            ('--out', args.out)) if not value]
        if missing:
            parser.error(f'missing {", ".join(missing)}; only --dry-run '
                         f'runs without them')
    return args


def run(args, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr

    def log(line):
        print(line, file=err, flush=True)

    jobs = [(name, level) for name in args.classnames
            for level in args.granularities]
    model = args.model or '<model>'
    if args.dry_run:
        url = (args.base_url or '$OPENAI_BASE_URL').rstrip('/')
        for index, (name, level) in enumerate(jobs, 1):
            body = request_body(model, args.temperature, args.question, name,
                                level, args.num_per_granularity)
            print(f'# request {index}/{len(jobs)}: {name.lower()} / {level}: '
                  f'POST {url}/chat/completions', file=out)
            print(json.dumps(body, indent=2, ensure_ascii=False), file=out)
        log(f'dry run: {len(jobs)} requests printed, none sent.')
        return 0

    if osp.exists(args.out) and not args.force:
        raise GenerationError(f'{args.out} exists; pass --force to '
                              f'overwrite it.')
    if osp.isdir(args.out):
        raise GenerationError(f'{args.out} is a folder.')
    url = args.base_url.rstrip('/') + '/chat/completions'
    descriptions = {name.lower(): {} for name in args.classnames}
    for index, (name, level) in enumerate(jobs, 1):
        started = time.monotonic()
        log(f'[{index}/{len(jobs)}] {name.lower()} / {level} ...')
        body = request_body(args.model, args.temperature, args.question, name,
                            level, args.num_per_granularity)
        answer = post_chat(url, body, args.api_key, args.timeout,
                           args.retries, args.backoff, log)
        phrases = parse_answer(answer)
        if not phrases:
            raise GenerationError(
                f'class {name.lower()!r}, granularity {level!r}: the answer '
                f'is not a JSON list or bullet list of phrases; it starts: '
                f'{_start(answer)!r}')
        if len(phrases) > args.num_per_granularity:
            phrases = phrases[:args.num_per_granularity]
        elif len(phrases) < args.num_per_granularity:
            log(f'  warning: asked for {args.num_per_granularity} phrases, '
                f'got {len(phrases)}')
        descriptions[name.lower()][level] = phrases
        log(f'  {len(phrases)} phrases in '
            f'{time.monotonic() - started:.1f} s')

    check_prompt_lengths(descriptions, args.classnames, log)
    data = {
        'question': args.question,
        'source': f'Generated by tools/generate_descriptions.py with model '
                  f'{args.model!r} (temperature {args.temperature:g}) on '
                  f'{datetime.now(timezone.utc):%Y-%m-%d}.',
        'granularities': list(args.granularities),
        'classes': descriptions,
    }
    try:
        write_atomically(args.out, data, args.classnames, args.granularities)
    except OSError as error:
        raise GenerationError(f'cannot write {args.out}: {error}') from None
    total = sum(len(p) for levels in descriptions.values()
                for p in levels.values())
    print(f'Wrote {total} descriptions for {len(descriptions)} classes x '
          f'{len(args.granularities)} granularities to {args.out}', file=out)
    return 0


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except GenerationError as err:
        print(f'error: {err}', file=sys.stderr, flush=True)
        return 1
    except BrokenPipeError:  # e.g. `--dry-run | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print('error: interrupted; nothing written.', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
