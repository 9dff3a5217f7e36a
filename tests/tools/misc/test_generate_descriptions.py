"""tools/misc/generate_descriptions.py against a stub OpenAI-compatible server:
a file ``load_descriptions`` accepts; dry runs send nothing and print no
key; one-line errors on HTTP errors, timeouts, refused connections and
unparsable answers; no overwrite without --force."""
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mpafer_plugin.models.utils.hard_prompts import load_descriptions
from tools.misc.generate_descriptions import main, parse_answer
from ...conftest import CLASSNAMES, REPO_ROOT

TOOL = os.path.join(REPO_ROOT, 'tools', 'misc', 'generate_descriptions.py')
RAFDB = os.path.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')
AFFECTNET8 = os.path.join(REPO_ROOT, 'configs', 'mpafer_affectnet8.py')
KEY = 'sk-test-do-not-print-0123456789'
LEVELS = ['face', 'regions', 'muscles']


def canned(body):
    """A JSON list for face, fenced JSON for regions, bullets for muscles;
    the class and level are read back from the question."""
    text = body['messages'][-1]['content']
    name = text.split('facial expression of ', 1)[1].split('?', 1)[0]
    if 'whole face' in text:
        return json.dumps([f'with a {name} face {i}.' for i in range(4)])
    if 'facial regions' in text:
        return ('Sure:\n```json\n' +
                json.dumps([f'with {name} brows {i}'
                            for i in range(3)]) + '\n```\n')
    return '\n'.join(f'- **with {name} muscle {i}**' for i in range(3))


class Stub(ThreadingHTTPServer):
    """Answers ``POST /v1/chat/completions`` with ``self.answer(body)``:
    a string (the message content) or ``(status, raw body)``; waits
    ``self.delay`` seconds first. Records every request."""

    daemon_threads = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), Handler)
        self.requests = []
        self.answer = canned
        self.delay = 0.0
        self.release = threading.Event()

    @property
    def url(self):
        return f'http://127.0.0.1:{self.server_address[1]}/v1'


class Handler(BaseHTTPRequestHandler):

    def log_message(self, *args):
        pass

    def do_POST(self):
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        server.requests.append((self.path, dict(self.headers), body))
        if server.delay:
            server.release.wait(server.delay)
        answer = server.answer(body)
        if isinstance(answer, tuple):
            status, raw = answer
        else:
            status, raw = 200, json.dumps({
                'choices': [{
                    'message': {
                        'role': 'assistant',
                        'content': answer
                    }
                }]
            })
        try:
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(raw.encode())))
            self.end_headers()
            self.wfile.write(raw.encode())
        except OSError:  # the client gave up (timeout test)
            pass


@pytest.fixture
def stub(monkeypatch):
    for name in ('OPENAI_BASE_URL', 'OPENAI_MODEL', 'OPENAI_API_KEY'):
        monkeypatch.delenv(name, raising=False)
    server = Stub()
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={'poll_interval': 0.05},
        daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def generate(stub, out, *extra):
    return main([
        '--base-url', stub.url, '--model', 'stub-model', '--api-key', KEY,
        '--out',
        str(out), '--retries', '0', '--timeout', '5', *extra
    ])


def test_generates_a_file_load_descriptions_accepts(stub, tmp_path, capsys):
    out = tmp_path / 'sub' / 'descriptions.json'
    assert generate(stub, out, '--config', RAFDB) == 0
    logs = capsys.readouterr()
    assert KEY not in logs.out + logs.err
    assert '[21/21] neutral / muscles' in logs.err

    classes = CLASSNAMES  # RAF-DB's, in its label order
    assert len(stub.requests) == len(classes) * len(LEVELS)
    path, headers, body = stub.requests[0]
    assert path == '/v1/chat/completions'
    assert headers['Authorization'] == f'Bearer {KEY}'
    assert body['model'] == 'stub-model' and 'temperature' in body
    question = body['messages'][-1]['content']
    assert question.startswith(
        'What are the most useful visual features to distinguish the '
        'facial expression of surprise?')

    texts = load_descriptions(str(out), classes, LEVELS)
    assert [len(t) for t in texts] == [9] * len(classes)
    data = json.loads(out.read_text())
    assert data['granularities'] == LEVELS
    assert list(data['classes']) == [c.lower() for c in classes]
    happy = data['classes']['happiness']
    # 3 asked for, 4 given: cut; trailing periods, fences, bullets,
    # markdown bold all gone.
    assert happy['face'] == [f'with a happiness face {i}' for i in range(3)]
    assert happy['regions'] == [f'with happiness brows {i}' for i in range(3)]
    assert happy['muscles'] == [f'with happiness muscle {i}' for i in range(3)]
    assert [p for p in os.listdir(out.parent)] == ['descriptions.json']


def test_classes_granularities_and_count(stub, tmp_path, capsys):
    out = tmp_path / 'd.json'
    assert generate(stub, out, '--classes', 'Contempt', 'anger',
                    '--granularities', 'regions', 'face',
                    '--num-per-granularity', '2') == 0
    data = json.loads(out.read_text())
    assert data['granularities'] == ['regions', 'face']
    assert data['classes']['contempt']['face'] == [
        'with a contempt face 0', 'with a contempt face 1'
    ]
    assert load_descriptions(str(out), ['Contempt', 'Anger'], ['face'])
    assert 'exactly 2 short phrases' in stub.requests[0][2]['messages'][-1][
        'content']


def test_dry_run_sends_nothing_and_prints_no_key(stub, tmp_path, capsys,
                                                 monkeypatch):
    monkeypatch.setenv('OPENAI_API_KEY', KEY)
    out = tmp_path / 'd.json'
    assert main([
        '--config', AFFECTNET8, '--dry-run', '--base-url', stub.url, '--out',
        str(out)
    ]) == 0
    logs = capsys.readouterr()
    assert stub.requests == [] and not out.exists()
    assert KEY not in logs.out + logs.err
    bodies = [
        json.loads(chunk.split('\n', 1)[1])
        for chunk in logs.out.split('# request ')[1:]
    ]
    assert len(bodies) == 8 * 3
    assert {'model', 'messages', 'temperature'} <= set(bodies[0])
    assert 'contempt' in bodies[-1]['messages'][-1]['content']
    # No key, model or base URL needed.
    monkeypatch.delenv('OPENAI_API_KEY')
    assert main(['--classes', 'fear', '--dry-run']) == 0


def test_http_500_is_a_clear_error(stub, tmp_path, capsys):
    stub.answer = lambda body: (500, '{"error": "model overloaded"}')
    out = tmp_path / 'd.json'
    assert generate(stub, out, '--classes', 'fear') == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith('error: HTTP 500') and 'model overloaded' in err
    assert not out.exists() and len(stub.requests) == 1


def test_retries_then_succeeds(stub, tmp_path, capsys):
    calls = []

    def flaky(body):
        calls.append(1)
        return (503, 'busy') if len(calls) == 1 else canned(body)

    stub.answer = flaky
    out = tmp_path / 'd.json'
    assert generate(stub, out, '--classes', 'fear', '--granularities', 'face',
                    '--retries', '2', '--backoff', '0') == 0
    assert 'retry 1/2' in capsys.readouterr().err
    assert len(stub.requests) == 2 and out.exists()


def test_timeout_is_a_clear_error(stub, tmp_path, capsys):
    stub.delay = 3.0
    out = tmp_path / 'd.json'
    assert main([
        '--base-url', stub.url, '--model', 'm', '--out',
        str(out), '--classes', 'fear', '--timeout', '0.3', '--retries', '0'
    ]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith('error: no answer from') and '0.3 s' in err
    assert not out.exists()


def test_connection_refused_is_a_clear_error(stub, tmp_path, capsys):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    assert main([
        '--base-url', f'http://127.0.0.1:{port}/v1', '--model', 'm', '--out',
        str(tmp_path / 'd.json'), '--classes', 'fear', '--retries', '0'
    ]) == 1
    assert 'error: connection refused' in capsys.readouterr().err


def test_unparsable_answer_names_class_and_granularity(stub, tmp_path, capsys):

    def answer(body):
        text = body['messages'][-1]['content']
        if 'of fear?' in text and 'facial regions' in text:
            return "I'm sorry, but I can't help with that request."
        return canned(body)

    stub.answer = answer
    out = tmp_path / 'd.json'
    assert generate(stub, out, '--classes', 'happiness', 'fear') == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "class 'fear', granularity 'regions'" in err
    assert "I'm sorry, but I can" in err
    assert not out.exists()


def test_refuses_to_overwrite_without_force(stub, tmp_path, capsys):
    out = tmp_path / 'd.json'
    out.write_text('keep me')
    assert generate(stub, out, '--classes', 'fear') == 1
    assert '--force' in capsys.readouterr().err
    assert out.read_text() == 'keep me' and stub.requests == []
    assert generate(stub, out, '--classes', 'fear', '--force') == 0
    assert load_descriptions(str(out), ['fear'])


def test_warns_about_prompts_over_77_tokens(stub, tmp_path, capsys):
    long = 'with ' + ' '.join(['deeply furrowed wrinkled brows'] * 20)
    stub.answer = lambda body: json.dumps([long, 'with a frown'])
    out = tmp_path / 'd.json'
    assert generate(stub, out, '--classes', 'anger', '--granularities',
                    'face') == 0
    err = capsys.readouterr().err
    assert "warning: anger/face" in err and '77 tokens' in err


def test_subprocess_error_is_one_line_without_traceback(stub, tmp_path):
    stub.answer = lambda body: (401, '{"error": "invalid api key"}')
    env = {k: v for k, v in os.environ.items() if not k.startswith('OPENAI')}
    result = subprocess.run([
        sys.executable, TOOL, '--classes', 'fear', '--base-url', stub.url,
        '--model', 'm', '--api-key', KEY, '--out',
        str(tmp_path / 'd.json'), '--retries', '3'
    ],
                            capture_output=True,
                            text=True,
                            env=env,
                            cwd=REPO_ROOT,
                            timeout=60)
    assert result.returncode == 1
    lines = [
        line for line in result.stderr.splitlines() if not line.startswith('[')
    ]
    assert len(lines) == 1 and 'Traceback' not in result.stderr
    assert lines[0].startswith('error: HTTP 401') and KEY not in lines[0]
    assert len(stub.requests) == 1  # 4xx is not retried


@pytest.mark.parametrize('answer, phrases', [
    ('["with a", "with b."]', ['with a', 'with b']),
    ('```\n["with a"]\n```', ['with a']),
    ('Here you go:\n```json\n["with a", "with a"]\n```', ['with a']),
    ('{"features": ["with a", "with b"]}', ['with a', 'with b']),
    ('Sure! ["with a", "with b"] Hope this helps.', ['with a', 'with b']),
    ('Features:\n1. "With a."\n2) with b\n* with c\n\u2022 with d',
     ['With a', 'with b', 'with c', 'with d']),
    ('The eyebrows are raised and the eyes are wide.', []),
    ('[1, 2, 3]', []),
])
def test_parse_answer(answer, phrases):
    assert parse_answer(answer) == phrases
